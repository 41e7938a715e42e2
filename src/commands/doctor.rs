//! `perf_manual doctor`.

use crate::{cli::OutputFormat, collect::doctor::doctor as run_checks, exit::Failure, report};

pub fn doctor(format: OutputFormat) -> Result<i32, Failure> {
    let scratch = tempdir()?;
    let checks = run_checks(&scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    match format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&checks).unwrap_or_default()
        ),
        OutputFormat::Text => print!("{}", report::terminal::doctor(&checks)),
    }
    Ok(crate::exit::SUCCESS)
}

/// A private scratch directory for probes.
fn tempdir() -> Result<std::path::PathBuf, Failure> {
    let path = std::env::temp_dir().join(format!("perf_manual-doctor-{}", std::process::id()));
    crate::store::private_dir(&path)
        .map_err(|err| Failure::environment(format!("cannot make {}: {err}", path.display())))?;
    Ok(path)
}

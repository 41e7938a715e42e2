//! `perf_manual check PLAYBOOK`.

use std::path::Path;

use crate::{cli::OutputFormat, exit::Failure};

pub fn check(path: &Path, format: OutputFormat) -> Result<i32, Failure> {
    let loaded = super::load_checked(path)?;
    let playbook = &loaded.playbook;
    match format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::json!({
                "playbook": path.display().to_string(),
                "name": playbook.name,
                "phases": playbook.phases.len(),
                "rules": playbook.rules.len(),
                "ok": true,
            })
        ),
        OutputFormat::Text => println!(
            "{}: ok ({} phase(s), {} rule(s))",
            path.display(),
            playbook.phases.len(),
            playbook.rules.len()
        ),
    }
    Ok(crate::exit::SUCCESS)
}

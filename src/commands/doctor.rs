//! `perf_manual doctor`.

use crate::{
    collect::doctor::doctor as run_checks,
    exit::{self, Failure},
    report::{
        export::{OutputFormat, pretty_json, print_simple},
        terminal,
    },
    store::ScratchDir,
};

pub fn doctor(format: OutputFormat) -> Result<i32, Failure> {
    // A private scratch directory for the probes' output.
    let scratch = ScratchDir::new("doctor")
        .map_err(|err| Failure::environment(format!("cannot make a scratch directory: {err}")))?;
    let checks = run_checks(scratch.path());
    print_simple(
        format,
        || terminal::doctor(&checks),
        || pretty_json(&checks),
    );
    Ok(exit::SUCCESS)
}

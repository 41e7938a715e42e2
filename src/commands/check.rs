//! `perf_manual check PLAYBOOK`.

use std::path::Path;

use crate::{
    exit::{self, Failure},
    report::export::{OutputFormat, print_simple},
};

pub fn check(path: &Path, format: OutputFormat) -> Result<i32, Failure> {
    let loaded = super::load_checked(path)?;
    let playbook = &loaded.playbook;
    print_simple(
        format,
        || {
            format!(
                "{}: ok ({} phase(s), {} rule(s))\n",
                path.display(),
                playbook.phases.len(),
                playbook.rules.len()
            )
        },
        || {
            serde_json::json!({
                "playbook": path.display().to_string(),
                "name": playbook.name,
                "phases": playbook.phases.len(),
                "rules": playbook.rules.len(),
                "ok": true,
            })
            .to_string()
        },
    );
    Ok(exit::SUCCESS)
}

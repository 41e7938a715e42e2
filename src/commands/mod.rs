//! One function per command; each reads as the steps of its pipeline.

pub mod analyze;
pub mod check;
pub mod doctor;
pub mod run;
pub mod use_check;

use std::path::{Path, PathBuf};

use crate::{
    exit::Failure,
    playbook::{self, Checked, check::check},
};

/// Load and check a playbook; every problem is reported, one line each, and nothing runs.
pub fn load_checked(path: &Path) -> Result<Checked, Failure> {
    let loaded = playbook::load(path)?;
    check(loaded).map_err(|errors| {
        Failure::bad_input(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })
}

/// A playbook path, or the name of one under ./playbooks.
pub fn find_playbook(suite: &str) -> PathBuf {
    let path = PathBuf::from(suite);
    if path.exists() || suite.contains('/') {
        return path;
    }
    PathBuf::from("playbooks").join(format!("{suite}.toml"))
}

/// `--duration` text to a duration, or a usage error.
pub fn parse_duration_flag(text: Option<&str>) -> Result<Option<std::time::Duration>, Failure> {
    text.map(|text| {
        crate::base::parse_duration(text)
            .map_err(|err| Failure::bad_input(format!("--duration: {err}")))
    })
    .transpose()
}

//! One function per command; each reads as the steps of its pipeline.
//!

//! What several commands share lives here, never in a sibling: no command imports another.

pub mod analyze;
pub mod check;
pub mod doctor;
pub mod red_check;
pub mod run;
pub mod schema;
pub mod use_check;

use std::path::{Path, PathBuf};

use crate::{
    cli::FailOn,
    exit::{self, Failure},
    judge,
    parse::catalogue::Catalogue,
    playbook::{self, Checked, check::check_with},
    report::{
        ReportData,
        export::{self, Document, ExportError, ReportFormat},
    },
    rules::{Finding, Severity},
};

/// Load and check a playbook; every problem is reported, one line each, and nothing runs. Its
/// rules may read what the parser specs of `./parsers` produce, as the judgement reads them.
pub(crate) fn load_checked(path: &Path) -> Result<Checked, Failure> {
    let loaded = playbook::load(path)?;
    let (specs, _) = judge::load_specs(Path::new(judge::PARSERS_DIR));
    check_with(loaded, &Catalogue::built_in().with_specs(&specs)).map_err(|errors| {
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
pub(crate) fn find_playbook(suite: &str) -> PathBuf {
    let path = PathBuf::from(suite);
    if path.exists() || suite.contains('/') {
        return path;
    }
    PathBuf::from("playbooks").join(format!("{suite}.toml"))
}

/// `--duration` text to a duration, or a usage error.
pub(crate) fn parse_duration_flag(
    text: Option<&str>,
) -> Result<Option<std::time::Duration>, Failure> {
    text.map(|text| {
        crate::base::parse_duration(text)
            .map_err(|err| Failure::bad_input(format!("--duration: {err}")))
    })
    .transpose()
}

/// The text of a user's report template (`--template`), or `None` for the shipped one.
pub(crate) fn read_template(path: Option<&Path>) -> Result<Option<String>, Failure> {
    path.map(|path| {
        std::fs::read_to_string(path).map_err(|err| {
            Failure::bad_input(format!("cannot read template {}: {err}", path.display()))
        })
    })
    .transpose()
}

/// A report that could not be written: a wrong template is bad input, the rest the
/// environment's.
pub(crate) fn export_failure(err: ExportError) -> Failure {
    match err {
        ExportError::Template(message) => Failure::bad_input(message),
        ExportError::Io(err) => Failure::environment(format!("cannot write the report: {err}")),
    }
}

/// Print `document` on stdout in `format`.
pub(crate) fn print(format: ReportFormat, document: &Document<'_>) -> Result<(), Failure> {
    export::print(export::exporter(format).as_ref(), document).map_err(export_failure)
}

/// The exit code of a report: [`exit::FINDING`] when a finding is at or above `--fail-on`,
/// else [`exit::INCONCLUSIVE`] when `--fail-on` is given and something could not be judged.
pub(crate) fn exit_code(report: &ReportData, fail_on: Option<FailOn>) -> i32 {
    let Some(level) = fail_on else {
        return exit::SUCCESS;
    };
    let reached = |finding: &Finding| finding.severity >= Severity::from(level);
    if report.findings.iter().any(reached) {
        exit::FINDING
    } else if report.is_open() {
        exit::INCONCLUSIVE
    } else {
        exit::SUCCESS
    }
}

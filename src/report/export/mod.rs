//! Exporters: one file per output format, behind one trait, chosen in one place
//! ([`exporter`]). A new format is a file here, its line in [`exporter`] and its test.
//!
//! Every exporter is handed the same [`Document`]: the assembled report, the rules and how
//! each was judged, the records when the command prints them, the `--fail-on` threshold and
//! where the report file went. It writes to any `Write`: stdout or a file alike.

mod json;
mod junit;
mod markdown;
pub(crate) mod regression;
mod text;

use std::io::Write;
use std::path::Path;

use clap::ValueEnum;
use serde::Serialize;

pub(crate) use markdown::Markdown;

use super::ReportData;
use crate::{
    record::Record,
    rules::{CompiledRule, Judgement, Severity},
};

/// What `run` and `analyze` print on stdout (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// The verdict and the top findings, for a person at a terminal (`analyze` without
    /// `--output` prints the whole Markdown report instead).
    Text,
    /// The report as one JSON object (schemas/report.schema.json).
    Json,
    /// JUnit XML: a test case per rule, a finding at or above `--fail-on` a failure.
    Junit,
}

/// What the other commands print (`check`, `doctor`, `use-check`): text or the same as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// Everything an exporter may show.
pub(crate) struct Document<'a> {
    pub report: &'a ReportData,
    /// The rules that were to be judged, in the playbook's order.
    pub rules: &'a [CompiledRule],
    /// How each rule was judged: fired, quiet, without data (and why), or wrong.
    pub judgement: &'a Judgement,
    /// Every record read, when the command prints them (`analyze --format json`).
    pub records: Option<&'a [Record]>,
    /// `--fail-on`: a finding at or above it fails the run.
    pub fail_on: Option<Severity>,
    /// Where the report file was written, when one was.
    pub report_path: Option<&'a Path>,
}

/// Why a document could not be written.
#[derive(Debug)]
pub(crate) enum ExportError {
    /// The template (a user's, with `--template`) is wrong.
    Template(String),
    Io(std::io::Error),
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportError::Template(message) => f.write_str(message),
            ExportError::Io(err) => write!(f, "{err}"),
        }
    }
}

impl From<std::io::Error> for ExportError {
    fn from(err: std::io::Error) -> Self {
        ExportError::Io(err)
    }
}

/// One output format.
pub(crate) trait Exporter {
    /// How the format's files end (`md`, `json`).
    fn extension(&self) -> &'static str;
    fn export(&self, document: &Document<'_>, out: &mut dyn Write) -> Result<(), ExportError>;
}

/// The exporter of a `--format`.
pub(crate) fn exporter(format: ReportFormat) -> Box<dyn Exporter> {
    match format {
        ReportFormat::Text => Box::new(text::Text),
        ReportFormat::Json => Box::new(json::Json),
        ReportFormat::Junit => Box::new(junit::Junit),
    }
}

/// Export `document` to stdout, buffered. A closed pipe (`| head`) ends quietly: SIGPIPE has
/// its default disposition.
pub(crate) fn print(exporter: &dyn Exporter, document: &Document<'_>) -> Result<(), ExportError> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    exporter.export(document, &mut out)?;
    out.flush()?;
    Ok(())
}

/// Export `document` to a string (a report file, a template's output).
pub fn to_string(exporter: &dyn Exporter, document: &Document<'_>) -> Result<String, ExportError> {
    let mut bytes = Vec::new();
    exporter.export(document, &mut bytes)?;
    String::from_utf8(bytes).map_err(|err| ExportError::Template(err.to_string()))
}

/// Print a simple result (`check`, `doctor`, `use-check`): `text()` for a person, or
/// `json()` for a script, on a line of its own.
pub(crate) fn print_simple(
    format: OutputFormat,
    text: impl FnOnce() -> String,
    json: impl FnOnce() -> String,
) {
    match format {
        OutputFormat::Json => println!("{}", json()),
        OutputFormat::Text => print!("{}", text()),
    }
}

/// `value` as indented JSON, the form most results are printed in.
pub(crate) fn pretty_json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

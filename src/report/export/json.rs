//! The report as one JSON object (schemas/report.schema.json), with every record read when
//! the command hands them over.

use std::io::Write;

use super::{Document, ExportError, Exporter};
use crate::report::ReportJson;

pub(crate) struct Json;

impl Exporter for Json {
    fn extension(&self) -> &'static str {
        "json"
    }

    fn export(&self, document: &Document<'_>, out: &mut dyn Write) -> Result<(), ExportError> {
        // Streamed: the records may be many, and are not copied to be printed.
        let json = ReportJson {
            report: document.report,
            records: document.records,
        };
        serde_json::to_writer_pretty(&mut *out, &json).map_err(std::io::Error::from)?;
        writeln!(out)?;
        Ok(())
    }
}

//! The judged run as one JSON object (schemas/regress.schema.json).

use std::io::Write;

use super::{ExportError, RegressionExporter};
use crate::regress::judge::RegressReport;

pub(crate) struct Json;

impl RegressionExporter for Json {
    fn export(&self, report: &RegressReport, out: &mut dyn Write) -> Result<(), ExportError> {
        serde_json::to_writer_pretty(&mut *out, report).map_err(std::io::Error::from)?;
        writeln!(out)?;
        Ok(())
    }
}

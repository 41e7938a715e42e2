//! For a person at a terminal: the verdict, the top findings, and where the report is.

use std::io::Write;

use super::{Document, ExportError, Exporter};

/// How many findings the terminal shows; the report has them all.
const FINDINGS_SHOWN: usize = 5;

pub(crate) struct Text;

impl Exporter for Text {
    fn extension(&self) -> &'static str {
        "txt"
    }

    fn export(&self, document: &Document<'_>, out: &mut dyn Write) -> Result<(), ExportError> {
        let data = document.report;
        writeln!(out, "{}", data.verdict)?;
        if !data.not_recognized.is_empty() {
            let more = match data.not_recognized_more {
                0 => String::new(),
                more => format!(" and {more} more"),
            };
            writeln!(
                out,
                "  {} file(s) not recognized, so not judged: {}{more}",
                data.not_recognized_total,
                data.not_recognized.join(", ")
            )?;
        }
        for finding in data.findings.iter().take(FINDINGS_SHOWN) {
            writeln!(
                out,
                "  [{}] {} {}: {}",
                finding.severity.as_str(),
                finding.resource,
                finding.signal.as_str(),
                finding.message
            )?;
        }
        let mut listed: Option<&[crate::collect::manifest::TargetProcess]> = None;
        for drill_down in &data.drill_downs {
            writeln!(out, "  drill-down: {}", drill_down.summary)?;
            // Steps of one phase aim at the same processes: who was left out is said once.
            if listed == Some(drill_down.processes.as_slice()) {
                continue;
            }
            listed = Some(&drill_down.processes);
            for process in drill_down.processes.iter().filter(|p| !p.profiled) {
                writeln!(
                    out,
                    "    left out {} (PID {}, {:.1}% CPU): {}",
                    process.command, process.pid, process.cpu_pct, process.why
                )?;
            }
        }
        for red in &data.red {
            writeln!(out, "  {}", super::super::rows::red_line(red))?;
        }
        if let Some(path) = document.report_path {
            writeln!(out, "report: {}", path.display())?;
        }
        Ok(())
    }
}

//! The verdict and each check, for a person at a terminal.

use std::io::Write;

use super::{
    ExportError, RegressionExporter, change_text, decision_word, effect_text, history_change_text,
    p_text, side_text, unit_in,
};
use crate::{regress::judge::RegressReport, stats::Decision};

pub(crate) struct Text;

impl RegressionExporter for Text {
    fn export(&self, report: &RegressReport, out: &mut dyn Write) -> Result<(), ExportError> {
        writeln!(
            out,
            "regress {}: {}: {}",
            report.recipe,
            decision_word(report.verdict),
            report.summary
        )?;
        writeln!(out, "baseline: {}", report.baseline_source)?;
        for check in &report.checks {
            let mark = match check.comparison.decision {
                Decision::Regression => "FAIL",
                Decision::Pass => "pass",
                Decision::Inconclusive => "????",
            };
            writeln!(out, "  {mark} {}: {}", check.benchmark, check.check)?;
            writeln!(
                out,
                "       baseline {}; current {}; change {}; p = {}; {}",
                side_text(check, true),
                side_text(check, false),
                change_text(check),
                p_text(check),
                effect_text(check)
            )?;
            writeln!(out, "       {}", check.comparison.reason)?;
        }
        for metric in &report.changes {
            let unit = unit_in(report, &metric.metric);
            for change in &metric.points {
                writeln!(
                    out,
                    "change point: {} {}({}) over {} runs: {}",
                    metric.benchmark,
                    metric.statistic,
                    metric.metric,
                    metric.runs,
                    history_change_text(change, &unit)
                )?;
            }
        }
        if let Some(playbook) = &report.playbook {
            writeln!(
                out,
                "playbook {} under load: {}{}",
                playbook.playbook,
                if playbook.failed { "FAIL: " } else { "" },
                playbook.verdict
            )?;
            for finding in &playbook.findings {
                writeln!(
                    out,
                    "  [{}] {} {}",
                    finding.severity.as_str(),
                    finding.id,
                    finding.message
                )?;
            }
        }
        Ok(())
    }
}

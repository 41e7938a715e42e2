//! A summary for a pull-request comment: the verdict, a table of the checks, why each was
//! decided, the change points of the history and the playbook's findings.

use std::io::Write;

use super::{
    ExportError, RegressionExporter, change_text, effect_text, history_change_text, p_text,
    side_text, unit_in,
};
use crate::{regress::judge::RegressReport, stats::Decision};

pub(crate) struct Markdown;

fn mark(decision: Decision) -> &'static str {
    match decision {
        Decision::Regression => "❌",
        Decision::Pass => "✅",
        Decision::Inconclusive => "❔",
    }
}

/// Table cells may not hold `|` or a line break.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

impl RegressionExporter for Markdown {
    fn export(&self, report: &RegressReport, out: &mut dyn Write) -> Result<(), ExportError> {
        writeln!(
            out,
            "### {} perf_manual regress `{}`: {}\n",
            mark(report.verdict),
            cell(&report.recipe),
            report.verdict.as_str()
        )?;
        writeln!(
            out,
            "{}. Baseline: {}.\n",
            report.summary,
            cell(&report.baseline_source)
        )?;
        writeln!(
            out,
            "| | benchmark | check | baseline | current | change | p | effect |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|---|")?;
        for check in &report.checks {
            writeln!(
                out,
                "| {} | {} | `{}` | {} | {} | {} | {} | {} |",
                mark(check.comparison.decision),
                cell(&check.benchmark),
                cell(&check.check),
                side_text(check, true),
                side_text(check, false),
                change_text(check),
                p_text(check),
                effect_text(check)
            )?;
        }
        writeln!(
            out,
            "\n<details><summary>Why each check was decided so</summary>\n"
        )?;
        for check in &report.checks {
            writeln!(
                out,
                "- **{}** `{}` ({}): {}",
                cell(&check.benchmark),
                cell(&check.check),
                check.comparison.test.as_str(),
                check.comparison.reason
            )?;
        }
        writeln!(
            out,
            "\np is that of a change past the limit; the interval is of the change itself.\n\n</details>"
        )?;
        let points: Vec<_> = report
            .changes
            .iter()
            .flat_map(|metric| metric.points.iter().map(move |point| (metric, point)))
            .collect();
        if !points.is_empty() {
            writeln!(out, "\n**Change points in the history**\n")?;
            for (metric, point) in points {
                writeln!(
                    out,
                    "- {} {}({}): {}",
                    cell(&metric.benchmark),
                    metric.statistic,
                    metric.metric,
                    history_change_text(point, &unit_in(report, &metric.metric))
                )?;
            }
        }
        if let Some(playbook) = &report.playbook {
            writeln!(
                out,
                "\n**Playbook `{}` under load** {}: {}\n",
                cell(&playbook.playbook),
                if playbook.failed { "❌" } else { "✅" },
                cell(&playbook.verdict)
            )?;
            for finding in &playbook.findings {
                writeln!(
                    out,
                    "- {} `{}`: {}",
                    finding.severity.as_str(),
                    cell(&finding.id),
                    cell(&finding.message)
                )?;
            }
        }
        Ok(())
    }
}

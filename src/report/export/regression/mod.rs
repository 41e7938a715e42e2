//! What `regress` prints: one exporter per format behind one trait, like the reports', each
//! handed the judged run ([`RegressReport`]). JUnit goes through quick-junit as the reports'
//! does; Markdown is written for a pull-request comment.

mod json;
mod junit;
mod markdown;
mod text;

use std::io::Write;

use clap::ValueEnum;

use super::ExportError;
use crate::{
    regress::judge::{CheckOutcome, HistoryChange, RegressReport},
    rules::eval::format_number,
    stats::{Decision, compare::format_percent},
};

/// What `regress` prints on stdout (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegressFormat {
    /// The verdict and each check, for a person at a terminal.
    Text,
    /// The judged run as one JSON object (schemas/regress.schema.json); its `current` is a
    /// stored result another run can take as its baseline.
    Json,
    /// JUnit XML: a test case per check and benchmark, a regression a failure, an
    /// inconclusive check skipped.
    Junit,
    /// A summary for a pull-request comment.
    Markdown,
}

/// One output format of a judged run.
pub(crate) trait RegressionExporter {
    fn export(&self, report: &RegressReport, out: &mut dyn Write) -> Result<(), ExportError>;
}

/// The exporter of a `--format`.
pub(crate) fn regression_exporter(format: RegressFormat) -> Box<dyn RegressionExporter> {
    match format {
        RegressFormat::Text => Box::new(text::Text),
        RegressFormat::Json => Box::new(json::Json),
        RegressFormat::Junit => Box::new(junit::Junit),
        RegressFormat::Markdown => Box::new(markdown::Markdown),
    }
}

/// Print `report` on stdout in `format`.
pub(crate) fn print_regression(
    format: RegressFormat,
    report: &RegressReport,
) -> Result<(), ExportError> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    regression_exporter(format).export(report, &mut out)?;
    out.flush()?;
    Ok(())
}

/// Write `report` in `format` to the file at `path`.
pub(crate) fn write_regression(
    format: RegressFormat,
    report: &RegressReport,
    path: &std::path::Path,
) -> Result<(), ExportError> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    regression_exporter(format).export(report, &mut out)?;
    out.flush()?;
    Ok(())
}

/// A measured value with its unit, scaled for reading: seconds as s, ms or µs; KiB as KiB,
/// MiB or GiB.
pub(crate) fn value_text(value: f64, unit: &str) -> String {
    let scaled = |steps: &[(f64, &str)]| {
        let (factor, name) = steps
            .iter()
            .copied()
            .find(|(factor, _)| value.abs() >= *factor)
            .filter(|_| value != 0.0)
            .unwrap_or_else(|| {
                // Zero in the unit itself; a value below the smallest step in the smallest.
                let plain = steps.iter().find(|(factor, _)| *factor == 1.0);
                let smallest = steps.last();
                *(if value == 0.0 { plain } else { smallest }).unwrap_or(&(1.0, unit))
            });
        format!("{} {name}", significant(value / factor))
    };
    match unit {
        "s" => scaled(&[(1.0, "s"), (1e-3, "ms"), (1e-6, "µs")]),
        "KiB" => scaled(&[(1024.0 * 1024.0, "GiB"), (1024.0, "MiB"), (1.0, "KiB")]),
        "" => significant(value),
        _ => format!("{} {unit}", significant(value)),
    }
}

/// Four significant digits at most, no trailing zeros.
fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format_number(value);
    }
    let digits = (3 - value.abs().log10().floor() as i32).clamp(0, 9) as usize;
    let text = format!("{value:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// `101.2 ms ± 2.1 ms (n = 20)` for one side of a check.
pub(crate) fn side_text(check: &CheckOutcome, baseline: bool) -> String {
    let summary = if baseline {
        check.comparison.baseline
    } else {
        check.comparison.current
    };
    match summary {
        Some(summary) => {
            let centre = match check.comparison.test {
                crate::stats::Test::Welch => summary.mean,
                crate::stats::Test::MannWhitney => summary.median,
            };
            format!(
                "{} ± {} (n = {})",
                value_text(centre, &check.unit),
                value_text(summary.stddev, &check.unit),
                summary.count
            )
        }
        None => "no samples".into(),
    }
}

/// `+20.1% (+18.5% … +21.7%, 98% CI)`, or `–` when it cannot be told.
pub(crate) fn change_text(check: &CheckOutcome) -> String {
    let signed = |fraction: f64| {
        let text = format_percent(fraction);
        if fraction >= 0.0 {
            format!("+{text}%")
        } else {
            format!("{text}%")
        }
    };
    let comparison = &check.comparison;
    match (
        comparison.change,
        comparison.change_low,
        comparison.change_high,
    ) {
        (Some(change), Some(low), Some(high)) => format!(
            "{} ({} … {}, {}% CI)",
            signed(change),
            signed(low),
            signed(high),
            format_percent(comparison.confidence)
        ),
        (Some(change), _, _) => signed(change),
        _ => "–".into(),
    }
}

/// `g = 7.52` or `r = 0.94`.
pub(crate) fn effect_text(check: &CheckOutcome) -> String {
    let comparison = &check.comparison;
    match comparison.effect_size {
        Some(effect) => {
            let name = if comparison.effect_size_kind == "hedges_g" {
                "g"
            } else {
                "r"
            };
            format!("{name} = {effect:.2}")
        }
        None => "–".into(),
    }
}

pub(crate) fn p_text(check: &CheckOutcome) -> String {
    check.comparison.p_regression.map_or_else(
        || "–".into(),
        |p| {
            if p >= 0.001 {
                format!("{p:.3}")
            } else {
                format!("{p:.1e}")
            }
        },
    )
}

/// `run 19 (2026-12-04T18:00:00Z, abc1234): 101.2 ms → 121.5 ms (+20%)`.
pub(crate) fn history_change_text(change: &HistoryChange, unit: &str) -> String {
    let revision = change
        .revision
        .as_deref()
        .map(|rev| format!(", {}", &rev[..rev.len().min(12)]))
        .unwrap_or_default();
    let relative = change
        .point
        .change
        .map(|c| {
            format!(
                " ({}{}%)",
                if c >= 0.0 { "+" } else { "" },
                format_percent(c)
            )
        })
        .unwrap_or_default();
    format!(
        "run {} ({}{revision}): {} → {}{relative}, p = {:.3}",
        change.run,
        change.time,
        value_text(change.point.before_mean, unit),
        value_text(change.point.after_mean, unit),
        change.point.p_value
    )
}

/// The unit of a metric as the report's checks give it.
pub(crate) fn unit_in(report: &RegressReport, metric: &str) -> String {
    report
        .checks
        .iter()
        .find(|c| c.metric == metric)
        .map(|c| c.unit.clone())
        .unwrap_or_default()
}

pub(crate) fn decision_word(decision: Decision) -> &'static str {
    match decision {
        Decision::Regression => "REGRESSION",
        Decision::Pass => "pass",
        Decision::Inconclusive => "inconclusive",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_in_their_unit() {
        assert_eq!(value_text(0.1012, "s"), "101.2 ms");
        assert_eq!(value_text(2.5, "s"), "2.5 s");
        assert_eq!(value_text(0.000_35, "s"), "350 µs");
        assert_eq!(value_text(20480.0, "KiB"), "20 MiB");
        assert_eq!(value_text(1234.5678, "ops/s"), "1235 ops/s");
        assert_eq!(value_text(0.0, "s"), "0 s");
        assert_eq!(value_text(0.0, "KiB"), "0 KiB");
    }
}

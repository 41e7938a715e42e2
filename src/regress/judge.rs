//! The judgement of a run: each threshold on each benchmark it applies to, decided by
//! `stats::compare`; where each metric changed over the history; the playbook's findings.
//! What `regress --format json` prints (`schemas/regress.schema.json`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Checked, RunResult};
use crate::{
    rules::Severity,
    stats::{self, ChangePoint, Comparison, Decision},
};

/// The most runs of a history the change points are looked for in (the latest ones).
pub const HISTORY_WINDOW: usize = 500;

/// A recipe's run, judged.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RegressReport {
    pub recipe: String,
    pub recipe_path: String,
    /// `regression` when a check showed one (or the playbook failed), `inconclusive` when a
    /// check could not tell, `pass` when every check showed the limit kept.
    pub verdict: Decision,
    /// The verdict in a sentence.
    pub summary: String,
    /// Where the baseline came from: `file PATH` or `revision REV (COMMIT)`.
    pub baseline_source: String,
    /// The runs compared; absent with `--history-only`, which runs nothing. `current` is
    /// what `--save` writes: a stored result another run can take as its baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<RunResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<RunResult>,
    /// One per threshold and benchmark it applies to, in the recipe's order.
    pub checks: Vec<CheckOutcome>,
    /// Where the history's metrics changed (empty without a history).
    pub changes: Vec<MetricChanges>,
    /// The playbook run under load, when the recipe has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playbook: Option<PlaybookOutcome>,
}

/// One threshold on one benchmark.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CheckOutcome {
    pub benchmark: String,
    /// The check as written in the recipe.
    pub check: String,
    pub metric: String,
    /// `s`, `KiB` or a `[[metric]]`'s unit.
    pub unit: String,
    /// The check's significance, over all its looks.
    pub alpha: f64,
    /// How many looks at the data the recipe allows (`max_repetitions`): the comparison was
    /// made at `alpha / looks` (Bonferroni). 1 without `max_repetitions`.
    #[serde(default = "one")]
    pub looks: usize,
    pub comparison: Comparison,
}

fn one() -> usize {
    1
}

/// The change points of one metric of one benchmark over the history.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MetricChanges {
    pub benchmark: String,
    pub metric: String,
    /// Each run's mean or median, as the thresholds on this metric compare.
    pub statistic: String,
    /// How many runs of the history had it.
    pub runs: usize,
    pub points: Vec<HistoryChange>,
}

/// A change point, placed in the history.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HistoryChange {
    /// 1-based number of the first run after the change, among the runs that had the metric.
    pub run: usize,
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(flatten)]
    pub point: ChangePoint,
}

/// What the playbook run under load found.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PlaybookOutcome {
    pub playbook: String,
    pub fail_on: Severity,
    /// Whether a finding reached `fail_on`, or the run could not be judged.
    pub failed: bool,
    pub verdict: String,
    /// The investigation directory it wrote.
    pub directory: String,
    pub findings: Vec<PlaybookFinding>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PlaybookFinding {
    pub id: String,
    pub severity: Severity,
    pub resource: String,
    pub message: String,
}

/// The unit of a metric.
pub fn unit_of(checked: &Checked, metric: &str) -> String {
    match metric {
        "wall" | "user" | "sys" => "s".into(),
        "max_rss" => "KiB".into(),
        _ => checked
            .metrics
            .iter()
            .find(|(m, _)| m.name == metric)
            .map(|(m, _)| m.unit.clone())
            .unwrap_or_default(),
    }
}

/// Every threshold on every benchmark it applies to, each at its alpha spread over the
/// recipe's looks. A benchmark or metric the baseline lacks is inconclusive, with the reason.
pub fn checks(checked: &Checked, baseline: &RunResult, current: &RunResult) -> Vec<CheckOutcome> {
    let looks = checked.looks.len();
    let mut outcomes = Vec::new();
    for threshold in &checked.thresholds {
        for &index in &threshold.benchmarks {
            let benchmark = &checked.recipe.benchmarks[index].name;
            let before = baseline
                .samples(benchmark, &threshold.metric)
                .unwrap_or(&[]);
            let after = current.samples(benchmark, &threshold.metric).unwrap_or(&[]);
            let mut comparison = stats::compare(
                before,
                after,
                threshold.statistic.test(),
                threshold.limit,
                threshold.alpha / looks as f64,
            );
            if before.is_empty() {
                comparison.reason = format!(
                    "the baseline has no samples of {} for benchmark {benchmark:?}",
                    threshold.metric
                );
            } else if looks > 1 {
                comparison.reason = format!(
                    "{} (p < {} over up to {looks} looks at the data: each look at p < {:.2e})",
                    comparison.reason,
                    threshold.alpha,
                    threshold.alpha / looks as f64
                );
            }
            outcomes.push(CheckOutcome {
                benchmark: benchmark.clone(),
                check: threshold.text.clone(),
                metric: threshold.metric.clone(),
                unit: unit_of(checked, &threshold.metric),
                alpha: threshold.alpha,
                looks,
                comparison,
            });
        }
    }
    outcomes
}

/// The benchmarks (by index) that another round of repetitions could help: those with an
/// inconclusive check against `baseline`, or, with no baseline (`--measure-only`), those
/// whose compared statistics are not yet precise enough for their limits.
pub fn undecided(
    checked: &Checked,
    baseline: Option<&RunResult>,
    current: &RunResult,
) -> Vec<usize> {
    let looks = checked.looks.len() as f64;
    let mut found = Vec::new();
    for threshold in &checked.thresholds {
        for &index in &threshold.benchmarks {
            if found.contains(&index) {
                continue;
            }
            let benchmark = &checked.recipe.benchmarks[index].name;
            let after = current.samples(benchmark, &threshold.metric).unwrap_or(&[]);
            let test = threshold.statistic.test();
            let alpha = threshold.alpha / looks;
            let open = match baseline {
                Some(baseline) => {
                    let Some(before) = baseline.samples(benchmark, &threshold.metric) else {
                        continue;
                    };
                    stats::compare(before, after, test, threshold.limit, alpha).decision
                        == Decision::Inconclusive
                }
                None => !stats::precise_enough(after, test, threshold.limit, alpha),
            };
            if open {
                found.push(index);
            }
        }
    }
    found.sort_unstable();
    found
}

/// The change points of every metric a threshold reads, per benchmark, over the latest
/// [`HISTORY_WINDOW`] runs of `history`.
pub fn changes(checked: &Checked, history: &[RunResult]) -> Vec<MetricChanges> {
    let recent = &history[history.len().saturating_sub(HISTORY_WINDOW)..];
    let mut found: Vec<MetricChanges> = Vec::new();
    for threshold in &checked.thresholds {
        for &index in &threshold.benchmarks {
            let benchmark = &checked.recipe.benchmarks[index].name;
            let statistic = threshold.statistic.as_str();
            let seen = found.iter().any(|m| {
                m.benchmark == *benchmark
                    && m.metric == threshold.metric
                    && m.statistic == statistic
            });
            if seen {
                continue;
            }
            let runs: Vec<(&RunResult, f64)> = recent
                .iter()
                .filter_map(|run| {
                    let summary = stats::Summary::of(run.samples(benchmark, &threshold.metric)?)?;
                    let value = match threshold.statistic {
                        super::threshold::Statistic::Mean => summary.mean,
                        super::threshold::Statistic::Median => summary.median,
                    };
                    Some((run, value))
                })
                .collect();
            let series: Vec<f64> = runs.iter().map(|(_, value)| *value).collect();
            let points = stats::change_points(&series)
                .into_iter()
                .map(|point| {
                    let run = runs[point.index].0;
                    HistoryChange {
                        run: point.index + 1,
                        time: run.time.clone(),
                        revision: run.revision.clone(),
                        point,
                    }
                })
                .collect();
            found.push(MetricChanges {
                benchmark: benchmark.clone(),
                metric: threshold.metric.clone(),
                statistic: statistic.to_string(),
                runs: runs.len(),
                points,
            });
        }
    }
    found
}

/// The playbook's outcome from what `perf_manual run --format json` printed and its exit
/// code: failed when a finding reached `fail_on`, or when the run did not give a report.
pub fn playbook_outcome(
    playbook: &str,
    json: &str,
    exit_code: Option<i32>,
    fail_on: Severity,
) -> PlaybookOutcome {
    let value: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let text = |value: &serde_json::Value, key: &str| {
        value
            .get(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let findings: Vec<PlaybookFinding> = value
        .get("findings")
        .and_then(serde_json::Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|finding| {
                    Some(PlaybookFinding {
                        id: text(finding, "id"),
                        severity: serde_json::from_value(finding.get("severity")?.clone()).ok()?,
                        resource: text(finding, "resource"),
                        message: text(finding, "message"),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let judged = value.get("verdict").is_some();
    let mut verdict = text(&value, "verdict");
    if !judged {
        verdict = format!(
            "the playbook gave no report (exit {})",
            exit_code.map_or("by a signal".into(), |code| code.to_string())
        );
    }
    PlaybookOutcome {
        playbook: playbook.to_string(),
        fail_on,
        failed: !judged || findings.iter().any(|f| f.severity >= fail_on),
        verdict,
        directory: text(&value, "directory"),
        findings,
    }
}

/// The verdict over every check and the playbook, and its sentence.
pub fn verdict(checks: &[CheckOutcome], playbook: Option<&PlaybookOutcome>) -> (Decision, String) {
    let count = |decision| {
        checks
            .iter()
            .filter(|c| c.comparison.decision == decision)
            .count()
    };
    let (regressions, inconclusive) = (count(Decision::Regression), count(Decision::Inconclusive));
    let playbook_failed = playbook.is_some_and(|p| p.failed);
    let mut parts = Vec::new();
    if regressions > 0 {
        parts.push(format!(
            "{regressions} of {} check(s) regressed",
            checks.len()
        ));
    }
    if playbook_failed {
        parts.push("the playbook under load failed".to_string());
    }
    if inconclusive > 0 {
        parts.push(format!(
            "{inconclusive} of {} check(s) inconclusive (too noisy to tell)",
            checks.len()
        ));
    }
    let decision = if regressions > 0 || playbook_failed {
        Decision::Regression
    } else if inconclusive > 0 {
        Decision::Inconclusive
    } else {
        parts.push(format!("all {} check(s) within their limits", checks.len()));
        Decision::Pass
    };
    (decision, parts.join("; "))
}

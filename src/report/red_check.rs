//! The `red-check` report: rate, errors by class, and duration percentiles corrected for
//! coordinated omission beside the raw ones, with the findings of the RED rules. Text for a
//! terminal, JSON (schemas/red-check.schema.json) for scripts.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::terminal::text_table;
use crate::parse::red::{Outcome, Percentiles, ProbeSetting, Window, whole};
use crate::rules::{Finding, Judgement};

/// What `red-check --format json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RedCheckReport {
    pub endpoint: String,
    /// `closed` (each connection as fast as answers come) or `open` (a fixed rate).
    pub model: String,
    pub connections: u32,
    /// Open model: the rate asked, requests per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_rate: Option<f64>,
    /// How long the load ran.
    pub seconds: f64,
    /// Ctrl-C ended the load early.
    pub interrupted: bool,
    /// Requests that ended (answered or failed).
    pub requests: u64,
    /// Requests per second.
    pub rate: f64,
    pub errors: u64,
    /// Errors per 100 requests.
    pub error_pct: f64,
    /// Errors by class (refused, timeout, dns, tls, http_4xx, http_5xx, redirect_loop,
    /// body_too_big, connection, protocol); only the classes that occurred.
    pub error_classes: BTreeMap<String, u64>,
    /// Open model: requests due before the end that were never sent.
    pub missed: u64,
    /// Requests sent that had not ended at the end of the load (at most one per connection):
    /// not counted in `requests`, though the server may have answered and logged them.
    pub in_flight: u64,
    /// Milliseconds from when each request was due (corrected for coordinated omission);
    /// absent when no request was answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<Percentiles>,
    /// Milliseconds from when each request was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_duration: Option<Percentiles>,
    /// Requests per second in each window, in order.
    pub rate_per_window: Vec<f64>,
    /// Findings of the RED rules, most important first.
    pub findings: Vec<Finding>,
    /// Rules that could not be judged, with why.
    pub not_judged: Vec<(String, String)>,
}

pub fn assemble(
    setting: &ProbeSetting,
    windows: &[Window],
    interrupted: bool,
    judgement: &Judgement,
) -> RedCheckReport {
    let empty = Window::new(0.0, 0.0);
    let all = whole(windows).unwrap_or(empty);
    let requests = all.requests();
    let errors = all.errors();
    let error_classes = Outcome::ALL
        .into_iter()
        .filter(|outcome| outcome.is_error() && all.count(*outcome) > 0)
        .map(|outcome| (outcome.name().to_string(), all.count(outcome)))
        .collect();
    RedCheckReport {
        endpoint: setting.endpoint.clone(),
        model: setting.model.clone(),
        connections: setting.connections,
        target_rate: (setting.rate > 0.0).then_some(setting.rate),
        seconds: all.seconds,
        interrupted,
        requests,
        rate: if all.seconds > 0.0 {
            requests as f64 / all.seconds
        } else {
            0.0
        },
        errors,
        error_pct: if requests > 0 {
            100.0 * errors as f64 / requests as f64
        } else {
            0.0
        },
        error_classes,
        missed: all.missed,
        in_flight: all.in_flight,
        duration: Percentiles::of(&all.duration),
        raw_duration: Percentiles::of(&all.raw_duration),
        rate_per_window: windows
            .iter()
            .map(|window| {
                if window.seconds > 0.0 {
                    window.requests() as f64 / window.seconds
                } else {
                    0.0
                }
            })
            .collect(),
        findings: judgement.findings.clone(),
        not_judged: judgement
            .not_evaluated
            .iter()
            .chain(&judgement.errors)
            .cloned()
            .collect(),
    }
}

/// The report for a terminal.
pub fn render_text(report: &RedCheckReport) -> String {
    let mut out = format!(
        "RED check of {}: {} model, {} connection(s){}, {:.1} s{}\n\n",
        report.endpoint,
        report.model,
        report.connections,
        report
            .target_rate
            .map(|rate| format!(", {} req/s asked", number(rate)))
            .unwrap_or_default(),
        report.seconds,
        if report.interrupted {
            " (interrupted)"
        } else {
            ""
        }
    );
    let mut rate_line = format!(
        "{} req/s ({} requests)",
        number(report.rate),
        report.requests
    );
    if report.missed > 0 {
        rate_line.push_str(&format!(
            "; {} due were never sent: the service did not keep up",
            report.missed
        ));
    }
    if report.in_flight > 0 {
        rate_line.push_str(&format!(
            "; in flight at the end: {}, not counted",
            report.in_flight
        ));
    }
    let classes: Vec<String> = report
        .error_classes
        .iter()
        .map(|(class, count)| format!("{class} {count}"))
        .collect();
    let errors_line = if report.errors == 0 {
        "0".to_string()
    } else {
        format!(
            "{} ({}%): {}",
            report.errors,
            number(report.error_pct),
            classes.join(", ")
        )
    };
    let summary = [
        vec!["Rate".to_string(), rate_line],
        vec!["Errors".to_string(), errors_line],
    ];
    out.push_str(&text_table(summary, &[10, 60], 1).to_string());
    out.push('\n');
    match (&report.duration, &report.raw_duration) {
        (Some(corrected), Some(raw)) => {
            let header = if report.model == "open" {
                "corrected"
            } else {
                "from send"
            };
            let mut rows = vec![vec![
                "Duration".to_string(),
                header.to_string(),
                "raw".to_string(),
            ]];
            for ((_, name, corrected), (_, _, raw)) in
                corrected.named().into_iter().zip(raw.named())
            {
                rows.push(vec![
                    format!("  {name}"),
                    format!("{} ms", number(corrected)),
                    format!("{} ms", number(raw)),
                ]);
            }
            out.push_str(&text_table(rows, &[10, 14, 14], 1).to_string());
            out.push('\n');
            if report.model == "closed" {
                out.push_str(
                    "(closed model: each connection waits for its answer, so both columns count from the send; --rate measures from when requests are due)\n",
                );
            }
        }
        _ => out.push_str("Duration  no request was answered\n"),
    }
    out.push('\n');
    if report.findings.is_empty() {
        out.push_str("RED rules: nothing above their thresholds\n");
    } else {
        for finding in &report.findings {
            out.push_str(&format!(
                "{} {} {}: {}\n",
                finding.severity.as_str().to_uppercase(),
                finding.signal.as_str(),
                finding.id,
                finding.message
            ));
        }
    }
    for (rule, why) in &report.not_judged {
        out.push_str(&format!("not judged: {rule}: {why}\n"));
    }
    out
}

/// At most two decimals, no trailing zeros.
fn number(value: f64) -> String {
    crate::rules::eval::format_number(value)
}

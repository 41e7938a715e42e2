//! What `trace` shows: per-syscall counts, errors, latencies and their histogram, and the
//! tracepoints counted, with the caps that bounded the trace.

use std::fmt::Write;

use serde::Serialize;

use crate::parse::perf_trace_events::{LATENCY_BUCKETS_MS, LatencySummary};

#[derive(Debug, Clone, Serialize)]
pub struct TraceReport {
    /// What was traced (`PID 4242 (app)`), for how long, which events.
    pub traced: String,
    pub events: String,
    pub seconds: f64,
    pub command: Vec<String>,
    #[serde(flatten)]
    pub summary: LatencySummary,
    /// The caps and what they cut.
    pub limits: Vec<String>,
    pub files: Vec<(String, String)>,
}

/// The histogram's column names: `<10µs`, `<100µs`, ..., `≥1s`.
fn bucket_names() -> Vec<String> {
    let name = |ms: f64| {
        if ms < 1.0 {
            format!("{}µs", (ms * 1000.0).round())
        } else if ms < 1000.0 {
            format!("{ms}ms")
        } else {
            format!("{}s", ms / 1000.0)
        }
    };
    let mut names: Vec<String> = LATENCY_BUCKETS_MS
        .iter()
        .map(|ms| format!("<{}", name(*ms)))
        .collect();
    names.push(format!(
        "≥{}",
        name(LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.len() - 1])
    ));
    names
}

pub fn trace_markdown(report: &TraceReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# System calls of {}\n\n_{} s, events: {}_\n\n`{}`\n",
        report.traced,
        report.seconds,
        report.events,
        report.command.join(" ")
    );
    for limit in &report.limits {
        let _ = writeln!(out, "- **Limit:** {limit}");
    }
    let names = bucket_names();
    let _ = writeln!(
        out,
        "\n| Syscall | Calls | Errors | Total ms | Mean ms | Max ms | {} |\n|---|---:|---:|---:|---:|---:|{}",
        names.join(" | "),
        "---:|".repeat(names.len())
    );
    for call in &report.summary.syscalls {
        let histogram: Vec<String> = call.histogram.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {:.3} | {:.4} | {:.3} | {} |",
            call.syscall,
            call.calls,
            call.errors,
            call.total_ms,
            call.mean_ms,
            call.max_ms,
            histogram.join(" | ")
        );
    }
    if !report.summary.tracepoints.is_empty() {
        let _ = writeln!(out, "\n| Tracepoint | Count |\n|---|---:|");
        for (name, count) in &report.summary.tracepoints {
            let _ = writeln!(out, "| `{name}` | {count} |");
        }
    }
    if report.summary.unfinished > 0 {
        let _ = writeln!(
            out,
            "\n{} call(s) were in flight at the start or still blocked at the end: no latency for them.",
            report.summary.unfinished
        );
    }
    let _ = writeln!(out, "\n## Files\n");
    for (what, path) in &report.files {
        let _ = writeln!(out, "- {what}: [{path}]({path})");
    }
    out
}

pub fn trace_text(report: &TraceReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "System calls of {} ({} s, events: {})",
        report.traced, report.seconds, report.events
    );
    for limit in &report.limits {
        let _ = writeln!(out, "  limit: {limit}");
    }
    let names = bucket_names();
    let _ = writeln!(
        out,
        "\n  {:<18} {:>8} {:>7} {:>11} {:>9} {:>10}  {}",
        "syscall",
        "calls",
        "errors",
        "total ms",
        "mean ms",
        "max ms",
        names
            .iter()
            .map(|n| format!("{n:>7}"))
            .collect::<Vec<_>>()
            .join("")
    );
    for call in report.summary.syscalls.iter().take(20) {
        let histogram: String = call.histogram.iter().map(|n| format!("{n:>7}")).collect();
        let _ = writeln!(
            out,
            "  {:<18} {:>8} {:>7} {:>11.3} {:>9.4} {:>10.3}  {histogram}",
            call.syscall, call.calls, call.errors, call.total_ms, call.mean_ms, call.max_ms
        );
    }
    for (name, count) in &report.summary.tracepoints {
        let _ = writeln!(out, "  {name}: {count}");
    }
    let _ = writeln!(out);
    for (what, path) in &report.files {
        let _ = writeln!(out, "  {what}: {path}");
    }
    out
}

//! The `use-check` table: for each resource and USE signal, the host's number and the target's,
//! each with the verdict of the rules that judge it (playbooks/rules/use-check.toml). Text for
//! a terminal, JSON (schemas/use-check.schema.json) for scripts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::terminal::text_table;
use crate::record::target::{HostUsage, TargetUsage};
use crate::rules::use_table::{CellStatus, judge_cell};
use crate::rules::{CompiledRule, Rule};
use crate::rules::{Finding, Judgement, Severity, Signal};

/// Rule ids start with the side of the table they judge.
const HOST_PREFIX: &str = "host-";
const TARGET_PREFIX: &str = "target-";

const RESOURCES: [&str; 4] = ["cpu", "memory", "disk", "network"];
const SIGNALS: [Signal; 3] = [Signal::Utilization, Signal::Saturation, Signal::Errors];

/// What the rules concluded about one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Judged, under every threshold.
    Ok,
    /// A low or medium rule fired.
    Warn,
    /// A high or critical rule fired.
    High,
    /// Rules exist for the cell but none had data (no PSI on this kernel, no cgroup).
    NoData,
    /// No rule judges this cell: the number is shown for context, or nothing is measured.
    NotJudged,
}

impl Verdict {
    fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warn => "WARN",
            Verdict::High => "HIGH",
            Verdict::NoData => "no data",
            Verdict::NotJudged => "-",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UseCheckCell {
    /// The numbers, as the table shows them; the same numbers are under `host` and `target`.
    pub value: String,
    pub verdict: Verdict,
    /// The rules that fired for this cell.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fired: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UseCheckRow {
    pub resource: String,
    pub signal: Signal,
    pub host: UseCheckCell,
    pub target: UseCheckCell,
}

/// What `use-check --format json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UseCheckReport {
    /// What the target resolved to (`pid 42 (nginx)`, `cgroup /sys/fs/cgroup/...`).
    pub target: String,
    /// Seconds between the two readings.
    pub interval_seconds: f64,
    /// cpu, memory, disk, network, each with utilization, saturation and errors.
    pub rows: Vec<UseCheckRow>,
    pub host: HostUsage,
    pub target_usage: TargetUsage,
    /// Ranked, most important first.
    pub findings: Vec<Finding>,
}

/// Put the numbers and the rules' verdicts together.
pub(crate) fn assemble(
    target: String,
    interval_seconds: f64,
    host: HostUsage,
    target_usage: TargetUsage,
    rules: &[CompiledRule],
    judgement: &Judgement,
) -> UseCheckReport {
    let rows = RESOURCES
        .iter()
        .flat_map(|&resource| SIGNALS.iter().map(move |&signal| (resource, signal)))
        .map(|(resource, signal)| UseCheckRow {
            resource: resource.to_string(),
            signal,
            host: UseCheckCell {
                value: host_value(&host, resource, signal),
                ..verdict(HOST_PREFIX, resource, signal, rules, judgement)
            },
            target: UseCheckCell {
                value: target_value(&target_usage, resource, signal),
                ..verdict(TARGET_PREFIX, resource, signal, rules, judgement)
            },
        })
        .collect();
    UseCheckReport {
        target,
        interval_seconds,
        rows,
        host,
        target_usage,
        findings: judgement.findings.clone(),
    }
}

/// The cell's verdict (its value left empty) from the rules of one side of the table, as
/// rules::use_table judges a cell; here only shown as a label.
fn verdict(
    prefix: &str,
    resource: &str,
    signal: Signal,
    rules: &[CompiledRule],
    judgement: &Judgement,
) -> UseCheckCell {
    let cell_rules: Vec<&Rule> = rules
        .iter()
        .map(CompiledRule::rule)
        .filter(|r| r.id.starts_with(prefix) && r.resource == resource && r.signal == signal)
        .collect();
    let index = judgement.index();
    let judged = judge_cell(&cell_rules, &index);
    let verdict = match (judged.status(), judged.worst()) {
        (CellStatus::Finding, Some(Severity::High | Severity::Critical)) => Verdict::High,
        (CellStatus::Finding, _) => Verdict::Warn,
        (CellStatus::Ok, _) => Verdict::Ok,
        (CellStatus::NoData, _) => Verdict::NoData,
        (CellStatus::NotChecked, _) => Verdict::NotJudged,
    };
    UseCheckCell {
        value: String::new(),
        verdict,
        fired: judged.fired.iter().map(|f| f.id.clone()).collect(),
    }
}

fn num(value: f64) -> String {
    format!("{value:.1}")
}

fn opt(value: Option<f64>, suffix: &str) -> String {
    value.map_or_else(|| "?".to_string(), |v| format!("{}{suffix}", num(v)))
}

fn bytes(value: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut scaled = value;
    let mut unit = 0;
    while scaled >= 1024.0 && unit + 1 < UNITS.len() {
        scaled /= 1024.0;
        unit += 1;
    }
    format!("{} {}", num(scaled), UNITS[unit])
}

fn joined(parts: Vec<String>) -> String {
    let parts: Vec<String> = parts.into_iter().filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        "not measured".into()
    } else {
        parts.join(", ")
    }
}

fn psi(pressure: &std::collections::BTreeMap<String, f64>, resource: &str) -> String {
    pressure
        .get(resource)
        .map(|pct| format!("PSI some {}%", num(*pct)))
        .unwrap_or_default()
}

fn host_value(host: &HostUsage, resource: &str, signal: Signal) -> String {
    joined(match (resource, signal) {
        ("cpu", Signal::Utilization) => vec![
            host.cpu_busy_pct
                .map(|pct| format!("busy {}%", num(pct)))
                .unwrap_or_default(),
            host.busiest_cpu
                .as_ref()
                .map(|b| format!("CPU {} {}%", b.name, num(b.pct)))
                .unwrap_or_default(),
        ],
        ("cpu", Signal::Saturation) => vec![
            host.run_queue_per_cpu
                .map(|r| format!("run queue {}/CPU", num(r)))
                .unwrap_or_default(),
            psi(&host.pressure_some_pct, "cpu"),
        ],
        ("memory", Signal::Utilization) => vec![
            host.mem_available_pct
                .map(|pct| format!("available {}%", num(pct)))
                .unwrap_or_default(),
        ],
        ("memory", Signal::Saturation) => vec![
            format!(
                "swap in/out {}/{} KiB/s",
                opt(host.swap_in_kib_s, ""),
                opt(host.swap_out_kib_s, "")
            ),
            format!("major faults {}/s", opt(host.major_faults_s, "")),
            psi(&host.pressure_some_pct, "memory"),
        ],
        ("memory", Signal::Errors) => vec![
            host.oom_kills
                .map(|kills| format!("OOM kills {kills}"))
                .unwrap_or_default(),
        ],
        ("disk", Signal::Utilization) => vec![
            host.busiest_disk
                .as_ref()
                .map(|b| format!("{} busy {}%", b.name, num(b.pct)))
                .unwrap_or_default(),
        ],
        ("disk", Signal::Saturation) => vec![
            host.disk_queue
                .map(|queue| format!("queue {}", num(queue)))
                .unwrap_or_default(),
            psi(&host.pressure_some_pct, "io"),
        ],
        ("network", Signal::Saturation) => vec![
            host.net_drops_s
                .map(|drops| format!("drops {}/s", num(drops)))
                .unwrap_or_default(),
        ],
        ("network", Signal::Errors) => vec![
            host.net_errors_s
                .map(|errors| format!("errors {}/s", num(errors)))
                .unwrap_or_default(),
        ],
        _ => Vec::new(),
    })
}

fn target_value(usage: &TargetUsage, resource: &str, signal: Signal) -> String {
    let cgroup = usage.cgroup.as_ref();
    let count =
        |label: &str, value: Option<u64>| value.map(|v| format!("{label} {v}")).unwrap_or_default();
    joined(match (resource, signal) {
        ("cpu", Signal::Utilization) => vec![
            format!(
                "{}% of a CPU ({}% of all)",
                num(usage.cpu_pct),
                num(usage.cpu_all_pct)
            ),
            format!("busiest thread {}%", num(usage.busiest_thread_pct)),
        ],
        ("cpu", Signal::Saturation) => vec![
            format!("run-queue wait {} ms/s", num(usage.run_wait_ms_s)),
            format!(
                "switches {} vol + {} invol /s",
                num(usage.voluntary_switches_s),
                num(usage.involuntary_switches_s)
            ),
            count(
                "throttled periods",
                cgroup.and_then(|c| c.throttled_periods),
            ),
            cgroup
                .map(|c| psi(&c.pressure_some_pct, "cpu"))
                .unwrap_or_default(),
        ],
        ("memory", Signal::Utilization) => vec![
            format!(
                "RSS {} ({}% of memory)",
                bytes(usage.rss_kib as f64 * 1024.0),
                num(usage.rss_pct)
            ),
            cgroup
                .and_then(|c| {
                    let used = match c.working_set_bytes {
                        Some(working_set) => format!("working set {}", bytes(working_set as f64)),
                        None => bytes(c.memory_bytes? as f64),
                    };
                    Some(match (c.memory_limit_bytes, c.memory_used_pct) {
                        (Some(limit), Some(pct)) => {
                            format!("cgroup {used} of {} ({}%)", bytes(limit as f64), num(pct))
                        }
                        _ => format!("cgroup {used}, no limit"),
                    })
                })
                .unwrap_or_default(),
        ],
        ("memory", Signal::Saturation) => vec![
            format!("major faults {}/s", num(usage.major_faults_s)),
            count("limit hits", cgroup.and_then(|c| c.memory_limit_hits)),
            cgroup
                .map(|c| psi(&c.pressure_some_pct, "memory"))
                .unwrap_or_default(),
        ],
        ("memory", Signal::Errors) => vec![
            count("OOM kills", cgroup.and_then(|c| c.oom_kill)),
            count("in the interval", cgroup.and_then(|c| c.oom_kill_delta)),
            count("out-of-memory events", cgroup.and_then(|c| c.oom_delta)),
        ],
        ("disk", Signal::Utilization) => vec![
            usage
                .read_bytes_s
                .map(|rate| format!("read {}/s", bytes(rate)))
                .unwrap_or_default(),
            usage
                .write_bytes_s
                .map(|rate| format!("write {}/s", bytes(rate)))
                .unwrap_or_default(),
        ],
        ("disk", Signal::Saturation) => vec![
            usage
                .blkio_wait_ms_s
                .map(|wait| format!("block I/O wait {} ms/s", num(wait)))
                .unwrap_or_default(),
            cgroup
                .map(|c| psi(&c.pressure_some_pct, "io"))
                .unwrap_or_default(),
        ],
        _ => Vec::new(),
    })
}

/// The table for a terminal, then the findings with what they mean.
pub(crate) fn render_text(report: &UseCheckReport) -> String {
    let usage = &report.target_usage;
    let mut out = format!(
        "USE check of {} ({} processes, {} threads) over {:.2} s\n\n",
        report.target, usage.processes, usage.threads, report.interval_seconds
    );
    let header = ["resource", "signal", "host", "", "target", ""].map(String::from);
    let rows = report.rows.iter().map(|row| {
        [
            row.resource.clone(),
            row.signal.as_str().to_string(),
            row.host.value.clone(),
            row.host.verdict.label().to_string(),
            row.target.value.clone(),
            row.target.verdict.label().to_string(),
        ]
    });
    out.push_str(&text_table(std::iter::once(header).chain(rows), &[], 2).trim_fmt());
    out.push('\n');
    if report.findings.is_empty() {
        out.push_str("\nNo rule fired.\n");
    } else {
        out.push('\n');
        for finding in &report.findings {
            out.push_str(&format!(
                "{} {}: {}\n",
                finding.severity.as_str(),
                finding.id,
                finding.message
            ));
            if !finding.meaning.is_empty() {
                out.push_str(&format!("    {}\n", finding.meaning));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RuleFile, compile};

    fn rules() -> Vec<CompiledRule> {
        let file: RuleFile =
            toml::from_str(include_str!("../../playbooks/rules/use-check.toml")).unwrap();
        file.rules.into_iter().map(compile).collect()
    }

    #[test]
    fn every_resource_has_three_signals_and_verdicts_come_from_their_side() {
        let judgement = Judgement {
            findings: vec![
                Finding::bare(
                    "target-cpu-single-thread",
                    "cpu",
                    Signal::Utilization,
                    Severity::Medium,
                ),
                Finding::bare(
                    "host-memory-oom-kill",
                    "memory",
                    Signal::Errors,
                    Severity::Critical,
                ),
            ],
            not_evaluated: vec![("host-io-pressure".into(), "no data".into())],
            ..Judgement::default()
        };
        let report = assemble(
            "pid 1".into(),
            1.0,
            HostUsage::default(),
            TargetUsage::default(),
            &rules(),
            &judgement,
        );
        assert_eq!(report.rows.len(), 12);
        let cell = |resource: &str, signal: Signal| {
            report
                .rows
                .iter()
                .find(|row| row.resource == resource && row.signal == signal)
                .unwrap()
        };
        let cpu = cell("cpu", Signal::Utilization);
        assert_eq!(cpu.host.verdict, Verdict::Ok);
        assert_eq!(cpu.target.verdict, Verdict::Warn);
        assert_eq!(cpu.target.fired, ["target-cpu-single-thread"]);
        assert_eq!(cell("memory", Signal::Errors).host.verdict, Verdict::High);
        assert_eq!(
            cell("disk", Signal::Errors).host.verdict,
            Verdict::NotJudged
        );
        assert_eq!(cell("disk", Signal::Errors).host.value, "not measured");
        let text = render_text(&report);
        assert!(text.contains("WARN"), "{text}");
        assert!(text.contains("critical host-memory-oom-kill"), "{text}");
    }
}

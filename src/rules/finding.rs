//! What a rule concludes. This shape is a contract (schemas/findings.schema.json):
//! extend it, never break it.

use serde::{Deserialize, Serialize};

use crate::record::Labels;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity {other:?}, expected one of info, low, medium, high, critical"
            )),
        }
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Utilization,
    Saturation,
    Errors,
    Rate,
    Duration,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Utilization => "utilization",
            Signal::Saturation => "saturation",
            Signal::Errors => "errors",
            Signal::Rate => "rate",
            Signal::Duration => "duration",
        }
    }
}

/// A time window in the same clock as the records' `time`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Window {
    pub start: f64,
    pub end: f64,
}

/// The numbers behind a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Evidence {
    /// The rule's expression, as written.
    pub expression: String,
    /// Series the expression read (`vmstat.r`).
    pub series: Vec<String>,
    /// The instance that crossed the threshold (`cpu="0"`, `device="sda"`); empty for host-wide.
    pub instance: Labels,
    /// Raw files the series came from.
    pub files: Vec<String>,
    /// Where the condition held; `None` for whole-run aggregates.
    pub window: Option<Window>,
    /// How long the condition held, in seconds.
    pub held_seconds: f64,
    /// The `for` the rule asks, in seconds, set only when the data covered less: the rule was
    /// then judged over the longest window they allow (`held_seconds`), as its message says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked_seconds: Option<f64>,
    /// Where the values behind the finding were read: for each series the rule read, in the
    /// instance that crossed, the tool series it was taken from and the lines of the file its
    /// points in `window` came from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<EvidenceSource>,
}

/// The lines of one file that gave one series of a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EvidenceSource {
    /// The series as the rule names it (`cpu.busy`).
    pub series: String,
    /// Its instance (`cpu="all"`); empty for host-wide series.
    pub instance: Labels,
    /// The tool series the values are (`sar_cpu.busy`): the series itself when the rule reads
    /// a tool's series by name.
    pub measured_as: String,
    /// The tool that measured it (`sar -u`), for a canonical metric; empty otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tool: String,
    pub file: String,
    /// The first and the last line read, 1-based (0 for values made without a line).
    pub first_line: usize,
    pub last_line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    pub id: String,
    pub resource: String,
    pub signal: Signal,
    pub severity: Severity,
    /// The value that crossed the threshold (left-hand side of the comparison).
    pub value: f64,
    /// The threshold it crossed (right-hand side), when it was a number.
    pub threshold: Option<f64>,
    /// The unit suffix of `value` and `threshold` (`%`, ` ms`), empty for counts.
    pub unit: String,
    /// The rule's message with `{{value}}` and `{{threshold}}` filled in.
    pub message: String,
    /// What this means, in a line.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub meaning: String,
    /// Where to look next (which drill-down playbook to run).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub next: String,
    pub evidence: Evidence,
    /// The finding that explains this one (its rule is in this rule's `explained_by`): this
    /// finding is its consequence, ranked under it and not a rival for the verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consequence_of: Option<String>,
    /// The findings this one explains, the consequences ranked under it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explains: Vec<String>,
    /// The findings of other rules that measured the same fact independently and agree (the
    /// rule's `corroborated_by` that fired).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corroborated_by: Vec<String>,
    /// Where a known target was given (`run --pid`): the processes beside it that did most of
    /// what this finding measures, so that their load is not taken for the target's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub neighbours: Vec<Neighbour>,
    /// Where a known target was given: this finding measured the target itself (its instance
    /// is the target's process or one of its threads), not the whole host. At one severity it
    /// ranks before the host-wide findings, whose load may be anyone's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub about_target: bool,
}

/// A process beside the investigated target, and its share of the CPUs (pidstat's `%CPU`,
/// averaged over the window: 100 is one CPU); for a disk finding, the KiB it read and wrote per
/// second (pidstat -d's `kB_rd/s` + `kB_wr/s`, averaged the same way).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Neighbour {
    pub pid: u32,
    pub command: String,
    pub cpu_pct: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io_kib_s: Option<f64>,
}

#[cfg(test)]
impl Finding {
    /// A finding with its identity and severity and nothing else: what tests of code that
    /// only sorts or selects findings need.
    pub(crate) fn bare(id: &str, resource: &str, signal: Signal, severity: Severity) -> Finding {
        Finding {
            id: id.into(),
            resource: resource.into(),
            signal,
            severity,
            value: 1.0,
            threshold: None,
            unit: String::new(),
            message: String::new(),
            meaning: String::new(),
            next: String::new(),
            evidence: Evidence {
                expression: String::new(),
                series: Vec::new(),
                instance: Default::default(),
                files: Vec::new(),
                window: None,
                held_seconds: 0.0,
                asked_seconds: None,
                sources: Vec::new(),
            },
            consequence_of: None,
            explains: Vec::new(),
            corroborated_by: Vec::new(),
            neighbours: Vec::new(),
            about_target: false,
        }
    }
}

/// Most important first: the target's findings before those a neighbour's load explains
/// (`neighbours`), then severity, then those about the target itself (`about_target`) before
/// host-wide ones, then how many independent measures back it (itself and
/// the rules that corroborate it), then how far past the threshold, then how long it held; a
/// consequence comes right after the finding that explains it. The order of measures before
/// excess is what keeps two findings of a severity from swapping places on sampling noise.
pub fn rank(findings: &mut Vec<Finding>) {
    fn excess(finding: &Finding) -> f64 {
        match finding.threshold {
            Some(threshold) if threshold.abs() > f64::EPSILON => {
                (finding.value - threshold).abs() / threshold.abs()
            }
            _ => 0.0,
        }
    }
    findings.sort_by(|a, b| {
        b.neighbours
            .is_empty()
            .cmp(&a.neighbours.is_empty())
            .then(b.severity.cmp(&a.severity))
            .then(b.about_target.cmp(&a.about_target))
            .then(b.corroborated_by.len().cmp(&a.corroborated_by.len()))
            .then(excess(b).total_cmp(&excess(a)))
            .then(b.evidence.held_seconds.total_cmp(&a.evidence.held_seconds))
            .then(a.id.cmp(&b.id))
    });
    let (primaries, mut consequences): (Vec<Finding>, Vec<Finding>) = std::mem::take(findings)
        .into_iter()
        .partition(|finding| finding.consequence_of.is_none());
    for primary in primaries {
        let id = primary.id.clone();
        findings.push(primary);
        let (under, rest): (Vec<Finding>, Vec<Finding>) = consequences
            .into_iter()
            .partition(|finding| finding.consequence_of.as_deref() == Some(id.as_str()));
        findings.extend(under);
        consequences = rest;
    }
    findings.extend(consequences);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At one severity, a finding about the target itself goes before a host-wide one that is
    /// further past its threshold; a higher severity still goes first.
    #[test]
    fn a_finding_about_the_target_ranks_first_among_equals() {
        let mut queue = Finding::bare("disk-queue", "disk", Signal::Saturation, Severity::Medium);
        queue.value = 4.2;
        queue.threshold = Some(1.0);
        let mut thread = Finding::bare(
            "cpu-thread-bound",
            "cpu",
            Signal::Utilization,
            Severity::Medium,
        );
        thread.value = 100.6;
        thread.threshold = Some(90.0);
        thread.about_target = true;
        let oom = Finding::bare("memory-oom-kill", "memory", Signal::Errors, Severity::High);
        let mut findings = vec![queue, thread, oom];
        rank(&mut findings);
        let ids: Vec<&str> = findings.iter().map(|finding| finding.id.as_str()).collect();
        assert_eq!(ids, ["memory-oom-kill", "cpu-thread-bound", "disk-queue"]);
    }
}

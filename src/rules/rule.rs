//! A rule as users write it in TOML: when its expression holds, a finding is raised.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Severity, Signal};

/// A judgement over the records: when `when` holds, a finding is raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    /// cpu, memory, disk, network, mutex, service, ...
    pub resource: String,
    pub signal: Signal,
    /// The condition, e.g. `avg(vmstat.r) / host.cpus > 1.0 for 5s`.
    pub when: String,
    pub severity: Severity,
    /// Shown when the rule fires; `{{value}}` and `{{threshold}}` are filled in.
    pub message: String,
    /// What this means, in a line.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub meaning: String,
    /// Where to look next.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub next: String,
    /// Where the threshold comes from (a book, a page).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// Said, after the series it lacks, when the rule has no data to judge: why a host may not
    /// expose it and how to get it (`virtual NICs report no link speed`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub no_data: String,
    /// Rules whose finding explains this one (`io-pressure` explains a context-switch storm):
    /// when one of them fires, this finding is shown as its consequence, ranked under it,
    /// whatever its severity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explained_by: Vec<String>,
    /// Rules that measure the same fact independently (PSI beside a sampled run queue): each
    /// that fires corroborates this finding, and a finding backed by more measures ranks first
    /// among findings of its severity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corroborated_by: Vec<String>,
    /// The severity this finding takes when none of `corroborated_by` fired: a single sampled
    /// signal (a run queue, a context-switch rate) should not raise medium or above alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alone: Option<Severity>,
}

/// A rule file named by `include`: only rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

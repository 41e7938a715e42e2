//! The playbook as users write it. Unknown fields are rejected everywhere so a typo is an
//! error, not a silently ignored setting. The JSON schema in `schemas/playbook.schema.json`
//! is generated from these types.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    base::Span,
    collect::tools::{Collector, StepArgs},
    rules::Rule,
};

/// An investigation: phases of collection with time boxes, and the rules that judge the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    /// Short name, used in the investigation directory's name.
    pub name: String,
    /// The question this playbook answers.
    #[serde(default)]
    pub summary: String,
    /// Sampling interval of the interval tools (mpstat, vmstat, ...).
    #[serde(default = "default_interval")]
    pub interval: Span,
    /// Rule files (only `[[rule]]` tables), relative to this playbook.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    #[serde(default, rename = "phase")]
    pub phases: Vec<Phase>,
    /// Step definitions by name. A phase may also name a built-in collector directly.
    #[serde(default, rename = "step", skip_serializing_if = "BTreeMap::is_empty")]
    pub steps: BTreeMap<String, Step>,
    #[serde(default, rename = "rule", skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

fn default_interval() -> Span {
    Span(std::time::Duration::from_secs(1))
}

/// Steps that run concurrently within one time box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub name: String,
    /// How long the phase may take; its steps are ended when it runs out.
    pub time_box: Span,
    /// Step names: keys of `[step.NAME]` or built-in collector names.
    pub steps: Vec<String>,
    /// Run this phase only when the condition holds on the findings so far,
    /// e.g. `any_finding(resource = 'cpu')`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}

/// One collection step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub collector: Collector,
    #[serde(default)]
    pub args: StepArgs,
    /// Where the output goes, relative to raw_data/ (defaults to the collector's own place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

//! The arguments a step gives its collector (`[step.NAME.args]`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Collector arguments. Each collector reads the ones it knows; `check` rejects the others.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepArgs {
    /// perf-record: samples per second (default 99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<u32>,
    /// perf-record: record call graphs, unwound with DWARF (default true).
    pub call_graph: Option<bool>,
    /// perf-record, perf-trace, off-cpu: whom to observe: `all` (default, the whole system), `busiest`
    /// (the processes using the most CPU in earlier phases' pidstat data), or a PID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// With `target = "busiest"`: how many processes (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<u32>,
    /// command: the program and its arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argv: Option<Vec<String>>,
    /// command: the parser for its output (a built-in parser name or a spec in parsers/).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parser: Option<String>,
}

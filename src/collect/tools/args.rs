//! The arguments a step gives its collector (`[step.NAME.args]`). Each collector declares the
//! ones it takes; the rest are refused when the playbook is checked.

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
    /// With `target = "busiest"`: how many processes (default 3). Where the cut would split
    /// processes of one command (2 of 4 equal workers), all of that command are taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<u32>,
    /// perf-record: what to profile, as `profile`'s flags say it: `cpu` (default: on-CPU
    /// samples), `off-cpu` (every sched_switch, weighted by the time blocked), `page-faults`
    /// or `major-faults` (pages read from disk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// command: the program and its arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argv: Option<Vec<String>>,
    /// command: the parser for its output (a built-in parser name or a spec in parsers/).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parser: Option<String>,
    /// red-probe: the endpoint to load, `http[s]://HOST[:PORT][/PATH]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// red-probe, https: also trust the CA certificates of this PEM file (absolute, or
    /// relative to where perf_manual runs), beside the host's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
    /// red-probe: keep-alive connections (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<u32>,
    /// red-probe: requests per second in all (the open model); absent, the closed model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
}

/// One field of [`StepArgs`], as a collector's descriptor names what it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arg {
    Frequency,
    CallGraph,
    Target,
    Top,
    Event,
    Argv,
    Parser,
    Endpoint,
    CaCert,
    Connections,
    Rate,
}

impl Arg {
    /// In the order of [`StepArgs`]' fields, which is the order problems are reported in.
    pub const ALL: [Arg; 11] = [
        Arg::Frequency,
        Arg::CallGraph,
        Arg::Target,
        Arg::Top,
        Arg::Event,
        Arg::Argv,
        Arg::Parser,
        Arg::Endpoint,
        Arg::CaCert,
        Arg::Connections,
        Arg::Rate,
    ];

    /// The name a playbook writes.
    pub fn name(self) -> &'static str {
        match self {
            Arg::Frequency => "frequency",
            Arg::CallGraph => "call_graph",
            Arg::Target => "target",
            Arg::Top => "top",
            Arg::Event => "event",
            Arg::Argv => "argv",
            Arg::Parser => "parser",
            Arg::Endpoint => "endpoint",
            Arg::CaCert => "ca_cert",
            Arg::Connections => "connections",
            Arg::Rate => "rate",
        }
    }

    /// Whether the step sets it.
    pub fn given(self, args: &StepArgs) -> bool {
        match self {
            Arg::Frequency => args.frequency.is_some(),
            Arg::CallGraph => args.call_graph.is_some(),
            Arg::Target => args.target.is_some(),
            Arg::Top => args.top.is_some(),
            Arg::Event => args.event.is_some(),
            Arg::Argv => args.argv.is_some(),
            Arg::Parser => args.parser.is_some(),
            Arg::Endpoint => args.endpoint.is_some(),
            Arg::CaCert => args.ca_cert.is_some(),
            Arg::Connections => args.connections.is_some(),
            Arg::Rate => args.rate.is_some(),
        }
    }
}

impl StepArgs {
    /// Values no collector could use, whichever collector they are given to.
    pub(crate) fn bad_values(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(target) = &self.target
            && target != "all"
            && target != "busiest"
            && target.parse::<u32>().is_err()
        {
            problems.push(format!(
                "target {target:?} is not `all`, `busiest` or a process id"
            ));
        }
        if let Some(event) = &self.event
            && super::perf::ProfileEvent::from_name(event).is_none()
        {
            problems.push(format!(
                "event {event:?} is not one of {}",
                super::perf::ProfileEvent::NAMES
                    .map(|name| format!("`{name}`"))
                    .join(", ")
            ));
        }
        if self.frequency == Some(0) {
            problems.push("frequency must be more than 0".to_string());
        }
        if let Some(endpoint) = &self.endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            problems.push(format!(
                "endpoint {endpoint:?} is not an http:// or https:// URL"
            ));
        }
        if let (Some(ca_file), Some(endpoint)) = (&self.ca_cert, &self.endpoint)
            && !endpoint.starts_with("https://")
        {
            problems.push(format!(
                "ca_cert {ca_file:?} is for an https endpoint; {endpoint:?} is not one"
            ));
        }
        if self.connections == Some(0) {
            problems.push("connections must be more than 0".to_string());
        }
        if let Some(rate) = self.rate
            && !(rate > 0.0 && rate.is_finite())
        {
            problems.push(format!(
                "rate {rate} must be more than 0 requests per second"
            ));
        }
        problems
    }
}

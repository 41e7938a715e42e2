//! raw_data/manifest.json: what each step ran and how it ended. Written after every phase,
//! so an interrupted run still says what it collected.

use serde::{Deserialize, Serialize};

use super::process::Exit;
use super::tools::{Collector, Runs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Ran and exited 0.
    Ok,
    /// Exited non-zero or could not start; its output, if any, is kept.
    Failed,
    /// Ended at its time box; partial output kept.
    TimedOut,
    /// Ended by Ctrl-C; partial output kept.
    Interrupted,
    /// A program it needs is not installed; see `hint`.
    Missing,
    /// Not run (its phase's condition did not hold, or commands are not allowed).
    Skipped,
}

/// One program run (a step may run several in turn, like `perf record` then `perf script`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandRecord {
    pub argv: Vec<String>,
    pub stdout: String,
    pub stderr: String,
    pub start: String,
    pub end: String,
    pub exit: Option<Exit>,
    pub bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    pub phase: String,
    pub step: String,
    pub collector: String,
    pub status: StepStatus,
    /// Files this step wrote, relative to raw_data/.
    pub outputs: Vec<String>,
    pub bytes: u64,
    pub start: String,
    pub end: String,
    pub commands: Vec<CommandRecord>,
    /// Why it was skipped, failed or missing, and what to do about it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// How to install what was missing.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hint: String,
    /// A perf step's aim: whom it watched, and whom it left out and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Targets>,
}

/// Whom a drill-down step aimed perf at: the processes that used the CPU before it (busiest
/// first, from pidstat), each profiled or not, and why not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Targets {
    /// How perf was aimed: `-p 12,34` (those processes) or `-a` (every CPU).
    pub scope: String,
    pub processes: Vec<TargetProcess>,
}

/// One process that used the resource before a drill-down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TargetProcess {
    pub pid: u32,
    pub command: String,
    /// Its CPU use before the drill-down, averaged over pidstat's intervals (100 is one CPU).
    pub cpu_pct: f64,
    /// Its share of what every process used, percent.
    pub share_pct: f64,
    pub profiled: bool,
    /// Why it was, when it was taken beyond the top N; why not, when it was not.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub why: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub playbook: String,
    pub started: String,
    pub ended: String,
    pub interrupted: bool,
    pub steps: Vec<StepRecord>,
}

impl Manifest {
    /// CPU seconds of every program the steps ran, and of everything those started.
    pub fn cpu_seconds(&self) -> f64 {
        self.steps
            .iter()
            .flat_map(|step| &step.commands)
            .filter_map(|command| command.exit.as_ref())
            .map(|exit| exit.cpu_seconds)
            .sum()
    }

    /// Whether perf_manual's own /proc sampler ran on this host in this run, so that a series it
    /// reads and did not find is missing from the host, not merely from the data.
    pub(crate) fn sampled_this_host(&self) -> bool {
        self.steps.iter().any(|step| {
            matches!(step.status, StepStatus::Ok | StepStatus::Interrupted)
                && Collector::from_name(&step.collector)
                    .is_some_and(|collector| matches!(collector.runs(), Runs::InProcess))
        })
    }
}

/// Now, as an RFC 3339 time stamp with the local offset.
pub(crate) fn now_stamp() -> String {
    jiff::ZonedDateTime::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

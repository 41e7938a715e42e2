//! Built-in collectors: for each, the programs it needs, how to install them, and the argv it
//! runs. One file per family of tools.

mod args;
mod command;
mod perf;
mod sysstat;

pub use args::StepArgs;
pub use perf::OFF_CPU_RECORD;

use std::{path::Path, time::Duration};

use crate::playbook::Collector;

/// One program run of a step, argv only (never a shell string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub argv: Vec<String>,
    /// Where its standard output goes, relative to raw_data/.
    pub stdout: String,
}

/// What a collector needs to know about the run to build its argv.
pub struct ToolContext<'a> {
    pub interval: Duration,
    pub time_box: Duration,
    /// raw_data/, for tools that write files themselves (`perf record -o`).
    pub raw_dir: &'a Path,
    /// The step's output file, relative to raw_data/.
    pub output: &'a str,
    pub args: &'a StepArgs,
    /// Processes to observe, when the step targets some (`target = "busiest"` or a PID).
    pub pids: &'a [u32],
}

/// The programs a collector runs, in order.
pub fn programs(collector: Collector) -> &'static [&'static str] {
    match collector {
        Collector::Mpstat => &["mpstat"],
        Collector::Vmstat => &["vmstat"],
        Collector::Iostat => &["iostat"],
        Collector::SarDev => &["sar"],
        Collector::Pidstat => &["pidstat"],
        Collector::PerfRecord => &["perf"],
        Collector::PerfTrace | Collector::OffCpu => &["perf"],
        Collector::Procfs | Collector::Command => &[],
    }
}

/// How to get `program` on Debian/Ubuntu and on Fedora/RHEL.
pub fn install_hint(program: &str) -> String {
    let (debian, rpm) = match program {
        "mpstat" | "iostat" | "sar" | "pidstat" => ("sysstat", "sysstat"),
        "vmstat" => ("procps", "procps-ng"),
        "perf" => ("linux-perf", "perf"),
        "stress-ng" => ("stress-ng", "stress-ng"),
        other => (other, other),
    };
    format!("apt-get install {debian}  (Fedora/RHEL: dnf install {rpm})")
}

/// The invocations of a step. `Err` says why it cannot run as configured.
pub fn invocations(
    collector: Collector,
    context: &ToolContext<'_>,
) -> Result<Vec<Invocation>, String> {
    match collector {
        Collector::Mpstat => Ok(vec![sysstat::mpstat(context)]),
        Collector::Vmstat => Ok(vec![sysstat::vmstat(context)]),
        Collector::Iostat => Ok(vec![sysstat::iostat(context)]),
        Collector::SarDev => Ok(vec![sysstat::sar_dev(context)]),
        Collector::Pidstat => Ok(vec![sysstat::pidstat(context)]),
        Collector::PerfRecord => Ok(perf::record(context)),
        Collector::PerfTrace => Ok(vec![perf::trace(context)]),
        Collector::OffCpu => Ok(perf::off_cpu(context)),
        Collector::Command => command::command(context),
        Collector::Procfs => Err("procfs is sampled in-process, not spawned".into()),
    }
}

/// Whole seconds, at least one: what the interval tools take as their interval.
fn seconds(duration: Duration) -> String {
    duration.as_secs().max(1).to_string()
}

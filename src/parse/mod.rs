//! nom parsers, one file per tool, and content sniffing. Parsers see bytes, never the
//! file system: `parse(file, text)` takes the file's name only to put it in warnings.

pub mod iostat;
pub mod mpstat;
pub mod perf_sched;
pub mod perf_trace;
pub mod pidstat;
pub mod procfs;
pub mod sar;
pub mod sniff;
pub mod spec;
pub mod sysstat;
pub mod vmstat;

use serde::{Deserialize, Serialize};

use crate::record::Parsed;

/// Every format perf_manual recognizes by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Mpstat,
    Vmstat,
    Iostat,
    /// Any sar output: one report or many (`sar -A`), each header read on its own.
    Sar,
    /// `sar -n DEV`, the name this format had before sar's other reports were read. Kept so
    /// callers and stored reports that name it still work; read exactly like `Sar`, which is
    /// what sniffing gives for any sar output now.
    SarDev,
    Pidstat,
    /// One or more snapshots of a /proc file (perf_manual's sampler or a plain `cat`).
    Procfs,
    /// `perf trace -s` summary.
    PerfTraceSummary,
    /// `perf script` over sched:sched_switch: off-CPU time per thread and what it blocked in.
    PerfSchedSwitch,
    /// `perf script` output: stacks, turned into a profile rather than records.
    PerfScript,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Mpstat => "mpstat",
            Format::Vmstat => "vmstat",
            Format::Iostat => "iostat",
            Format::Sar => "sar",
            Format::SarDev => "sar-dev",
            Format::Pidstat => "pidstat",
            Format::Procfs => "procfs",
            Format::PerfTraceSummary => "perf-trace-summary",
            Format::PerfSchedSwitch => "perf-sched-switch",
            Format::PerfScript => "perf-script",
        }
    }
}

/// Parse `text` as `format`. `file` names the input in warnings.
/// `PerfScript` yields no records: profiles are built by `profile/`.
pub fn parse(format: Format, file: &str, text: &str) -> Parsed {
    match format {
        Format::Mpstat => mpstat::parse(file, text),
        Format::Vmstat => vmstat::parse(file, text),
        Format::Iostat => iostat::parse(file, text),
        Format::Sar | Format::SarDev => sar::parse(file, text),
        Format::Pidstat => pidstat::parse(file, text),
        Format::Procfs => procfs::parse(file, text),
        Format::PerfTraceSummary => perf_trace::parse(file, text),
        Format::PerfSchedSwitch => perf_sched::parse(file, text),
        Format::PerfScript => Parsed::default(),
    }
}

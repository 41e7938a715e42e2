//! nom parsers, one file per tool, and content sniffing. Parsers see bytes, never the
//! file system: `parse(file, text)` takes the file's name only to put it in warnings.
//!
//! Each tool's parser is a [`Parser`]: it tells its format from one line of a file's head,
//! reads the text into records, and declares the units of the tables it makes. [`PARSERS`]
//! lists them in the order [`sniff::sniff`] asks them.

pub mod access_log;
pub mod catalogue;
pub mod clock;
pub mod free;
pub mod iostat;
pub mod kernel_log;
pub mod mpstat;
pub mod perf_sched;
pub(crate) mod perf_script;
pub mod perf_trace;
pub mod perf_trace_events;
pub mod pidstat;
pub mod procfs;
pub mod red;
pub mod sadf;
pub mod sar;
pub mod sniff;
pub mod spec;
pub mod sysstat;
pub mod sysstat_json;
pub mod top;
pub mod vmstat;

use serde::{Deserialize, Serialize};

use std::sync::LazyLock;

use crate::record::{Feed, Parsed, Unit};
use sniff::Sign;

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
    /// `perf trace` without `-s`: one line per call, summed as `-s` sums them.
    PerfTraceEvents,
    /// `perf script` over sched:sched_switch: off-CPU time per thread and what it blocked in.
    PerfSchedSwitch,
    /// `perf script` output: stacks, turned into a profile rather than records.
    PerfScript,
    /// A kernel log (`dmesg`, `dmesg -T`, `journalctl -k`): OOM kills, hung tasks, I/O errors...
    KernelLog,
    /// procps `free`, in any of its units.
    Free,
    /// procps `top -b`: load, tasks, CPU shares, memory and the top consumers.
    Top,
    /// perf_manual's own HTTP probe (`red-check`, `collector = "red-probe"`): RED windows.
    RedProbe,
    /// A web server's access log (combined or common format) with the request time: RED.
    AccessLog,
    /// sysstat's JSON: `mpstat -o JSON`, `iostat -o JSON`, `sadf -j`, read into the tables
    /// the text of each makes.
    SysstatJson,
    /// `sadf -d` (semicolon-separated, a `# hostname;interval;timestamp;...` header per
    /// activity) and `sadf -p` (one value a line): sar's activities as sar's tables.
    Sadf,
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
            Format::PerfTraceEvents => "perf-trace-events",
            Format::PerfSchedSwitch => "perf-sched-switch",
            Format::PerfScript => "perf-script",
            Format::KernelLog => "kernel-log",
            Format::Free => "free",
            Format::Top => "top",
            Format::RedProbe => "red-probe",
            Format::AccessLog => "access-log",
            Format::SysstatJson => "sysstat-json",
            Format::Sadf => "sadf",
        }
    }

    /// The parser that reads this format.
    pub fn parser(self) -> &'static dyn Parser {
        match self {
            Format::Mpstat => &mpstat::Mpstat,
            Format::Vmstat => &vmstat::Vmstat,
            Format::Iostat => &iostat::Iostat,
            Format::Sar | Format::SarDev => &sar::Sar,
            Format::Pidstat => &pidstat::Pidstat,
            Format::Procfs => &procfs::Procfs,
            Format::PerfTraceSummary => &perf_trace::PerfTrace,
            Format::PerfTraceEvents => &perf_trace_events::PerfTraceEvents,
            Format::PerfSchedSwitch => &perf_sched::PerfSched,
            Format::PerfScript => &perf_script::PerfScript,
            Format::KernelLog => &kernel_log::KernelLog,
            Format::Free => &free::Free,
            Format::Top => &top::Top,
            Format::RedProbe => &red::RedProbe,
            Format::AccessLog => &access_log::AccessLog,
            Format::SysstatJson => &sysstat_json::SysstatJson,
            Format::Sadf => &sadf::Sadf,
        }
    }
}

/// One tool's text format: how to tell it, how to read it, and the units of what it makes.
pub trait Parser: Sync {
    /// The format this parser reads.
    fn format(&self) -> Format;

    /// What `line`, one of the first lines of a file, shows of this format, if anything.
    fn sign(&self, line: &str) -> Option<Sign>;

    /// The records of `text`; `file` names it in warnings and record sources.
    fn parse(&self, file: &str, text: &str) -> Parsed;

    /// The unit of `field` of `table` when `table` is one this parser makes and the field's
    /// name alone would not tell it ([`Unit::from_field_name`]); `None` otherwise.
    fn unit(&self, _table: &str, _field: &str) -> Option<Unit> {
        None
    }

    /// The tables this parser makes and the fields their rows can have: what `check` lets a
    /// rule read.
    fn tables(&self) -> Vec<Table> {
        Vec::new()
    }

    /// The canonical metrics ([`crate::record::metric`]) its tables feed, and how well.
    fn feeds(&self) -> Vec<Feed> {
        Vec::new()
    }
}

/// A table a parser makes, with the fields its rows can have.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: &'static str,
    /// `None` where the data name the fields (every key of /proc/meminfo): any field may be read.
    pub fields: Option<Vec<String>>,
}

impl Table {
    pub fn known<S: AsRef<str>>(name: &'static str, fields: &[S]) -> Table {
        Table {
            name,
            fields: Some(fields.iter().map(|f| f.as_ref().to_string()).collect()),
        }
    }

    pub fn open(name: &'static str) -> Table {
        Table { name, fields: None }
    }
}

/// Every built-in parser, in the order sniffing asks them. Between equal signs on one line
/// the first listed wins: iostat's `Device` header before pidstat's `PID`, and mpstat before
/// sar, which both head CPU reports with `CPU` (mpstat claims the ones with its columns).
pub(crate) static PARSERS: &[&dyn Parser] = &[
    &procfs::Procfs,
    &perf_trace::PerfTrace,
    &vmstat::Vmstat,
    &iostat::Iostat,
    &pidstat::Pidstat,
    &mpstat::Mpstat,
    &sar::Sar,
    &sysstat_json::SysstatJson,
    &sadf::Sadf,
    &perf_sched::PerfSched,
    &perf_script::PerfScript,
    &kernel_log::KernelLog,
    &free::Free,
    &top::Top,
    &perf_trace_events::PerfTraceEvents,
    &red::RedProbe,
    &access_log::AccessLog,
];

/// Parse `text` as `format`. `file` names the input in warnings.
/// `PerfScript` yields no records: profiles are built by `profile/`.
pub fn parse(format: Format, file: &str, text: &str) -> Parsed {
    format.parser().parse(file, text)
}

/// Every feed the built-in parsers declare, in the order of [`PARSERS`]: what
/// [`crate::record::Dataset::with_metrics`] builds the canonical metrics from.
pub fn feeds() -> &'static [Feed] {
    static FEEDS: LazyLock<Vec<Feed>> =
        LazyLock::new(|| PARSERS.iter().flat_map(|parser| parser.feeds()).collect());
    &FEEDS
}

/// The unit of `field` of `table`: as the parser that makes the table declares it, else as
/// the field's name implies.
pub fn unit_of(table: &str, field: &str) -> Unit {
    PARSERS
        .iter()
        .find_map(|parser| parser.unit(table, field))
        .unwrap_or_else(|| Unit::from_field_name(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_has_its_parser_listed_once() {
        for parser in PARSERS {
            let listed = PARSERS
                .iter()
                .filter(|other| other.format() == parser.format())
                .count();
            assert_eq!(listed, 1, "{}", parser.format().name());
            assert_eq!(parser.format().parser().format(), parser.format());
        }
        assert_eq!(Format::SarDev.parser().format(), Format::Sar);
    }

    #[test]
    fn sysstat_fields_have_their_units() {
        assert_eq!(unit_of("iostat", "r_await"), Unit::Milliseconds);
        assert_eq!(unit_of("iostat", "util"), Unit::Percent);
        assert_eq!(unit_of("sar_dev", "rxkb_s"), Unit::KiBPerSecond);
        assert_eq!(unit_of("vmstat", "r"), Unit::Count);
        assert_eq!(unit_of("mpstat", "usr"), Unit::Percent);
    }
}

//! Canonical metrics: one name for each fact, whoever measured it.
//!
//! mpstat, sar -u, vmstat, /proc/stat and top all measure how busy the CPUs are; a rule that
//! reads `mpstat.busy` judges nothing when only sar ran. So rules read [`METRICS`]: `cpu.busy`,
//! `procs.runnable`, `disk.util`, ... Each parser declares beside itself which metrics its
//! tables feed ([`Feed`]: the field, how its value becomes the metric's, and the source's
//! [`Rank`]), as it declares their units; [`super::Dataset::with_metrics`] builds each metric's
//! series, per instance, from the best source that measured it, keeps the file and line of
//! every point, and records which sources had the metric, so the report can say "cpu.busy
//! from mpstat; sar -u also had it".
//!
//! Where a /proc table already names a fact whoever measures it (`pressure.stall`,
//! `memory.used_pct`, `tcp.retrans_segs_s`), the metric keeps that name and the /proc table
//! feeds it as it is: the other tools' feeds join it. Tool names (`mpstat.busy`) keep working
//! for users' own rules.
//!
//! | metric | labels | unit | fed by (best first) |
//! |---|---|---|---|
//! | `cpu.busy`, `cpu.iowait`, `cpu.steal`, `cpu.softirq` | `cpu` (`all`, `0`, ...) | % | mpstat, sar -u, vmstat (`cpu="all"`), /proc/stat, top |
//! | `procs.runnable` | | count | vmstat r, sar -q runq-sz, /proc/stat procs_running, /proc/loadavg, top |
//! | `procs.blocked` | | count | vmstat b, sar -q blocked, /proc/stat procs_blocked |
//! | `load.avg1`, `load.avg5`, `load.avg15` | | count | /proc/loadavg, sar -q, top |
//! | `cpu.context_switches_s`, `cpu.interrupts_s` | | /s | vmstat, sar -w / sar -I SUM, /proc/stat |
//! | `pressure.stall` | `resource`, `kind` | % | /proc/pressure, sar -q CPU,IO,MEM |
//! | `memory.used_pct`, `memory.available`, `memory.swap_used_pct` | | %, KiB | /proc/meminfo, sar -r / -S, free, top |
//! | `memory.swap_in_kb_s`, `memory.swap_out_kb_s` | | KiB/s | vmstat, sar -W, /proc/vmstat |
//! | `memory.page_faults_s`, `memory.major_faults_s`, `memory.direct_scan_s` | | /s | /proc/vmstat, sar -B |
//! | `memory.direct_reclaim_s`, `memory.oom_kills` | | /s, count | /proc/vmstat |
//! | `disk.util`, `disk.aqu_sz`, `disk.await`, `disk.r_await`, `disk.w_await`, `disk.r_s`, `disk.w_s`, `disk.rkb_s`, `disk.wkb_s` | `device` | | iostat -x, sar -d, /proc/diskstats |
//! | `net.util`, `net.rxkb_s`, `net.txkb_s`, `net.rxpck_s`, `net.txpck_s` | `iface` | | sar -n DEV, /proc/net/dev |
//! | `net.rxdrop_s`, `net.txdrop_s`, `net.rxerr_s`, `net.txerr_s` | `iface` | /s | /proc/net/dev, sar -n EDEV |
//! | `tcp.*_s`, `udp.*_s` | | /s | /proc/net/snmp and netstat, sar -n TCP,ETCP,UDP |
//! | `sockets.used`, `sockets.tcp_inuse`, `sockets.udp_inuse`, `sockets.tcp_tw` | | count | /proc/net/sockstat, sar -n SOCK, ss -s |
//! | `process.cpu`, `process.rss` | `pid`, `comm` | %, KiB | pidstat, top |
//! | `thread.cpu`, `thread.wait` | `pid`, `tid`, `comm` | % | pidstat -t |

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Fields, Labels, Name, Record, Unit};

/// A fact rules read whoever measured it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric {
    /// `cpu.busy`.
    pub name: &'static str,
    pub unit: Unit,
    /// The labels that name an instance (`cpu`, `device`); none for host-wide facts.
    pub labels: &'static [&'static str],
    /// What it measures, in a line.
    pub about: &'static str,
}

const fn metric(
    name: &'static str,
    unit: Unit,
    labels: &'static [&'static str],
    about: &'static str,
) -> Metric {
    Metric {
        name,
        unit,
        labels,
        about,
    }
}

const CPU: &[&str] = &["cpu"];
const DEVICE: &[&str] = &["device"];
const IFACE: &[&str] = &["iface"];
const PROCESS: &[&str] = &["pid", "comm"];
const THREAD: &[&str] = &["pid", "tid", "comm"];
const HOST: &[&str] = &[];

/// The canonical namespace.
pub const METRICS: &[Metric] = &[
    metric(
        "cpu.busy",
        Unit::Percent,
        CPU,
        "time neither idle nor waiting on I/O (100 − %idle − %iowait)",
    ),
    metric(
        "cpu.iowait",
        Unit::Percent,
        CPU,
        "idle time with I/O outstanding",
    ),
    metric(
        "cpu.steal",
        Unit::Percent,
        CPU,
        "time a hypervisor ran someone else on this virtual CPU",
    ),
    metric(
        "cpu.softirq",
        Unit::Percent,
        CPU,
        "time in software interrupts",
    ),
    metric(
        "procs.runnable",
        Unit::Count,
        HOST,
        "threads running or waiting for a CPU, the observing tool itself left out",
    ),
    metric(
        "procs.blocked",
        Unit::Count,
        HOST,
        "tasks blocked waiting for I/O (D state)",
    ),
    metric("load.avg1", Unit::Count, HOST, "load average over 1 minute"),
    metric(
        "load.avg5",
        Unit::Count,
        HOST,
        "load average over 5 minutes",
    ),
    metric(
        "load.avg15",
        Unit::Count,
        HOST,
        "load average over 15 minutes",
    ),
    metric(
        "cpu.context_switches_s",
        Unit::PerSecond,
        HOST,
        "context switches per second",
    ),
    metric(
        "cpu.interrupts_s",
        Unit::PerSecond,
        HOST,
        "interrupts per second",
    ),
    metric(
        "pressure.stall",
        Unit::Percent,
        &["resource", "kind"],
        "share of the interval tasks stalled on the resource (PSI some or full)",
    ),
    metric(
        "memory.used_pct",
        Unit::Percent,
        HOST,
        "memory in use: 100 − MemAvailable / MemTotal",
    ),
    metric(
        "memory.available",
        Unit::KiB,
        HOST,
        "memory available for new work without swapping (MemAvailable)",
    ),
    metric(
        "memory.swap_used_pct",
        Unit::Percent,
        HOST,
        "swap space in use",
    ),
    metric(
        "memory.swap_in_kb_s",
        Unit::KiBPerSecond,
        HOST,
        "swapped in",
    ),
    metric(
        "memory.swap_out_kb_s",
        Unit::KiBPerSecond,
        HOST,
        "swapped out",
    ),
    metric(
        "memory.page_faults_s",
        Unit::PerSecond,
        HOST,
        "page faults per second, minor and major",
    ),
    metric(
        "memory.major_faults_s",
        Unit::PerSecond,
        HOST,
        "page faults that read from disk, per second",
    ),
    metric(
        "memory.direct_scan_s",
        Unit::PerSecond,
        HOST,
        "pages scanned by direct reclaim per second",
    ),
    metric(
        "memory.direct_reclaim_s",
        Unit::PerSecond,
        HOST,
        "allocations stalled in direct reclaim per second (allocstall)",
    ),
    metric(
        "memory.oom_kills",
        Unit::Count,
        HOST,
        "processes the OOM killer killed since the first sample",
    ),
    metric(
        "disk.util",
        Unit::Percent,
        DEVICE,
        "time the device had I/O in flight",
    ),
    metric(
        "disk.aqu_sz",
        Unit::Count,
        DEVICE,
        "requests queued or in service, on average",
    ),
    metric(
        "disk.await",
        Unit::Milliseconds,
        DEVICE,
        "time a request took, queue included, reads and writes together",
    ),
    metric(
        "disk.r_await",
        Unit::Milliseconds,
        DEVICE,
        "time a read took, queue included",
    ),
    metric(
        "disk.w_await",
        Unit::Milliseconds,
        DEVICE,
        "time a write took, queue included",
    ),
    metric(
        "disk.r_s",
        Unit::PerSecond,
        DEVICE,
        "reads completed per second",
    ),
    metric(
        "disk.w_s",
        Unit::PerSecond,
        DEVICE,
        "writes completed per second",
    ),
    metric("disk.rkb_s", Unit::KiBPerSecond, DEVICE, "read"),
    metric("disk.wkb_s", Unit::KiBPerSecond, DEVICE, "written"),
    metric(
        "net.util",
        Unit::Percent,
        IFACE,
        "the busier direction's throughput against the link speed",
    ),
    metric("net.rxkb_s", Unit::KiBPerSecond, IFACE, "received"),
    metric("net.txkb_s", Unit::KiBPerSecond, IFACE, "sent"),
    metric(
        "net.rxpck_s",
        Unit::PerSecond,
        IFACE,
        "packets received per second",
    ),
    metric(
        "net.txpck_s",
        Unit::PerSecond,
        IFACE,
        "packets sent per second",
    ),
    metric(
        "net.rxdrop_s",
        Unit::PerSecond,
        IFACE,
        "received packets dropped per second",
    ),
    metric(
        "net.txdrop_s",
        Unit::PerSecond,
        IFACE,
        "packets to send dropped per second",
    ),
    metric(
        "net.rxerr_s",
        Unit::PerSecond,
        IFACE,
        "receive errors per second",
    ),
    metric(
        "net.txerr_s",
        Unit::PerSecond,
        IFACE,
        "transmit errors per second",
    ),
    metric(
        "tcp.active_opens_s",
        Unit::PerSecond,
        HOST,
        "connections opened by this host per second",
    ),
    metric(
        "tcp.passive_opens_s",
        Unit::PerSecond,
        HOST,
        "connections accepted per second",
    ),
    metric(
        "tcp.attempt_fails_s",
        Unit::PerSecond,
        HOST,
        "connection attempts failed per second",
    ),
    metric(
        "tcp.estab_resets_s",
        Unit::PerSecond,
        HOST,
        "established connections reset per second",
    ),
    metric(
        "tcp.in_segs_s",
        Unit::PerSecond,
        HOST,
        "segments received per second",
    ),
    metric(
        "tcp.out_segs_s",
        Unit::PerSecond,
        HOST,
        "segments sent per second",
    ),
    metric(
        "tcp.retrans_segs_s",
        Unit::PerSecond,
        HOST,
        "segments retransmitted per second",
    ),
    metric(
        "tcp.in_errs_s",
        Unit::PerSecond,
        HOST,
        "bad segments received per second",
    ),
    metric(
        "tcp.out_rsts_s",
        Unit::PerSecond,
        HOST,
        "resets sent per second",
    ),
    metric(
        "udp.in_datagrams_s",
        Unit::PerSecond,
        HOST,
        "datagrams received per second",
    ),
    metric(
        "udp.out_datagrams_s",
        Unit::PerSecond,
        HOST,
        "datagrams sent per second",
    ),
    metric(
        "udp.no_ports_s",
        Unit::PerSecond,
        HOST,
        "datagrams to a port nobody listens on, per second",
    ),
    metric(
        "udp.in_errors_s",
        Unit::PerSecond,
        HOST,
        "datagrams received with an error per second",
    ),
    metric("sockets.used", Unit::Count, HOST, "sockets in use"),
    metric(
        "sockets.tcp_inuse",
        Unit::Count,
        HOST,
        "IPv4 TCP sockets in use",
    ),
    metric(
        "sockets.udp_inuse",
        Unit::Count,
        HOST,
        "IPv4 UDP sockets in use",
    ),
    metric(
        "sockets.tcp_tw",
        Unit::Count,
        HOST,
        "TCP sockets in TIME_WAIT",
    ),
    metric(
        "process.cpu",
        Unit::Percent,
        PROCESS,
        "one process's CPU use, of one CPU",
    ),
    metric(
        "process.rss",
        Unit::KiB,
        PROCESS,
        "one process's resident memory",
    ),
    metric(
        "thread.cpu",
        Unit::Percent,
        THREAD,
        "one thread's CPU use, of one CPU",
    ),
    metric(
        "thread.wait",
        Unit::Percent,
        THREAD,
        "time one thread was runnable but waited for a CPU, of one CPU",
    ),
];

/// The canonical metric called `name`.
pub fn find(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|metric| metric.name == name)
}

/// Which source is better when several measured the same fact, best first.
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
pub enum Rank {
    /// The tool made for the fact (mpstat for CPU shares, iostat for disks, vmstat for the run
    /// queue, sar -n DEV for throughput), or /proc where it is the fact's own source (PSI,
    /// TCP counters, MemAvailable).
    Primary,
    /// sar: the same counters, sampled by sadc into its own report.
    Sar,
    /// A tool that measures the fact on the side, for the whole machine only (vmstat's CPU
    /// columns).
    Secondary,
    /// perf_manual's own reading of /proc in the place of the tool made for the fact: the
    /// report's stand-ins.
    StandIn,
    /// Another tool's summary of the fact (top, free), coarser or rounded.
    Summary,
}

/// How a source's value becomes the metric's.
#[derive(Debug, Clone, Copy)]
pub enum Convert {
    /// As the tool printed it: already in the metric's unit.
    Same,
    /// Times a factor (4 KiB pages into KiB, 512-byte sectors into KiB).
    Scale(f64),
    /// Less one for the observer: a tool that counts running threads counts itself (vmstat's
    /// `r`, /proc/stat's `procs_running` as the sampler or `cat` read it, top's running
    /// tasks); never below 0.
    LessObserver,
    /// Computed from the row's fields (vmstat's busy = 100 − id − wa).
    Derive(fn(&Fields) -> Option<f64>),
}

/// One field of one table feeding a metric.
#[derive(Debug, Clone)]
pub struct Feed {
    pub metric: Name,
    pub table: Name,
    /// The field read; for [`Convert::Derive`], the fields it reads (`id,wa`).
    pub field: Name,
    pub convert: Convert,
    /// Only rows with these labels feed it, and the labels are dropped (free's `kind="Mem"`).
    pub only: Vec<(Name, Name)>,
    /// Labels the rows get (`cpu="all"` for vmstat's whole-machine shares, `resource="io"` for
    /// sar's PSI columns).
    pub set: Vec<(Name, Name)>,
    /// Labels of the rows that are left out of the instance (top's `user`).
    pub dropped: Vec<Name>,
    pub rank: Rank,
    /// The tool as a reader knows it: `mpstat`, `sar -u`, `/proc/stat`.
    pub tool: Name,
}

impl Feed {
    /// `source` (`mpstat.busy`, `table.field`) feeds `metric` as it is, measured by `tool`.
    pub fn new(rank: Rank, tool: &str, source: &str, metric: &str) -> Feed {
        let (table, field) = source.split_once('.').unwrap_or((source, ""));
        Feed {
            metric: metric.into(),
            table: table.into(),
            field: field.into(),
            convert: Convert::Same,
            only: Vec::new(),
            set: Vec::new(),
            dropped: Vec::new(),
            rank,
            tool: tool.into(),
        }
    }

    pub fn convert(self, convert: Convert) -> Feed {
        Feed { convert, ..self }
    }

    pub fn only(self, labels: &[(&str, &str)]) -> Feed {
        Feed {
            only: pairs(labels),
            ..self
        }
    }

    pub fn set(self, labels: &[(&str, &str)]) -> Feed {
        Feed {
            set: pairs(labels),
            ..self
        }
    }

    pub fn dropping(self, labels: &[&str]) -> Feed {
        Feed {
            dropped: labels.iter().map(|&label| label.into()).collect(),
            ..self
        }
    }

    /// The tool series it reads, as the report names it: `mpstat.busy`.
    pub fn source(&self) -> String {
        format!("{}.{}", self.table, self.field)
    }

    pub(crate) fn taken(&self) -> Taken {
        Taken {
            series: self.source(),
            tool: self.tool.to_string(),
            rank: self.rank,
        }
    }

    /// The instance and value `record` gives `metric`, if it feeds it: its labels are then the
    /// metric's, exactly, once `only` and `dropped` are taken out and `set` put in.
    #[cfg(test)]
    fn read(&self, record: &Record, metric: &Metric) -> Option<(Labels, f64)> {
        let labels = self.instance(record, metric)?;
        self.value(record).map(|value| (labels, value))
    }

    /// The metric's instance `record` is of, if this feed feeds it from `record`'s table and
    /// labels: the same for every row of one table and instance.
    pub(crate) fn instance(&self, record: &Record, metric: &Metric) -> Option<Labels> {
        if record.table != self.table {
            return None;
        }
        let mut labels = record.labels.clone();
        for (key, value) in &self.only {
            if labels.remove(key) != Some(value.clone()) {
                return None;
            }
        }
        for key in &self.dropped {
            labels.remove(key);
        }
        for (key, value) in &self.set {
            labels.insert(key.clone(), value.clone());
        }
        let exact = labels.len() == metric.labels.len()
            && metric.labels.iter().all(|label| labels.contains_key(label));
        exact.then_some(labels)
    }

    /// The value this feed reads of `record`, if it has a finite one.
    pub(crate) fn value(&self, record: &Record) -> Option<f64> {
        let field = || record.fields.get(&self.field).copied();
        let value = match self.convert {
            Convert::Same => field()?,
            Convert::Scale(factor) => field()? * factor,
            Convert::LessObserver => (field()? - 1.0).max(0.0),
            Convert::Derive(derive) => derive(&record.fields)?,
        };
        value.is_finite().then_some(value)
    }
}

fn pairs(labels: &[(&str, &str)]) -> Vec<(Name, Name)> {
    labels
        .iter()
        .map(|&(key, value)| (key.into(), value.into()))
        .collect()
}

/// Where a metric's series was taken from: which tool series, measured by which tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Taken {
    /// The tool series (`sar_cpu.busy`).
    pub series: String,
    /// The tool (`sar -u`).
    pub tool: String,
    pub rank: Rank,
}

/// One source of a metric in a dataset: a feed that had values for it, for how many
/// instances, and in how many of those it was the one chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MetricSource {
    #[serde(flatten)]
    pub taken: Taken,
    /// Instances it had values for.
    pub instances: usize,
    /// Of those, the instances whose series were taken from it.
    pub chosen: usize,
    pub files: BTreeSet<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_are_unique_and_their_labels_sorted() {
        let mut names: Vec<&str> = METRICS.iter().map(|metric| metric.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), METRICS.len());
        for metric in METRICS {
            assert!(metric.name.split_once('.').is_some(), "{}", metric.name);
        }
    }

    #[test]
    fn a_row_feeds_a_metric_only_with_the_metric_s_labels() {
        let busy = find("cpu.busy").unwrap();
        let vmstat = Feed::new(Rank::Secondary, "vmstat", "vmstat.id", "cpu.busy")
            .convert(Convert::Derive(|fields| {
                Some(100.0 - fields.get("id")? - fields.get("wa")?)
            }))
            .set(&[("cpu", "all")]);
        let row = Record::from_pairs("vmstat", 1.0, &[], &[("id", 70.0), ("wa", 5.0)], "v", 3);
        let (labels, value) = vmstat.read(&row, busy).unwrap();
        assert_eq!((labels["cpu"].as_str(), value), ("all", 25.0));

        let free = find("memory.available").unwrap();
        let mem = Feed::new(Rank::Summary, "free", "free.available", "memory.available")
            .only(&[("kind", "Mem")]);
        let row = |kind| {
            Record::from_pairs(
                "free",
                0.0,
                &[("kind", kind)],
                &[("available", 9.0)],
                "f",
                2,
            )
        };
        assert_eq!(mem.read(&row("Mem"), free).map(|(_, v)| v), Some(9.0));
        assert!(mem.read(&row("Swap"), free).is_none());

        let runnable = find("procs.runnable").unwrap();
        let r = Feed::new(Rank::Primary, "vmstat", "vmstat.r", "procs.runnable")
            .convert(Convert::LessObserver);
        let row = |r| Record::from_pairs("vmstat", 0.0, &[], &[("r", r)], "v", 4);
        assert_eq!(r.read(&row(5.0), runnable).map(|(_, v)| v), Some(4.0));
        assert_eq!(r.read(&row(0.0), runnable).map(|(_, v)| v), Some(0.0));
        // A labelled row does not feed a host-wide metric.
        let labelled = Record::from_pairs("vmstat", 0.0, &[("cpu", "0")], &[("r", 3.0)], "v", 4);
        assert!(r.read(&labelled, runnable).is_none());
    }
}

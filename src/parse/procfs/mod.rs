//! Parser for /proc snapshots: perf_manual's own sampler, which writes a
//! `==> /proc/stat @ 2026-11-25T19:20:01.123456 <==` header before each verbatim copy of the
//! file, or one plain `cat` of the file (no header, time 0, recognized by its shape).
//!
//! Kernel counters become rates here, once, between consecutive snapshots of the same source
//! (`rate.rs`), so nothing above `parse/` sees a raw counter.
//!
//! One file per source, each with the table it makes and that table's units: /proc's
//! `pressure.rs`, `loadavg.rs`, `meminfo.rs`, `vmstat.rs` (`proc_vmstat`), `stat.rs`
//! (`proc_stat`), `diskstats.rs`, `net_dev.rs`, `mib.rs` (`tcp`, `udp` from net/snmp and
//! net/netstat) and `sockstat.rs`; and the /sys files the sampler copies one snapshot per file,
//! its path in the header: `link_speed.rs` (joined to `net_dev`), `disk_errors.rs` and
//! `cgroup.rs` (`cgroup_memory`). `snapshot.rs` cuts a file into snapshots of those sources.
//!
//! procfs-core's readers of /proc text are used where they read a source as leniently as a
//! snapshot needs (a bad line costs that line, after a warning naming it): `diskstats.rs`.
//! Each other source says why it keeps its own reader.
//!
//! Record time is the header's civil time read as UTC, as the sysstat parsers read theirs, so
//! series from both line up.

mod cgroup;
mod disk_errors;
mod diskstats;
mod link_speed;
mod loadavg;
mod meminfo;
mod mib;
mod net_dev;
mod pressure;
mod rate;
mod snapshot;
mod sockstat;
mod stat;
mod vmstat;

use std::collections::BTreeMap;

use super::sniff::Sign;
use super::{Format, Parser};
use crate::record::{Labels, ParseWarning, Parsed, Record, SourceRef, Unit};
use snapshot::{Rounds, Snapshot, Source, gather, split_snapshots};

pub use cgroup::{CGROUP_V1_FILES, CGROUP_V2_FILES};
pub use disk_errors::DISK_ERROR_COUNTERS;
pub use vmstat::VMSTAT_RATES;

/// Parse one file of /proc snapshots. `file` names it in warnings and record sources; for a
/// plain copy of a /proc/pressure file it also tells the resource (`pressure_cpu.txt`).
pub fn parse(file: &str, text: &str) -> Parsed {
    let mut out = Output {
        file,
        parsed: Parsed::default(),
    };
    let mut groups: Vec<(Source, Vec<Snapshot>)> = Vec::new();
    for snapshot in split_snapshots(text, &mut out) {
        match groups
            .iter_mut()
            .find(|(source, _)| *source == snapshot.source)
        {
            Some((_, group)) => group.push(snapshot),
            None => groups.push((snapshot.source.clone(), vec![snapshot])),
        }
    }
    let speeds = link_speed::link_speeds(&groups, &mut out);
    let mut disk_rounds = Rounds::new();
    let mut cgroup_rounds = Rounds::new();
    for (source, snapshots) in &groups {
        match source {
            Source::Pressure(resource) => pressure::pressure(resource, snapshots, &mut out),
            Source::Loadavg => loadavg::loadavg(snapshots, &mut out),
            Source::Meminfo => meminfo::meminfo(snapshots, &mut out),
            Source::Vmstat => vmstat::vmstat(snapshots, &mut out),
            Source::Stat => stat::stat(snapshots, &mut out),
            Source::Diskstats => diskstats::diskstats(snapshots, &mut out),
            Source::NetDev => net_dev::net_dev(snapshots, &speeds, &mut out),
            Source::NetSpeed(_) => {}
            Source::DiskCounter { device, counter } => {
                gather(&mut disk_rounds, device, counter, snapshots)
            }
            Source::Cgroup { cgroup, file } => gather(&mut cgroup_rounds, cgroup, file, snapshots),
            Source::NetSnmp | Source::NetNetstat => mib::mib(snapshots, &mut out),
            Source::NetSockstat => sockstat::sockstat(snapshots, &mut out),
        }
    }
    disk_errors::disk_errors(&disk_rounds, &mut out);
    cgroup::cgroup_memory(&cgroup_rounds, &mut out);
    out.parsed.warnings.sort_by_key(|warning| warning.line);
    out.parsed
}

/// /proc and /sys snapshots, told by the sampler's `==> /proc/<path> @ <time> <==` titles or,
/// in a plain copy, by the shape of a /proc file's lines.
pub struct Procfs;

impl Parser for Procfs {
    fn format(&self) -> Format {
        Format::Procfs
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        if line.starts_with("==> /proc/") || line.starts_with("==> /sys/") {
            Some(Sign::Snapshot)
        } else {
            is_bare_proc_line(line).then_some(Sign::Shape)
        }
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }

    fn unit(&self, table: &str, field: &str) -> Option<Unit> {
        match table {
            "pressure" => pressure::unit(field),
            "meminfo" => meminfo::unit(field),
            "memory" => meminfo::memory_unit(field),
            "proc_stat" => stat::unit(field),
            "diskstats" => diskstats::unit(field),
            "sockstat" => sockstat::unit(field),
            "cgroup_memory" => cgroup::unit(field),
            _ => None,
        }
    }
}

/// The shapes of the /proc files perf_manual reads, without the sampler's `==>` title.
fn is_bare_proc_line(line: &str) -> bool {
    const KEYED: &[&str] = &[
        "MemTotal:",
        "some avg10=",
        "full avg10=",
        "Inter-|",
        "nr_free_pages ",
        "cpu  ",
        "Ip: Forwarding ",
        "TcpExt: ",
        "sockets: used ",
    ];
    KEYED.iter().any(|key| line.starts_with(key)) || is_loadavg(line) || is_diskstats_row(line)
}

/// `/proc/loadavg`: `0.12 0.34 0.56 1/234 5678`.
fn is_loadavg(line: &str) -> bool {
    let cells: Vec<&str> = line.split_ascii_whitespace().collect();
    let is_load = |cell: &&str| cell.contains('.') && cell.parse::<f64>().is_ok();
    let is_count = |cell: &str| !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit());
    match cells.as_slice() {
        [one, five, fifteen, tasks, last_pid] => {
            [one, five, fifteen].into_iter().all(is_load)
                && tasks
                    .split_once('/')
                    .is_some_and(|(running, total)| is_count(running) && is_count(total))
                && is_count(last_pid)
        }
        _ => false,
    }
}

/// `/proc/diskstats`: major, minor, device name, then at least 11 counters.
fn is_diskstats_row(line: &str) -> bool {
    let cells: Vec<&str> = line.split_ascii_whitespace().collect();
    let is_count = |cell: &&str| !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit());
    match cells.as_slice() {
        [major, minor, name, counters @ ..] => {
            counters.len() >= 11
                && is_count(major)
                && is_count(minor)
                && !is_count(name)
                && counters.iter().all(is_count)
        }
        _ => false,
    }
}

/// The parse result being built, and the file name every warning and record carries.
struct Output<'f> {
    file: &'f str,
    parsed: Parsed,
}

impl Output<'_> {
    fn warn(&mut self, line: usize, message: impl Into<String>) {
        self.parsed.warnings.push(ParseWarning {
            file: self.file.to_string(),
            line,
            message: message.into(),
        });
    }

    /// Add a record unless it has no fields (a first snapshot of a counters-only source).
    fn push(
        &mut self,
        table: &str,
        time_us: i64,
        line: usize,
        labels: Labels,
        fields: BTreeMap<String, f64>,
    ) {
        if fields.is_empty() {
            return;
        }
        self.parsed.records.push(Record {
            table: table.into(),
            time: time_us as f64 / 1e6,
            labels,
            fields: fields.into(),
            source: SourceRef {
                file: self.file.into(),
                line,
            },
        });
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(key, value)| ((*key).into(), (*value).into()))
        .collect()
}

fn fields<const N: usize>(pairs: [(&str, f64); N]) -> BTreeMap<String, f64> {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect()
}

/// What the tests of every source share.
#[cfg(test)]
mod testing {
    use crate::record::{Parsed, Record};

    /// Snapshots of `path`, each `(time of day, content)`, in the sampler's format.
    pub(super) fn series(path: &str, snapshots: &[(&str, &str)]) -> String {
        snapshots
            .iter()
            .map(|(time, content)| format!("==> {path} @ 2026-11-25T{time} <==\n{content}\n"))
            .collect()
    }

    pub(super) fn only<'p>(parsed: &'p Parsed, table: &str) -> Vec<&'p Record> {
        parsed.records.iter().filter(|r| r.table == table).collect()
    }

    pub(super) fn warning_lines(parsed: &Parsed) -> Vec<usize> {
        parsed.warnings.iter().map(|w| w.line).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use super::testing::{only, series, warning_lines};

    #[test]
    fn bad_sys_values_are_warned_about_and_the_rest_is_read() {
        let text = series("/sys/class/net/eth0/speed", &[("10:00:00", "fast")])
            + &series(
                "/sys/block/sda/device/ioerr_cnt",
                &[
                    ("10:00:00", "0x2"),
                    ("10:00:01", "0xzz"),
                    ("10:00:02", "0x1"),
                ],
            )
            + &series(
                "/sys/fs/cgroup/memory/a/memory.oom_control",
                &[
                    ("10:00:00", "oom_kill_disable 0\nunder_oom\noom_kill 1"),
                    ("10:00:01", "oom_kill 3"),
                ],
            );
        let parsed = parse("mixed.txt", &text);
        assert_eq!(
            warning_lines(&parsed),
            [2, 6, 8, 11],
            "{:?}",
            parsed.warnings
        );
        assert!(parsed.warnings[2].message.contains("ioerr_cnt went down"));
        assert!(only(&parsed, "disk_errors").is_empty(), "reset: no count");
        let cgroup = only(&parsed, "cgroup_memory");
        assert_eq!(cgroup.len(), 1);
        assert_eq!(cgroup[0].fields["oom_kill_delta"], 2.0);
    }
}

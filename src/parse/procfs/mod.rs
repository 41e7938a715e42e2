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
use super::{Format, Parser, Table};
use crate::record::{Feed, Labels, ParseWarning, Parsed, Record, SourceRef, Unit};
use snapshot::{Rounds, Snapshot, Source, gather, split_snapshots};

pub(crate) use cgroup::{CGROUP_V1_FILES, CGROUP_V2_FILES};
pub(crate) use disk_errors::DISK_ERROR_COUNTERS;

/// Parse one file of /proc snapshots. `file` names it in warnings and record sources; for a
/// plain copy of a /proc/pressure file it also tells the resource (`pressure_cpu.txt`).
pub fn parse(file: &str, text: &str) -> Parsed {
    let mut out = Output::new(file);
    let snapshots = split_snapshots(text, &mut out);
    read_snapshots(snapshots, &mut out);
    out.parsed
}

/// One plain copy of a /proc file taken by hand (`cat /proc/vmstat > vmstat.before`), and
/// when it was taken, when that is known from outside its text (a time in its name, the
/// file's modification time); a time line in the text itself (`date` output) comes first.
pub(crate) struct Copy<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub time_us: Option<i64>,
}

/// Parse copies of one /proc file taken at different times, in order, as one series of
/// snapshots: the counters between them become deltas (`*_delta`, 0 at the first copy, so
/// the series names every copy's file), and rates where every copy has a time. Each record
/// and warning names the copy it comes from, at that copy's own line.
pub(crate) fn parse_copies(copies: &[Copy]) -> Parsed {
    let mut out = Output::new("");
    out.baseline_rows = true;
    // Each copy's lines are numbered after the previous copies', then numbered back.
    let mut starts: Vec<(usize, &str)> = Vec::new();
    let mut snapshots = Vec::new();
    let mut undated = 0;
    let mut base = 0;
    for copy in copies {
        let mut own = Output::new(copy.file);
        let lines = numbered_lines(copy.text);
        let count = lines.len();
        for plain in snapshot::plain_copies(lines, &mut own) {
            let time_us = plain.time_us.or(copy.time_us);
            undated += usize::from(time_us.is_none());
            snapshots.push(Snapshot {
                source: plain.source,
                time_us: time_us.unwrap_or(snapshots.len() as i64),
                header_line: base + plain.header_line,
                lines: plain
                    .lines
                    .into_iter()
                    .map(|line| snapshot::Line {
                        number: base + line.number,
                        text: line.text,
                    })
                    .collect(),
            });
        }
        for mut warning in own.parsed.warnings {
            warning.line += base;
            out.parsed.warnings.push(warning);
        }
        starts.push((base, copy.file));
        base += count.max(1);
    }
    if undated > 0 {
        out.timed = false;
        // Undated copies keep their order, one microsecond apart, and are read untimed.
        for (index, snapshot) in snapshots.iter_mut().enumerate() {
            snapshot.time_us = index as i64;
        }
    }
    let snapshots = snapshot::keep_advancing(snapshots, &mut out);
    read_snapshots(snapshots, &mut out);
    let mut parsed = out.parsed;
    let place = |line: usize| -> (usize, &str) {
        let index = starts.partition_point(|&(start, _)| start < line).max(1) - 1;
        starts
            .get(index)
            .map_or((line, ""), |&(start, file)| (line - start, file))
    };
    for record in &mut parsed.records {
        let (line, file) = place(record.source.line);
        record.source = SourceRef {
            file: file.into(),
            line,
        };
    }
    for warning in &mut parsed.warnings {
        let (line, file) = place(warning.line);
        warning.line = line;
        warning.file = file.to_string();
    }
    parsed
}

/// The lines of `text`, numbered from 1.
fn numbered_lines(text: &str) -> Vec<snapshot::Line<'_>> {
    text.lines()
        .enumerate()
        .map(|(index, text)| snapshot::Line {
            number: index + 1,
            text,
        })
        .collect()
}

/// Read the snapshots of one file (or of copies parsed together) into records.
fn read_snapshots(snapshots: Vec<Snapshot>, out: &mut Output) {
    let mut groups: Vec<(Source, Vec<Snapshot>)> = Vec::new();
    for snapshot in snapshots {
        match groups
            .iter_mut()
            .find(|(source, _)| *source == snapshot.source)
        {
            Some((_, group)) => group.push(snapshot),
            None => groups.push((snapshot.source.clone(), vec![snapshot])),
        }
    }
    let speeds = link_speed::link_speeds(&groups, out);
    let mut disk_rounds = Rounds::new();
    let mut cgroup_rounds = Rounds::new();
    for (source, snapshots) in &groups {
        match source {
            Source::Pressure(resource) => pressure::pressure(resource, snapshots, out),
            Source::Loadavg => loadavg::loadavg(snapshots, out),
            Source::Meminfo => meminfo::meminfo(snapshots, out),
            Source::Vmstat => vmstat::vmstat(snapshots, out),
            Source::Stat => stat::stat(snapshots, out),
            Source::Diskstats => diskstats::diskstats(snapshots, out),
            Source::NetDev => net_dev::net_dev(snapshots, &speeds, out),
            Source::NetSpeed(_) => {}
            Source::DiskCounter { device, counter } => {
                gather(&mut disk_rounds, device, counter, snapshots)
            }
            Source::Cgroup { cgroup, file } => gather(&mut cgroup_rounds, cgroup, file, snapshots),
            Source::NetSnmp | Source::NetNetstat => mib::mib(snapshots, out),
            Source::NetSockstat => sockstat::sockstat(snapshots, out),
        }
    }
    disk_errors::disk_errors(&disk_rounds, out);
    cgroup::cgroup_memory(&cgroup_rounds, out);
    out.parsed.warnings.sort_by_key(|warning| warning.line);
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

    fn tables(&self) -> Vec<Table> {
        let mut tables = meminfo::tables();
        tables.extend(mib::tables());
        tables.extend([
            stat::table(),
            vmstat::table(),
            pressure::table(),
            loadavg::table(),
            diskstats::table(),
            net_dev::table(),
            sockstat::table(),
            cgroup::table(),
            disk_errors::table(),
        ]);
        tables
    }

    /// Each source's, /proc/stat before /proc/loadavg (both stand in for vmstat's run queue).
    fn feeds(&self) -> Vec<Feed> {
        [
            stat::feeds(),
            loadavg::feeds(),
            meminfo::feeds(),
            vmstat::feeds(),
            pressure::feeds(),
            diskstats::feeds(),
            net_dev::feeds(),
            mib::feeds(),
            sockstat::feeds(),
        ]
        .concat()
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
    /// Whether the snapshots' times are known; copies taken without one give counts between
    /// them, and no rate.
    timed: bool,
    /// Whether counts since the first snapshot (`*_delta`) start with a 0 row at the first
    /// snapshot: for copies in files of their own, so that the series names each file.
    baseline_rows: bool,
}

impl<'f> Output<'f> {
    fn new(file: &'f str) -> Output<'f> {
        Output {
            file,
            parsed: Parsed::default(),
            timed: true,
            baseline_rows: false,
        }
    }
}

impl Output<'_> {
    fn warn(&mut self, line: usize, message: impl Into<String>) {
        self.parsed.warnings.push(ParseWarning {
            file: self.file.to_string(),
            line,
            message: message.into(),
        });
    }

    /// For copies in files of their own, a row with no field: the copy that starts the rates
    /// of the next one (see [`Output::push`]).
    fn push_mark(&mut self, table: &str, time_us: i64, line: usize, labels: Labels) {
        if self.baseline_rows {
            self.push(table, time_us, line, labels, BTreeMap::new());
        }
    }

    /// Add a record of the fields that have a value (a rate over copies taken at unknown
    /// times has none), unless none has (a first snapshot of a counters-only source), but for
    /// copies in files of their own (`baseline_rows`): there a row with no field still says
    /// when the copy was taken, which is when the rates of the next copy start
    /// (`Series::first_from`).
    fn push(
        &mut self,
        table: &str,
        time_us: i64,
        line: usize,
        labels: Labels,
        mut fields: BTreeMap<String, f64>,
    ) {
        fields.retain(|_, value| value.is_finite());
        if fields.is_empty() && !self.baseline_rows {
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
    use super::testing::{only, series, warning_lines};
    use super::{Copy, parse, parse_copies};

    fn netstat(overflows: u64) -> String {
        format!("TcpExt: ListenOverflows ListenDrops\nTcpExt: {overflows} {overflows}\n")
    }

    #[test]
    fn copies_in_files_of_their_own_give_deltas_naming_each_file() {
        let (before, after) = (netstat(7), netstat(57));
        let copy = |file, text, time_us| Copy {
            file,
            text,
            time_us,
        };
        let parsed = parse_copies(&[
            copy("net_netstat.before", &before, Some(10_000_000)),
            copy("net_netstat.after", &after, Some(12_000_000)),
        ]);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let tcp = only(&parsed, "tcp");
        assert_eq!(tcp.len(), 2);
        assert_eq!(tcp[0].fields["listen_overflows_delta"], 0.0);
        assert_eq!(
            (tcp[0].source.file.as_str(), tcp[0].source.line),
            ("net_netstat.before", 2)
        );
        assert_eq!(tcp[1].fields["listen_overflows_delta"], 50.0);
        assert_eq!(tcp[1].fields["listen_overflows_s"], 25.0);
        assert_eq!(
            (tcp[1].source.file.as_str(), tcp[1].source.line),
            ("net_netstat.after", 2)
        );

        let undated = parse_copies(&[
            copy("a/netstat", &before, None),
            copy("b/netstat", &after, Some(12_000_000)),
        ]);
        let tcp = only(&undated, "tcp");
        assert_eq!(tcp[1].fields["listen_overflows_delta"], 50.0);
        assert!(
            !tcp[1].fields.contains_key("listen_overflows_s"),
            "no time, no rate"
        );
    }

    #[test]
    fn the_same_file_copied_twice_into_one_gives_counts_and_rates_where_dated() {
        let vmstat =
            |kills: u64| format!("nr_free_pages 10\npgmajfault {kills}\noom_kill {kills}\n");
        let undated = format!("{}{}", vmstat(1), vmstat(3));
        let parsed = parse("vmstat.txt", &undated);
        assert_eq!(warning_lines(&parsed), [1]);
        let rows = only(&parsed, "proc_vmstat");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].fields["oom_kill_delta"], 2.0);
        assert!(!rows[0].fields.contains_key("oom_kill_s"));
        assert_eq!(rows[0].source.line, 4);

        let dated = format!(
            "Fri Dec  4 16:00:34 UTC 2026\n{}2026-12-04T16:00:36+00:00\n{}",
            vmstat(1),
            vmstat(3)
        );
        let parsed = parse("vmstat.txt", &dated);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let rows = only(&parsed, "proc_vmstat");
        assert_eq!(
            (rows[0].fields["oom_kill_s"], rows[0].time),
            (1.0, 1_796_400_036.0)
        );
    }

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

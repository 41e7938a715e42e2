//! Parser for /proc snapshots: perf_manual's own sampler, which writes a
//! `==> /proc/stat @ 2026-11-25T19:20:01.123456 <==` header before each verbatim copy of the
//! file, or one plain `cat` of the file (no header, time 0, recognized by its shape).
//!
//! Kernel counters become rates here, once, between consecutive snapshots of the same source,
//! so nothing above `parse/` sees a raw counter. Rates use each instance's last good reading,
//! so one garbled line costs one point, not two. A counter that goes down (a 32-bit wrap, a
//! device or interface re-created, a reboot) yields a warning and that interval is skipped.
//!
//! Tables (units beside [`Procfs`]):
//! - `pressure` {resource, kind}: avg10 avg60 avg300, and `stall`, the percent of the interval
//!   some (or all) tasks stalled, from the `total` counter (exact even for short runs).
//! - `loadavg`: load1 load5 load15 running total.
//! - `meminfo`: every line in KiB under lower-case names (`Active(anon)` → `active_anon`),
//!   and `memory`: used_pct (from MemAvailable) and swap_used_pct (0 when there is no swap).
//! - `proc_vmstat`: per-second rates `<counter>_s` of the counters in [`VMSTAT_RATES`], and
//!   `oom_kill_delta`, OOM kills since the first snapshot.
//! - `proc_stat` {cpu: all|0|1…}: mpstat's percentages (usr excludes guest time, as mpstat's
//!   does; busy = 100 − idle − iowait); the `cpu="all"` row also carries ctxt_s intr_s processes_s and
//!   the instant procs_running procs_blocked.
//! - `diskstats` {device}: iostat -x's fields with iostat's formulas. Whole disks, dm and md
//!   devices are kept; loop and ram devices, partitions (a name that is another listed device's
//!   name plus a number, with an optional `p`: sda1, nvme0n1p2) and devices that never did an
//!   I/O since boot are left out, as iostat leaves them out by default.
//! - `net_dev` {iface}: sar -n DEV and EDEV's per-second rates.
//! - `tcp` (from /proc/net/snmp's `Tcp` and /proc/net/netstat's `TcpExt` counters) and `udp`
//!   (snmp's `Udp`): per-second rates of the counters in `MIB_RATES`; `tcp` also carries the
//!   instant `curr_estab`; `retrans_pct`, segments retransmitted per 100 sent (0 when none were
//!   retransmitted, absent when some were but nothing new was sent; the kernel's OutSegs leaves
//!   retransmissions out, so it passes 100 when most of what was sent was resent); and
//!   `listen_overflows_delta` and `listen_drops_delta`, counted since the first snapshot, so
//!   one overflow in a long run still shows. Each of the two files gives its own `tcp` row; the
//!   sampler stamps both with the same time.
//! - `sockstat` (/proc/net/sockstat): sockets_used, tcp_inuse, tcp_orphan, tcp_tw, tcp_alloc,
//!   tcp_mem_pages (pages) and udp_inuse.
//!
//! The sampler also copies a few /sys files, one snapshot per file, its path in the header:
//! - `/sys/class/net/IFACE/speed` (Mb/s; -1 when the driver does not know it) gives the
//!   `net_dev` rows of the same file `speed_mbps` and `ifutil`, the percent of the link used,
//!   as sar's %ifutil computes it for a full-duplex link: max(rx, tx) bytes/s × 8 over the
//!   speed. Where the speed is unknown there is no `ifutil`, never a 0. Wherever the speed
//!   file was read, `speed_known` is 1 or 0 (so sar's 0.00 for an unknown speed can be told
//!   from an idle link).
//! - `disk_errors` {device} from `/sys/block/DEV/device/{iodone_cnt,ioerr_cnt}` (SCSI disks
//!   only; hexadecimal): iodone_s, ioerr_s, and `ioerr_delta`, errors since the first snapshot.
//! - `cgroup_memory` {cgroup: its path below the hierarchy's root, `/db.slice/db.service`} from
//!   a memory cgroup's files, v1 (`/sys/fs/cgroup/memory/...`: memory.failcnt,
//!   limit_in_bytes, usage_in_bytes, oom_control, memory.memsw.*) or v2
//!   (`/sys/fs/cgroup/unified/...` or `/sys/fs/cgroup/...`: memory.events, max, current):
//!   usage_bytes, limit_bytes and usage_pct; `failcnt_s` and `failcnt_delta` (since the first
//!   snapshot), the times usage hit the limit (v1's failcnt, v2's `max` event);
//!   `oom_kill_delta` (v1's oom_control, v2's events); v2's `oom_delta`, the times the OOM
//!   killer was invoked; v1's memsw_usage_bytes, memsw_limit_bytes, memsw_failcnt_delta.
//!   A limit of v1's "none" (a huge number) or v2's `max` is left out.
//!
//! Record time is the header's civil time read as UTC, as the sysstat parsers read theirs, so
//! series from both line up.

use std::collections::{BTreeMap, BTreeSet};

use nom::branch::alt;
use nom::bytes::complete::{tag, take_until};
use nom::character::complete::{space0, space1, u64 as decimal};
use nom::combinator::{eof, opt};
use nom::number::complete::double;
use nom::sequence::preceded;
use nom::{IResult, Parser as _};

use super::sniff::Sign;
use super::{Format, Parser, iostat};
use crate::record::{
    Labels, ParseWarning, Parsed, Record, SourceRef, Unit, canonical_field, cpu_busy_pct,
};

/// The /proc/vmstat counters reported as per-second rates, `<name>_s`.
pub const VMSTAT_RATES: [&str; 14] = [
    "pgpgin",
    "pgpgout",
    "pswpin",
    "pswpout",
    "pgfault",
    "pgmajfault",
    "pgscan_kswapd",
    "pgscan_direct",
    "pgsteal_kswapd",
    "pgsteal_direct",
    "allocstall",
    "compact_stall",
    "oom_kill",
    "thp_fault_fallback",
];

/// Counters that kernels since 4.8 split per memory zone (`allocstall_normal`, ...): summed.
const ZONED_VMSTAT: [&str; 1] = ["allocstall"];

/// A SCSI device's counters under `/sys/block/DEV/device/`, hexadecimal: commands completed,
/// and completed with an error.
pub const DISK_ERROR_COUNTERS: [&str; 2] = ["iodone_cnt", "ioerr_cnt"];

/// A v1 memory cgroup's files read; the memsw ones exist only with swap accounting.
pub const CGROUP_V1_FILES: [&str; 7] = [
    "memory.failcnt",
    "memory.limit_in_bytes",
    "memory.usage_in_bytes",
    "memory.oom_control",
    "memory.memsw.failcnt",
    "memory.memsw.limit_in_bytes",
    "memory.memsw.usage_in_bytes",
];

/// A v2 cgroup's memory files read.
pub const CGROUP_V2_FILES: [&str; 3] = ["memory.events", "memory.max", "memory.current"];

/// v1 writes "no limit" as a huge number rounded down to a page; anything this large is none.
const NO_LIMIT: u64 = 1 << 60;

/// PSI resources the kernel has files for.
const PSI_RESOURCES: [&str; 4] = ["cpu", "memory", "io", "irq"];

const HEADER_OPEN: &str = "==> ";

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
    let speeds = link_speeds(&groups, &mut out);
    let mut disk_rounds = Rounds::new();
    let mut cgroup_rounds = Rounds::new();
    for (source, snapshots) in &groups {
        match source {
            Source::Pressure(resource) => pressure(resource, snapshots, &mut out),
            Source::Loadavg => loadavg(snapshots, &mut out),
            Source::Meminfo => meminfo(snapshots, &mut out),
            Source::Vmstat => vmstat(snapshots, &mut out),
            Source::Stat => stat(snapshots, &mut out),
            Source::Diskstats => diskstats(snapshots, &mut out),
            Source::NetDev => net_dev(snapshots, &speeds, &mut out),
            Source::NetSpeed(_) => {}
            Source::DiskCounter { device, counter } => {
                gather(&mut disk_rounds, device, counter, snapshots)
            }
            Source::Cgroup { cgroup, file } => gather(&mut cgroup_rounds, cgroup, file, snapshots),
            Source::NetSnmp | Source::NetNetstat => mib(snapshots, &mut out),
            Source::NetSockstat => sockstat(snapshots, &mut out),
        }
    }
    disk_errors(&disk_rounds, &mut out);
    cgroup_memory(&cgroup_rounds, &mut out);
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
        match (table, field) {
            ("pressure", _) => Some(Unit::Percent),
            ("meminfo", f) if f.starts_with("hugepages_") => Some(Unit::Count),
            ("meminfo", _) => Some(Unit::KiB),
            ("memory", "used_pct" | "swap_used_pct") => Some(Unit::Percent),
            ("cgroup_memory", f) if f.ends_with("_bytes") => Some(Unit::Bytes),
            (
                "proc_stat",
                "usr" | "nice" | "sys" | "iowait" | "irq" | "soft" | "steal" | "guest" | "gnice"
                | "idle" | "busy",
            ) => Some(Unit::Percent),
            ("diskstats", f) => iostat::device_unit(f),
            // Socket counts and pages of socket memory, whatever a name ends with.
            ("sockstat", _) => Some(Unit::Count),
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

/// Which /proc file a snapshot copies.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// `/proc/pressure/<resource>`.
    Pressure(String),
    Loadavg,
    Meminfo,
    Vmstat,
    Stat,
    Diskstats,
    NetDev,
    NetSnmp,
    NetNetstat,
    NetSockstat,
    /// `/sys/class/net/<iface>/speed`.
    NetSpeed(String),
    /// `/sys/block/<device>/device/<counter>`, one of [`DISK_ERROR_COUNTERS`].
    DiskCounter {
        device: String,
        counter: String,
    },
    /// A memory cgroup's file: the cgroup's path below its hierarchy's root, and the file.
    Cgroup {
        cgroup: String,
        file: String,
    },
}

#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    number: usize,
    text: &'a str,
}

/// One copy of one /proc file.
struct Snapshot<'a> {
    source: Source,
    /// The header's civil time read as UTC, in microseconds since the epoch; 0 when plain.
    time_us: i64,
    /// The header's line, or 1 when plain.
    header_line: usize,
    /// The non-blank lines of the copy.
    lines: Vec<Line<'a>>,
}

impl Snapshot<'_> {
    fn first_line(&self) -> usize {
        self.lines.first().map_or(1, |line| line.number)
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

    /// `current − previous` for each counter, or `None` after a warning when one went down.
    fn deltas(
        &mut self,
        names: &[&str],
        previous: &[u64],
        current: &[u64],
        line: usize,
    ) -> Option<Vec<f64>> {
        let mut deltas = Vec::with_capacity(current.len());
        for ((name, &before), &now) in names.iter().zip(previous).zip(current) {
            if now < before {
                self.warn(
                    line,
                    format!(
                        "counter {name} went down from {before} to {now} (wrapped or reset); \
                         interval skipped"
                    ),
                );
                return None;
            }
            deltas.push((now - before) as f64);
        }
        Some(deltas)
    }
}

/// The last good reading of one instance's counters.
#[derive(Clone)]
struct Reading<T> {
    time_us: i64,
    value: T,
}

fn seconds_between(earlier_us: i64, later_us: i64) -> f64 {
    (later_us - earlier_us) as f64 / 1e6
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

/// `part / whole × 100`, or 0 when nothing happened.
fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole * 100.0
    } else {
        0.0
    }
}

/// `total / count`, or 0 when there was nothing to average (iostat prints 0.00 then).
fn mean(total: f64, count: f64) -> f64 {
    if count > 0.0 { total / count } else { 0.0 }
}

// ---- Splitting a file into snapshots ----

/// Cut `text` into snapshots, dropping (with a warning) what cannot be placed: text before the
/// first header, headers that cannot be read, snapshots whose time does not advance.
fn split_snapshots<'a>(text: &'a str, out: &mut Output) -> Vec<Snapshot<'a>> {
    let lines: Vec<Line> = text
        .lines()
        .enumerate()
        .map(|(index, text)| Line {
            number: index + 1,
            text,
        })
        .collect();
    if !lines.iter().any(|line| line.text.starts_with(HEADER_OPEN)) {
        return plain_snapshot(lines, out).into_iter().collect();
    }

    let mut snapshots = Vec::new();
    let mut current: Option<(usize, Source, i64)> = None;
    let mut body: Vec<Line> = Vec::new();
    // Text before the first header is warned about once; text under a header that could not
    // be read is covered by that header's warning.
    let mut warn_stray_text = true;
    for line in lines {
        if line.text.starts_with(HEADER_OPEN) {
            finish_snapshot(
                current.take(),
                std::mem::take(&mut body),
                &mut snapshots,
                out,
            );
            current = read_header(line, out);
            warn_stray_text = false;
        } else if line.text.trim().is_empty() {
            continue;
        } else if current.is_some() {
            body.push(line);
        } else if warn_stray_text {
            out.warn(
                line.number,
                "text before the first `==> /proc/... @ TIME <==` header ignored",
            );
            warn_stray_text = false;
        }
    }
    finish_snapshot(current, body, &mut snapshots, out);
    keep_advancing(snapshots, out)
}

/// Close the snapshot opened by the header on `header.0`, warning when it is empty.
fn finish_snapshot<'a>(
    header: Option<(usize, Source, i64)>,
    body: Vec<Line<'a>>,
    snapshots: &mut Vec<Snapshot<'a>>,
    out: &mut Output,
) {
    let Some((header_line, source, time_us)) = header else {
        return;
    };
    if body.is_empty() {
        out.warn(header_line, "snapshot has no content");
        return;
    }
    snapshots.push(Snapshot {
        source,
        time_us,
        header_line,
        lines: body,
    });
}

/// Drop snapshots whose time is not after the previous snapshot of the same source:
/// a rate over no time, or backwards, means nothing.
fn keep_advancing<'a>(snapshots: Vec<Snapshot<'a>>, out: &mut Output) -> Vec<Snapshot<'a>> {
    let mut latest: Vec<(Source, i64)> = Vec::new();
    let mut kept = Vec::with_capacity(snapshots.len());
    for snapshot in snapshots {
        match latest
            .iter_mut()
            .find(|(source, _)| *source == snapshot.source)
        {
            Some((_, time_us)) if snapshot.time_us <= *time_us => {
                out.warn(
                    snapshot.header_line,
                    "snapshot time is not after the previous snapshot's; snapshot ignored",
                );
                continue;
            }
            Some((_, time_us)) => *time_us = snapshot.time_us,
            None => latest.push((snapshot.source.clone(), snapshot.time_us)),
        }
        kept.push(snapshot);
    }
    kept
}

/// A file without headers: one `cat` of a /proc file, recognized by its first line.
fn plain_snapshot<'a>(lines: Vec<Line<'a>>, out: &mut Output) -> Option<Snapshot<'a>> {
    let body: Vec<Line> = lines
        .into_iter()
        .filter(|line| !line.text.trim().is_empty())
        .collect();
    let Some(first) = body.first() else {
        out.warn(1, "no /proc snapshot in file");
        return None;
    };
    let Some(source) = sniff_source(first.text, out) else {
        out.warn(
            first.number,
            "cannot tell which /proc file this is (expected /proc/stat, meminfo, vmstat, \
             loadavg, diskstats, net/dev, net/snmp, net/netstat, net/sockstat or pressure/*)",
        );
        return None;
    };
    Some(Snapshot {
        source,
        time_us: 0,
        header_line: 1,
        lines: body,
    })
}

/// Which /proc file a plain copy is, from its first line.
fn sniff_source(first: &str, out: &mut Output) -> Option<Source> {
    if psi_line(first).is_ok() {
        return Some(Source::Pressure(resource_from_file_name(out)));
    }
    if first.starts_with("cpu ") {
        return Some(Source::Stat);
    }
    if first.starts_with("Inter-|") {
        return Some(Source::NetDev);
    }
    // Both MIB files open with a line of counter names: snmp's IP group, netstat's TcpExt.
    if first.starts_with("Ip: ") {
        return Some(Source::NetSnmp);
    }
    if first.starts_with("TcpExt: ") {
        return Some(Source::NetNetstat);
    }
    if first.starts_with("sockets: ") {
        return Some(Source::NetSockstat);
    }
    if meminfo_line(first).is_ok() {
        return Some(Source::Meminfo);
    }
    if loadavg_line(first).is_some() {
        return Some(Source::Loadavg);
    }
    if disk_line(first).is_some() {
        return Some(Source::Diskstats);
    }
    if vmstat_line(first).is_some() {
        return Some(Source::Vmstat);
    }
    None
}

/// The PSI resource a plain copy describes, from its file name (`proc/pressure_cpu.txt`):
/// the content does not say.
fn resource_from_file_name(out: &mut Output) -> String {
    let base = out.file.rsplit(['/', '\\']).next().unwrap_or(out.file);
    let stem = base.split('.').next().unwrap_or(base);
    let resource = stem
        .strip_prefix("pressure_")
        .or_else(|| stem.strip_prefix("pressure-"))
        .unwrap_or(stem);
    if PSI_RESOURCES.contains(&resource) {
        return resource.to_string();
    }
    out.warn(
        1,
        "cannot tell the pressure resource from the file name (expected pressure_cpu.txt, \
         ...); labelled resource=\"unknown\"",
    );
    "unknown".to_string()
}

/// The source and time a header line announces, or `None` after a warning.
fn read_header(line: Line, out: &mut Output) -> Option<(usize, Source, i64)> {
    let Ok((_, (path, time))) = header_line(line.text.trim_end()) else {
        out.warn(
            line.number,
            "expected a header `==> /proc/<file> @ <YYYY-MM-DDTHH:MM:SS.ffffff> <==`; \
             snapshot ignored",
        );
        return None;
    };
    let Some(source) = source_of_path(path) else {
        out.warn(
            line.number,
            format!("unknown /proc or /sys source {path:?}; snapshot ignored"),
        );
        return None;
    };
    let Some(time_us) = civil_as_utc_micros(time) else {
        out.warn(
            line.number,
            format!("cannot read the snapshot time {time:?}; snapshot ignored"),
        );
        return None;
    };
    Some((line.number, source, time_us))
}

fn header_line(line: &str) -> IResult<&str, (&str, &str)> {
    (
        tag(HEADER_OPEN),
        take_until(" @ "),
        tag(" @ "),
        take_until(" <=="),
        tag(" <=="),
        eof,
    )
        .map(|(_, path, _, time, _, _)| (path, time))
        .parse(line)
}

fn source_of_path(path: &str) -> Option<Source> {
    let Some(proc_path) = path.strip_prefix("/proc/") else {
        return sys_source(path);
    };
    let source = match proc_path {
        "stat" => Source::Stat,
        "meminfo" => Source::Meminfo,
        "vmstat" => Source::Vmstat,
        "loadavg" => Source::Loadavg,
        "diskstats" => Source::Diskstats,
        "net/dev" => Source::NetDev,
        "net/snmp" => Source::NetSnmp,
        "net/netstat" => Source::NetNetstat,
        "net/sockstat" => Source::NetSockstat,
        other => {
            let resource = other.strip_prefix("pressure/")?;
            Source::Pressure(resource.to_string())
        }
    };
    Some(source)
}

/// The /sys file a header names: a link speed, a SCSI disk counter or a memory cgroup file.
fn sys_source(path: &str) -> Option<Source> {
    let one_name = |name: &str| !name.is_empty() && !name.contains('/');
    if let Some(rest) = path.strip_prefix("/sys/class/net/") {
        let iface = rest
            .strip_suffix("/speed")
            .filter(|iface| one_name(iface))?;
        return Some(Source::NetSpeed(iface.to_string()));
    }
    if let Some(rest) = path.strip_prefix("/sys/block/") {
        let (device, counter) = rest.split_once("/device/")?;
        return (one_name(device) && DISK_ERROR_COUNTERS.contains(&counter)).then(|| {
            Source::DiskCounter {
                device: device.to_string(),
                counter: counter.to_string(),
            }
        });
    }
    let (dir, file) = path.strip_prefix("/sys/fs/cgroup")?.rsplit_once('/')?;
    // v1 files are on the memory hierarchy; v2 files on the hierarchy at `unified/` (a hybrid
    // host) or at the root (a cgroup2-only host).
    let roots: &[&str] = if CGROUP_V1_FILES.contains(&file) {
        &["/memory"]
    } else if CGROUP_V2_FILES.contains(&file) {
        &["/unified", ""]
    } else {
        return None;
    };
    let cgroup = roots.iter().find_map(|root| {
        let relative = dir.strip_prefix(root)?;
        match relative {
            "" => Some("/"),
            _ if relative.starts_with('/') => Some(relative),
            _ => None,
        }
    })?;
    Some(Source::Cgroup {
        cgroup: cgroup.to_string(),
        file: file.to_string(),
    })
}

/// Microseconds since the epoch of civil time `text` read as UTC.
fn civil_as_utc_micros(text: &str) -> Option<i64> {
    let civil: jiff::civil::DateTime = text.trim().parse().ok()?;
    let instant = jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()?;
    Some(instant.as_microsecond())
}

// ---- /proc/pressure/* ----

struct PsiLine<'a> {
    kind: &'a str,
    avg10: f64,
    avg60: f64,
    avg300: f64,
    /// Microseconds stalled since boot.
    total: u64,
}

fn psi_line(line: &str) -> IResult<&str, PsiLine<'_>> {
    (
        alt((tag("some"), tag("full"))),
        preceded(tag(" avg10="), double),
        preceded(tag(" avg60="), double),
        preceded(tag(" avg300="), double),
        preceded(tag(" total="), decimal),
        space0,
        eof,
    )
        .map(|(kind, avg10, avg60, avg300, total, _, _)| PsiLine {
            kind,
            avg10,
            avg60,
            avg300,
            total,
        })
        .parse(line)
}

fn pressure(resource: &str, snapshots: &[Snapshot], out: &mut Output) {
    let mut last_total: BTreeMap<String, Reading<u64>> = BTreeMap::new();
    for snapshot in snapshots {
        for line in &snapshot.lines {
            let Ok((_, psi)) = psi_line(line.text) else {
                out.warn(
                    line.number,
                    "expected `some|full avg10=N avg60=N avg300=N total=N`",
                );
                continue;
            };
            let mut values = fields([
                ("avg10", psi.avg10),
                ("avg60", psi.avg60),
                ("avg300", psi.avg300),
            ]);
            if let Some(previous) = last_total.get(psi.kind) {
                let interval_us = (snapshot.time_us - previous.time_us) as f64;
                if let Some(deltas) =
                    out.deltas(&["total"], &[previous.value], &[psi.total], line.number)
                {
                    let stalled_us = deltas.first().copied().unwrap_or(0.0);
                    values.insert("stall".into(), percent(stalled_us, interval_us));
                }
            }
            last_total.insert(
                psi.kind.to_string(),
                Reading {
                    time_us: snapshot.time_us,
                    value: psi.total,
                },
            );
            let row_labels = labels(&[("resource", resource), ("kind", psi.kind)]);
            out.push(
                "pressure",
                snapshot.time_us,
                line.number,
                row_labels,
                values,
            );
        }
    }
}

// ---- /proc/loadavg ----

/// `load1 load5 load15 running/total last_pid`.
fn loadavg_line(line: &str) -> Option<[f64; 5]> {
    let parts: Vec<&str> = line.split_whitespace().collect();
    let [load1, load5, load15, tasks, last_pid] = parts.as_slice() else {
        return None;
    };
    last_pid.parse::<u64>().ok()?;
    let (running, total) = tasks.split_once('/')?;
    Some([
        load1.parse().ok()?,
        load5.parse().ok()?,
        load15.parse().ok()?,
        running.parse::<u64>().ok()? as f64,
        total.parse::<u64>().ok()? as f64,
    ])
}

fn loadavg(snapshots: &[Snapshot], out: &mut Output) {
    for snapshot in snapshots {
        for line in &snapshot.lines {
            let Some([load1, load5, load15, running, total]) = loadavg_line(line.text) else {
                out.warn(
                    line.number,
                    "expected `load1 load5 load15 running/total pid`",
                );
                continue;
            };
            let values = fields([
                ("load1", load1),
                ("load5", load5),
                ("load15", load15),
                ("running", running),
                ("total", total),
            ]);
            out.push(
                "loadavg",
                snapshot.time_us,
                line.number,
                Labels::new(),
                values,
            );
        }
    }
}

// ---- /proc/meminfo ----

/// `Name:   value [kB]`.
fn meminfo_line(line: &str) -> IResult<&str, (&str, u64)> {
    (
        take_until(":"),
        tag(":"),
        space1,
        decimal,
        opt(preceded(space1, tag("kB"))),
        space0,
        eof,
    )
        .map(|(name, _, _, value, _, _, _)| (name, value))
        .parse(line)
}

/// `Active(anon)` → `active_anon`, `HugePages_Total` → `hugepages_total`.
fn meminfo_name(raw: &str) -> String {
    canonical_field(&raw.replace('(', "_").replace(')', ""))
}

fn meminfo(snapshots: &[Snapshot], out: &mut Output) {
    let mut warned_no_available = false;
    for snapshot in snapshots {
        let mut values = BTreeMap::new();
        for line in &snapshot.lines {
            match meminfo_line(line.text) {
                Ok((_, (name, value))) => {
                    values.insert(meminfo_name(name), value as f64);
                }
                Err(_) => out.warn(line.number, "expected `Name: value kB`"),
            }
        }
        let get = |name: &str| values.get(name).copied();
        if out.parsed.host.mem_total_kib.is_none() {
            out.parsed.host.mem_total_kib = get("memtotal").map(|kib| kib as u64);
        }
        let mut derived = BTreeMap::new();
        match (get("memtotal"), get("memavailable")) {
            (Some(total), Some(available)) if total > 0.0 => {
                derived.insert("used_pct".into(), 100.0 - percent(available, total));
            }
            (Some(_), None) if !warned_no_available => {
                out.warn(
                    snapshot.first_line(),
                    "no MemAvailable line (a kernel before 3.14, or a cut snapshot): \
                     memory.used_pct not computed",
                );
                warned_no_available = true;
            }
            _ => {}
        }
        if let (Some(swap_total), Some(swap_free)) = (get("swaptotal"), get("swapfree")) {
            derived.insert(
                "swap_used_pct".into(),
                percent(swap_total - swap_free, swap_total),
            );
        }
        let line = snapshot.first_line();
        out.push("meminfo", snapshot.time_us, line, Labels::new(), values);
        out.push("memory", snapshot.time_us, line, Labels::new(), derived);
    }
}

// ---- /proc/vmstat ----

fn vmstat_line(line: &str) -> Option<(&str, u64)> {
    let (name, value) = line.trim().split_once(' ')?;
    let valid_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    valid_name.then_some(())?;
    Some((name, value.trim().parse().ok()?))
}

/// Each counter of [`VMSTAT_RATES`] present, with the line it was read from.
fn vmstat_counters(snapshot: &Snapshot, out: &mut Output) -> BTreeMap<&'static str, (u64, usize)> {
    let mut raw: BTreeMap<&str, (u64, usize)> = BTreeMap::new();
    for line in &snapshot.lines {
        match vmstat_line(line.text) {
            Some((name, value)) => {
                raw.insert(name, (value, line.number));
            }
            None => out.warn(line.number, "expected `name value`"),
        }
    }
    let mut counters = BTreeMap::new();
    for name in VMSTAT_RATES {
        if let Some(&reading) = raw.get(name) {
            counters.insert(name, reading);
        } else if ZONED_VMSTAT.contains(&name) {
            let prefix = format!("{name}_");
            let zones: Vec<(u64, usize)> = raw
                .iter()
                .filter(|(key, _)| key.starts_with(&prefix))
                .map(|(_, &reading)| reading)
                .collect();
            if let Some(&(_, line)) = zones.first() {
                let sum = zones.iter().fold(0u64, |sum, (v, _)| sum.wrapping_add(*v));
                counters.insert(name, (sum, line));
            }
        }
    }
    counters
}

fn vmstat(snapshots: &[Snapshot], out: &mut Output) {
    let mut first_oom_kill: Option<u64> = None;
    let mut last: BTreeMap<&str, Reading<u64>> = BTreeMap::new();
    for snapshot in snapshots {
        let counters = vmstat_counters(snapshot, out);
        let mut values = BTreeMap::new();
        let mut reset = false;
        for (&name, &(now, line)) in &counters {
            let Some(previous) = last.get(name) else {
                continue;
            };
            match out.deltas(&[name], &[previous.value], &[now], line) {
                Some(deltas) => {
                    let seconds = seconds_between(previous.time_us, snapshot.time_us);
                    let delta = deltas.first().copied().unwrap_or(0.0);
                    values.insert(format!("{name}_s"), delta / seconds);
                }
                None => reset = true,
            }
        }
        if let Some(&(now, _)) = counters.get("oom_kill") {
            match first_oom_kill {
                Some(first) if now >= first => {
                    values.insert("oom_kill_delta".into(), (now - first) as f64);
                }
                Some(_) => {}
                None => first_oom_kill = Some(now),
            }
        }
        for (&name, &(value, _)) in &counters {
            let time_us = snapshot.time_us;
            last.insert(name, Reading { time_us, value });
        }
        if !reset {
            let line = snapshot.first_line();
            out.push("proc_vmstat", snapshot.time_us, line, Labels::new(), values);
        }
    }
}

// ---- /proc/stat ----

/// `/proc/stat`'s tick columns for one CPU line, missing trailing columns as 0 (kernels before
/// 2.6.33 have fewer).
const CPU_TICKS: [&str; 10] = [
    "user",
    "nice",
    "system",
    "idle",
    "iowait",
    "irq",
    "softirq",
    "steal",
    "guest",
    "guest_nice",
];
const IOWAIT: usize = 4;

/// System-wide counters turned into per-second rates on the `cpu="all"` row.
const STAT_RATES: [(&str, &str); 3] = [
    ("ctxt", "ctxt_s"),
    ("intr", "intr_s"),
    ("processes", "processes_s"),
];
const STAT_INSTANTS: [&str; 2] = ["procs_running", "procs_blocked"];

#[derive(Default)]
struct StatSnapshot {
    /// (`all` or the CPU number, line, ticks).
    cpus: Vec<(String, usize, [u64; 10])>,
    /// `ctxt`, `intr` (its first column, the total), `processes`, `procs_*`, with their lines.
    system: BTreeMap<&'static str, (u64, usize)>,
}

fn read_stat(snapshot: &Snapshot, out: &mut Output) -> StatSnapshot {
    let mut read = StatSnapshot::default();
    for line in &snapshot.lines {
        let mut words = line.text.split_whitespace();
        let key = words.next().unwrap_or("");
        let numbers: Option<Vec<u64>> = words.map(|word| word.parse().ok()).collect();
        let numbers = match numbers {
            Some(numbers) if !numbers.is_empty() => numbers,
            _ => {
                out.warn(line.number, "expected a name followed by numbers");
                continue;
            }
        };
        if let Some(cpu) = key.strip_prefix("cpu") {
            let label = if cpu.is_empty() { "all" } else { cpu };
            if numbers.len() < 4 || (label != "all" && cpu.parse::<u32>().is_err()) {
                out.warn(line.number, "expected `cpuN user nice system idle ...`");
                continue;
            }
            let mut ticks = [0u64; 10];
            for (slot, value) in ticks.iter_mut().zip(&numbers) {
                *slot = *value;
            }
            read.cpus.push((label.to_string(), line.number, ticks));
        } else if let Some(&name) = STAT_RATES
            .iter()
            .map(|(name, _)| name)
            .chain(&STAT_INSTANTS)
            .find(|&&name| name == key)
            && let Some(&value) = numbers.first()
        {
            read.system.insert(name, (value, line.number));
        }
    }
    read
}

/// mpstat's percentages for one CPU over one interval, or `None` when no tick elapsed.
fn cpu_percentages(ticks: &[f64]) -> Option<BTreeMap<String, f64>> {
    let tick = |index: usize| ticks.get(index).copied().unwrap_or(0.0);
    let [
        user,
        nice,
        system,
        idle,
        iowait,
        irq,
        softirq,
        steal,
        guest,
        guest_nice,
    ] = std::array::from_fn(tick);
    // /proc/stat's user and nice include guest time, which mpstat shows on its own.
    let total = user + nice + system + idle + iowait + irq + softirq + steal;
    if total <= 0.0 {
        return None;
    }
    let share = |part: f64| percent(part.max(0.0), total);
    Some(fields([
        ("usr", share(user - guest)),
        ("nice", share(nice - guest_nice)),
        ("sys", share(system)),
        ("iowait", share(iowait)),
        ("irq", share(irq)),
        ("soft", share(softirq)),
        ("steal", share(steal)),
        ("guest", share(guest)),
        ("gnice", share(guest_nice)),
        ("idle", share(idle)),
        ("busy", cpu_busy_pct(share(idle), share(iowait))),
    ]))
}

fn stat(snapshots: &[Snapshot], out: &mut Output) {
    let mut last_cpu: BTreeMap<String, [u64; 10]> = BTreeMap::new();
    let mut last_system: BTreeMap<&str, Reading<u64>> = BTreeMap::new();
    for snapshot in snapshots {
        let read = read_stat(snapshot, out);
        if out.parsed.host.cpus.is_none() {
            let numbered = read
                .cpus
                .iter()
                .filter(|(label, ..)| label != "all")
                .count();
            out.parsed.host.cpus = u32::try_from(numbered).ok().filter(|&n| n > 0);
        }
        let all_line = read
            .cpus
            .iter()
            .find(|(label, ..)| label == "all")
            .map_or(snapshot.first_line(), |(_, line, _)| *line);
        for (label, line, ticks) in &read.cpus {
            let mut values = BTreeMap::new();
            if let Some(previous) = last_cpu.get(label) {
                let mut previous = *previous;
                // The kernel documents that iowait may go down (proc.rst): treat it as unchanged.
                if ticks[IOWAIT] < previous[IOWAIT] {
                    previous[IOWAIT] = ticks[IOWAIT];
                }
                if let Some(deltas) = out.deltas(&CPU_TICKS, &previous, ticks, *line) {
                    match cpu_percentages(&deltas) {
                        Some(percentages) => values = percentages,
                        None => out.warn(*line, "no CPU time elapsed; interval skipped"),
                    }
                }
            }
            last_cpu.insert(label.clone(), *ticks);
            if label == "all" {
                stat_system(&read, snapshot.time_us, &mut last_system, &mut values, out);
            }
            out.push(
                "proc_stat",
                snapshot.time_us,
                *line,
                labels(&[("cpu", label)]),
                values,
            );
        }
        if !read.cpus.iter().any(|(label, ..)| label == "all") {
            let mut values = BTreeMap::new();
            stat_system(&read, snapshot.time_us, &mut last_system, &mut values, out);
            let row_labels = labels(&[("cpu", "all")]);
            out.push("proc_stat", snapshot.time_us, all_line, row_labels, values);
        }
    }
}

/// The system-wide fields of one snapshot, added to the `cpu="all"` row's `values`.
fn stat_system(
    read: &StatSnapshot,
    time_us: i64,
    last: &mut BTreeMap<&'static str, Reading<u64>>,
    values: &mut BTreeMap<String, f64>,
    out: &mut Output,
) {
    for name in STAT_INSTANTS {
        if let Some(&(value, _)) = read.system.get(name) {
            values.insert(name.to_string(), value as f64);
        }
    }
    for (counter, rate) in STAT_RATES {
        let Some(&(now, line)) = read.system.get(counter) else {
            continue;
        };
        if let Some(previous) = last.get(counter)
            && let Some(deltas) = out.deltas(&[counter], &[previous.value], &[now], line)
        {
            let delta = deltas.first().copied().unwrap_or(0.0);
            let seconds = seconds_between(previous.time_us, time_us);
            values.insert(rate.to_string(), delta / seconds);
        }
        last.insert(
            counter,
            Reading {
                time_us,
                value: now,
            },
        );
    }
}

// ---- /proc/diskstats ----

/// The counters of a diskstats line, in-flight (a gauge, field 12) left out. 14-field lines
/// (before 4.18) stop after `time_in_queue`, 18-field lines (before 5.5) after the discards.
const DISK_COUNTERS: [&str; 16] = [
    "reads",
    "reads_merged",
    "sectors_read",
    "read_ticks",
    "writes",
    "writes_merged",
    "sectors_written",
    "write_ticks",
    "io_ticks",
    "time_in_queue",
    "discards",
    "discards_merged",
    "sectors_discarded",
    "discard_ticks",
    "flushes",
    "flush_ticks",
];
const READS: usize = 0;
const WRITES: usize = 4;
const IO_TICKS: usize = 8;
const TIME_IN_QUEUE: usize = 9;
const DISCARDS: usize = 10;
const FLUSHES: usize = 14;
const IN_FLIGHT_COLUMN: usize = 8;

struct Disk<'a> {
    name: &'a str,
    counters: Vec<u64>,
}

/// `major minor name` and 11, 15 or 17 numbers.
fn disk_line(line: &str) -> Option<Disk<'_>> {
    let words: Vec<&str> = line.split_whitespace().collect();
    if !matches!(words.len(), 14 | 18 | 20) {
        return None;
    }
    let (head, numbers) = words.split_at(3);
    let [major, minor, name] = head else {
        return None;
    };
    major.parse::<u32>().ok()?;
    minor.parse::<u32>().ok()?;
    let numbers: Vec<u64> = numbers
        .iter()
        .map(|word| word.parse().ok())
        .collect::<Option<_>>()?;
    let counters = numbers
        .iter()
        .enumerate()
        .filter(|(column, _)| *column != IN_FLIGHT_COLUMN)
        .map(|(_, &value)| value)
        .collect();
    Some(Disk { name, counters })
}

/// Whether `name` is a partition of another device listed beside it (sda1 of sda,
/// nvme0n1p2 of nvme0n1, mmcblk0p1 of mmcblk0).
fn is_partition(name: &str, listed: &BTreeSet<&str>) -> bool {
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if base.len() == name.len() {
        return false;
    }
    listed.contains(base)
        || base
            .strip_suffix('p')
            .is_some_and(|disk| listed.contains(disk))
}

/// iostat -x's fields of one device over `seconds`, from counter deltas.
fn disk_fields(deltas: &[f64], seconds: f64) -> BTreeMap<String, f64> {
    let delta = |index: usize| deltas.get(index).copied();
    let milliseconds = seconds * 1000.0;
    let mut values = BTreeMap::new();
    for (prefix, first) in [("r", READS), ("w", WRITES), ("d", DISCARDS)] {
        let (Some(ios), Some(merged), Some(sectors), Some(ticks)) = (
            delta(first),
            delta(first + 1),
            delta(first + 2),
            delta(first + 3),
        ) else {
            continue;
        };
        let kib = sectors / 2.0;
        values.insert(format!("{prefix}_s"), ios / seconds);
        values.insert(format!("{prefix}rqm_s"), merged / seconds);
        values.insert(format!("{prefix}kb_s"), kib / seconds);
        values.insert(format!("{prefix}rqm"), percent(merged, merged + ios));
        values.insert(format!("{prefix}_await"), mean(ticks, ios));
        values.insert(format!("{prefix}areq_sz"), mean(kib, ios));
    }
    if let (Some(flushes), Some(ticks)) = (delta(FLUSHES), delta(FLUSHES + 1)) {
        values.insert("f_s".into(), flushes / seconds);
        values.insert("f_await".into(), mean(ticks, flushes));
    }
    if let Some(queued) = delta(TIME_IN_QUEUE) {
        values.insert("aqu_sz".into(), queued / milliseconds);
    }
    if let Some(busy) = delta(IO_TICKS) {
        // iostat caps it too: io_ticks and the clock are not read at the same instant.
        values.insert("util".into(), percent(busy, milliseconds).min(100.0));
    }
    values
}

fn diskstats(snapshots: &[Snapshot], out: &mut Output) {
    let mut last: BTreeMap<String, Reading<Vec<u64>>> = BTreeMap::new();
    for snapshot in snapshots {
        let mut disks = Vec::new();
        for line in &snapshot.lines {
            match disk_line(line.text) {
                Some(disk) => disks.push((*line, disk)),
                None => out.warn(
                    line.number,
                    "expected `major minor device` and 11, 15 or 17 numbers",
                ),
            }
        }
        let listed: BTreeSet<&str> = disks.iter().map(|(_, disk)| disk.name).collect();
        for (line, disk) in &disks {
            let pseudo = disk.name.starts_with("loop") || disk.name.starts_with("ram");
            let never_used = [READS, WRITES, DISCARDS, FLUSHES]
                .iter()
                .all(|&column| disk.counters.get(column).copied().unwrap_or(0) == 0);
            if pseudo || never_used || is_partition(disk.name, &listed) {
                continue;
            }
            if let Some(previous) = last.get(disk.name)
                && let Some(deltas) =
                    out.deltas(&DISK_COUNTERS, &previous.value, &disk.counters, line.number)
            {
                let seconds = seconds_between(previous.time_us, snapshot.time_us);
                let row_labels = labels(&[("device", disk.name)]);
                let values = disk_fields(&deltas, seconds);
                out.push(
                    "diskstats",
                    snapshot.time_us,
                    line.number,
                    row_labels,
                    values,
                );
            }
            let reading = Reading {
                time_us: snapshot.time_us,
                value: disk.counters.clone(),
            };
            last.insert(disk.name.to_string(), reading);
        }
    }
}

// ---- /proc/net/dev ----

const NET_COUNTERS: [&str; 16] = [
    "rx_bytes",
    "rx_packets",
    "rx_errs",
    "rx_drop",
    "rx_fifo",
    "rx_frame",
    "rx_compressed",
    "rx_multicast",
    "tx_bytes",
    "tx_packets",
    "tx_errs",
    "tx_drop",
    "tx_fifo",
    "tx_colls",
    "tx_carrier",
    "tx_compressed",
];

const RX_BYTES: usize = 0;
const TX_BYTES: usize = 8;

/// The rate each counter of [`NET_COUNTERS`] becomes, as sar -n DEV / EDEV name it.
const NET_RATES: [&str; 16] = [
    "rxkb_s", "rxpck_s", "rxerr_s", "rxdrop_s", "rxfifo_s", "rxfram_s", "rxcmp_s", "rxmcst_s",
    "txkb_s", "txpck_s", "txerr_s", "txdrop_s", "txfifo_s", "coll_s", "txcarr_s", "txcmp_s",
];

/// `iface: 16 numbers` (old kernels print no space after the colon).
fn net_line(line: &str) -> Option<(&str, Vec<u64>)> {
    let (name, numbers) = line.split_once(':')?;
    let numbers: Vec<u64> = numbers
        .split_whitespace()
        .map(|word| word.parse().ok())
        .collect::<Option<_>>()?;
    (numbers.len() == NET_COUNTERS.len()).then_some((name.trim(), numbers))
}

/// Each interface's link speeds in Mb/s, in time order; `None` where the driver did not know it.
type LinkSpeeds = BTreeMap<String, Vec<Reading<Option<f64>>>>;

fn link_speeds(groups: &[(Source, Vec<Snapshot>)], out: &mut Output) -> LinkSpeeds {
    let mut speeds = LinkSpeeds::new();
    for (source, snapshots) in groups {
        let Source::NetSpeed(iface) = source else {
            continue;
        };
        for snapshot in snapshots {
            let Some(value) = single_value(snapshot, out, "a link speed in Mb/s") else {
                continue;
            };
            let Ok(mbps) = value.parse::<i64>() else {
                out.warn(snapshot.first_line(), "expected a link speed in Mb/s");
                continue;
            };
            speeds.entry(iface.clone()).or_default().push(Reading {
                time_us: snapshot.time_us,
                value: (mbps > 0).then_some(mbps as f64),
            });
        }
    }
    speeds
}

/// The link speed of `iface` last read at or before `time_us`: `None` where no speed was read,
/// `Some(None)` where the driver did not know it. The sampler copies every speed file it can
/// read; where it read some but not this interface's (`lo`, `ifb*`: EINVAL), it is unknown.
fn speed_at(speeds: &LinkSpeeds, iface: &str, time_us: i64) -> Option<Option<f64>> {
    if speeds.is_empty() {
        return None;
    }
    Some(
        speeds
            .get(iface)
            .and_then(|readings| {
                readings
                    .iter()
                    .rev()
                    .find(|reading| reading.time_us <= time_us)
            })
            .and_then(|reading| reading.value),
    )
}

/// The one line of a one-value file (a link speed, a counter), or `None` after a warning.
fn single_value<'a>(snapshot: &Snapshot<'a>, out: &mut Output, expected: &str) -> Option<&'a str> {
    match snapshot.lines.as_slice() {
        [line] => Some(line.text.trim()),
        _ => {
            out.warn(
                snapshot.first_line(),
                format!("expected one line holding {expected}"),
            );
            None
        }
    }
}

fn net_dev(snapshots: &[Snapshot], speeds: &LinkSpeeds, out: &mut Output) {
    let mut last: BTreeMap<String, Reading<Vec<u64>>> = BTreeMap::new();
    for snapshot in snapshots {
        for line in &snapshot.lines {
            if line.text.contains('|') {
                continue;
            }
            let Some((iface, counters)) = net_line(line.text) else {
                out.warn(line.number, "expected `iface: ` and 16 numbers");
                continue;
            };
            if let Some(previous) = last.get(iface)
                && let Some(deltas) =
                    out.deltas(&NET_COUNTERS, &previous.value, &counters, line.number)
            {
                let seconds = seconds_between(previous.time_us, snapshot.time_us);
                let mut values: BTreeMap<String, f64> = NET_RATES
                    .iter()
                    .zip(&deltas)
                    .map(|(&rate, &delta)| {
                        let per_second = delta / seconds;
                        let value = if rate.ends_with("kb_s") {
                            per_second / 1024.0
                        } else {
                            per_second
                        };
                        (rate.to_string(), value)
                    })
                    .collect();
                let speed = speed_at(speeds, iface, snapshot.time_us);
                if let Some(speed) = speed {
                    let known = if speed.is_some() { 1.0 } else { 0.0 };
                    values.insert("speed_known".into(), known);
                }
                if let Some(Some(mbps)) = speed
                    && let (Some(rx), Some(tx)) = (deltas.get(RX_BYTES), deltas.get(TX_BYTES))
                {
                    let busiest_bytes = rx.max(*tx) / seconds;
                    values.insert("speed_mbps".into(), mbps);
                    values.insert("ifutil".into(), busiest_bytes * 8.0 / (mbps * 1e6) * 100.0);
                }
                let row_labels = labels(&[("iface", iface)]);
                out.push("net_dev", snapshot.time_us, line.number, row_labels, values);
            }
            let time_us = snapshot.time_us;
            let value = counters;
            last.insert(iface.to_string(), Reading { time_us, value });
        }
    }
}

// ---- /proc/net/snmp, /proc/net/netstat ----

/// One kernel MIB counter (`Tcp` `RetransSegs`) and the field of the table it becomes.
struct MibField {
    group: &'static str,
    counter: &'static str,
    table: &'static str,
    field: &'static str,
}

const fn mib_field(
    group: &'static str,
    counter: &'static str,
    table: &'static str,
    field: &'static str,
) -> MibField {
    MibField {
        group,
        counter,
        table,
        field,
    }
}

/// The MIB counters reported as per-second rates.
const MIB_RATES: [MibField; 20] = [
    mib_field("Tcp", "ActiveOpens", "tcp", "active_opens_s"),
    mib_field("Tcp", "PassiveOpens", "tcp", "passive_opens_s"),
    mib_field("Tcp", "AttemptFails", "tcp", "attempt_fails_s"),
    mib_field("Tcp", "EstabResets", "tcp", "estab_resets_s"),
    mib_field("Tcp", "InSegs", "tcp", "in_segs_s"),
    mib_field("Tcp", "OutSegs", "tcp", "out_segs_s"),
    mib_field("Tcp", "RetransSegs", "tcp", "retrans_segs_s"),
    mib_field("Tcp", "InErrs", "tcp", "in_errs_s"),
    mib_field("Tcp", "OutRsts", "tcp", "out_rsts_s"),
    mib_field("TcpExt", "ListenOverflows", "tcp", "listen_overflows_s"),
    mib_field("TcpExt", "ListenDrops", "tcp", "listen_drops_s"),
    mib_field("TcpExt", "TCPBacklogDrop", "tcp", "tcp_backlog_drop_s"),
    mib_field("TcpExt", "TCPSynRetrans", "tcp", "syn_retrans_s"),
    mib_field("TcpExt", "TCPTimeouts", "tcp", "timeouts_s"),
    mib_field("Udp", "InDatagrams", "udp", "in_datagrams_s"),
    mib_field("Udp", "OutDatagrams", "udp", "out_datagrams_s"),
    mib_field("Udp", "InErrors", "udp", "in_errors_s"),
    mib_field("Udp", "RcvbufErrors", "udp", "rcvbuf_errors_s"),
    mib_field("Udp", "SndbufErrors", "udp", "sndbuf_errors_s"),
    mib_field("Udp", "NoPorts", "udp", "no_ports_s"),
];

/// MIB values that are gauges, not counters.
const MIB_INSTANTS: [MibField; 1] = [mib_field("Tcp", "CurrEstab", "tcp", "curr_estab")];

/// Counters also reported as the count since the first snapshot: a listen queue that
/// overflowed once in a long run is lost in the average of a rate.
const MIB_RUN_DELTAS: [MibField; 2] = [
    mib_field("TcpExt", "ListenOverflows", "tcp", "listen_overflows_delta"),
    mib_field("TcpExt", "ListenDrops", "tcp", "listen_drops_delta"),
];

/// `(group, counter)` → (value, line of the values) of one snapshot.
type MibValues<'a> = BTreeMap<(&'a str, &'a str), (u64, usize)>;

/// Read the paired lines of a MIB file: `Tcp: ActiveOpens PassiveOpens ...` names the
/// counters that the next line, `Tcp: 38 2 ...`, gives in the same order. Values that are
/// not counters (`MaxConn` is -1 when dynamic) are accepted and left out.
fn read_mib<'a>(snapshot: &Snapshot<'a>, out: &mut Output) -> MibValues<'a> {
    let mut values = MibValues::new();
    let mut names: Option<(&str, Vec<&str>, usize)> = None;
    for line in &snapshot.lines {
        let Some((group, rest)) = line.text.split_once(':') else {
            out.warn(line.number, "expected `Group: names` or `Group: values`");
            names = None;
            continue;
        };
        let cells: Vec<&str> = rest.split_whitespace().collect();
        let is_value = |cell: &&str| cell.parse::<u64>().is_ok() || cell.parse::<i64>().is_ok();
        match names.take() {
            Some((named_group, counters, _)) if named_group == group => {
                if cells.len() != counters.len() || !cells.iter().all(is_value) {
                    out.warn(
                        line.number,
                        format!(
                            "expected `{group}:` and {} numbers, one per name on the line above",
                            counters.len()
                        ),
                    );
                    continue;
                }
                for (counter, cell) in counters.into_iter().zip(cells) {
                    if let Ok(value) = cell.parse::<u64>() {
                        values.insert((group, counter), (value, line.number));
                    }
                }
            }
            unpaired => {
                if let Some((named_group, _, named_line)) = unpaired {
                    out.warn(
                        named_line,
                        format!("`{named_group}:` names not followed by a line of values"),
                    );
                }
                if !cells.is_empty() && cells.iter().all(is_value) {
                    out.warn(
                        line.number,
                        format!("`{group}:` values without a line of names above"),
                    );
                } else {
                    names = Some((group, cells, line.number));
                }
            }
        }
    }
    if let Some((group, _, line)) = names {
        out.warn(
            line,
            format!("`{group}:` names not followed by a line of values"),
        );
    }
    values
}

/// The fields one snapshot gives one table, and the line the row points at.
#[derive(Default)]
struct MibRow {
    line: Option<usize>,
    values: BTreeMap<String, f64>,
    reset: bool,
}

fn mib(snapshots: &[Snapshot], out: &mut Output) {
    let mut last: BTreeMap<(&str, &str), Reading<u64>> = BTreeMap::new();
    let mut first: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for snapshot in snapshots {
        let counters = read_mib(snapshot, out);
        let mut rows: BTreeMap<&str, MibRow> = BTreeMap::new();
        let mut deltas: BTreeMap<&str, f64> = BTreeMap::new();
        for rate in &MIB_RATES {
            let key = (rate.group, rate.counter);
            let Some(&(now, line)) = counters.get(&key) else {
                continue;
            };
            let row = rows.entry(rate.table).or_default();
            row.line.get_or_insert(line);
            if let Some(previous) = last.get(&key) {
                match out.deltas(&[rate.counter], &[previous.value], &[now], line) {
                    Some(delta) => {
                        let delta = delta.first().copied().unwrap_or(0.0);
                        let seconds = seconds_between(previous.time_us, snapshot.time_us);
                        row.values.insert(rate.field.to_string(), delta / seconds);
                        deltas.insert(rate.field, delta);
                    }
                    None => row.reset = true,
                }
            }
            let time_us = snapshot.time_us;
            last.insert(
                key,
                Reading {
                    time_us,
                    value: now,
                },
            );
        }
        // Nothing resent is 0 % even when nothing was sent, so an idle host is judged, not
        // skipped; resent with nothing new sent has no share.
        if let Some(tcp) = rows.get_mut("tcp")
            && let (Some(&retransmitted), Some(&sent)) =
                (deltas.get("retrans_segs_s"), deltas.get("out_segs_s"))
            && (sent > 0.0 || retransmitted == 0.0)
        {
            tcp.values
                .insert("retrans_pct".into(), percent(retransmitted, sent));
        }
        for row in rows.values_mut().filter(|row| row.reset) {
            row.values.clear();
        }
        for instant in &MIB_INSTANTS {
            if let Some(&(value, line)) = counters.get(&(instant.group, instant.counter)) {
                let row = rows.entry(instant.table).or_default();
                row.line.get_or_insert(line);
                row.values.insert(instant.field.to_string(), value as f64);
            }
        }
        for run in &MIB_RUN_DELTAS {
            let key = (run.group, run.counter);
            let Some(&(now, line)) = counters.get(&key) else {
                continue;
            };
            // A counter below its first reading was reset: the rate above warned about it.
            match first.get(&key) {
                Some(&start) if now >= start => {
                    let row = rows.entry(run.table).or_default();
                    row.line.get_or_insert(line);
                    row.values
                        .insert(run.field.to_string(), (now - start) as f64);
                }
                Some(_) => {}
                None => {
                    first.insert(key, now);
                }
            }
        }
        for (table, row) in rows {
            let line = row.line.unwrap_or(snapshot.first_line());
            out.push(table, snapshot.time_us, line, Labels::new(), row.values);
        }
    }
}

// ---- /sys files copied one per snapshot: SCSI disk counters, memory cgroups ----

/// Snapshots of sources that give one file per snapshot, gathered by instance (a device, a
/// cgroup) and time: the files of one instance read in one round make one row.
type Rounds<'s, 'a> = BTreeMap<String, BTreeMap<i64, Vec<(&'s str, &'s Snapshot<'a>)>>>;

fn gather<'s, 'a>(
    rounds: &mut Rounds<'s, 'a>,
    instance: &str,
    file: &'s str,
    snapshots: &'s [Snapshot<'a>],
) {
    let times = rounds.entry(instance.to_string()).or_default();
    for snapshot in snapshots {
        times
            .entry(snapshot.time_us)
            .or_default()
            .push((file, snapshot));
    }
}

/// One instance's counters over its rounds: the rate over the last interval and the count
/// since the first reading. A counter that went down (reset, or the instance made again)
/// skips that interval in both, after a warning.
#[derive(Default)]
struct Counters {
    last: BTreeMap<&'static str, Reading<u64>>,
    since_first: BTreeMap<&'static str, f64>,
}

impl Counters {
    /// `(per second, since the first reading)`, or `None` on the first reading or a reset.
    fn update(
        &mut self,
        out: &mut Output,
        name: &'static str,
        now: u64,
        time_us: i64,
        line: usize,
    ) -> Option<(f64, f64)> {
        let previous = self.last.insert(
            name,
            Reading {
                time_us,
                value: now,
            },
        )?;
        let delta = *out
            .deltas(&[name], &[previous.value], &[now], line)?
            .first()?;
        let total = self.since_first.entry(name).or_default();
        *total += delta;
        Some((delta / seconds_between(previous.time_us, time_us), *total))
    }
}

/// `0x1f` (the SCSI counters) or `31`.
fn hex_or_decimal(text: &str) -> Option<u64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn disk_errors(rounds: &Rounds, out: &mut Output) {
    for (device, times) in rounds {
        let mut counters = Counters::default();
        for (&time_us, files) in times {
            let mut values = BTreeMap::new();
            for &(file, snapshot) in files {
                let Some(text) = single_value(snapshot, out, "a counter") else {
                    continue;
                };
                let line = snapshot.first_line();
                let Some(now) = hex_or_decimal(text) else {
                    out.warn(line, "expected a counter such as 0x1f");
                    continue;
                };
                let (name, rate) = if file == "ioerr_cnt" {
                    ("ioerr_cnt", "ioerr_s")
                } else {
                    ("iodone_cnt", "iodone_s")
                };
                if let Some((per_second, since_first)) =
                    counters.update(out, name, now, time_us, line)
                {
                    values.insert(rate.into(), per_second);
                    if name == "ioerr_cnt" {
                        values.insert("ioerr_delta".into(), since_first);
                    }
                }
            }
            let line = files
                .first()
                .map_or(1, |(_, snapshot)| snapshot.first_line());
            out.push(
                "disk_errors",
                time_us,
                line,
                labels(&[("device", device)]),
                values,
            );
        }
    }
}

/// `key value` lines (memory.oom_control, memory.events); a bad line is warned about and left
/// out.
fn keyed_values<'a>(snapshot: &Snapshot<'a>, out: &mut Output) -> BTreeMap<&'a str, u64> {
    let mut values = BTreeMap::new();
    for line in &snapshot.lines {
        match line
            .text
            .split_once(' ')
            .and_then(|(key, value)| Some((key, value.trim().parse().ok()?)))
        {
            Some((key, value)) => {
                values.insert(key, value);
            }
            None => out.warn(line.number, "expected `name value`"),
        }
    }
    values
}

/// A memory cgroup's counters: (file, key in a `key value` file or "" for a one-value file,
/// name). v2's `max` event is v1's failcnt: usage reached the limit.
const CGROUP_COUNTERS: [(&str, &str, &str); 6] = [
    ("memory.failcnt", "", "failcnt"),
    ("memory.memsw.failcnt", "", "memsw_failcnt"),
    ("memory.events", "max", "failcnt"),
    ("memory.oom_control", "oom_kill", "oom_kill"),
    ("memory.events", "oom_kill", "oom_kill"),
    ("memory.events", "oom", "oom"),
];

/// A memory cgroup's gauges: (file, field). Limits are left out when there is none.
const CGROUP_GAUGES: [(&str, &str); 6] = [
    ("memory.usage_in_bytes", "usage_bytes"),
    ("memory.current", "usage_bytes"),
    ("memory.limit_in_bytes", "limit_bytes"),
    ("memory.max", "limit_bytes"),
    ("memory.memsw.usage_in_bytes", "memsw_usage_bytes"),
    ("memory.memsw.limit_in_bytes", "memsw_limit_bytes"),
];

/// The values of one cgroup file by key ("" for a one-value file), or `None` after a warning;
/// an empty map for a limit of `max`.
fn cgroup_file<'a>(
    file: &str,
    snapshot: &Snapshot<'a>,
    out: &mut Output,
) -> Option<BTreeMap<&'a str, u64>> {
    let keyed = CGROUP_COUNTERS
        .iter()
        .any(|(of, key, _)| *of == file && !key.is_empty());
    if keyed {
        return Some(keyed_values(snapshot, out));
    }
    let text = single_value(snapshot, out, "a number of bytes or events")?;
    if text == "max" {
        return Some(BTreeMap::new());
    }
    let Ok(number) = text.parse() else {
        out.warn(
            snapshot.first_line(),
            "expected a number of bytes or events, or `max`",
        );
        return None;
    };
    Some(BTreeMap::from([("", number)]))
}

fn cgroup_memory(rounds: &Rounds, out: &mut Output) {
    for (cgroup, times) in rounds {
        let mut counters = Counters::default();
        for (&time_us, files) in times {
            let mut values = BTreeMap::new();
            for &(file, snapshot) in files {
                let Some(read) = cgroup_file(file, snapshot, out) else {
                    continue;
                };
                if let Some(&(_, field)) = CGROUP_GAUGES.iter().find(|(of, _)| *of == file)
                    && let Some(&number) = read.get("")
                    && (!field.ends_with("limit_bytes") || number < NO_LIMIT)
                {
                    values.insert(field.into(), number as f64);
                }
                let line = snapshot.first_line();
                for &(_, key, name) in CGROUP_COUNTERS.iter().filter(|(of, ..)| *of == file) {
                    let Some(&now) = read.get(key) else {
                        continue;
                    };
                    if let Some((per_second, since_first)) =
                        counters.update(out, name, now, time_us, line)
                    {
                        if name == "failcnt" {
                            values.insert("failcnt_s".into(), per_second);
                        }
                        values.insert(format!("{name}_delta"), since_first);
                    }
                }
            }
            if let (Some(&usage), Some(&limit)) =
                (values.get("usage_bytes"), values.get("limit_bytes"))
            {
                values.insert("usage_pct".into(), percent(usage, limit));
            }
            let line = files
                .first()
                .map_or(1, |(_, snapshot)| snapshot.first_line());
            let row_labels = labels(&[("cgroup", cgroup)]);
            out.push("cgroup_memory", time_us, line, row_labels, values);
        }
    }
}

// ---- /proc/net/sockstat ----

/// The sockstat values kept: (group, key) → field. All are gauges; `mem` is in pages.
const SOCKSTAT_FIELDS: [(&str, &str, &str); 7] = [
    ("sockets", "used", "sockets_used"),
    ("TCP", "inuse", "tcp_inuse"),
    ("TCP", "orphan", "tcp_orphan"),
    ("TCP", "tw", "tcp_tw"),
    ("TCP", "alloc", "tcp_alloc"),
    ("TCP", "mem", "tcp_mem_pages"),
    ("UDP", "inuse", "udp_inuse"),
];

/// `Group: key value key value ...`.
fn sockstat_line(line: &str) -> Option<(&str, Vec<(&str, u64)>)> {
    let (group, rest) = line.split_once(':')?;
    let cells: Vec<&str> = rest.split_whitespace().collect();
    if cells.is_empty() || !cells.len().is_multiple_of(2) {
        return None;
    }
    let pairs = cells
        .chunks(2)
        .map(|pair| match pair {
            [key, value] => Some((*key, value.parse().ok()?)),
            _ => None,
        })
        .collect::<Option<_>>()?;
    Some((group, pairs))
}

fn sockstat(snapshots: &[Snapshot], out: &mut Output) {
    for snapshot in snapshots {
        let mut values = BTreeMap::new();
        for line in &snapshot.lines {
            let Some((group, pairs)) = sockstat_line(line.text) else {
                out.warn(line.number, "expected `Group: name value name value ...`");
                continue;
            };
            for (key, value) in pairs {
                if let Some((.., field)) = SOCKSTAT_FIELDS
                    .iter()
                    .find(|(g, k, _)| *g == group && *k == key)
                {
                    values.insert(field.to_string(), value as f64);
                }
            }
        }
        let line = snapshot.first_line();
        out.push("sockstat", snapshot.time_us, line, Labels::new(), values);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Snapshots of `path`, each `(time of day, content)`, in the sampler's format.
    fn series(path: &str, snapshots: &[(&str, &str)]) -> String {
        snapshots
            .iter()
            .map(|(time, content)| format!("==> {path} @ 2026-11-25T{time} <==\n{content}\n"))
            .collect()
    }

    fn only<'p>(parsed: &'p Parsed, table: &str) -> Vec<&'p Record> {
        parsed.records.iter().filter(|r| r.table == table).collect()
    }

    fn warning_lines(parsed: &Parsed) -> Vec<usize> {
        parsed.warnings.iter().map(|w| w.line).collect()
    }

    #[test]
    fn header_time_is_civil_time_read_as_utc() {
        let text = series(
            "/proc/loadavg",
            &[("19:20:01.5", "1.00 2.00 3.00 4/500 99")],
        );
        let parsed = parse("loadavg.txt", &text);
        assert_eq!(parsed.records[0].time, 1_795_634_401.5);
        assert_eq!(parsed.records[0].source.line, 2);
    }

    #[test]
    fn diskstats_before_4_18_and_before_5_5_have_what_they_have() {
        let fourteen = series(
            "/proc/diskstats",
            &[
                ("10:00:00", "   8 0 sda 100 0 800 50 10 0 80 20 0 40 70"),
                (
                    "10:00:02",
                    "   8 0 sda 300 0 2800 150 30 10 480 60 1 1040 170",
                ),
            ],
        );
        let parsed = parse("diskstats.txt", &fourteen);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let fields = &only(&parsed, "diskstats")[0].fields;
        assert_eq!(fields["r_s"], 100.0);
        assert_eq!(fields["rkb_s"], 500.0);
        assert_eq!(fields["r_await"], 0.5);
        assert_eq!(fields["w_await"], 2.0);
        assert!((fields["wrqm"] - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(fields["util"], 50.0);
        assert_eq!(fields["aqu_sz"], 0.05);
        assert!(!fields.contains_key("d_s") && !fields.contains_key("f_s"));

        let eighteen = series(
            "/proc/diskstats",
            &[
                ("10:00:00", "8 0 sda 1 0 8 1 1 0 8 1 0 1 2 4 0 16 2"),
                ("10:00:01", "8 0 sda 1 0 8 1 1 0 8 1 0 1 2 8 0 32 6"),
            ],
        );
        let parsed = parse("diskstats.txt", &eighteen);
        let fields = &only(&parsed, "diskstats")[0].fields;
        assert_eq!(
            (fields["d_s"], fields["dkb_s"], fields["d_await"]),
            (4.0, 8.0, 1.0)
        );
        assert!(!fields.contains_key("f_s"));
    }

    #[test]
    fn partitions_loop_ram_and_unused_devices_are_left_out() {
        let listed: BTreeSet<&str> = [
            "sda",
            "sda1",
            "nvme0n1",
            "nvme0n1p2",
            "mmcblk0",
            "mmcblk0p1",
        ]
        .into_iter()
        .collect();
        assert!(is_partition("sda1", &listed));
        assert!(is_partition("nvme0n1p2", &listed));
        assert!(is_partition("mmcblk0p1", &listed));
        for whole in ["sda", "nvme0n1", "mmcblk0", "dm-0", "md127", "sdb2"] {
            assert!(!is_partition(whole, &listed), "{whole}");
        }

        let disks = "8 0 sda 1 0 0 0 0 0 0 0 0 0 0\n8 1 sda1 1 0 0 0 0 0 0 0 0 0 0\n\
                     7 0 loop0 1 0 0 0 0 0 0 0 0 0 0\n1 0 ram0 1 0 0 0 0 0 0 0 0 0 0\n\
                     252 0 zram0 0 0 0 0 0 0 0 0 0 0 0\n253 0 dm-0 1 0 0 0 0 0 0 0 0 0 0";
        let text = series(
            "/proc/diskstats",
            &[("10:00:00", disks), ("10:00:01", disks)],
        );
        let parsed = parse("d.txt", &text);
        let devices: Vec<&str> = only(&parsed, "diskstats")
            .iter()
            .map(|r| r.labels["device"].as_str())
            .collect();
        assert_eq!(devices, ["sda", "dm-0"]);
    }

    #[test]
    fn a_counter_going_down_warns_and_skips_that_interval_only() {
        let line = |bytes: u64| format!("eth0: {bytes} 1 0 0 0 0 0 0 {bytes} 1 0 0 0 0 0 0");
        let (a, b, c) = (line(4096), line(1024), line(3072));
        let text = series(
            "/proc/net/dev",
            &[("10:00:00", &a), ("10:00:01", &b), ("10:00:02", &c)],
        );
        let parsed = parse("net_dev.txt", &text);
        assert_eq!(warning_lines(&parsed), [4]);
        assert!(parsed.warnings[0].message.contains("rx_bytes went down"));
        let rows = only(&parsed, "net_dev");
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].fields["rxkb_s"], rows[0].source.line), (2.0, 6));
    }

    #[test]
    fn iowait_going_down_is_taken_as_unchanged() {
        let text = series(
            "/proc/stat",
            &[
                ("10:00:00", "cpu  100 0 100 700 50 0 0 0 0 0"),
                ("10:00:01", "cpu  150 0 150 800 40 0 0 0 0 0"),
            ],
        );
        let parsed = parse("stat.txt", &text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let fields = &parsed.records[0].fields;
        assert_eq!(
            (fields["usr"], fields["iowait"], fields["busy"]),
            (25.0, 0.0, 50.0)
        );
    }

    #[test]
    fn guest_time_is_taken_out_of_usr_as_mpstat_does() {
        let text = series(
            "/proc/stat",
            &[
                ("10:00:00", "cpu  0 0 0 0 0 0 0 0 0 0"),
                ("10:00:01", "cpu  60 20 0 20 0 0 0 0 40 10"),
            ],
        );
        let fields = &parse("stat.txt", &text).records[0].fields;
        assert_eq!(
            (fields["usr"], fields["guest"], fields["nice"]),
            (20.0, 40.0, 10.0)
        );
        assert_eq!(fields["gnice"], 10.0);
    }

    #[test]
    fn allocstall_sums_the_zones_and_oom_kills_count_from_the_first_snapshot() {
        let first = "allocstall_dma32 1\nallocstall_normal 2\noom_kill 5";
        let second = "allocstall_dma32 3\nallocstall_normal 4\noom_kill 7";
        let text = series("/proc/vmstat", &[("10:00:00", first), ("10:00:02", second)]);
        let parsed = parse("vmstat.txt", &text);
        let fields = &only(&parsed, "proc_vmstat")[0].fields;
        assert_eq!(fields["allocstall_s"], 2.0);
        assert_eq!((fields["oom_kill_s"], fields["oom_kill_delta"]), (1.0, 2.0));
    }

    #[test]
    fn meminfo_names_are_canonical_and_hugepages_are_counts() {
        let parsed = parse(
            "meminfo.txt",
            "MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 250 kB\nActive(anon): 7 kB\n\
             SwapTotal: 0 kB\nSwapFree: 0 kB\nHugePages_Total: 0\n",
        );
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let meminfo = &only(&parsed, "meminfo")[0].fields;
        assert_eq!(meminfo["active_anon"], 7.0);
        assert!(meminfo.contains_key("hugepages_total"));
        let memory = &only(&parsed, "memory")[0].fields;
        assert_eq!((memory["used_pct"], memory["swap_used_pct"]), (75.0, 0.0));
        assert_eq!(parsed.host.mem_total_kib, Some(1000));
    }

    #[test]
    fn plain_pressure_takes_its_resource_from_the_file_name() {
        let psi = "some avg10=1.00 avg60=2.00 avg300=3.00 total=4\n";
        let parsed = parse("proc/pressure_io.txt", psi);
        assert_eq!(parsed.records[0].labels["resource"], "io");
        let parsed = parse("psi.txt", psi);
        assert_eq!(parsed.records[0].labels["resource"], "unknown");
        assert_eq!(warning_lines(&parsed), [1]);
    }

    /// A /proc/net/snmp copy with only the Tcp group, these counters in `Tcp`'s order.
    fn snmp_tcp(active: u64, estab: u64, out_segs: u64, retrans: u64) -> String {
        format!(
            "Tcp: RtoAlgorithm MaxConn ActiveOpens CurrEstab OutSegs RetransSegs\n\
             Tcp: 1 -1 {active} {estab} {out_segs} {retrans}"
        )
    }

    #[test]
    fn snmp_gives_tcp_rates_the_retransmit_share_and_established_connections() {
        let text = series(
            "/proc/net/snmp",
            &[
                ("10:00:00", &snmp_tcp(10, 3, 1000, 5)),
                ("10:00:02", &snmp_tcp(30, 4, 1400, 9)),
                ("10:00:03", &snmp_tcp(30, 2, 1400, 9)),
                ("10:00:04", &snmp_tcp(30, 2, 1400, 12)),
            ],
        );
        let parsed = parse("net_snmp.txt", &text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let rows = only(&parsed, "tcp");
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].fields.keys().collect::<Vec<_>>(), ["curr_estab"]);
        let second = &rows[1].fields;
        assert_eq!(
            (second["active_opens_s"], second["out_segs_s"]),
            (10.0, 200.0)
        );
        assert_eq!((second["retrans_pct"], second["curr_estab"]), (1.0, 4.0));
        assert_eq!(rows[1].source.line, 6, "the line of the values");
        assert_eq!(rows[2].fields["retrans_pct"], 0.0, "idle: nothing resent");
        assert!(
            !rows[3].fields.contains_key("retrans_pct"),
            "resent with nothing new sent has no share"
        );
    }

    #[test]
    fn listen_overflows_count_from_the_first_snapshot_and_resets_skip_one_interval() {
        let netstat = |overflows: u64, drops: u64| {
            format!(
                "TcpExt: ListenOverflows ListenDrops\nTcpExt: {overflows} {drops}\n\
                 IpExt: InOctets\nIpExt: 1"
            )
        };
        let text = series(
            "/proc/net/netstat",
            &[
                ("10:00:00", &netstat(7, 7)),
                ("10:00:01", &netstat(9, 10)),
                ("10:00:02", &netstat(1, 10)),
                ("10:00:03", &netstat(2, 10)),
            ],
        );
        let parsed = parse("net_netstat.txt", &text);
        assert_eq!(warning_lines(&parsed), [13]);
        assert!(
            parsed.warnings[0]
                .message
                .contains("ListenOverflows went down")
        );
        let rows = only(&parsed, "tcp");
        assert_eq!(rows.len(), 3, "the first snapshot has nothing to report");
        let fields = |index: usize| &rows[index].fields;
        assert_eq!(
            (fields(0)["listen_overflows_s"], fields(0)["listen_drops_s"]),
            (2.0, 3.0)
        );
        assert_eq!(fields(0)["listen_overflows_delta"], 2.0);
        assert!(
            !fields(1).contains_key("listen_drops_s"),
            "interval skipped"
        );
        assert_eq!(fields(1)["listen_drops_delta"], 3.0);
        assert_eq!(fields(2)["listen_overflows_s"], 1.0);
    }

    #[test]
    fn unpaired_mib_lines_are_warned_about_and_the_rest_is_read() {
        let first = "Udp: InDatagrams NoPorts\nUdp: 1 2\nTcp: ActiveOpens\n\
                     Ip: 1 2\nTcpExt: ListenDrops ListenOverflows\nTcpExt: 3 x\nnonsense";
        let second = "Udp: InDatagrams NoPorts\nUdp: 5 2";
        let text = series(
            "/proc/net/snmp",
            &[("10:00:00", first), ("10:00:01", second)],
        );
        let parsed = parse("net_snmp.txt", &text);
        assert_eq!(warning_lines(&parsed), [4, 5, 7, 8]);
        let udp = only(&parsed, "udp");
        assert_eq!(udp.len(), 1);
        assert_eq!(
            (udp[0].fields["in_datagrams_s"], udp[0].fields["no_ports_s"]),
            (4.0, 0.0)
        );
    }

    #[test]
    fn sockstat_keeps_the_socket_counts() {
        let parsed = parse(
            "net_sockstat.txt",
            "sockets: used 69\nTCP: inuse 54 orphan 1 tw 2 alloc 55 mem 121\n\
             UDP: inuse 3 mem 4\nFRAG: inuse 0 memory\n",
        );
        assert_eq!(warning_lines(&parsed), [4]);
        let fields = &only(&parsed, "sockstat")[0].fields;
        assert_eq!(fields.len(), 7);
        assert_eq!(
            (
                fields["sockets_used"],
                fields["tcp_tw"],
                fields["tcp_mem_pages"]
            ),
            (69.0, 2.0, 121.0)
        );
        assert_eq!(fields["udp_inuse"], 3.0);
    }

    #[test]
    fn sys_paths_name_their_instance() {
        let cgroup = |path: &str| match sys_source(path) {
            Some(Source::Cgroup { cgroup, file }) => Some((cgroup, file)),
            _ => None,
        };
        let named = |cgroup: &str, file: &str| Some((cgroup.to_string(), file.to_string()));
        assert_eq!(
            cgroup("/sys/fs/cgroup/memory/a/b/memory.failcnt"),
            named("/a/b", "memory.failcnt")
        );
        assert_eq!(
            cgroup("/sys/fs/cgroup/memory/memory.oom_control"),
            named("/", "memory.oom_control")
        );
        assert_eq!(
            cgroup("/sys/fs/cgroup/unified/job/memory.events"),
            named("/job", "memory.events")
        );
        assert_eq!(
            cgroup("/sys/fs/cgroup/system.slice/x.service/memory.max"),
            named("/system.slice/x.service", "memory.max")
        );
        assert_eq!(cgroup("/sys/fs/cgroup/memory/a/memory.stat"), None);
        assert_eq!(cgroup("/sys/fs/cgroup/memoryx/memory.failcnt"), None);
        assert_eq!(
            sys_source("/sys/class/net/eth0/speed"),
            Some(Source::NetSpeed("eth0".into()))
        );
        assert_eq!(sys_source("/sys/class/net/eth0/mtu"), None);
        assert_eq!(
            sys_source("/sys/block/sda/device/ioerr_cnt"),
            Some(Source::DiskCounter {
                device: "sda".into(),
                counter: "ioerr_cnt".into()
            })
        );
        assert_eq!(sys_source("/sys/block/sda/device/iotmo_cnt"), None);
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

    #[test]
    fn what_cannot_be_placed_is_warned_about_by_line() {
        let text = "stray\n==> /proc/uptime @ 2026-11-25T10:00:00 <==\n1 2\n\
                    ==> /proc/loadavg @ 2026-11-25T10:00:01 <==\n1 1 1 1/1 1\n\
                    ==> /proc/loadavg @ 2026-11-25T10:00:01 <==\n2 2 2 2/2 2\n\
                    ==> /proc/loadavg @ 2026-11-25T10:00:02 <==\n\
                    ==> /proc/loadavg 2026 <==\n";
        let parsed = parse("loadavg.txt", text);
        assert_eq!(warning_lines(&parsed), [1, 2, 6, 8, 9]);
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(warning_lines(&parse("x.txt", "")), [1]);
        assert_eq!(warning_lines(&parse("x.txt", "hello world\n")), [1]);
    }
}

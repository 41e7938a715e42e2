//! A file cut into snapshots: the sampler writes `==> <path> @ <time> <==` before each copy
//! of a /proc or /sys file, and the path says which source it copies; a plain `cat` of a
//! /proc file (no title, time 0) is told by its first line.

use std::collections::BTreeMap;

use nom::bytes::complete::{tag, take_until};
use nom::combinator::eof;
use nom::{IResult, Parser as _};

use super::Output;
use super::cgroup::{CGROUP_V1_FILES, CGROUP_V2_FILES};
use super::disk_errors::DISK_ERROR_COUNTERS;
use super::diskstats::disk_line;
use super::loadavg::loadavg_line;
use super::meminfo::meminfo_line;
use super::pressure::{PSI_RESOURCES, psi_line};
use super::vmstat::vmstat_line;
use crate::parse::clock::{civil_micros, time_line_micros};

const HEADER_OPEN: &str = "==> ";

/// Which /proc file a snapshot copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Source {
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
pub(super) struct Line<'a> {
    pub(super) number: usize,
    pub(super) text: &'a str,
}

/// One copy of one /proc file.
pub(super) struct Snapshot<'a> {
    pub(super) source: Source,
    /// The header's civil time read as UTC, in microseconds since the epoch; 0 when plain.
    pub(super) time_us: i64,
    /// The header's line, or 1 when plain.
    pub(super) header_line: usize,
    /// The non-blank lines of the copy.
    pub(super) lines: Vec<Line<'a>>,
}

impl Snapshot<'_> {
    pub(super) fn first_line(&self) -> usize {
        self.lines.first().map_or(1, |line| line.number)
    }
}

/// Cut `text` into snapshots, dropping (with a warning) what cannot be placed: text before the
/// first header, headers that cannot be read, snapshots whose time does not advance.
pub(super) fn split_snapshots<'a>(text: &'a str, out: &mut Output) -> Vec<Snapshot<'a>> {
    let lines: Vec<Line> = text
        .lines()
        .enumerate()
        .map(|(index, text)| Line {
            number: index + 1,
            text,
        })
        .collect();
    if !lines.iter().any(|line| line.text.starts_with(HEADER_OPEN)) {
        return plain_snapshots(lines, out);
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
pub(super) fn keep_advancing<'a>(
    snapshots: Vec<Snapshot<'a>>,
    out: &mut Output,
) -> Vec<Snapshot<'a>> {
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

/// A file without headers: one or more plain `cat`s of one /proc file, told by its first line.
/// A copy starts again where that line comes back (`cat /proc/vmstat` twice into one file), and
/// a line holding only a time (what `date` prints) dates the copy after it. Copies that are
/// not all dated are read without time: their counts since the first copy (`*_delta`) are
/// given, and no rate.
fn plain_snapshots<'a>(lines: Vec<Line<'a>>, out: &mut Output) -> Vec<Snapshot<'a>> {
    let copies = plain_copies(lines, out);
    let dated = copies.iter().all(|copy| copy.time_us.is_some());
    if copies.len() > 1 && !dated {
        out.timed = false;
        out.warn(
            copies.first().map_or(1, |copy| copy.header_line),
            format!(
                "{} copies of one /proc file without a time before each (`date` output): \
                 counts between them are given, rates are not",
                copies.len()
            ),
        );
    }
    let snapshots = copies
        .into_iter()
        .enumerate()
        .map(|(index, copy)| Snapshot {
            source: copy.source,
            // Undated copies keep their order, one microsecond apart, and are read untimed.
            time_us: if dated {
                copy.time_us.unwrap_or(0)
            } else {
                index as i64
            },
            header_line: copy.header_line,
            lines: copy.lines,
        })
        .collect();
    keep_advancing(snapshots, out)
}

/// One plain copy of a /proc file, dated when a time line came before it.
pub(super) struct PlainCopy<'a> {
    pub(super) source: Source,
    pub(super) time_us: Option<i64>,
    /// The copy's first line.
    pub(super) header_line: usize,
    pub(super) lines: Vec<Line<'a>>,
}

/// Cut headerless `lines` into the copies of one /proc file they hold.
pub(super) fn plain_copies<'a>(lines: Vec<Line<'a>>, out: &mut Output) -> Vec<PlainCopy<'a>> {
    let mut copies: Vec<PlainCopy<'a>> = Vec::new();
    let mut first: Option<(&'a str, Source)> = None;
    let mut time_us: Option<i64> = None;
    let mut open = false;
    for line in lines {
        if line.text.trim().is_empty() {
            continue;
        }
        if let Some(time) = time_line_micros(line.text) {
            time_us = Some(time);
            open = false;
            continue;
        }
        let (first_text, source) = match &first {
            Some((text, source)) => (*text, source.clone()),
            None => {
                let Some(source) = sniff_source(line.text, out) else {
                    out.warn(
                        line.number,
                        "cannot tell which /proc file this is (expected /proc/stat, meminfo, \
                         vmstat, loadavg, diskstats, net/dev, net/snmp, net/netstat, \
                         net/sockstat or pressure/*)",
                    );
                    return copies;
                };
                first = Some((line.text, source.clone()));
                (line.text, source)
            }
        };
        let restarts = open && copy_starts(&source, first_text, line.text);
        match copies.last_mut() {
            Some(copy) if open && !restarts => copy.lines.push(line),
            _ => {
                copies.push(PlainCopy {
                    source,
                    time_us: time_us.take(),
                    header_line: line.number,
                    lines: vec![line],
                });
                open = true;
            }
        }
    }
    if copies.is_empty() {
        out.warn(1, "no /proc snapshot in file");
    }
    copies
}

/// Whether `line` starts another copy of the file whose first line was `first`: the same
/// line again for the files that open with a header (net/dev, and net/snmp and netstat, whose
/// first group name comes back on its values line), the same device for diskstats, any line
/// for loadavg (one line per copy), and the same first word for the others (`nr_free_pages`,
/// `MemTotal:`, `cpu`, `some`, `sockets:`).
fn copy_starts(source: &Source, first: &str, line: &str) -> bool {
    let words = |text: &'_ str, count: usize| -> Vec<String> {
        text.split_whitespace()
            .take(count)
            .map(String::from)
            .collect()
    };
    match source {
        Source::NetDev | Source::NetSnmp | Source::NetNetstat => line == first,
        Source::Diskstats => words(line, 3) == words(first, 3),
        Source::Loadavg => true,
        _ => words(line, 1) == words(first, 1),
    }
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
    civil_micros(text.trim().parse().ok()?)
}

/// The one line of a one-value file (a link speed, a counter), or `None` after a warning.
pub(super) fn single_value<'a>(
    snapshot: &Snapshot<'a>,
    out: &mut Output,
    expected: &str,
) -> Option<&'a str> {
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

/// Snapshots of sources that give one file per snapshot, gathered by instance (a device, a
/// cgroup) and time: the files of one instance read in one round make one row.
pub(super) type Rounds<'s, 'a> = BTreeMap<String, BTreeMap<i64, Vec<(&'s str, &'s Snapshot<'a>)>>>;

pub(super) fn gather<'s, 'a>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::procfs::parse;
    use crate::parse::procfs::testing::{series, warning_lines};

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

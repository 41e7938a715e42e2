//! Kernel logs → typed events: what the kernel writes when something breaks, read from
//! `dmesg` (times in seconds since boot: `[ 5068.534155] ...`), `dmesg -T`
//! (`[Fri Dec  4 16:04:10 2026] ...`), `dmesg --time-format=iso`
//! (`2026-12-04T16:04:10,534155+00:00 ...`), `journalctl -k` and syslog files
//! (`Dec 04 16:04:10 host kernel: ...`, no year), `journalctl -k -o short-iso`
//! (`2026-12-04T16:04:10+0000 host kernel: ...`), `-o short-precise` and `-o short-monotonic`;
//! dmesg's `-r` (`<6>`) and `-x` (`kern  :info  : `) prefixes are read too.
//!
//! One table per kind of event, one record per event, with a `line` label holding the line it
//! was logged on (so a finding's instance says where) and `count` 1:
//!
//! | table | labels | fields | logged as |
//! |---|---|---|---|
//! | `kernel_oom_kill` | comm pid constraint memcg | count total_vm_kib anon_rss_kib file_rss_kib shmem_rss_kib | `Out of memory: Killed process 4242 (java) total-vm:...` |
//! | `kernel_cgroup_oom_kill` | the same | the same | `Memory cgroup out of memory: Killed process ...`, or `oom-kill:constraint=CONSTRAINT_MEMCG,...` before it |
//! | `kernel_hung_task` | comm pid | count blocked_s | `INFO: task jbd2/sda1-8:412 blocked for more than 122 seconds.` |
//! | `kernel_io_error` | device kind | count sector (or block) | `I/O error, dev sdb, sector 2048 ...`, `critical medium error, dev sda, ...`, `Buffer I/O error on dev sdb1, logical block 0` |
//! | `kernel_fs_error` | fs device | count | `EXT4-fs error (device sdb1): ...`, `XFS (sdc1): ... error ...` / `Corruption ...` / `shut down`, `BTRFS error (device sdd): ...` |
//! | `kernel_link` | iface | count down up speed_mbps | `eno1: NIC Link is Down`, `ens1f0: Link down`, `enp2s0: Link is Up - 1Gbps/Full` |
//! | `kernel_lockup` | kind cpu comm pid | count stuck_s | `watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [x:4321]`, `Watchdog detected hard LOCKUP on cpu 1`, `rcu: INFO: rcu_preempt self-detected stall on CPU` |
//! | `kernel_segfault` | comm pid kind | count | `segv[32630]: segfault at 0 ip ...`, `traps: x[4243] general protection fault ...` |
//! | `kernel_mce` | kind cpu bank | count | `mce: [Hardware Error]: CPU 1: Machine Check: 0 Bank 7: ...`, `Machine check events logged` |
//! | `kernel_memory_error` | controller | count corrected uncorrected | `EDAC MC0: 1 CE memory read error on ...` (`UE`: uncorrected) |
//!
//! Every table also gets one record without labels, every field 0, at the log's last time: the
//! log was read and that kind of event counted from there, so a rule on it is judged (and
//! quiet) rather than "no data" when nothing happened.
//!
//! Times: a log with wall-clock times gives them as record time (civil time read as UTC, as
//! everywhere). Where the log gives seconds since boot, records have that as time and a
//! `clock="boot"` label; where it gives no year (`journalctl -k`'s default), the time is read
//! in the year 2000 and labelled `clock="no_year"`. The judge stage places both on the capture's
//! clock when the data tell the boot time or the year, and drops the label.
//!
//! A line that is none of these forms (cut, garbled, binary) is a warning naming its line; the
//! rest of the log is read. A line of a form but of no event above is skipped silently.

use std::sync::LazyLock;

use regex::Regex;

use super::clock::{ctime_micros, iso_micros, month_day_micros};
use super::sniff::Sign;
use super::{Format, Parser, Table};
use crate::record::{Labels, ParseWarning, Parsed, Record, SourceRef, Unit};

/// The year a time printed without one is read in: a leap year, so 29 February reads, and far
/// enough back (before 2001, under 10^9 s) that such times never pass for wall-clock times.
pub(crate) const NO_YEAR: i16 = 2000;

/// The tables this parser makes, each with its fields: all of them are 0 in the record that
/// says the log was read.
const TABLES: [(&str, &[&str]); 10] = [
    ("kernel_oom_kill", &["count"]),
    ("kernel_cgroup_oom_kill", &["count"]),
    ("kernel_hung_task", &["count"]),
    ("kernel_io_error", &["count"]),
    ("kernel_fs_error", &["count"]),
    ("kernel_link", &["count", "down", "up"]),
    ("kernel_lockup", &["count"]),
    ("kernel_segfault", &["count"]),
    ("kernel_mce", &["count"]),
    (
        "kernel_memory_error",
        &["count", "corrected", "uncorrected"],
    ),
];

/// Whether `table` is one of the kernel log's event tables.
pub(crate) fn is_event_table(table: &str) -> bool {
    TABLES.iter().any(|(name, _)| *name == table)
}

/// Kernel logs, told by a line of one of their forms (for syslog forms, one the kernel wrote).
pub struct KernelLog;

impl Parser for KernelLog {
    fn format(&self) -> Format {
        Format::KernelLog
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        match read_line(line) {
            LineKind::Entry(entry) if entry.from_kernel => Some(Sign::Event),
            _ => None,
        }
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }

    fn tables(&self) -> Vec<Table> {
        TABLES
            .iter()
            .map(|(table, fields)| Table::known(table, fields))
            .collect()
    }

    fn unit(&self, table: &str, field: &str) -> Option<Unit> {
        if !is_event_table(table) {
            return None;
        }
        Some(match field {
            "blocked_s" | "stuck_s" => Unit::Seconds,
            f if f.ends_with("_kib") => Unit::KiB,
            _ => Unit::Count,
        })
    }
}

/// When a line was logged, as the log says it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stamp {
    /// Civil time read as UTC, in microseconds since the epoch.
    Wall(i64),
    /// Seconds since boot.
    Boot(f64),
    /// Civil time without its year, read in [`NO_YEAR`], in microseconds since the epoch.
    NoYear(i64),
}

impl Stamp {
    fn time(self) -> f64 {
        match self {
            Stamp::Wall(micros) | Stamp::NoYear(micros) => micros as f64 / 1e6,
            Stamp::Boot(seconds) => seconds,
        }
    }

    fn clock(self) -> Option<&'static str> {
        match self {
            Stamp::Wall(_) => None,
            Stamp::Boot(_) => Some("boot"),
            Stamp::NoYear(_) => Some("no_year"),
        }
    }
}

struct Entry<'a> {
    stamp: Stamp,
    message: &'a str,
    /// The host a syslog form names.
    host: Option<&'a str>,
    /// Whether the kernel wrote it: always in dmesg's forms; `kernel:` in syslog forms.
    from_kernel: bool,
}

enum LineKind<'a> {
    Entry(Entry<'a>),
    /// Blank, journalctl's `-- ... --` lines, and the indented continuation of a message.
    Skip,
    Garbled,
}

fn read_line(line: &str) -> LineKind<'_> {
    if line.trim().is_empty() || line.starts_with("-- ") || line.starts_with([' ', '\t']) {
        return LineKind::Skip;
    }
    let line = strip_level(line);
    if let Some(rest) = line.strip_prefix('[') {
        return bracketed(rest).map_or(LineKind::Garbled, LineKind::Entry);
    }
    let Some((first, rest)) = line.split_once(' ') else {
        return LineKind::Garbled;
    };
    if first.len() >= 19 && first.as_bytes().get(10) == Some(&b'T') {
        let Some(micros) = iso_micros(first) else {
            return LineKind::Garbled;
        };
        // dmesg's iso format writes a decimal comma and no host; journalctl's does neither.
        return LineKind::Entry(if first.contains(',') {
            kernel_entry(Stamp::Wall(micros), rest)
        } else {
            syslog_entry(Stamp::Wall(micros), rest)
        });
    }
    // `Dec 04 16:04:10[.035630] host ident: message`.
    let day_and_rest = line[first.len()..].trim_start();
    let Some((day, rest)) = day_and_rest.split_once(' ') else {
        return LineKind::Garbled;
    };
    let Some((time, rest)) = rest.split_once(' ') else {
        return LineKind::Garbled;
    };
    match month_day_micros(first, day, time, NO_YEAR) {
        Some(micros) => LineKind::Entry(syslog_entry(Stamp::NoYear(micros), rest)),
        None => LineKind::Garbled,
    }
}

/// dmesg -r's `<6>` and dmesg -x's `kern  :info  : ` before the time.
fn strip_level(line: &str) -> &str {
    if let Some(rest) = line.strip_prefix('<')
        && let Some((level, rest)) = rest.split_once('>')
        && !level.is_empty()
        && level.bytes().all(|b| b.is_ascii_digit())
    {
        return rest;
    }
    let mut fields = line.splitn(3, ':');
    if let (Some(facility), Some(level), Some(rest)) = (fields.next(), fields.next(), fields.next())
        && FACILITIES.contains(&facility.trim())
        && LEVELS.contains(&level.trim())
    {
        return rest.trim_start();
    }
    line
}

const FACILITIES: [&str; 12] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp",
];
const LEVELS: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug",
];

/// After `[`: `  123.456789] message` (dmesg, or journalctl's short-monotonic with a host and
/// `kernel:`), or `Fri Dec  4 16:04:10 2026] message` (dmesg -T).
fn bracketed(rest: &str) -> Option<Entry<'_>> {
    let (inside, message) = rest.split_once(']')?;
    let message = message.strip_prefix(' ').unwrap_or(message);
    let inside = inside.trim();
    if let Ok(seconds) = inside.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
    {
        let mut words = message.splitn(3, ' ');
        if let (Some(host), Some("kernel:"), Some(text)) =
            (words.next(), words.next(), words.next())
        {
            let mut entry = kernel_entry(Stamp::Boot(seconds), text);
            entry.host = Some(host);
            return Some(entry);
        }
        return Some(kernel_entry(Stamp::Boot(seconds), message));
    }
    Some(kernel_entry(Stamp::Wall(ctime_micros(inside)?), message))
}

fn kernel_entry(stamp: Stamp, message: &str) -> Entry<'_> {
    Entry {
        stamp,
        message,
        host: None,
        from_kernel: true,
    }
}

/// `host ident: message` after a syslog time. A message a program wrote into the kernel's
/// log (journald files it under that program's name) keeps its first word, which the kernel's
/// own messages often start with (`watchdog: BUG: ...`); rsyslog's `kernel: [ 12.3] ` time
/// since boot inside the message is dropped.
fn syslog_entry(stamp: Stamp, rest: &str) -> Entry<'_> {
    let (host, rest) = rest.split_once(' ').unwrap_or(("", rest));
    let (from_kernel, message) = match rest.strip_prefix("kernel: ") {
        Some(message) => (true, message),
        None => (false, rest.strip_prefix("unknown: ").unwrap_or(rest)),
    };
    let message = match message.strip_prefix('[').and_then(|m| m.split_once("] ")) {
        Some((seconds, text)) if seconds.trim().parse::<f64>().is_ok() => text,
        _ => message,
    };
    Entry {
        stamp,
        message,
        host: Some(host).filter(|host| !host.is_empty()),
        from_kernel,
    }
}

/// An event read from one message.
struct Event {
    table: &'static str,
    labels: Vec<(&'static str, String)>,
    fields: Vec<(&'static str, f64)>,
}

impl Event {
    fn new(table: &'static str) -> Event {
        Event {
            table,
            labels: Vec::new(),
            fields: vec![("count", 1.0)],
        }
    }

    fn label(mut self, name: &'static str, value: &str) -> Event {
        self.labels.push((name, value.to_string()));
        self
    }

    fn field(mut self, name: &'static str, value: Option<f64>) -> Event {
        if let Some(value) = value {
            self.fields.push((name, value));
        }
        self
    }
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid pattern")
}

static KILLED: LazyLock<Regex> = LazyLock::new(|| regex(r"(?:^|: )Killed process (\d+) \((.*)\)"));
static TOTAL_VM: LazyLock<Regex> = LazyLock::new(|| regex(r"total-vm:(\d+)kB"));
static OOM_KILL_CONTEXT: LazyLock<Regex> = LazyLock::new(|| regex(r"^oom-kill:(\S+)"));
static OOM_RSS: LazyLock<Regex> = LazyLock::new(|| regex(r"(anon|file|shmem)-rss:(\d+)kB"));
static HUNG: LazyLock<Regex> =
    LazyLock::new(|| regex(r"INFO: task (.+):(\d+) blocked for more than (\d+) seconds"));
static BLOCK_ERROR: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?:^|: )([A-Za-z/ ]*?) ?error, dev ([^,\s]+), sector (\d+)"));
static BUFFER_ERROR: LazyLock<Regex> =
    LazyLock::new(|| regex(r"Buffer I/O error on dev ([^,\s]+), logical block (\d+)"));
static EXT_ERROR: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(EXT[234])-fs error \(device ([^)]+)\)"));
static XFS_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"XFS \(([^)]+)\): .*(?:error|Corruption|[Ss]hut(?:ting)? down|shutdown)")
});
static BTRFS_ERROR: LazyLock<Regex> =
    LazyLock::new(|| regex(r"BTRFS (?:error|critical) \(device ([^)]+)\)"));
static LINK: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?:^|\s)(?:NIC )?Link (?:is )?(Up|Down|up|down)\b"));
static SPEED: LazyLock<Regex> = LazyLock::new(|| regex(r"(\d+) ?(Mbps|Gbps)"));
static SOFT_LOCKUP: LazyLock<Regex> =
    LazyLock::new(|| regex(r"soft lockup - CPU#(\d+) stuck for (\d+)s! \[(.*):(\d+)\]"));
static HARD_LOCKUP: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)detected hard LOCKUP on cpu (\d+)"));
static RCU_STALL: LazyLock<Regex> =
    LazyLock::new(|| regex(r"rcu: INFO: \S+ (?:self-)?detected stalls?"));
static SEGFAULT: LazyLock<Regex> = LazyLock::new(|| regex(r"^(.+)\[(\d+)\]: segfault at "));
static TRAP: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^traps: (.+)\[(\d+)\] (general protection fault|trap [a-z ]+?) ip:"));
static MACHINE_CHECK: LazyLock<Regex> =
    LazyLock::new(|| regex(r"CPU (\d+): Machine Check(?: Exception)?: \S+ Bank (\d+)"));
static EDAC: LazyLock<Regex> = LazyLock::new(|| regex(r"^EDAC (\S+): (\d+) (CE|UE) "));

/// What an `oom-kill:` line said of the kill the next `Killed process` line reports.
struct OomContext {
    pid: String,
    constraint: String,
    memcg: Option<String>,
}

/// The event a message reports, if any. `oom` carries the `oom-kill:` line's context to the
/// `Killed process` line after it.
fn event_of(message: &str, oom: &mut Option<OomContext>) -> Option<Event> {
    if let Some(found) = OOM_KILL_CONTEXT.captures(message) {
        let pairs: Vec<(&str, &str)> = found[1]
            .split(',')
            .filter_map(|pair| pair.split_once('='))
            .collect();
        let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        *oom = Some(OomContext {
            pid: get("pid").unwrap_or_default().to_string(),
            constraint: get("constraint")
                .unwrap_or("CONSTRAINT_NONE")
                .trim_start_matches("CONSTRAINT_")
                .to_ascii_lowercase(),
            memcg: get("task_memcg").or(get("oom_memcg")).map(String::from),
        });
        return None;
    }
    if let Some(found) = KILLED.captures(message) {
        let pid = &found[1];
        let context = oom.take().filter(|context| context.pid == pid);
        let in_cgroup = message.starts_with("Memory cgroup out of memory")
            || context.as_ref().is_some_and(|c| c.constraint == "memcg");
        let table = if in_cgroup {
            "kernel_cgroup_oom_kill"
        } else {
            "kernel_oom_kill"
        };
        let comm = found[2].split(") total-vm:").next().unwrap_or_default();
        let mut event = Event::new(table).label("comm", comm).label("pid", pid);
        let constraint = match &context {
            Some(context) => context.constraint.clone(),
            None if in_cgroup => "memcg".into(),
            None => String::new(),
        };
        if !constraint.is_empty() {
            event = event.label("constraint", &constraint);
        }
        if let Some(memcg) = context.as_ref().and_then(|c| c.memcg.as_deref()) {
            event = event.label("memcg", memcg);
        }
        let number = |text: &str| text.parse::<f64>().ok();
        event = event.field(
            "total_vm_kib",
            TOTAL_VM
                .captures(message)
                .and_then(|total| number(&total[1])),
        );
        for rss in OOM_RSS.captures_iter(message) {
            let name = match &rss[1] {
                "anon" => "anon_rss_kib",
                "file" => "file_rss_kib",
                _ => "shmem_rss_kib",
            };
            event = event.field(name, number(&rss[2]));
        }
        return Some(event);
    }
    if let Some(found) = HUNG.captures(message) {
        return Some(
            Event::new("kernel_hung_task")
                .label("comm", &found[1])
                .label("pid", &found[2])
                .field("blocked_s", found[3].parse().ok()),
        );
    }
    if let Some(found) = BUFFER_ERROR.captures(message) {
        return Some(
            Event::new("kernel_io_error")
                .label("device", &found[1])
                .label("kind", "buffer I/O")
                .field("block", found[2].parse().ok()),
        );
    }
    if let Some(found) = BLOCK_ERROR.captures(message) {
        let kind = found[1].trim();
        return Some(
            Event::new("kernel_io_error")
                .label("device", &found[2])
                .label("kind", if kind.is_empty() { "I/O" } else { kind })
                .field("sector", found[3].parse().ok()),
        );
    }
    let fs_error = |fs: &str, device: &str| {
        Event::new("kernel_fs_error")
            .label("fs", fs)
            .label("device", device)
    };
    if let Some(found) = EXT_ERROR.captures(message) {
        return Some(fs_error(&found[1].to_ascii_lowercase(), &found[2]));
    }
    if let Some(found) = XFS_ERROR.captures(message) {
        return Some(fs_error("xfs", &found[1]));
    }
    if let Some(found) = BTRFS_ERROR.captures(message) {
        return Some(fs_error("btrfs", &found[1]));
    }
    if let Some(found) = SOFT_LOCKUP.captures(message) {
        return Some(
            Event::new("kernel_lockup")
                .label("kind", "soft")
                .label("cpu", &found[1])
                .label("comm", &found[3])
                .label("pid", &found[4])
                .field("stuck_s", found[2].parse().ok()),
        );
    }
    if let Some(found) = HARD_LOCKUP.captures(message) {
        return Some(
            Event::new("kernel_lockup")
                .label("kind", "hard")
                .label("cpu", &found[1]),
        );
    }
    if RCU_STALL.is_match(message) {
        return Some(Event::new("kernel_lockup").label("kind", "rcu_stall"));
    }
    if let Some(found) = SEGFAULT.captures(message) {
        return Some(
            Event::new("kernel_segfault")
                .label("comm", &found[1])
                .label("pid", &found[2])
                .label("kind", "segfault"),
        );
    }
    if let Some(found) = TRAP.captures(message) {
        return Some(
            Event::new("kernel_segfault")
                .label("comm", &found[1])
                .label("pid", &found[2])
                .label("kind", &found[3]),
        );
    }
    if let Some(found) = MACHINE_CHECK.captures(message) {
        return Some(
            Event::new("kernel_mce")
                .label("kind", "machine_check")
                .label("cpu", &found[1])
                .label("bank", &found[2]),
        );
    }
    if message.contains("Machine check events logged") {
        return Some(Event::new("kernel_mce").label("kind", "events_logged"));
    }
    if let Some(found) = EDAC.captures(message) {
        let count: f64 = found[2].parse().unwrap_or(1.0);
        let (corrected, uncorrected) = if &found[3] == "CE" {
            (count, 0.0)
        } else {
            (0.0, count)
        };
        let mut event = Event::new("kernel_memory_error").label("controller", &found[1]);
        event.fields = vec![
            ("count", count),
            ("corrected", corrected),
            ("uncorrected", uncorrected),
        ];
        return Some(event);
    }
    link_event(message)
}

/// `eno1: NIC Link is Down`, `ens1f0: Link down`, `igb: eth1 NIC Link is Up 1000 Mbps`: the
/// interface is the word before `NIC`/`Link`, or the last word before it that ends in `:`.
fn link_event(message: &str) -> Option<Event> {
    let found = LINK.captures(message)?;
    let whole = found.get(0)?;
    let before: Vec<&str> = message[..whole.start()].split_whitespace().collect();
    let iface = match before.last() {
        Some(word) if !word.ends_with(':') && !word.contains('=') => word.to_string(),
        _ => before
            .iter()
            .rev()
            .find_map(|word| word.strip_suffix(':'))
            .filter(|word| !word.is_empty())?
            .to_string(),
    };
    let down = found[1].eq_ignore_ascii_case("down");
    let speed = SPEED.captures(&message[whole.end()..]).and_then(|speed| {
        let value: f64 = speed[1].parse().ok()?;
        Some(if &speed[2] == "Gbps" {
            value * 1000.0
        } else {
            value
        })
    });
    let mut event = Event::new("kernel_link").label("iface", &iface);
    event.fields.extend([
        ("down", f64::from(u8::from(down))),
        ("up", f64::from(u8::from(!down))),
    ]);
    Some(event.field("speed_mbps", speed))
}

pub fn parse(file: &str, text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut oom: Option<OomContext> = None;
    let mut last: Option<(Stamp, usize)> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let entry = match read_line(line) {
            LineKind::Entry(entry) => entry,
            LineKind::Skip => continue,
            LineKind::Garbled => {
                parsed.warnings.push(ParseWarning {
                    file: file.to_string(),
                    line: number,
                    message: "expected a kernel log line (`[  12.345678] message`, \
                              `[Fri Dec  4 16:04:10 2026] message`, \
                              `Dec 04 16:04:10 host kernel: message`, or an ISO time first)"
                        .into(),
                });
                continue;
            }
        };
        last = Some((entry.stamp, number));
        if parsed.host.hostname.is_none() {
            parsed.host.hostname = entry.host.map(String::from);
        }
        if parsed.host.kernel.is_none()
            && let Some(release) = entry.message.strip_prefix("Linux version ")
        {
            parsed.host.kernel = release.split_whitespace().next().map(String::from);
        }
        if let Some(event) = event_of(entry.message, &mut oom) {
            parsed
                .records
                .push(event_record(file, number, entry.stamp, event));
        }
    }
    if let Some((stamp, number)) = last {
        for (table, fields) in TABLES {
            let mut labels = Labels::new();
            if let Some(clock) = stamp.clock() {
                labels.insert("clock".into(), clock.into());
            }
            parsed.records.push(Record {
                table: table.into(),
                time: stamp.time(),
                labels,
                fields: fields.iter().map(|&field| (field.into(), 0.0)).collect(),
                source: SourceRef {
                    file: file.into(),
                    line: number,
                },
            });
        }
    }
    parsed
}

fn event_record(file: &str, number: usize, stamp: Stamp, event: Event) -> Record {
    let mut labels: Labels = event
        .labels
        .iter()
        .map(|(name, value)| ((*name).into(), value.as_str().into()))
        .collect();
    labels.insert("line".into(), number.to_string().as_str().into());
    if let Some(clock) = stamp.clock() {
        labels.insert("clock".into(), clock.into());
    }
    Record {
        table: event.table.into(),
        time: stamp.time(),
        labels,
        fields: event
            .fields
            .into_iter()
            .map(|(name, value)| (name.into(), value))
            .collect(),
        source: SourceRef {
            file: file.into(),
            line: number,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Vec<(String, Vec<(String, String)>)> {
        parse("dmesg.txt", text)
            .records
            .into_iter()
            .filter(|record| record.labels.get("line").is_some())
            .map(|record| {
                let labels = record
                    .labels
                    .iter()
                    .filter(|(name, _)| !["line", "clock"].contains(&name.as_str()))
                    .map(|(name, value)| (name.to_string(), value.to_string()))
                    .collect();
                (record.table.to_string(), labels)
            })
            .collect()
    }

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        pairs.sort();
        pairs
    }

    #[test]
    fn every_time_form_is_read() {
        for (line, time, clock) in [
            ("[ 5068.534155] x", 5068.534155, Some("boot")),
            ("<6>[ 5068.534155] x", 5068.534155, Some("boot")),
            ("kern  :info  : [ 5068.534155] x", 5068.534155, Some("boot")),
            ("[ 5068.534155] vm kernel: x", 5068.534155, Some("boot")),
            ("[Fri Dec  4 16:04:10 2026] x", 1_796_400_250.0, None),
            ("2026-12-04T16:04:10,500000+00:00 x", 1_796_400_250.5, None),
            (
                "2026-12-04T16:04:10+0000 vm kernel: x",
                1_796_400_250.0,
                None,
            ),
            (
                "Dec 04 16:04:10 vm kernel: x",
                975_945_850.0,
                Some("no_year"),
            ),
            (
                "Dec  4 16:04:10 vm kernel: [ 5.0] x",
                975_945_850.0,
                Some("no_year"),
            ),
        ] {
            let parsed = parse("k.txt", line);
            assert!(parsed.warnings.is_empty(), "{line}: {:?}", parsed.warnings);
            let first = &parsed.records[0];
            assert_eq!(first.time, time, "{line}");
            assert_eq!(
                first.labels.get("clock").map(|c| c.as_str()),
                clock,
                "{line}"
            );
        }
    }

    #[test]
    fn events_are_told_by_their_messages() {
        let log = "\
[1.0] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,task_memcg=/a/b,task=tail,pid=32629,uid=0
[1.0] Memory cgroup out of memory: Killed process 32629 (tail) total-vm:53780kB, anon-rss:50944kB, file-rss:1556kB, shmem-rss:0kB, UID:0 pgtables:140kB oom_score_adj:0
[2.0] Out of memory: Killed process 4242 (my (odd) prog) total-vm:8kB, anon-rss:7kB, file-rss:0kB, shmem-rss:0kB, UID:1000
[3.0] INFO: task jbd2/sdb1-8:412 blocked for more than 122 seconds.
[3.1] blk_update_request: I/O error, dev sdc, sector 4096 op 0x0:(READ) flags 0x0
[3.2] critical medium error, dev sda, sector 77
[3.3] Buffer I/O error on dev sdb1, logical block 0, lost async page write
[3.4] EXT4-fs error (device sdb1): ext4_find_entry:1663: inode #2: comm ls
[3.5] XFS (sdc1): Corruption detected. Unmount and run xfs_repair
[3.6] igb 0000:01:00.0 eth1: igb: eth1 NIC Link is Up 1000 Mbps Full Duplex
[3.7] mlx5_core 0000:3b:00.0 ens1f0: Link down
[3.8] watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [stress-ng-cpu:4321]
[3.9] segv[32630]: segfault at 0 ip 000055ed2de47132 sp 00007ffe82109ae0 error 6
[4.0] traps: x[9] trap divide error ip:4004ed sp:7ffd error:0 in x[400000+1000]
[4.1] mce: [Hardware Error]: CPU 1: Machine Check: 0 Bank 7: cc00008000010090
[4.2] EDAC MC0: 2 UE memory read error on CPU_SrcID#0
";
        let expected = [
            (
                "kernel_cgroup_oom_kill",
                labels(&[
                    ("comm", "tail"),
                    ("constraint", "memcg"),
                    ("memcg", "/a/b"),
                    ("pid", "32629"),
                ]),
            ),
            (
                "kernel_oom_kill",
                labels(&[("comm", "my (odd) prog"), ("pid", "4242")]),
            ),
            (
                "kernel_hung_task",
                labels(&[("comm", "jbd2/sdb1-8"), ("pid", "412")]),
            ),
            (
                "kernel_io_error",
                labels(&[("device", "sdc"), ("kind", "I/O")]),
            ),
            (
                "kernel_io_error",
                labels(&[("device", "sda"), ("kind", "critical medium")]),
            ),
            (
                "kernel_io_error",
                labels(&[("device", "sdb1"), ("kind", "buffer I/O")]),
            ),
            (
                "kernel_fs_error",
                labels(&[("device", "sdb1"), ("fs", "ext4")]),
            ),
            (
                "kernel_fs_error",
                labels(&[("device", "sdc1"), ("fs", "xfs")]),
            ),
            ("kernel_link", labels(&[("iface", "eth1")])),
            ("kernel_link", labels(&[("iface", "ens1f0")])),
            (
                "kernel_lockup",
                labels(&[
                    ("comm", "stress-ng-cpu"),
                    ("cpu", "1"),
                    ("kind", "soft"),
                    ("pid", "4321"),
                ]),
            ),
            (
                "kernel_segfault",
                labels(&[("comm", "segv"), ("kind", "segfault"), ("pid", "32630")]),
            ),
            (
                "kernel_segfault",
                labels(&[("comm", "x"), ("kind", "trap divide error"), ("pid", "9")]),
            ),
            (
                "kernel_mce",
                labels(&[("bank", "7"), ("cpu", "1"), ("kind", "machine_check")]),
            ),
            ("kernel_memory_error", labels(&[("controller", "MC0")])),
        ];
        let found = events(log);
        let expected: Vec<(String, Vec<(String, String)>)> = expected
            .into_iter()
            .map(|(table, labels)| (table.to_string(), labels))
            .collect();
        assert_eq!(found, expected);
        let parsed = parse("dmesg.txt", log);
        let oom = &parsed.records[0];
        assert_eq!(oom.fields["anon_rss_kib"], 50944.0);
        assert_eq!(oom.labels["line"], "2");
        let link = &parsed.records[8];
        assert_eq!(
            (link.fields["up"], link.fields["speed_mbps"]),
            (1.0, 1000.0)
        );
        let memory = &parsed.records[14];
        assert_eq!(
            (memory.fields["uncorrected"], memory.fields["count"]),
            (2.0, 2.0)
        );
    }

    #[test]
    fn a_garbled_line_is_a_warning_and_the_rest_is_read() {
        let log = "[ 1.0] ok\nnonsense here\n[ 2.0 broken\n\u{1}\u{2}\n-- Boot 1 --\n\n[ 3.0] segv[1]: segfault at 0 ip 1\n";
        let parsed = parse("dmesg.log", log);
        let lines: Vec<usize> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [2, 3, 4]);
        assert!(parsed.warnings.iter().all(|w| w.file == "dmesg.log"));
        assert_eq!(events(log).len(), 1);
        let read: Vec<&str> = parsed
            .records
            .iter()
            .filter(|r| r.fields["count"] == 0.0)
            .map(|r| r.table.as_str())
            .collect();
        assert_eq!(read.len(), TABLES.len(), "one 'log read' row per table");
    }

    #[test]
    fn any_input_parses_without_panicking() {
        for text in [
            "[",
            "[]",
            "[ -1.0] x",
            "[ NaN] x",
            "Dec",
            "Dec 04",
            "Feb 30 10:00:00 h kernel: x",
            "2026-12-04T16:04:10",
            "2026-12-04T16:04:10Z",
            "<>x",
            "kern :info",
            "[1.0] Killed process 1 (",
            "[1.0] oom-kill:",
            "[1.0] INFO: task :1 blocked for more than 1 seconds",
            "[1.0] Link is Up",
            "[1.0] EDAC MC0: 99999999999999999999 CE x",
        ] {
            let _ = parse("k", text);
        }
    }
}

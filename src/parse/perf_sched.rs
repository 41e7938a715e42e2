//! Parser for `perf script` over `sched:sched_switch` events (perf 6.1): off-CPU time per
//! thread and what it blocked in.
//!
//! ```text
//!   contended_lock 14060/14064 11348.483396: sched:sched_switch: prev_comm=contended_lock prev_pid=14064 prev_prio=120 prev_state=S ==> next_comm=perf next_pid=14094 next_prio=120
//!         ffffffff821f8b58 __schedule
//!         ffffffff8143f416 futex_do_wait
//!         ffffffff8143b6a2 __x64_sys_futex
//!   contended_lock 14060/14064 11348.483591: PERF_RECORD_SWITCH IN
//! ```
//!
//! The collector records `sched:sched_switch -g --switch-events` and prints it with
//! `perf script --show-switch-events -F comm,pid,tid,time,event,trace,ip,sym`. A thread goes
//! off-CPU at its `sched_switch` (where its kernel stack says why) and comes back at the next
//! `PERF_RECORD_SWITCH IN` of that thread, or at a `sched_switch` naming it as `next_pid`
//! (the only switch-in a system-wide recording has). Other lines (wakeups, switch-outs, which
//! `sched_switch` already gave) are skipped.
//!
//! - `offcpu` {comm, pid, process, wait, frame}: `offcpu_ms` (time off-CPU), `offcpu_pct`
//!   (of the window: the first to the last event of the file), `blocks`, `blocks_s`,
//!   `avg_ms`, `max_ms`. `pid` is the thread id, as in `perf trace`'s tables; `process` is
//!   the thread group. `wait` is the system call the thread blocked in (`futex`,
//!   `clock_nanosleep`, from its `__x64_sys_*` frame), `preempted` when it left the CPU
//!   runnable (`prev_state=R`: CPU contention, not blocking), or `kernel` when no system call
//!   frame shows; `frame` is the first frame below the scheduler's own (`futex_do_wait`).
//!
//! - `offcpu_process` {comm, process, wait}: `threads` (how many of the process's threads
//!   left the CPU for this reason), `offcpu_pct` (their average share of the window),
//!   `offcpu_ms`, `blocks` and `blocks_s` (all of them together); `comm` is that of the
//!   first of them by thread id. Eight threads each blocked in futex 85 % of the window is a
//!   contended lock; one is a consumer waiting for its producers. The switches do not say
//!   which futex (the lock's address): that takes perf trace's event log.
//!
//! A thread still off-CPU at the end counts its time up to the last event, not as a block.
//! A thread blocked for the whole window never switches and does not appear: it is idle,
//! not contended. Every record has time 0.0: the numbers cover the whole window, and perf's
//! clock is not wall-clock time.

use std::collections::{BTreeMap, HashMap};

use super::sniff::Sign;
use super::{Format, Parser, Table};
use crate::record::{ParseWarning, Parsed, Record};

const SWITCH_EVENT: &str = " sched:sched_switch: ";
const SWITCH_IN: &str = " PERF_RECORD_SWITCH IN";

/// What a group of off-CPU intervals is keyed by: the labels of its record.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    process: String,
    pid: String,
    comm: String,
    wait: String,
    frame: String,
}

#[derive(Debug, Default)]
struct Totals {
    ms: f64,
    blocks: u64,
    max_ms: f64,
    line: usize,
}

/// A thread that left the CPU and has not come back yet.
struct Away {
    since: f64,
    key: Key,
    /// The `sched_switch` it left at: the first of a group's is its record's source.
    line: usize,
}

/// The `sched_switch` whose stack lines are being read.
struct Pending {
    since: f64,
    key: Key,
    preempted: bool,
    line: usize,
}

/// One event line's header: `comm pid/tid time` before `: event: rest`.
struct Header<'a> {
    comm: &'a str,
    process: &'a str,
    tid: &'a str,
    time: f64,
}

/// `perf script` over sched_switch, told by its events: `sched:sched_switch` or a
/// `PERF_RECORD_SWITCH` (`--show-switch-events`).
pub(crate) struct PerfSched;

impl Parser for PerfSched {
    fn format(&self) -> Format {
        Format::PerfSchedSwitch
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        let is_switch =
            line.contains(" sched:sched_switch: ") || line.contains(" PERF_RECORD_SWITCH");
        is_switch.then_some(Sign::Event)
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }

    fn tables(&self) -> Vec<Table> {
        vec![
            Table::known(
                "offcpu",
                &[
                    "offcpu_ms",
                    "offcpu_pct",
                    "blocks",
                    "blocks_s",
                    "avg_ms",
                    "max_ms",
                ],
            ),
            Table::known(
                "offcpu_process",
                &["threads", "offcpu_pct", "offcpu_ms", "blocks", "blocks_s"],
            ),
        ]
    }
}

pub fn parse(file: &str, text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut away: HashMap<String, Away> = HashMap::new();
    let mut totals: BTreeMap<Key, Totals> = BTreeMap::new();
    let mut pending: Option<Pending> = None;
    let mut first: Option<f64> = None;
    let mut last = f64::NEG_INFINITY;

    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with('\t') {
            match pending.as_mut() {
                Some(open) => read_frame(open, line.trim()),
                None => parsed.warnings.push(warning(
                    file,
                    number,
                    format!(
                        "a stack frame outside a sched_switch event: {:?}",
                        line.trim()
                    ),
                )),
            }
            continue;
        }
        if let Some(done) = pending.take() {
            leave(&mut away, done);
        }
        let Some(header) = line.split(": ").next().and_then(event_header) else {
            parsed.warnings.push(warning(
                file,
                number,
                format!(
                    "expected a perf script event line `comm pid/tid time: event:`, found {line:?}"
                ),
            ));
            continue;
        };
        first.get_or_insert(header.time);
        last = last.max(header.time);
        let Some(at) = line.find(SWITCH_EVENT) else {
            if line.contains(SWITCH_IN) {
                come_back(&mut away, &mut totals, header.tid, header.time);
            }
            continue;
        };
        let trace = line.get(at + SWITCH_EVENT.len()..).unwrap_or_default();
        let Some(fields) = switch_fields(trace) else {
            parsed.warnings.push(warning(
                file,
                number,
                format!("a sched_switch without prev_pid, prev_state and next_pid: {trace:?}"),
            ));
            continue;
        };
        if fields.next_pid != "0" {
            come_back(&mut away, &mut totals, fields.next_pid, header.time);
        }
        if fields.prev_pid == "0" {
            continue;
        }
        let preempted = fields.prev_state.starts_with('R');
        pending = Some(Pending {
            since: header.time,
            key: Key {
                process: header.process.to_owned(),
                pid: fields.prev_pid.to_owned(),
                comm: header.comm.to_owned(),
                wait: if preempted { "preempted" } else { "kernel" }.to_owned(),
                frame: String::new(),
            },
            preempted,
            line: number,
        });
    }
    if let Some(done) = pending.take() {
        leave(&mut away, done);
    }
    let Some(first) = first else {
        if !text.trim().is_empty() {
            parsed.warnings.push(warning(
                file,
                1,
                "no sched_switch events: not `perf script` over sched:sched_switch".into(),
            ));
        }
        return parsed;
    };
    for (_, open) in away {
        let entry = totals.entry(open.key).or_default();
        entry.ms += (last - open.since).max(0.0) * 1000.0;
        if entry.line == 0 {
            entry.line = open.line;
        }
    }
    let window_s = last - first;
    let mut processes: BTreeMap<(String, String), Process> = BTreeMap::new();
    for (key, total) in totals {
        let process = processes
            .entry((key.process.clone(), key.wait.clone()))
            .or_insert_with(|| Process {
                comm: key.comm.clone(),
                line: total.line,
                ..Process::default()
            });
        if process.last_tid != key.pid {
            process.threads += 1;
            process.last_tid.clone_from(&key.pid);
        }
        process.ms += total.ms;
        process.blocks += total.blocks;
        parsed.records.push(record(file, key, &total, window_s));
    }
    for ((id, wait), process) in processes {
        parsed
            .records
            .push(process_record(file, &id, &wait, &process, window_s));
    }
    parsed
}

/// The threads of one process that left the CPU for one reason, together.
#[derive(Default)]
struct Process {
    comm: String,
    threads: u32,
    /// Keys come sorted by process then thread, so a new thread shows as a new id.
    last_tid: String,
    ms: f64,
    blocks: u64,
    line: usize,
}

/// `offcpu_process` {comm, process, wait}: `threads`, and their `offcpu_pct` (the average
/// thread's share of the window) and `blocks_s` (all of them together).
fn process_record(file: &str, id: &str, wait: &str, process: &Process, window_s: f64) -> Record {
    let mut fields = vec![
        ("threads", f64::from(process.threads)),
        ("offcpu_ms", round(process.ms)),
        ("blocks", process.blocks as f64),
    ];
    let average_ms = process.ms / f64::from(process.threads.max(1));
    fields.extend(window_shares(average_ms, process.blocks, window_s));
    let labels = [
        ("comm", process.comm.as_str()),
        ("process", id),
        ("wait", wait),
    ];
    let line = process.line.max(1);
    Record::from_pairs("offcpu_process", 0.0, &labels, &fields, file, line)
}

/// `offcpu_pct` (`ms` as a share of the window) and `blocks_s`, when the window is known.
fn window_shares(ms: f64, blocks: u64, window_s: f64) -> Vec<(&'static str, f64)> {
    if window_s > 0.0 {
        vec![
            ("offcpu_pct", round(ms / (window_s * 1000.0) * 100.0)),
            ("blocks_s", round(blocks as f64 / window_s)),
        ]
    } else {
        Vec::new()
    }
}

/// `comm pid/tid time` (the part of an event line before `: event:`).
fn event_header(head: &str) -> Option<Header<'_>> {
    let head = head.trim_end().trim_end_matches(':');
    let (rest, time) = head.rsplit_once(' ')?;
    let time = time.parse::<f64>().ok().filter(|t| t.is_finite())?;
    let (comm, ids) = rest.trim_end().rsplit_once(' ')?;
    let (process, tid) = ids.split_once('/')?;
    let is_id = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (is_id(process) && is_id(tid)).then_some(Header {
        comm: comm.trim(),
        process,
        tid,
        time,
    })
}

struct SwitchFields<'a> {
    prev_pid: &'a str,
    prev_state: &'a str,
    next_pid: &'a str,
}

/// `prev_comm=a prev_pid=1 prev_prio=120 prev_state=S ==> next_comm=b next_pid=2 ...`.
/// Comms may hold spaces, so fields are found by their `name=` after a space.
fn switch_fields(trace: &str) -> Option<SwitchFields<'_>> {
    let value = |pattern: &str| {
        let start = trace.find(pattern)? + pattern.len();
        Some(
            trace
                .get(start..)?
                .split_whitespace()
                .next()
                .unwrap_or_default(),
        )
    };
    let prev_pid = value(" prev_pid=")?;
    let next_pid = value(" next_pid=")?;
    let is_id = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (is_id(prev_pid) && is_id(next_pid)).then_some(SwitchFields {
        prev_pid,
        prev_state: value(" prev_state=")?,
        next_pid,
    })
}

/// One stack frame `ip symbol` of the pending switch: the first frame below the scheduler
/// names where it blocked, a `sys_*` entry point which system call.
fn read_frame(open: &mut Pending, frame: &str) {
    let symbol = frame
        .split_once(' ')
        .map_or(frame, |(_, symbol)| symbol)
        .trim();
    let symbol = symbol.split('+').next().unwrap_or(symbol);
    if open.key.frame.is_empty() && !is_scheduler(symbol) {
        open.key.frame = symbol.to_owned();
    }
    if open.preempted || open.key.wait != "kernel" {
        return;
    }
    let syscall = [
        "__x64_sys_",
        "__arm64_sys_",
        "__ia32_sys_",
        "__se_sys_",
        "__do_sys_",
    ]
    .iter()
    .find_map(|prefix| symbol.strip_prefix(prefix));
    if let Some(syscall) = syscall.filter(|name| !name.is_empty()) {
        open.key.wait = syscall.to_owned();
    }
}

/// The scheduler's own frames, above the one that says why a thread left the CPU.
fn is_scheduler(symbol: &str) -> bool {
    matches!(
        symbol,
        "__schedule" | "schedule" | "__traceiter_sched_switch"
    ) || symbol.starts_with("schedule_")
        || symbol.starts_with("preempt_schedule")
}

fn leave(away: &mut HashMap<String, Away>, done: Pending) {
    away.insert(
        done.key.pid.clone(),
        Away {
            since: done.since,
            key: done.key,
            line: done.line,
        },
    );
}

fn come_back(
    away: &mut HashMap<String, Away>,
    totals: &mut BTreeMap<Key, Totals>,
    tid: &str,
    time: f64,
) {
    let Some(open) = away.remove(tid) else {
        return;
    };
    let ms = (time - open.since).max(0.0) * 1000.0;
    let entry = totals.entry(open.key).or_default();
    entry.ms += ms;
    entry.blocks += 1;
    entry.max_ms = entry.max_ms.max(ms);
    if entry.line == 0 {
        entry.line = open.line;
    }
}

fn record(file: &str, key: Key, total: &Totals, window_s: f64) -> Record {
    let mut fields = vec![
        ("offcpu_ms", round(total.ms)),
        ("blocks", total.blocks as f64),
        ("max_ms", round(total.max_ms)),
    ];
    if total.blocks > 0 {
        fields.push(("avg_ms", round(total.ms / total.blocks as f64)));
    }
    fields.extend(window_shares(total.ms, total.blocks, window_s));
    let labels = [
        ("comm", key.comm.as_str()),
        ("pid", &key.pid),
        ("process", &key.process),
        ("wait", &key.wait),
        ("frame", &key.frame),
    ];
    Record::from_pairs("offcpu", 0.0, &labels, &fields, file, total.line.max(1))
}

/// Three decimals: perf's microsecond stamps hold no more, and goldens stay stable.
fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

fn warning(file: &str, line: usize, message: String) -> ParseWarning {
    ParseWarning {
        file: file.to_owned(),
        line,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "  lock 10/11 1.000000: PERF_RECORD_SWITCH IN
  lock 10/11 1.000100: sched:sched_switch: prev_comm=lock prev_pid=11 prev_prio=120 prev_state=S ==> next_comm=lock next_pid=12 next_prio=120
\tffffffff821f8b58 __schedule
\tffffffff821f94c3 schedule
\tffffffff8143f416 futex_do_wait
\tffffffff8143b6a2 __x64_sys_futex

  lock 10/11 1.000110: PERF_RECORD_SWITCH OUT
  lock 10/12 1.000120: PERF_RECORD_SWITCH IN
  lock 10/12 1.000500: sched:sched_switch: prev_comm=lock prev_pid=12 prev_prio=120 prev_state=R ==> next_comm=x next_pid=99 next_prio=120
\tffffffff821f8b58 __schedule
\tffffffff81415441 exit_to_user_mode_loop

  lock 10/11 1.001100: PERF_RECORD_SWITCH IN
  lock 10/12 1.002100: PERF_RECORD_SWITCH IN
";

    fn find<'a>(parsed: &'a Parsed, pid: &str, wait: &str) -> &'a Record {
        parsed
            .records
            .iter()
            .find(|r| r.table == "offcpu" && r.labels["pid"] == pid && r.labels["wait"] == wait)
            .unwrap_or_else(|| panic!("no {pid} {wait} in {:?}", parsed.records))
    }

    #[test]
    fn a_block_lasts_from_its_switch_out_to_the_next_switch_in() {
        let parsed = parse("offcpu/switches.txt", SAMPLE);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert_eq!(parsed.records.len(), 4);
        let futex = find(&parsed, "11", "futex");
        assert_eq!(futex.labels["frame"], "futex_do_wait");
        assert_eq!(futex.labels["process"], "10");
        assert_eq!(futex.fields["offcpu_ms"], 1.0);
        assert_eq!(futex.fields["blocks"], 1.0);
        // The window is 1.000000 to 1.002100: 2.1 ms.
        assert_eq!(futex.fields["offcpu_pct"], 47.619);
        assert_eq!(futex.source.line, 2);
        let preempted = find(&parsed, "12", "preempted");
        assert_eq!(preempted.labels["frame"], "exit_to_user_mode_loop");
        assert_eq!(preempted.fields["offcpu_ms"], 1.6);
        let process = parsed
            .records
            .iter()
            .find(|r| r.table == "offcpu_process" && r.labels["wait"] == "futex")
            .expect("a per-process record");
        assert_eq!(process.labels["process"], "10");
        assert_eq!(process.fields["threads"], 1.0);
        assert_eq!(process.fields["offcpu_pct"], 47.619);
    }

    #[test]
    fn a_process_counts_each_thread_once_and_averages_their_shares() {
        let text = "  p 1/2 0.0: sched:sched_switch: prev_comm=p prev_pid=2 prev_prio=1 prev_state=S ==> next_comm=q next_pid=9 next_prio=1
\tf __x64_sys_futex
  p 1/3 0.0: sched:sched_switch: prev_comm=p prev_pid=3 prev_prio=1 prev_state=S ==> next_comm=q next_pid=9 next_prio=1
\tf __x64_sys_futex
  p 1/2 0.5: PERF_RECORD_SWITCH IN
  p 1/2 0.5: sched:sched_switch: prev_comm=p prev_pid=2 prev_prio=1 prev_state=S ==> next_comm=q next_pid=9 next_prio=1
\tf futex_wait_queue
\tf __x64_sys_futex
  p 1/2 1.0: PERF_RECORD_SWITCH IN
  p 1/3 1.0: PERF_RECORD_SWITCH IN
";
        let parsed = parse("t", text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let process: Vec<&Record> = parsed
            .records
            .iter()
            .filter(|r| r.table == "offcpu_process")
            .collect();
        assert_eq!(process.len(), 1);
        assert_eq!(process[0].fields["threads"], 2.0);
        assert_eq!(process[0].fields["offcpu_pct"], 100.0);
        assert_eq!(process[0].fields["blocks_s"], 3.0);
    }

    #[test]
    fn next_pid_brings_a_thread_back_and_the_end_closes_what_is_open() {
        let text = "swapper     0/0     5.0: sched:sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=a b next_pid=7 next_prio=120
a b     7/7     5.5: sched:sched_switch: prev_comm=a b prev_pid=7 prev_prio=120 prev_state=D ==> next_comm=swapper/0 next_pid=0 next_prio=120
\tffffffff1 __schedule
\tffffffff2 io_schedule
  c 8/8 6.0: sched:sched_switch: prev_comm=c prev_pid=8 prev_prio=120 prev_state=S ==> next_comm=a b next_pid=7 next_prio=120
  c 8/8 7.0: sched:sched_wakeup: comm=c pid=8 prio=120 target_cpu=000
";
        let parsed = parse("t", text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let io = find(&parsed, "7", "kernel");
        assert_eq!(io.labels["comm"], "a b");
        assert_eq!(io.labels["frame"], "io_schedule");
        assert_eq!(io.fields["offcpu_ms"], 500.0);
        let open = find(&parsed, "8", "kernel");
        assert_eq!(open.fields["offcpu_ms"], 1000.0);
        assert_eq!(open.fields["blocks"], 0.0);
        assert!(!open.fields.contains_key("avg_ms"));
        assert!(
            parsed
                .records
                .iter()
                .all(|r| r.labels.get("pid").is_none_or(|pid| pid != "0"))
        );
    }

    #[test]
    fn lines_that_do_not_fit_are_warned_about_by_line() {
        let text = "\tffff __schedule\n  a 1/1 1.0: sched:sched_switch: prev_pid=x\nnonsense\n  a 1/1 2.0: PERF_RECORD_SWITCH IN\n";
        let parsed = parse("raw/s.txt", text);
        let lines: Vec<usize> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![1, 2, 3]);
        assert!(parsed.warnings.iter().all(|w| w.file == "raw/s.txt"));
        assert!(parsed.warnings[1].message.contains("prev_pid"));
        let garbage = parse("t", "hello\n").warnings;
        assert!(
            garbage
                .last()
                .is_some_and(|w| w.message.contains("no sched_switch"))
        );
        assert!(parse("t", "").warnings.is_empty());
    }

    #[test]
    fn any_input_parses_without_panicking() {
        let mut text = String::new();
        for piece in [
            "  a 1/1 1.0: sched:sched_switch: prev_pid=1 prev_state= next_pid=2\n",
            "\t\u{e9}\n",
            "  a 1/1 NaN: PERF_RECORD_SWITCH IN\n",
            "  a 1/1 inf: sched:sched_switch:  prev_pid=1 next_pid=1 prev_state=S\n",
            " 1/ 0.5: \n",
            "\tffff __x64_sys_\n",
            "  a 2/2 -1.0: PERF_RECORD_SWITCH IN\n",
        ] {
            text.push_str(piece);
            let _ = parse("t", &text);
        }
    }
}

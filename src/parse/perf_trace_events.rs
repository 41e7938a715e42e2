//! Parser for `perf trace` without `-s` (perf 6.1): one line per system call, summed into the
//! tables `perf trace -s` gives (`perf_trace.rs`), so the same rules and report read either.
//!
//! ```text
//!      0.883 ( 0.030 ms): sleep/25809 brk()                                     = 0x55c1a5c4e000
//!      1.218 ( 0.017 ms): sleep/25809 access(filename: 0xdf7c22a0, mode: R)     = -1 ENOENT (No such file or directory)
//!      0.552 (         ): contended_lock/4392 futex(uaddr: 0x7f4f5a8e5990, ...) ...
//!      0.552 (1002.498 ms): contended_lock/4392  ... [continued]: futex())      = 0
//!          ? (         ): sleep/25809  ... [continued]: execve())               = 0
//! ```
//!
//! A call counts once it has both ends: a line with its duration and result, or the
//! `[continued]` line of one that blocked (the line that started it, ending in `...`, is
//! not counted). A call already in flight when the trace started (`?`, no duration) and one
//! that never returns (`exit()`, `= ?`) are left out, as `perf trace -s` leaves them out.
//!
//! - `syscalls` {comm, pid, syscall}: `calls`, `errors` (negative results), `total_ms`,
//!   `min_ms`, `avg_ms`, `max_ms` and `stddev_pct`, as perf computes it: the standard error of
//!   the mean as a percentage of the mean.
//! - `syscall_process` {comm, pid}: `events` (the thread's calls) and `events_pct` (its share
//!   of all of them).
//!
//! `pid` is the thread id, as perf prints it; `comm` the last name perf printed for the thread
//! (a thread traced before perf knew its name shows as `:TID`). Every record has time 0.0: the
//! numbers cover the whole trace. Lines of other events (`--pf`, tracepoints) are skipped; a
//! line that is no event at all is a warning. With `-S` perf prints its own summary of the same
//! calls after the events; the events are read and the summary left: perf 6.1's leaves out a
//! new thread's first calls (tests/data/perf_trace_events/6.1/README.md), the events do not.

use std::collections::BTreeMap;

use super::sniff::Sign;
use super::{Format, Parser, Table, perf_trace};
use crate::record::{Labels, ParseWarning, Parsed, Record, SourceRef};

/// The line `perf trace -S` puts between the events and its summary.
const SUMMARY_LINE: &str = " Summary of events:";

/// `perf trace` event lines, told by their `time (duration): comm/tid` start.
pub struct PerfTraceEvents;

impl Parser for PerfTraceEvents {
    fn format(&self) -> Format {
        Format::PerfTraceEvents
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        event_line(line).map(|_| Sign::Event)
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }

    fn tables(&self) -> Vec<Table> {
        perf_trace::tables()
    }
}

/// One line of the event log, cut into its parts.
struct EventLine<'a> {
    /// The call's duration in ms, when the line gives one.
    duration_ms: Option<f64>,
    comm: &'a str,
    tid: &'a str,
    /// What follows `comm/tid `.
    rest: &'a str,
}

/// `   1.218 ( 0.017 ms): comm/tid rest` or `       ? (         ): comm/tid rest`.
fn event_line(line: &str) -> Option<EventLine<'_>> {
    let line = line.trim_start();
    let (time, rest) = line.split_once(" (")?;
    if time != "?" && time.parse::<f64>().is_err() {
        return None;
    }
    let (duration, rest) = rest.split_once("): ")?;
    let duration = duration.trim();
    let duration_ms = match duration.strip_suffix("ms") {
        Some(ms) => Some(ms.trim().parse::<f64>().ok()?),
        None if duration.is_empty() => None,
        None => return None,
    };
    let (thread, rest) = rest.split_once(' ')?;
    let (comm, tid) = thread.rsplit_once('/')?;
    if tid.is_empty() || !tid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(EventLine {
        duration_ms,
        comm,
        tid,
        rest,
    })
}

/// The syscall and whether it failed, for a line that ends a call: `name(args) = result` or
/// ` ... [continued]: name()) = result`. `None` for a call that has not ended on this line,
/// never returns, or another event.
fn ended_call(rest: &str) -> Option<(&str, bool)> {
    let rest = rest.trim_start();
    let rest = rest.strip_prefix("... [continued]: ").unwrap_or(rest);
    let (call, result) = rest.rsplit_once(" = ")?;
    let name = call.split_once('(')?.0;
    let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let result = result.trim();
    (valid && result != "?").then_some((name, result.starts_with('-')))
}

/// One thread's calls: its name, the line it first appears on, and per syscall its stats and
/// the line of its first call.
struct Thread {
    comm: String,
    first_line: usize,
    calls: BTreeMap<String, (Stats, usize)>,
}

/// The calls of one syscall by one thread, with the running mean and sum of squares
/// (Welford) perf keeps for its stddev.
#[derive(Default)]
struct Stats {
    calls: u64,
    errors: u64,
    total_ms: f64,
    min_ms: f64,
    max_ms: f64,
    mean: f64,
    m2: f64,
}

impl Stats {
    fn add(&mut self, ms: f64, failed: bool) {
        self.calls += 1;
        self.errors += u64::from(failed);
        self.total_ms += ms;
        self.min_ms = if self.calls == 1 {
            ms
        } else {
            self.min_ms.min(ms)
        };
        self.max_ms = self.max_ms.max(ms);
        let delta = ms - self.mean;
        self.mean += delta / self.calls as f64;
        self.m2 += delta * (ms - self.mean);
    }

    /// perf's `rel_stddev_stats`: the standard error of the mean, in percent of the mean.
    fn stddev_pct(&self) -> f64 {
        if self.calls < 2 || self.mean <= 0.0 {
            return 0.0;
        }
        let n = self.calls as f64;
        let variance_of_mean = self.m2 / (n - 1.0) / n;
        100.0 * variance_of_mean.sqrt() / self.mean
    }
}

pub fn parse(file: &str, text: &str) -> Parsed {
    // `perf trace -S` prints its own summary of the same calls after the events: the events
    // are read, and the summary left (perf's leaves out some threads' first calls).
    let text = text.find(SUMMARY_LINE).map_or(text, |start| &text[..start]);
    let mut parsed = Parsed::default();
    let mut threads: BTreeMap<u64, Thread> = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let Some(event) = event_line(line) else {
            parsed.warnings.push(ParseWarning {
                file: file.to_string(),
                line: number,
                message: "expected a perf trace event `TIME (DURATION ms): comm/tid call(...) \
                          = result`"
                    .into(),
            });
            continue;
        };
        let Ok(tid) = event.tid.parse::<u64>() else {
            continue;
        };
        let thread = threads.entry(tid).or_insert_with(|| Thread {
            comm: event.comm.to_string(),
            first_line: number,
            calls: BTreeMap::new(),
        });
        // A thread perf did not know the name of yet shows as `:TID`; a later line names it.
        if !event.comm.starts_with(':') {
            thread.comm = event.comm.to_string();
        }
        let (Some(ms), Some((name, failed))) = (event.duration_ms, ended_call(event.rest)) else {
            continue;
        };
        let (stats, _) = thread
            .calls
            .entry(name.to_string())
            .or_insert_with(|| (Stats::default(), number));
        stats.add(ms, failed);
    }
    let all_calls: u64 = threads
        .values()
        .flat_map(|thread| thread.calls.values())
        .map(|(stats, _)| stats.calls)
        .sum();
    for (tid, thread) in threads {
        let Thread {
            comm,
            first_line: first,
            calls,
        } = thread;
        let thread_calls: u64 = calls.values().map(|(stats, _)| stats.calls).sum();
        if thread_calls == 0 {
            continue;
        }
        let pid = tid.to_string();
        parsed.records.push(record(
            "syscall_process",
            labels(&comm, &pid, None),
            vec![
                ("events", thread_calls as f64),
                (
                    "events_pct",
                    100.0 * thread_calls as f64 / all_calls.max(1) as f64,
                ),
            ],
            file,
            first,
        ));
        for (syscall, (stats, line)) in calls {
            let fields = vec![
                ("calls", stats.calls as f64),
                ("errors", stats.errors as f64),
                ("total_ms", stats.total_ms),
                ("min_ms", stats.min_ms),
                ("avg_ms", stats.mean),
                ("max_ms", stats.max_ms),
                ("stddev_pct", stats.stddev_pct()),
            ];
            parsed.records.push(record(
                "syscalls",
                labels(&comm, &pid, Some(&syscall)),
                fields,
                file,
                line,
            ));
        }
    }
    let by_command = perf_trace::by_command(&parsed.records);
    parsed.records.extend(by_command);
    parsed
}

fn labels(comm: &str, pid: &str, syscall: Option<&str>) -> Labels {
    let mut labels = Labels::new();
    labels.insert("comm".into(), comm.into());
    labels.insert("pid".into(), pid.into());
    if let Some(syscall) = syscall {
        labels.insert("syscall".into(), syscall.into());
    }
    labels
}

fn record(
    table: &str,
    labels: Labels,
    fields: Vec<(&str, f64)>,
    file: &str,
    line: usize,
) -> Record {
    Record {
        table: table.into(),
        time: 0.0,
        labels,
        fields: fields
            .into_iter()
            .map(|(name, value)| (name.into(), value))
            .collect(),
        source: SourceRef {
            file: file.into(),
            line,
        },
    }
}

/// The upper bounds of the latency histogram's buckets, in ms; the last bucket is above them.
pub const LATENCY_BUCKETS_MS: [f64; 6] = [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0];

/// One system call's latencies over a whole event log (all threads).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SyscallLatency {
    pub syscall: String,
    pub calls: u64,
    pub errors: u64,
    pub total_ms: f64,
    pub mean_ms: f64,
    pub max_ms: f64,
    /// Calls per bucket of [`LATENCY_BUCKETS_MS`]: under 10 µs, under 100 µs, ..., 1 s and over.
    pub histogram: [u64; 7],
}

/// What an event log holds: per-syscall latencies, tracepoint counts, and what was left out.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LatencySummary {
    /// Most total time first.
    pub syscalls: Vec<SyscallLatency>,
    /// Tracepoint (`sched:sched_wakeup`) and other non-syscall events, by name, most first.
    pub tracepoints: Vec<(String, u64)>,
    /// Calls in flight when the trace started, or still blocked when it ended: no latency.
    pub unfinished: u64,
}

/// Per-syscall counts, errors and latencies (with a histogram), and tracepoint counts, from
/// `perf trace`'s event log (without `-s`). A call counts as in [`parse`]: once both its ends
/// are seen.
pub fn latency_summary(text: &str) -> LatencySummary {
    let text = text.find(SUMMARY_LINE).map_or(text, |start| &text[..start]);
    let mut calls: BTreeMap<&str, SyscallLatency> = BTreeMap::new();
    let mut tracepoints: BTreeMap<&str, u64> = BTreeMap::new();
    let mut unfinished = 0;
    // Calls started (`name(...) ...`) and not yet seen to end, per thread.
    let mut started: BTreeMap<&str, u64> = BTreeMap::new();
    for line in text.lines() {
        let Some(event) = event_line(line) else {
            continue;
        };
        match (event.duration_ms, ended_call(event.rest)) {
            (Some(ms), Some((name, failed))) => {
                if event.rest.trim_start().starts_with("... [continued]")
                    && let Some(open) = started.get_mut(event.tid)
                {
                    *open = open.saturating_sub(1);
                }
                let entry = calls.entry(name).or_default();
                entry.calls += 1;
                entry.errors += u64::from(failed);
                entry.total_ms += ms;
                entry.max_ms = entry.max_ms.max(ms);
                let bucket = LATENCY_BUCKETS_MS
                    .iter()
                    .position(|bound| ms < *bound)
                    .unwrap_or(LATENCY_BUCKETS_MS.len());
                entry.histogram[bucket] += 1;
            }
            (None, Some(_)) => unfinished += 1,
            _ => {
                let rest = event.rest.trim_start();
                let name = rest.split_once('(').map_or(rest, |(name, _)| name);
                if name.contains(':') && !name.contains(' ') {
                    *tracepoints.entry(name).or_default() += 1;
                } else if rest.ends_with("...") {
                    *started.entry(event.tid).or_default() += 1;
                }
            }
        }
    }
    unfinished += started.values().sum::<u64>();
    let mut syscalls: Vec<SyscallLatency> = calls
        .into_iter()
        .map(|(name, mut latency)| {
            latency.syscall = name.to_string();
            latency.mean_ms = latency.total_ms / latency.calls.max(1) as f64;
            latency
        })
        .collect();
    syscalls.sort_by(|a, b| b.total_ms.total_cmp(&a.total_ms));
    let mut tracepoints: Vec<(String, u64)> = tracepoints
        .into_iter()
        .map(|(name, count)| (name.to_string(), count))
        .collect();
    tracepoints.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    LatencySummary {
        syscalls,
        tracepoints,
        unfinished,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_are_bucketed_and_tracepoints_counted() {
        let log = "\
     0.014 (         ): app/2 futex(uaddr: 0x1, op: WAIT) ...
     0.100 ( 0.005 ms): app/3 read(fd: 3, buf: 0x1, count: 8)                   = -1 EAGAIN (Resource temporarily unavailable)
     0.200 ( 0.050 ms): app/3 read(fd: 3, buf: 0x1, count: 8)                   = 8
     0.300 (         ): app/3 sched:sched_wakeup(comm: \"app\", pid: 2 (app), prio: 120)
     0.014 (2.500 ms): app/2  ... [continued]: futex())                          = 0
         ? (         ): app/4  ... [continued]: futex())                          = 0
";
        let summary = latency_summary(log);
        assert_eq!(summary.syscalls.len(), 2);
        let futex = &summary.syscalls[0];
        assert_eq!((futex.syscall.as_str(), futex.calls), ("futex", 1));
        assert_eq!(futex.histogram, [0, 0, 0, 1, 0, 0, 0]);
        let read = &summary.syscalls[1];
        assert_eq!((read.calls, read.errors), (2, 1));
        assert_eq!(read.histogram, [1, 1, 0, 0, 0, 0, 0]);
        assert!((read.mean_ms - 0.0275).abs() < 1e-9);
        assert_eq!(read.max_ms, 0.05);
        assert_eq!(
            summary.tracepoints,
            vec![("sched:sched_wakeup".to_string(), 1)]
        );
        // app/4's futex was in flight at the start; app/2's ended.
        assert_eq!(summary.unfinished, 1);
    }

    const TRACE: &str = "         ? (         ): :7/7  ... [continued]: clone3())     = 0
     0.100 ( 0.010 ms): :7/7 rseq(rseq: 0x7f4f5a8e5fe0, rseq_len: 32) = 0
     0.552 (         ): lock/7 futex(uaddr: 0x7f, op: WAIT_BITSET, val: 2) ...
     0.600 ( 0.020 ms): lock/8 access(filename: 0xdf7c22a0, mode: R)   = -1 ENOENT (No such file or directory)
     0.552 ( 2.000 ms): lock/7  ... [continued]: futex())             = 0
     3.000 ( 4.000 ms): lock/7 futex(uaddr: 0x7f, op: WAKE, val: 1)     = 1
  1003.000 (         ): lock/7 exit_group()                                  = ?
not an event
";

    #[test]
    fn calls_with_both_ends_are_summed_per_thread_and_syscall() {
        let parsed = parse("trace.txt", TRACE);
        let lines: Vec<usize> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [8]);
        let futex = parsed
            .records
            .iter()
            .find(|r| r.table == "syscalls" && r.labels["syscall"] == "futex")
            .unwrap();
        assert_eq!(futex.labels["comm"], "lock", "the thread's later name");
        assert_eq!(futex.labels["pid"], "7");
        assert_eq!(
            (
                futex.fields["calls"],
                futex.fields["total_ms"],
                futex.fields["max_ms"]
            ),
            (2.0, 6.0, 4.0)
        );
        // Mean 3, deviations ±1: variance 2, of the mean 1, so 1/3 of the mean.
        assert!((futex.fields["stddev_pct"] - 100.0 / 3.0).abs() < 1e-9);
        let access = parsed
            .records
            .iter()
            .find(|r| r.table == "syscalls" && r.labels["syscall"] == "access")
            .unwrap();
        assert_eq!(access.fields["errors"], 1.0);
        let threads: Vec<(&str, f64)> = parsed
            .records
            .iter()
            .filter(|r| r.table == "syscall_process")
            .map(|r| (r.labels["pid"].as_str(), r.fields["events"]))
            .collect();
        assert_eq!(threads, [("7", 3.0), ("8", 1.0)]);
    }
}

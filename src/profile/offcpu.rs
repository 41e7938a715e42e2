//! Off-CPU stacks: `perf script` over `sched:sched_switch` (with `--switch-events` for a
//! per-process recording) → folded stacks weighted by the time each thread stayed off the
//! CPU, in microseconds, so a contended lock or a slow disk is a wide tower.
//!
//! ```text
//! contended_lock 32185/32190 15249.819414: sched:sched_switch: prev_comm=contended_lock prev_pid=32190 prev_prio=120 prev_state=S ==> next_comm=x next_pid=81 next_prio=110
//!     ffffffff82246e88 __schedule ([kernel.kallsyms])
//!     ffffffff8144fcd6 futex_do_wait ([kernel.kallsyms])
//!                18ba9 std::sync::poison::mutex::Mutex<T>::lock (/path/contended_lock)
//!
//! contended_lock 32185/32190 15249.819901: PERF_RECORD_SWITCH IN
//! ```
//!
//! A thread leaves the CPU at its `sched_switch` (its stack, kernel then user, says where)
//! and comes back at its next `PERF_RECORD_SWITCH IN`, or at a `sched_switch` naming it as
//! `next_pid` (all a system-wide recording has). Stacks are folded as
//! `comm;WAIT;outermost user frame;...;kernel frame`, WAIT being what it waited for:
//! `futex` (a lock or condition variable), `io` (disk: uninterruptible sleep, `io_schedule`),
//! `sleep` (nanosleep), `poll` (poll, select, epoll), `run-queue` (it was runnable, preempted,
//! and waited for a CPU) or `other`. A thread still away at the end counts to the last event.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::Folded;

const SWITCH_EVENT: &str = " sched:sched_switch: ";
const SWITCH: &str = " PERF_RECORD_SWITCH";

/// What a thread waited for while off the CPU.
pub fn wait_kind(state: &str, frames: &[String]) -> &'static str {
    if state.starts_with('R') {
        return "run-queue";
    }
    let has = |needle: &str| frames.iter().any(|frame| frame.contains(needle));
    if has("futex") {
        "futex"
    } else if state.starts_with('D') || has("io_schedule") || has("folio_wait") || has("blk_") {
        "io"
    } else if has("nanosleep") {
        "sleep"
    } else if has("ep_poll") || has("do_poll") || has("do_select") || has("poll_schedule") {
        "poll"
    } else {
        "other"
    }
}

/// Off-CPU time by what was waited for.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct WaitShare {
    pub process: String,
    /// `futex`, `io`, `sleep`, `poll`, `run-queue` or `other`.
    pub wait: String,
    /// The innermost frame of the workload's own code below the system call, or the first
    /// kernel frame below the scheduler's when there is none: where it blocked.
    pub frame: String,
    pub blocked_ms: f64,
    pub blocks: u64,
    /// Of all the time off the CPU.
    pub percent: f64,
}

/// The folded off-CPU stacks of a recording, and their summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OffCpu {
    /// Counts are microseconds off-CPU.
    #[serde(skip)]
    pub folded: Folded,
    /// The first to the last event, in ms.
    pub window_ms: f64,
    pub blocked_ms: f64,
    /// Most blocked time first.
    pub by_wait: Vec<WaitShare>,
}

struct Away {
    since: f64,
    stack: String,
    key: (String, String, String),
}

struct Pending {
    tid: u32,
    since: f64,
    comm: String,
    state: String,
    /// (name, in the kernel, in a shared library), innermost first.
    frames: Vec<(String, bool, bool)>,
}

/// Fold a sched_switch script. Lines that are neither a switch, a switch-in nor a stack
/// frame are skipped; so is a stack frame outside a switch.
pub fn fold_switches(text: &[u8]) -> OffCpu {
    let text = String::from_utf8_lossy(text);
    let mut away: HashMap<u32, Away> = HashMap::new();
    let mut stacks: BTreeMap<String, u64> = BTreeMap::new();
    // Blocked time in whole microseconds, added up as integers: the threads still away at
    // the end come back in a hash map's order, and floats added in another order differ
    // in their last digits from one run to the next.
    let mut groups: BTreeMap<(String, String, String), (u64, u64)> = BTreeMap::new();
    let mut pending: Option<Pending> = None;
    let (mut first, mut last) = (f64::NAN, f64::NAN);
    let mut come_back = |tid: u32, at: f64, away: &mut HashMap<u32, Away>| {
        if let Some(gone) = away.remove(&tid) {
            let micros = ((at - gone.since) * 1e6).max(0.0).round() as u64;
            *stacks.entry(gone.stack).or_default() += micros;
            let group = groups.entry(gone.key).or_default();
            group.0 += micros;
            group.1 += 1;
        }
    };
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(pending) = pending.as_mut()
                && let Some(frame) = frame_of(line)
            {
                pending.frames.push(frame);
            }
            continue;
        }
        if let Some(gone) = pending.take() {
            leave(gone, &mut away);
        }
        if let Some(at) = line.find(SWITCH_EVENT) {
            let Some((comm, tid, time)) = task_of(&line[..at]) else {
                continue;
            };
            let fields = &line[at + SWITCH_EVENT.len()..];
            let field = |name: &str| {
                fields
                    .split_whitespace()
                    .find_map(|cell| cell.strip_prefix(name)?.strip_prefix('='))
            };
            let prev: Option<u32> = field("prev_pid").and_then(|pid| pid.parse().ok());
            let next: Option<u32> = field("next_pid").and_then(|pid| pid.parse().ok());
            note_time(&mut first, &mut last, time);
            if let Some(next) = next {
                come_back(next, time, &mut away);
            }
            pending = Some(Pending {
                tid: prev.unwrap_or(tid),
                since: time,
                comm: field("prev_comm").unwrap_or(&comm).to_string(),
                state: field("prev_state").unwrap_or("").to_string(),
                frames: Vec::new(),
            });
        } else if let Some(at) = line.find(SWITCH)
            && let Some((_, tid, time)) = task_of(&line[..at])
        {
            note_time(&mut first, &mut last, time);
            if line[at + SWITCH.len()..].trim_start().starts_with("IN") {
                come_back(tid, time, &mut away);
            }
        }
    }
    if let Some(gone) = pending.take() {
        leave(gone, &mut away);
    }
    let mut ids: Vec<u32> = away.keys().copied().collect();
    ids.sort_unstable();
    for tid in ids {
        come_back(tid, last, &mut away);
    }
    let lines: Vec<(String, u64)> = stacks.into_iter().filter(|(_, us)| *us > 0).collect();
    let total: u64 = lines.iter().map(|(_, us)| us).sum();
    let blocked_ms = total as f64 / 1000.0;
    let mut by_wait: Vec<WaitShare> = groups
        .into_iter()
        .map(|((process, wait, frame), (micros, blocks))| {
            (process, wait, frame, micros as f64 / 1000.0, blocks)
        })
        .map(|(process, wait, frame, ms, blocks)| WaitShare {
            process,
            wait,
            frame,
            blocked_ms: ms,
            blocks,
            percent: if blocked_ms > 0.0 {
                ms * 100.0 / blocked_ms
            } else {
                0.0
            },
        })
        .collect();
    by_wait.sort_by(|a, b| b.blocked_ms.total_cmp(&a.blocked_ms));
    OffCpu {
        // Weighted by time off the CPU, not samples: the waits table says whose they were.
        folded: Folded {
            lines,
            total_samples: total,
            tasks: Vec::new(),
        },
        window_ms: if first.is_nan() {
            0.0
        } else {
            (last - first) * 1000.0
        },
        blocked_ms,
        by_wait,
    }
}

fn note_time(first: &mut f64, last: &mut f64, time: f64) {
    if first.is_nan() {
        *first = time;
    }
    *last = time;
}

/// A thread left the CPU: its stack, root first, and what it waited for.
fn leave(gone: Pending, away: &mut HashMap<u32, Away>) {
    let names: Vec<String> = gone.frames.iter().map(|(name, ..)| name.clone()).collect();
    let wait = wait_kind(&gone.state, &names);
    let scheduler = |name: &str| {
        matches!(name, "__schedule" | "schedule" | "__switch_to")
            || name.starts_with("preempt_schedule")
            || name.starts_with("finish_task_switch")
    };
    // Where it blocked: the innermost frame of the program's own code (not a shared
    // library's, like libc's `syscall`), else of any user code, else the first kernel frame
    // past the scheduler's own.
    let frame = gone
        .frames
        .iter()
        .find(|(_, kernel, library)| !kernel && !library)
        .or_else(|| gone.frames.iter().find(|(_, kernel, _)| !kernel))
        .or_else(|| gone.frames.iter().find(|(name, ..)| !scheduler(name)))
        .map_or_else(|| "[unknown]".to_string(), |(name, ..)| name.clone());
    let comm = gone.comm.replace(' ', "_");
    let mut stack = vec![comm.clone(), wait.to_string()];
    stack.extend(names.iter().rev().cloned());
    away.insert(
        gone.tid,
        Away {
            since: gone.since,
            stack: stack.join(";"),
            key: (comm, wait.to_string(), frame),
        },
    );
}

/// `comm pid/tid time:` (the comm may hold spaces) → (comm, tid, seconds).
fn task_of(head: &str) -> Option<(String, u32, f64)> {
    // perf pads the cells with spaces to line them up; its default fields put the CPU
    // (`[001]`) between the task and the time.
    let is_cpu = |cell: &str| {
        cell.strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .is_some_and(|cpu| !cpu.is_empty() && cpu.bytes().all(|b| b.is_ascii_digit()))
    };
    let cells: Vec<&str> = head
        .split_whitespace()
        .filter(|cell| !is_cpu(cell))
        .collect();
    let [comm @ .., ids, time] = cells.as_slice() else {
        return None;
    };
    let time: f64 = time.strip_suffix(':')?.parse().ok()?;
    let tid: u32 = ids.rsplit('/').next()?.parse().ok()?;
    Some((comm.join(" "), tid, time))
}

/// `ffffffff8144fcd6 futex_do_wait ([kernel.kallsyms])` → (`futex_do_wait`, in the kernel,
/// in a shared library).
/// An unknown symbol is named after its binary (`[libc.so.6]`); offsets are dropped.
fn frame_of(line: &str) -> Option<(String, bool, bool)> {
    let line = line.trim();
    let (_address, rest) = line.split_once(' ')?;
    // A mapping of a file since deleted (a memfd, an upgraded library) ends `(deleted))`.
    let rest = match rest.strip_suffix(" (deleted))") {
        Some(kept) => std::borrow::Cow::Owned(format!("{kept})")),
        None => std::borrow::Cow::Borrowed(rest),
    };
    let rest = rest.as_ref();
    let (symbol, dso) = match rest.rfind(" (") {
        Some(at) if rest.ends_with(')') => (&rest[..at], &rest[at + 2..rest.len() - 1]),
        _ => (rest, ""),
    };
    let kernel = dso.starts_with("[kernel")
        || dso.ends_with(".ko")
        || dso.starts_with('[') && dso != "[unknown]";
    let symbol = symbol.split("+0x").next().unwrap_or(symbol).trim();
    let name = if symbol.is_empty() || symbol == "[unknown]" {
        let binary = dso.rsplit('/').next().unwrap_or(dso);
        if binary.is_empty() || binary == "[unknown]" {
            "[unknown]".to_string()
        } else {
            format!("[{}]", binary.trim_matches(['[', ']']))
        }
    } else {
        symbol.replace(';', ":")
    };
    Some((name, kernel, dso.contains(".so")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_in_a_deleted_mapping_is_named_after_it() {
        let frame = frame_of("\t    7f2a1c0 [unknown] (/memfd:sealed-91173221a7ea (deleted))");
        assert_eq!(
            frame,
            Some(("[memfd:sealed-91173221a7ea]".to_string(), false, false))
        );
        let named = frame_of("\t    18ba9 Mutex::lock+0x19 (/opt/app (deleted))");
        assert_eq!(named, Some(("Mutex::lock".to_string(), false, false)));
    }

    const SCRIPT: &str = "\
app 10/11 100.000000: PERF_RECORD_SWITCH IN
app  10/11  100.001000: sched:sched_switch: prev_comm=app prev_pid=11 prev_prio=120 prev_state=S ==> next_comm=x next_pid=99 next_prio=120
\tffffffff82246e88 __schedule ([kernel.kallsyms])
\tffffffff8144fcd6 futex_do_wait ([kernel.kallsyms])
\tffffffff8144bb2d __x64_sys_futex ([kernel.kallsyms])
\t          101829 syscall (/usr/lib/x86_64-linux-gnu/libc.so.6)
\t           18ba9 Mutex::lock+0x19 (/app)
\t           891f5 start_thread (/usr/lib/x86_64-linux-gnu/libc.so.6)

app 10/12 100.002000: sched:sched_switch: prev_comm=app prev_pid=12 prev_prio=120 prev_state=R ==> next_comm=app next_pid=11 next_prio=120
\tffffffff82246e88 __schedule ([kernel.kallsyms])
\t           1cd5d [unknown] (/app)

app 10/11 100.003000: PERF_RECORD_SWITCH OUT
app 10/12 100.004000: PERF_RECORD_SWITCH IN
app 10/13 100.005000: sched:sched_switch: prev_comm=app prev_pid=13 prev_prio=120 prev_state=D ==> next_comm=x next_pid=99 next_prio=120
\tffffffff82246e88 __schedule ([kernel.kallsyms])
\tffffffff82246e90 io_schedule ([kernel.kallsyms])

app 10/13 100.009000: PERF_RECORD_SWITCH OUT
";

    #[test]
    fn blocked_time_is_folded_by_wait_and_stack() {
        let off = fold_switches(SCRIPT.as_bytes());
        let text = off.folded.to_text();
        // Thread 11: 1 ms in futex, back when thread 12 hands it the CPU.
        assert!(
            text.contains("app;futex;start_thread;Mutex::lock;syscall;__x64_sys_futex;futex_do_wait;__schedule 1000\n"),
            "{text}"
        );
        // Thread 12: preempted for 2 ms.
        assert!(
            text.contains("app;run-queue;[app];__schedule 2000\n"),
            "{text}"
        );
        // Thread 13: still away at the last event, 4 ms of I/O.
        assert!(
            text.contains("app;io;io_schedule;__schedule 4000\n"),
            "{text}"
        );
        assert_eq!(off.folded.total_samples, 7000);
        assert_eq!(off.window_ms.round(), 9.0);
        assert_eq!(off.by_wait[0].wait, "io");
        assert_eq!(off.by_wait[0].frame, "io_schedule");
        let futex = off.by_wait.iter().find(|w| w.wait == "futex").unwrap();
        assert_eq!(futex.frame, "Mutex::lock");
        assert_eq!(futex.blocks, 1);
    }

    #[test]
    fn perf_scripts_default_fields_with_the_cpu_fold_the_same() {
        // `perf script` without -F prints `comm tid [cpu] time:` (a perf.data read later).
        let with_cpu = SCRIPT
            .lines()
            .map(|line| match line.split_once(' ') {
                Some((comm, rest)) if !line.starts_with('\t') => {
                    let (ids, rest) = rest.split_once(' ').unwrap();
                    let tid = ids.rsplit('/').next().unwrap();
                    format!("{comm} {tid} [001] {rest}\n")
                }
                _ => format!("{line}\n"),
            })
            .collect::<String>();
        assert_eq!(
            fold_switches(with_cpu.as_bytes()).folded,
            fold_switches(SCRIPT.as_bytes()).folded
        );
    }

    #[test]
    fn wait_kinds_come_from_state_and_frames() {
        let frames = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(wait_kind("R+", &[]), "run-queue");
        assert_eq!(wait_kind("S", &frames(&["do_nanosleep"])), "sleep");
        assert_eq!(wait_kind("S", &frames(&["ep_poll"])), "poll");
        assert_eq!(wait_kind("D", &frames(&["x"])), "io");
        assert_eq!(wait_kind("S", &frames(&["pipe_read"])), "other");
        assert_eq!(fold_switches(b"garbage\n\tframe\n").folded.total_samples, 0);
    }
}

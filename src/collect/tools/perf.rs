//! perf: on-CPU profiles, syscall summaries and off-CPU (sched_switch) time.
//!
//! This runs on VMs without hardware counters, so profiles use the cpu-clock software event,
//! which works everywhere perf does.

use super::{Descriptor, Invocation, Program, Runs, ToolContext, args::Arg, seconds};

/// perf record, perf trace and perf script are all `perf`.
pub(crate) const PERF: Program = Program {
    name: "perf",
    version_args: &["--version"],
    debian: "linux-perf",
    rpm: "perf",
};

pub(super) const COLLECTORS: &[Descriptor] = &[
    Descriptor {
        name: "perf-record",
        description: "`perf record -g` then `perf script`: on-CPU stacks, folded, flamegraph, top functions.",
        programs: &[PERF],
        takes: &[Arg::Frequency, Arg::CallGraph, Arg::Target, Arg::Top],
        requires: |_| None,
        output: "profile/perf.script",
        runs: Runs::Spawned(|context| Ok(record(context))),
    },
    Descriptor {
        name: "perf-trace",
        description: "`perf trace -s`: per-process syscall summary.",
        programs: &[PERF],
        takes: &[Arg::Target, Arg::Top],
        requires: |_| None,
        output: "trace/syscalls.txt",
        runs: Runs::Spawned(|context| Ok(vec![trace(context)])),
    },
    Descriptor {
        name: "off-cpu",
        description: "`perf record -e sched:sched_switch -g`: per-thread off-CPU time and what it blocked in.",
        programs: &[PERF],
        takes: &[Arg::Target, Arg::Top],
        requires: |_| None,
        output: "offcpu/switches.txt",
        runs: Runs::Spawned(|context| Ok(off_cpu(context))),
    },
];

/// Observe these processes, or the whole system when there are none.
fn target_args(pids: &[u32]) -> Vec<String> {
    if pids.is_empty() {
        vec!["-a".into()]
    } else {
        let list: Vec<String> = pids.iter().map(u32::to_string).collect();
        vec!["-p".into(), list.join(",")]
    }
}

/// How long perf itself should record: a second less than the time box, so `perf script` fits.
fn record_seconds(context: &ToolContext<'_>) -> String {
    seconds(
        context
            .time_box
            .saturating_sub(std::time::Duration::from_secs(3))
            .max(std::time::Duration::from_secs(1)),
    )
}

/// `perf record` then `perf script`: the data file stays in raw_data/ beside the script text.
fn record(context: &ToolContext<'_>) -> Vec<Invocation> {
    let data = context.raw_dir.join("profile/perf.data");
    let data = data.to_string_lossy().into_owned();
    let frequency = context.args.frequency.unwrap_or(99).to_string();
    let mut argv: Vec<String> = ["perf", "record", "-e", "cpu-clock", "-F", &frequency]
        .map(String::from)
        .to_vec();
    // Debian and most distributions build without frame pointers, so `-g` gives one or two
    // frames; DWARF unwinding gives whole stacks at about 2 MB/s of data on two CPUs.
    if context.args.call_graph.unwrap_or(true) {
        argv.extend(["--call-graph".into(), "dwarf".into()]);
    }
    argv.extend(target_args(context.pids));
    argv.extend(["-o".into(), data.clone(), "--".into(), "sleep".into()]);
    argv.push(record_seconds(context));
    // `--no-inline`: without libbfd, perf resolves inline frames through addr2line, which can
    // take minutes. The fields are what the fold needs (the time stamp marks event lines);
    // not `cpu`, which samples recorded per process (`-p`) do not have.
    let script = [
        "perf",
        "script",
        "--no-inline",
        "-F",
        "comm,pid,tid,time,event,ip,sym,dso",
        "-i",
        &data,
    ]
    .map(String::from)
    .to_vec();
    vec![
        Invocation {
            argv,
            stdout: "profile/perf.record.log".into(),
        },
        Invocation {
            argv: script,
            stdout: context.output.to_string(),
        },
    ]
}

/// `perf trace -s`: per-process syscall counts and times, written by perf to the output file.
fn trace(context: &ToolContext<'_>) -> Invocation {
    let output = context.raw_dir.join(context.output);
    let mut argv: Vec<String> = ["perf", "trace", "-s"].map(String::from).to_vec();
    argv.extend(target_args(context.pids));
    argv.extend([
        "-o".into(),
        output.to_string_lossy().into_owned(),
        "--".into(),
        "sleep".into(),
        record_seconds(context),
    ]);
    Invocation {
        argv,
        stdout: format!("{}.log", context.output),
    }
}

/// The longest off-CPU recording. A lock storm switches about 12,000 times a second here;
/// each switch with its kernel stack costs about 250 bytes of perf.data and 400 of script
/// text, so 2 s stay near 25 MB in all, and per-thread shares are steady after a second.
const OFF_CPU_SECONDS: std::time::Duration = std::time::Duration::from_secs(2);

/// How the off-cpu collector starts `perf record`: every sched_switch, with kernel stacks.
/// `doctor` probes these same options (with `--switch-events`), so it says whether the
/// collector itself can run.
pub(crate) const OFF_CPU_RECORD: [&str; 6] = [
    "perf",
    "record",
    "-e",
    "sched:sched_switch",
    "-g",
    "--kernel-callchains",
];

/// `perf record` of sched:sched_switch with kernel stacks, then `perf script`: when each
/// thread left the CPU, in what (`futex_wait`), and when it came back. Traced processes get
/// `--switch-events` for their switch-ins (a per-process trace sees only its own switch-outs);
/// a system-wide trace has them in every sched_switch's `next_pid`.
fn off_cpu(context: &ToolContext<'_>) -> Vec<Invocation> {
    let data = context.raw_dir.join("offcpu/perf.data");
    let data = data.to_string_lossy().into_owned();
    let mut argv: Vec<String> = OFF_CPU_RECORD.map(String::from).to_vec();
    if !context.pids.is_empty() {
        argv.push("--switch-events".into());
    }
    argv.extend(target_args(context.pids));
    let window = context
        .time_box
        .saturating_sub(std::time::Duration::from_secs(3))
        .clamp(std::time::Duration::from_secs(1), OFF_CPU_SECONDS);
    argv.extend(["-o".into(), data.clone(), "--".into(), "sleep".into()]);
    argv.push(seconds(window));
    // Eight frames reach the system call's entry (`__x64_sys_futex`) below the scheduler's.
    let script = [
        "perf",
        "script",
        "--show-switch-events",
        "--max-stack",
        "8",
        "-F",
        "comm,pid,tid,time,event,trace,ip,sym",
        "-i",
        &data,
    ]
    .map(String::from)
    .to_vec();
    vec![
        Invocation {
            argv,
            stdout: "offcpu/perf.record.log".into(),
        },
        Invocation {
            argv: script,
            stdout: context.output.to_string(),
        },
    ]
}

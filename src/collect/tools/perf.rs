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
        description: "`perf record -g` then `perf script`: on-CPU stacks (or with `event`: off-CPU time, page faults, major faults), folded, flamegraph, top functions.",
        programs: &[PERF],
        takes: &[
            Arg::Frequency,
            Arg::CallGraph,
            Arg::Target,
            Arg::Top,
            Arg::Event,
        ],
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

/// What a profile records: `profile`'s flags, a perf-record step's `event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProfileEvent {
    /// cpu-clock samples at a frequency.
    Cpu,
    /// Every sched_switch with its stack: time blocked.
    OffCpu,
    /// One sample every [`FAULTS_PER_SAMPLE`] page faults.
    PageFaults,
    /// Every major fault (a page read from disk).
    MajorFaults,
}

/// A page-fault recording samples every this many faults.
pub(crate) const FAULTS_PER_SAMPLE: u32 = 10;

/// The longest off-CPU profile: every context switch is an event with its stack, about
/// 5 MB of perf.data a second under a lock storm.
pub(crate) const OFF_CPU_PROFILE_LONGEST: std::time::Duration = std::time::Duration::from_secs(5);

impl ProfileEvent {
    /// What a playbook writes, in the order of [`ProfileEvent::from_name`].
    pub(crate) const NAMES: [&'static str; 4] = ["cpu", "off-cpu", "page-faults", "major-faults"];

    pub(crate) fn from_name(name: &str) -> Option<ProfileEvent> {
        match name {
            "cpu" => Some(ProfileEvent::Cpu),
            "off-cpu" => Some(ProfileEvent::OffCpu),
            "page-faults" => Some(ProfileEvent::PageFaults),
            "major-faults" => Some(ProfileEvent::MajorFaults),
            _ => None,
        }
    }

    /// perf record's event options. A per-process off-CPU recording sees its threads'
    /// switch-outs only; `--switch-events` gives the switch-ins (a system-wide one has them
    /// as each sched_switch's next_pid). Faults have a fixed period, so every sample stands
    /// for as many faults; major faults are rare, so each is a sample.
    pub(crate) fn record_args(self, frequency: u32, dwarf: bool, per_process: bool) -> Vec<String> {
        let mut args: Vec<String> = match self {
            ProfileEvent::OffCpu => {
                let mut args = vec!["-e".into(), "sched:sched_switch".into(), "-g".into()];
                if per_process {
                    args.push("--switch-events".into());
                }
                return args;
            }
            ProfileEvent::Cpu => vec![
                "-e".into(),
                "cpu-clock".into(),
                "-F".into(),
                frequency.to_string(),
            ],
            ProfileEvent::PageFaults => vec![
                "-e".into(),
                "page-faults".into(),
                "-c".into(),
                FAULTS_PER_SAMPLE.to_string(),
            ],
            ProfileEvent::MajorFaults => {
                vec!["-e".into(), "major-faults".into(), "-c".into(), "1".into()]
            }
        };
        // Debian and most distributions build without frame pointers, so `-g` gives one or
        // two frames; DWARF unwinding gives whole stacks at about 2 MB/s of data on two CPUs.
        if dwarf {
            args.extend(["--call-graph".into(), "dwarf".into()]);
        } else {
            args.push("-g".into());
        }
        args
    }

    /// perf script's options for what the fold needs. `--no-inline`: without libbfd, perf
    /// resolves inline frames through addr2line, which can take minutes. The time stamp marks
    /// event lines; not `cpu`, which samples recorded per process (`-p`) do not have.
    pub(crate) fn script_args(self) -> Vec<String> {
        let mut args = vec!["--no-inline".to_string()];
        let fields = match self {
            ProfileEvent::OffCpu => {
                args.push("--show-switch-events".into());
                "comm,pid,tid,time,event,trace,ip,sym,dso"
            }
            _ => "comm,pid,tid,time,event,ip,sym,dso",
        };
        args.extend(["-F".into(), fields.into()]);
        args
    }
}

/// Where a perf-record step keeps perf.data and perf record's messages, relative to
/// raw_data/: beside its output, named after it (`profile/perf.script` → `profile/perf.data`
/// and `profile/perf.record.log`; `memory/major.script` → `memory/major.data`, `….data.log`).
fn data_files(output: &str) -> (String, String) {
    let path = std::path::Path::new(output);
    let mut data = path.with_extension("data");
    if data == path {
        data = path.with_extension("data.perf.data");
    }
    let log = match data.file_name().and_then(|name| name.to_str()) {
        Some("perf.data") => data.with_file_name("perf.record.log"),
        _ => data.with_extension(format!(
            "{}.log",
            data.extension()
                .and_then(|ext| ext.to_str())
                .unwrap_or("data")
        )),
    };
    (
        data.to_string_lossy().into_owned(),
        log.to_string_lossy().into_owned(),
    )
}

/// `perf record` then `perf script`: the data file stays in raw_data/ beside the script text.
/// An off-CPU recording is kept to [`OFF_CPU_PROFILE_LONGEST`].
fn record(context: &ToolContext<'_>) -> Vec<Invocation> {
    let event = context
        .args
        .event
        .as_deref()
        .and_then(ProfileEvent::from_name)
        .unwrap_or(ProfileEvent::Cpu);
    let (data, log) = data_files(context.output);
    let data = context.raw_dir.join(data).to_string_lossy().into_owned();
    let frequency = context.args.frequency.unwrap_or(99);
    let mut argv: Vec<String> = vec!["perf".into(), "record".into()];
    argv.extend(event.record_args(
        frequency,
        context.args.call_graph.unwrap_or(true),
        !context.pids.is_empty(),
    ));
    argv.extend(target_args(context.pids));
    argv.extend(["-o".into(), data.clone(), "--".into(), "sleep".into()]);
    argv.push(match event {
        ProfileEvent::OffCpu => seconds(
            context
                .time_box
                .saturating_sub(std::time::Duration::from_secs(3))
                .clamp(std::time::Duration::from_secs(1), OFF_CPU_PROFILE_LONGEST),
        ),
        _ => record_seconds(context),
    });
    let mut script: Vec<String> = vec!["perf".into(), "script".into()];
    script.extend(event.script_args());
    script.extend(["-i".into(), data]);
    vec![
        Invocation { argv, stdout: log },
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

#[cfg(test)]
mod tests {
    use super::*;

    fn step_argv(event: Option<&str>, output: &str, pids: &[u32]) -> Vec<String> {
        let args = super::super::StepArgs {
            event: event.map(String::from),
            ..Default::default()
        };
        let context = ToolContext {
            interval: std::time::Duration::from_secs(1),
            time_box: std::time::Duration::from_secs(15),
            raw_dir: std::path::Path::new("/raw"),
            output,
            args: &args,
            pids,
        };
        record(&context)
            .into_iter()
            .map(|invocation| format!("{} > {}", invocation.argv.join(" "), invocation.stdout))
            .collect()
    }

    #[test]
    fn a_perf_record_step_records_what_its_event_asks_beside_its_output() {
        assert_eq!(
            step_argv(None, "profile/perf.script", &[]),
            [
                "perf record -e cpu-clock -F 99 --call-graph dwarf -a -o /raw/profile/perf.data -- sleep 12 > profile/perf.record.log",
                "perf script --no-inline -F comm,pid,tid,time,event,ip,sym,dso -i /raw/profile/perf.data > profile/perf.script",
            ]
        );
        assert_eq!(
            step_argv(Some("off-cpu"), "offcpu/waits.script", &[7]),
            [
                "perf record -e sched:sched_switch -g --switch-events -p 7 -o /raw/offcpu/waits.data -- sleep 5 > offcpu/waits.data.log",
                "perf script --no-inline --show-switch-events -F comm,pid,tid,time,event,trace,ip,sym,dso -i /raw/offcpu/waits.data > offcpu/waits.script",
            ]
        );
        assert!(
            step_argv(Some("major-faults"), "memory/major.data", &[])[0]
                .starts_with("perf record -e major-faults -c 1 --call-graph dwarf -a -o /raw/memory/major.data.perf.data")
        );
        assert_eq!(
            ProfileEvent::from_name("page-faults"),
            Some(ProfileEvent::PageFaults)
        );
        assert_eq!(ProfileEvent::from_name("faults"), None);
    }
}

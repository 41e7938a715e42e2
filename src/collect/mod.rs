//! The only place that starts processes. Runs a phase's steps concurrently, each program in its
//! own process group, ends them at the time box (SIGINT, SIGTERM, SIGKILL) or on Ctrl-C, and
//! records everything in the manifest. Output goes straight to files under raw_data/.

pub mod bench;
pub mod doctor;
pub mod host;
pub mod manifest;
pub mod process;
pub mod profiler;
pub mod sampler;
pub mod script;
mod supervisor;
pub mod target;
pub mod tools;

use std::{
    path::Path,
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

use manifest::{CommandRecord, StepRecord, StepStatus, TargetProcess, Targets, now_stamp};
use process::{Ending, Redirect, find_program, run_owned};
use tools::{Invocation, Runs, ToolContext};

use crate::{
    schedule::{PlannedPhase, PlannedStep},
    store::{
        self,
        redact::{redact, redact_argv},
    },
};

/// A program that post-processes what an earlier one recorded (`perf script` after
/// `perf record`) may run this long past the time box: without it the recording is unreadable.
const POST_PROCESS_GRACE: Duration = Duration::from_secs(30);

/// What the engine tells whoever shows progress.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    PhaseStarted {
        phase: &'a str,
        time_box: Duration,
        steps: usize,
    },
    PhaseSkipped {
        phase: &'a str,
        reason: &'a str,
    },
    StepEnded {
        phase: &'a str,
        step: &'a str,
        status: StepStatus,
    },
}

pub trait Observer: Sync {
    fn event(&self, event: Event<'_>);
}

/// Everything a phase needs to run.
pub struct PhaseRun<'a> {
    pub phase: &'a PlannedPhase,
    pub interval: Duration,
    pub raw_dir: &'a Path,
    /// Whether `collector = "command"` steps may run (`--allow-commands`).
    pub allow_commands: bool,
    /// The processes that used the CPU so far, busiest first, those to profile marked, for
    /// steps with `target = "busiest"`.
    pub busiest: &'a [TargetProcess],
    pub interrupted: &'a AtomicBool,
    pub observer: &'a dyn Observer,
}

/// Run every step of a phase at once and wait for all of them.
pub(crate) fn run_phase(run: &PhaseRun<'_>) -> Vec<StepRecord> {
    run.observer.event(Event::PhaseStarted {
        phase: &run.phase.name,
        time_box: run.phase.time_box,
        steps: run.phase.steps.len(),
    });
    start_on_a_second();
    let deadline = Instant::now() + run.phase.time_box;
    let stagger = stagger(run.interval, run.phase.steps.len());
    let places = start_places(&run.phase.steps);
    std::thread::scope(|scope| {
        let handles: Vec<_> = run
            .phase
            .steps
            .iter()
            .zip(places)
            .map(|(step, place)| {
                scope.spawn(move || {
                    std::thread::sleep(stagger * place as u32);
                    run_step(run, step, deadline)
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(&run.phase.steps)
            .map(|(handle, step)| {
                let record = handle.join().unwrap_or_else(|_| {
                    skipped(run, step, StepStatus::Failed, "the step's thread panicked")
                });
                run.observer.event(Event::StepEnded {
                    phase: &run.phase.name,
                    step: &step.name,
                    status: record.status,
                });
                record
            })
            .collect()
    })
}

/// Wait for the wall clock's next whole second (and a little more). sysstat stamps its samples
/// with whole seconds, cut down; steps that start on both sides of a second's boundary stamp the
/// same instants one second apart, and a rule joining them (mpstat, vmstat and the sampler's
/// PSI) then finds one sample fewer in common than each has: "held 4 s" under 5 s of load.
/// Started just after a boundary, every step's staggered start (under 0.8 s in all) falls in
/// the same second.
fn start_on_a_second() {
    const AFTER: Duration = Duration::from_millis(20);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let into = Duration::from_nanos(u64::from(now.subsec_nanos()));
    let wait = (Duration::from_secs(1) - into + AFTER).as_secs_f64() % 1.0;
    std::thread::sleep(Duration::from_secs_f64(wait));
}

/// Where each step of a phase stands in the order they start: the in-process sampler first,
/// then the programs in the playbook's order. The sampler's first snapshot is only the base
/// its rates are counted from, and an interval tool's first sample covers its first interval:
/// started first, the sampler's rates cover the same seconds as the tools' samples, and a rule
/// joining PSI (sampler) to vmstat and mpstat holds over the whole window, not one second less.
fn start_places(steps: &[PlannedStep]) -> Vec<usize> {
    let in_process = |step: &PlannedStep| matches!(step.collector.runs(), Runs::InProcess);
    let first = steps.iter().filter(|step| in_process(step)).count();
    let (mut sampler, mut program) = (0, first);
    steps
        .iter()
        .map(|step| {
            let counter = if in_process(step) {
                &mut sampler
            } else {
                &mut program
            };
            *counter += 1;
            *counter - 1
        })
        .collect()
}

/// How far apart the steps of a phase start. Started together, the interval tools all wake
/// at the same instant every interval and see each other running: on an idle two-CPU machine
/// vmstat then reports three runnable threads instead of one. Spread over the interval, each
/// samples while the others sleep. The last step starts within 0.8 s, inside the second every
/// interval tool is given to finish (see `sample_count` in `tools/sysstat.rs`).
fn stagger(interval: Duration, steps: usize) -> Duration {
    let steps = steps.max(1) as u32;
    (interval / (steps + 1)).min(Duration::from_millis(800) / steps)
}

/// A record for a step that did not run.
pub fn skipped(
    run: &PhaseRun<'_>,
    step: &PlannedStep,
    status: StepStatus,
    note: &str,
) -> StepRecord {
    let now = now_stamp();
    StepRecord {
        phase: run.phase.name.clone(),
        step: step.name.clone(),
        collector: step.collector.name().to_string(),
        status,
        outputs: Vec::new(),
        bytes: 0,
        start: now.clone(),
        end: now,
        commands: Vec::new(),
        note: note.to_string(),
        hint: String::new(),
        targets: None,
    }
}

fn run_step(run: &PhaseRun<'_>, step: &PlannedStep, deadline: Instant) -> StepRecord {
    match step.collector.runs() {
        Runs::InProcess => return run_sampler(run, step, deadline),
        Runs::Probe => return run_probe(run, step, deadline),
        Runs::Command(_) if !run.allow_commands => {
            return skipped(
                run,
                step,
                StepStatus::Skipped,
                "arbitrary commands run only with --allow-commands",
            );
        }
        Runs::Spawned(_) | Runs::Command(_) => {}
    }
    if let Some(missing) = step
        .collector
        .programs()
        .iter()
        .find(|program| find_program(program.name).is_none())
    {
        let mut record = skipped(
            run,
            step,
            StepStatus::Missing,
            &format!("{} is not installed", missing.name),
        );
        record.hint = missing.install_hint();
        return record;
    }
    let alive = |pids: &[u32]| -> Vec<u32> {
        pids.iter()
            .copied()
            .filter(|pid| unattachable(*pid).is_none())
            .collect()
    };
    let chosen: Vec<u32> = run
        .busiest
        .iter()
        .filter(|process| process.profiled)
        .map(|process| process.pid)
        .collect();
    let pids: Vec<u32> = match step.args.target.as_deref() {
        // The busiest processes of the last phase may have exited since; with none left the
        // whole system is observed.
        Some("busiest") => alive(&chosen),
        Some(pid) => pid.parse().map(|pid| vec![pid]).unwrap_or_default(),
        None => Vec::new(),
    };
    let targets = step
        .collector
        .aimed_by_pid()
        .then(|| aim(run.busiest, &pids));
    let mut first = run_commands(run, step, &pids, deadline);
    first.targets.clone_from(&targets);
    // A busy process can exit while perf attaches to it ("Problems initializing symbol
    // libraries!", "Problems parsing the target"): once, the step tries again on the
    // processes still there, keeping the first attempt's commands in the manifest.
    let survivors = alive(&pids);
    let retry = first.status == StepStatus::Failed
        && step.args.target.as_deref() == Some("busiest")
        && !survivors.is_empty()
        && survivors.len() < pids.len()
        && !run.interrupted.load(std::sync::atomic::Ordering::SeqCst)
        && deadline.saturating_duration_since(Instant::now()) > run.phase.time_box / 2;
    if !retry {
        return first;
    }
    let mut second = run_commands(run, step, &survivors, deadline);
    second.targets = Some(aim(run.busiest, &survivors));
    second.note = format!(
        "retried on PIDs {survivors:?} after: {}{}{}",
        first.note,
        if second.note.is_empty() { "" } else { "; " },
        second.note
    );
    second.start = first.start;
    second.commands.splice(0..0, first.commands);
    second
}

/// Why perf cannot attach to `pid`, if it cannot: it refuses the whole PID list for a
/// process that exited, a kernel thread or one whose memory map it may not read (PID 1 in a
/// sandbox).
fn unattachable(pid: u32) -> Option<&'static str> {
    let proc = Path::new("/proc").join(pid.to_string());
    match std::fs::read(proc.join("cmdline")) {
        Err(_) => Some("exited before perf started"),
        Ok(cmdline) if cmdline.is_empty() => {
            Some("a kernel thread (or a zombie): perf -p cannot attach")
        }
        Ok(_) if std::fs::File::open(proc.join("maps")).is_err() => {
            Some("its memory map may not be read, so perf may not attach")
        }
        Ok(_) => None,
    }
}

/// Whom perf is aimed at: `-p` the `pids` (or `-a` without any), and each process that used
/// the CPU before, marked profiled or not, and why not.
fn aim(busiest: &[TargetProcess], pids: &[u32]) -> Targets {
    let scope = match pids {
        [] => "-a".to_string(),
        pids => format!(
            "-p {}",
            pids.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ),
    };
    let processes = busiest
        .iter()
        .map(|process| {
            let mut process = process.clone();
            if pids.is_empty() {
                // Every CPU: everyone is in the recording.
                process.profiled = true;
                process.why = String::new();
            } else if process.profiled && !pids.contains(&process.pid) {
                process.profiled = false;
                process.why = unattachable(process.pid)
                    .unwrap_or("ended before perf attached")
                    .to_string();
            }
            process
        })
        .collect();
    Targets { scope, processes }
}

/// Run a step's commands in order, stopping at the first that fails or is interrupted.
fn run_commands(
    run: &PhaseRun<'_>,
    step: &PlannedStep,
    pids: &[u32],
    deadline: Instant,
) -> StepRecord {
    let context = ToolContext {
        interval: run.interval,
        time_box: run.phase.time_box,
        raw_dir: run.raw_dir,
        output: &step.output,
        args: &step.args,
        pids,
    };
    let invocations = match step.collector.invocations(&context) {
        Ok(invocations) => invocations,
        Err(why) => return skipped(run, step, StepStatus::Failed, &why),
    };
    let mut record = skipped(run, step, StepStatus::Ok, "");
    for (index, invocation) in invocations.iter().enumerate() {
        let command_deadline = if index == 0 {
            deadline
        } else {
            deadline.max(Instant::now() + POST_PROCESS_GRACE)
        };
        let command = run_invocation(run.raw_dir, invocation, command_deadline, run.interrupted);
        record.status = worse(record.status, command_status(&command));
        if record.note.is_empty()
            && let Some(error) = &command.error
        {
            record.note.clone_from(error);
        }
        let stop = command.exit.as_ref().is_none_or(|exit| {
            exit.ending == Ending::Interrupted
                || (exit.code != Some(0) && exit.ending == Ending::Exited)
        });
        record.commands.push(command);
        if stop {
            break;
        }
    }
    let built_in = matches!(step.collector.runs(), Runs::Spawned(_));
    let produced = list_outputs(run.raw_dir, &step.output, &mut record);
    // A tool of ours that wrote nothing did not do its job, whatever its exit code says.
    let empty = built_in && produced == 0;
    if empty && record.status == StepStatus::Ok {
        record.status = StepStatus::Failed;
    }
    if record.status == StepStatus::Failed && record.note.is_empty() {
        record.note = failure_line(run.raw_dir, &record, &step.output).unwrap_or_default();
        if record.hint.is_empty() && is_perf_permission(&record.note) {
            record.hint = doctor::PARANOID_HINT.to_string();
        }
    }
    if empty && record.note.is_empty() {
        record.note = format!("produced nothing: {} is empty", step.output);
    }
    // A tool's complaint may quote its own command line.
    record.note = redact(&record.note);
    record.end = now_stamp();
    record
}

/// List what a step wrote, with the bytes: each command's stdout that holds something, and
/// the step's output always (perf trace writes that with `-o`, its stdout log stays empty).
/// Returns the bytes of the step's output.
fn list_outputs(raw_dir: &Path, output: &str, record: &mut StepRecord) -> u64 {
    let size = |name: &str| std::fs::metadata(raw_dir.join(name)).map(|meta| meta.len());
    let written = record
        .commands
        .iter()
        .map(|command| command.stdout.as_str());
    for name in written.chain([output]) {
        if let Ok(bytes) = size(name)
            && (bytes > 0 || name == output)
            && !record.outputs.iter().any(|listed| listed == name)
        {
            record.outputs.push(name.to_string());
            record.bytes += bytes;
        }
    }
    size(output).unwrap_or(0)
}

/// The more serious of two outcomes, so a step reports the worst of its commands.
fn worse(a: StepStatus, b: StepStatus) -> StepStatus {
    let rank = |status| match status {
        StepStatus::Ok | StepStatus::Skipped => 0,
        StepStatus::TimedOut => 1,
        StepStatus::Failed | StepStatus::Missing => 2,
        StepStatus::Interrupted => 3,
    };
    if rank(b) > rank(a) { b } else { a }
}

fn command_status(command: &CommandRecord) -> StepStatus {
    match &command.exit {
        None => StepStatus::Failed,
        Some(exit) => match exit.ending {
            Ending::Interrupted => StepStatus::Interrupted,
            Ending::TimedOut => StepStatus::TimedOut,
            Ending::Exited if exit.code == Some(0) => StepStatus::Ok,
            Ending::Exited => StepStatus::Failed,
        },
    }
}

pub(crate) fn run_invocation(
    raw_dir: &Path,
    invocation: &Invocation,
    deadline: Instant,
    interrupted: &AtomicBool,
) -> CommandRecord {
    let stdout = raw_dir.join(&invocation.stdout);
    let stderr_name = format!("{}.stderr", invocation.stdout);
    let stderr = raw_dir.join(&stderr_name);
    // Secrets on the command line never reach the manifest, the report or a message.
    let argv = redact_argv(&invocation.argv);
    let start = now_stamp();
    let result = stdout
        .parent()
        .map_or(Ok(()), store::private_dir)
        .and_then(|()| {
            run_owned(
                &invocation.argv,
                Redirect {
                    stdout: &stdout,
                    stderr: &stderr,
                },
                deadline,
                interrupted,
            )
        });
    let end = now_stamp();
    let bytes = std::fs::metadata(&stdout).map_or(0, |meta| meta.len());
    let stderr_kept = match std::fs::metadata(&stderr) {
        Ok(meta) if meta.len() > 0 => stderr_name,
        _ => {
            let _ = std::fs::remove_file(&stderr);
            String::new()
        }
    };
    let (exit, error) = match result {
        Ok(exit) => (Some(exit), None),
        Err(err) => (
            None,
            Some(format!("could not run {}: {err}", argv.join(" "))),
        ),
    };
    CommandRecord {
        argv,
        stdout: invocation.stdout.clone(),
        stderr: stderr_kept,
        start,
        end,
        exit,
        bytes,
        error,
    }
}

/// Why a step failed, in the tool's words: the first line of the failed command's stderr or,
/// for tools that write even their complaints to their `-o` file (perf trace), of a short
/// output file.
/// Whether a tool's complaint is perf refusing this user (perf_event_paranoid, capabilities).
fn is_perf_permission(note: &str) -> bool {
    [
        "Access to performance monitoring",
        "perf_event_paranoid",
        "No permission to enable",
    ]
    .iter()
    .any(|sign| note.contains(sign))
}

fn failure_line(raw_dir: &Path, record: &StepRecord, output: &str) -> Option<String> {
    const SHORT: u64 = 4096;
    // The command that failed is the last one run: its complaint, not an earlier one's chatter.
    let failed = record.commands.last()?;
    let first_line = |name: &str, limit: u64| {
        let path = raw_dir.join(name);
        if name.is_empty() || std::fs::metadata(&path).ok()?.len() > limit {
            return None;
        }
        let text = std::fs::read_to_string(path).ok()?;
        let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
        let first = lines.next()?;
        // perf writes a bare "Error:" and says what on the next line.
        Some(match first {
            "Error:" | "error:" => lines.next().map_or(first.to_string(), String::from),
            _ => first.to_string(),
        })
    };
    first_line(&failed.stderr, u64::MAX)
        .or_else(|| first_line(&failed.stdout, SHORT))
        .or_else(|| first_line(output, SHORT))
}

fn run_sampler(run: &PhaseRun<'_>, step: &PlannedStep, deadline: Instant) -> StepRecord {
    let mut record = skipped(run, step, StepStatus::Ok, "");
    let proc_dir = run.raw_dir.join(&step.output);
    match sampler::sample(&proc_dir, run.interval, deadline, run.interrupted) {
        Ok(report) => {
            record.bytes = report.bytes;
            record.outputs = report
                .files
                .iter()
                .map(|file| {
                    Path::new(&step.output)
                        .join(file.trim_start_matches("proc/"))
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            record.note = report
                .unreadable
                .iter()
                .map(|(source, why)| format!("{source}: {why}"))
                .collect::<Vec<_>>()
                .join("; ");
            if run.interrupted.load(Ordering::Relaxed) {
                record.status = StepStatus::Interrupted;
            }
        }
        Err(err) => {
            record.status = StepStatus::Failed;
            record.note = format!("the /proc sampler failed: {err}");
        }
    }
    record.end = now_stamp();
    record
}

/// The HTTP probe over what is left of the time box, but for the grace the interval tools get
/// to finish; its raw file is written when it ends. An endpoint that gives no answer fails the
/// step with its error class; the other steps go on.
fn run_probe(run: &PhaseRun<'_>, step: &PlannedStep, deadline: Instant) -> StepRecord {
    let mut record = skipped(run, step, StepStatus::Ok, "");
    let fail = |mut record: StepRecord, note: String| {
        record.status = StepStatus::Failed;
        record.note = redact(&note);
        record.end = now_stamp();
        record
    };
    let endpoint = step.args.endpoint.as_deref().unwrap_or_default();
    let endpoint = match crate::red::Endpoint::parse(endpoint) {
        Ok(endpoint) => endpoint,
        Err(err) => return fail(record, err.message),
    };
    let endpoint = match &step.args.ca_cert {
        Some(ca_file) => match endpoint.trusting(std::path::Path::new(ca_file)) {
            Ok(endpoint) => endpoint,
            Err(err) => return fail(record, err.message),
        },
        None => endpoint,
    };
    let duration = deadline
        .saturating_duration_since(Instant::now())
        .saturating_sub(tools::FINISH_GRACE)
        .max(Duration::from_secs(1));
    let probe = crate::red::Probe {
        endpoint,
        connections: step.args.connections.unwrap_or(tools::DEFAULT_CONNECTIONS),
        rate: step.args.rate,
        duration,
        timeout: (duration / 2).min(Duration::from_secs(5)),
        max_body: crate::red::DEFAULT_MAX_BODY,
        window: run.interval,
    };
    let measured = match probe.run(run.interrupted) {
        Ok(measured) => measured,
        Err(err) => return fail(record, err.message),
    };
    let path = run.raw_dir.join(&step.output);
    let written = path
        .parent()
        .map_or(Ok(()), store::private_dir)
        .and_then(|()| std::fs::write(&path, measured.file()));
    if let Err(err) = written {
        return fail(record, format!("cannot write {}: {err}", step.output));
    }
    record.outputs = vec![step.output.clone()];
    record.bytes = std::fs::metadata(&path).map_or(0, |meta| meta.len());
    if measured.interrupted {
        record.status = StepStatus::Interrupted;
    }
    record.end = now_stamp();
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_start_spread_over_the_interval_and_within_a_second() {
        assert_eq!(
            stagger(Duration::from_secs(1), 4),
            Duration::from_millis(200)
        );
        assert_eq!(
            stagger(Duration::from_secs(10), 4),
            Duration::from_millis(200)
        );
        assert!(stagger(Duration::from_secs(1), 9) * 8 < Duration::from_secs(1));
    }

    #[test]
    fn the_sampler_starts_first_and_the_programs_after_it_in_order() {
        let step = |name: &str| PlannedStep {
            name: name.into(),
            collector: crate::collect::tools::Collector::from_name(name).unwrap(),
            args: Default::default(),
            output: format!("{name}.txt"),
        };
        let steps: Vec<PlannedStep> = ["mpstat", "vmstat", "procfs", "iostat"]
            .into_iter()
            .map(step)
            .collect();
        assert_eq!(start_places(&steps), [1, 2, 0, 3]);
    }
}

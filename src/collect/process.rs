//! Owned child processes: each under its own supervisor, in its own process group, ended
//! with everything it started.
//!
//! A step's program may start children of its own (`perf record -- sleep 10`); signalling the
//! group reaches them all, and when the leader exits its supervisor kills the group and every
//! orphan reparented to it (a grandchild that called setsid). If perf_manual itself dies, even
//! by SIGKILL, each supervisor does the same at once (`supervisor.rs`).

use std::{
    os::unix::process::ExitStatusExt,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};

use super::supervisor::{Outcome, Prepared, Supervisor};
use crate::exit::Failure;

/// A flag that Ctrl-C and SIGTERM set; whoever owns children then ends every one of them and
/// keeps what they wrote.
pub(crate) fn interrupt_flag() -> Result<Arc<AtomicBool>, Failure> {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&flag))
            .map_err(|err| Failure::environment(format!("cannot handle signals: {err}")))?;
    }
    Ok(flag)
}

/// How long a signal has to work before the next, stronger one is sent: SIGINT at the time
/// box, SIGTERM 0.4 s later, SIGKILL 0.4 s after that, so a collector that ignores both
/// overruns its time box by under a second. The tools stop on SIGINT within milliseconds
/// (sysstat prints its averages, perf trace its summary); perf record ends by itself before
/// the time box and is never signalled in a run that goes to plan.
const GRACE: Duration = Duration::from_millis(400);
/// How often the engine looks at Ctrl-C, when no child has exited (an exit wakes it at once,
/// and so does a deadline). Four times a second answers Ctrl-C without delay a person
/// notices, and keeps the engine's own CPU well under 1% of a core.
pub(crate) const POLL: Duration = Duration::from_millis(250);

/// Why a process stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// It exited by itself.
    Exited,
    /// Its time box ran out and it was ended.
    TimedOut,
    /// The user pressed Ctrl-C (or the run got SIGTERM) and it was ended.
    Interrupted,
}

/// How a process ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exit {
    pub ending: Ending,
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// Which signals the engine had to send, in order (`SIGINT`, `SIGTERM`, `SIGKILL`).
    pub signals_sent: Vec<String>,
    /// CPU seconds (user + system) of the program and of everything it started.
    #[serde(default)]
    pub cpu_seconds: f64,
}

/// What one program used, measured by its supervisor around it alone: from just before its
/// fork to its exit, and its resource usage with that of the children it waited for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub wall: Duration,
    pub user_seconds: f64,
    pub system_seconds: f64,
    /// The largest resident set of the program or of a child it waited for, in KiB.
    pub max_rss_kib: u64,
}

/// Where a process's output goes.
pub(crate) struct Redirect<'a> {
    pub stdout: &'a Path,
    pub stderr: &'a Path,
}

/// The signals the engine sends, in order, as the manifest names them.
const ESCALATION: [&str; 3] = ["SIGINT", "SIGTERM", "SIGKILL"];

/// Run `argv` under a supervisor (see `supervisor.rs`), in its own process group with LC_ALL=C
/// and sysstat's ISO time format, until it exits, `deadline` passes or `interrupted` is set;
/// then end it and everything it started, even what left its group. Waits in the calling
/// thread: the supervisor's parent-death signal follows this thread.
pub(crate) fn run_owned(
    argv: &[String],
    redirect: Redirect<'_>,
    deadline: Instant,
    interrupted: &AtomicBool,
) -> std::io::Result<Exit> {
    run_supervised(argv, None, redirect, deadline, interrupted).map(|(exit, _)| exit)
}

/// [`run_owned`] in `cwd` (perf_manual's own when `None`), with what its supervisor measured
/// of the program: a benchmark's repetition.
pub(crate) fn run_measured(
    argv: &[String],
    cwd: Option<&Path>,
    redirect: Redirect<'_>,
    deadline: Instant,
    interrupted: &AtomicBool,
) -> std::io::Result<(Exit, Usage)> {
    let (exit, usage) = run_supervised(argv, cwd, redirect, deadline, interrupted)?;
    let usage = usage.ok_or_else(|| std::io::Error::other("the supervisor measured nothing"))?;
    Ok((exit, usage))
}

fn run_supervised(
    argv: &[String],
    cwd: Option<&Path>,
    redirect: Redirect<'_>,
    deadline: Instant,
    interrupted: &AtomicBool,
) -> std::io::Result<(Exit, Option<Usage>)> {
    let prepared = prepare(argv, cwd, redirect)?;
    let mut supervisor = Supervisor::start(&prepared)?;
    drop(prepared);
    await_end(&mut supervisor, deadline, interrupted)
}

/// What the supervisor needs to run `argv`: the program found on PATH, the environment, the
/// output files.
fn prepare(
    argv: &[String],
    cwd: Option<&Path>,
    redirect: Redirect<'_>,
) -> std::io::Result<Prepared> {
    let program = argv
        .first()
        .ok_or_else(|| std::io::Error::other("empty argv"))?;
    let path = if program.contains('/') {
        PathBuf::from(program)
    } else {
        find_program(program).ok_or_else(|| std::io::Error::from_raw_os_error(libc::ENOENT))?
    };
    Prepared::new(
        &path,
        cwd,
        argv,
        &[("LC_ALL", "C"), ("S_TIME_FORMAT", "ISO")],
        redirect.stdout,
        redirect.stderr,
    )
}

/// Wait for the supervisor's program to end, escalating from SIGINT to SIGTERM to the
/// supervisor's END once `deadline` passes or `interrupted` is set.
fn await_end(
    supervisor: &mut Supervisor,
    deadline: Instant,
    interrupted: &AtomicBool,
) -> std::io::Result<(Exit, Option<Usage>)> {
    let mut ending = Ending::Exited;
    let mut signals_sent = Vec::new();
    let mut next_escalation = deadline;
    let outcome = loop {
        let now = Instant::now();
        if ending == Ending::Exited {
            if interrupted.load(Ordering::Relaxed) {
                ending = Ending::Interrupted;
                next_escalation = now;
            } else if now >= deadline {
                ending = Ending::TimedOut;
            }
        }
        if ending != Ending::Exited && now >= next_escalation {
            match signals_sent.len() {
                0 => supervisor.forward(libc::SIGINT),
                1 => supervisor.forward(libc::SIGTERM),
                _ => supervisor.end(),
            }
            if let Some(name) = ESCALATION.get(signals_sent.len()) {
                signals_sent.push(name.to_string());
            }
            next_escalation = now + GRACE;
        }
        let wake = next_escalation.saturating_duration_since(now);
        if let Some(outcome) = supervisor.wait_timeout(POLL.min(wake))? {
            break outcome;
        }
    };
    let (status, cpu_seconds, usage) = match outcome {
        Outcome::Ended {
            status,
            cpu_seconds,
            usage,
        } => (
            std::process::ExitStatus::from_raw(status),
            cpu_seconds,
            usage,
        ),
        Outcome::NotStarted(err) => return Err(err),
    };
    let exit = Exit {
        ending,
        code: status.code(),
        signal: status.signal(),
        signals_sent,
        cpu_seconds,
    };
    Ok((exit, usage))
}

/// One program run again and again, each run measured, under one supervisor that stays
/// (see `Supervisor::repeating`): a benchmark's repetitions, without a fork of perf_manual
/// per repetition. Each run is owned as [`run_owned`]'s is: its own process group, ended at
/// its deadline or on Ctrl-C with everything it started. Each run's output replaces the
/// last one's in the files of `redirect`. Use it in the thread that made it (the
/// supervisor's parent-death signal follows that thread).
pub(crate) struct Repeated {
    supervisor: Supervisor,
}

impl Repeated {
    /// Start the supervisor of `argv` in `cwd` (perf_manual's own when `None`); nothing runs
    /// yet.
    pub(crate) fn start(
        argv: &[String],
        cwd: Option<&Path>,
        redirect: Redirect<'_>,
    ) -> std::io::Result<Repeated> {
        let prepared = prepare(argv, cwd, redirect)?;
        let supervisor = Supervisor::repeating(&prepared)?;
        Ok(Repeated { supervisor })
    }

    /// Have the program run `runs` times, one run after the other with nothing between
    /// them; take each with [`Repeated::next`]. The runs asked for must all be taken.
    pub(crate) fn start_runs(&mut self, runs: u32) -> std::io::Result<()> {
        self.supervisor.go(runs)
    }

    /// The next run asked for, until it exits, `deadline` passes or `interrupted` is set;
    /// what its supervisor measured of it.
    pub(crate) fn next(
        &mut self,
        deadline: Instant,
        interrupted: &AtomicBool,
    ) -> std::io::Result<(Exit, Usage)> {
        let (exit, usage) = await_end(&mut self.supervisor, deadline, interrupted)?;
        let usage =
            usage.ok_or_else(|| std::io::Error::other("the supervisor measured nothing"))?;
        Ok((exit, usage))
    }
}

/// Whether `program` can be found on PATH (or is a path to an executable file).
pub(crate) fn find_program(program: &str) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |path: &Path| {
        path.metadata()
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let path = Path::new(program);
        return executable(path).then(|| path.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| executable(candidate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn repeated(dir: &Path, words: &[&str]) -> Repeated {
        let redirect = Redirect {
            stdout: &dir.join("out"),
            stderr: &dir.join("err"),
        };
        Repeated::start(&argv(words), None, redirect).unwrap()
    }

    #[test]
    fn a_repeated_program_runs_once_per_run_its_output_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let never = AtomicBool::new(false);
        let mut runs = repeated(dir.path(), &["sh", "-c", "echo $$"]);
        let mut pids = Vec::new();
        for _ in 0..3 {
            runs.start_runs(1).unwrap();
            let (exit, usage) = runs
                .next(Instant::now() + Duration::from_secs(30), &never)
                .unwrap();
            assert_eq!((exit.ending, exit.code), (Ending::Exited, Some(0)));
            assert!(usage.wall > Duration::ZERO && usage.max_rss_kib > 0);
            let out = std::fs::read_to_string(dir.path().join("out")).unwrap();
            assert_eq!(out.lines().count(), 1, "{out:?}");
            pids.push(out);
        }
        pids.dedup();
        assert_eq!(pids.len(), 3, "a new process each run: {pids:?}");
        // Runs asked for at once follow each other, each reported.
        runs.start_runs(4).unwrap();
        for _ in 0..4 {
            let (exit, _) = runs
                .next(Instant::now() + Duration::from_secs(30), &never)
                .unwrap();
            assert_eq!(exit.code, Some(0));
        }
    }

    #[test]
    fn a_repeated_run_past_its_deadline_is_ended_with_what_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let never = AtomicBool::new(false);
        let soon = || Instant::now() + Duration::from_millis(200);
        // Ended by SIGINT at its deadline: the supervisor goes on with the next run.
        let mut runs = repeated(dir.path(), &["sleep", "60"]);
        runs.start_runs(2).unwrap();
        for _ in 0..2 {
            let (exit, _) = runs.next(soon(), &never).unwrap();
            assert_eq!(exit.ending, Ending::TimedOut);
            assert_eq!(exit.signals_sent, ["SIGINT"]);
        }
        // A grandchild that leaves the group, and a program deaf to SIGINT and SIGTERM: the
        // supervisor's END kills both, and ends the supervisor too.
        let script =
            "setsid sh -c 'trap \"\" INT TERM; sleep 60' & echo $!; trap '' INT TERM; sleep 60";
        let mut runs = repeated(dir.path(), &["sh", "-c", script]);
        runs.start_runs(2).unwrap();
        let (exit, _) = runs.next(soon(), &never).unwrap();
        assert_eq!(exit.ending, Ending::TimedOut);
        assert_eq!(exit.signals_sent, ["SIGINT", "SIGTERM", "SIGKILL"]);
        let out = std::fs::read_to_string(dir.path().join("out")).unwrap();
        let grandchild = out.trim();
        assert!(!grandchild.is_empty());
        assert!(
            !Path::new(&format!("/proc/{grandchild}")).exists(),
            "the grandchild {grandchild} outlived its run"
        );
        assert!(runs.next(soon(), &never).is_err(), "the supervisor ended");
        // A program that cannot be found is an error of the run, not a hang.
        let mut missing = repeated(dir.path(), &["/nonexistent/program"]);
        missing.start_runs(1).unwrap();
        assert!(missing.next(soon(), &never).is_err());
    }
}

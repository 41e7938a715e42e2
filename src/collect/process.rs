//! Owned child processes: each in its own process group, ended as a group.
//!
//! A step's program may start children of its own (`perf record -- sleep 10`); signalling the
//! group reaches them all, and a last SIGKILL to the group after the leader exits sweeps up
//! anything it left behind.

use std::{
    os::unix::process::CommandExt,
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};

use crate::exit::Failure;

/// A flag that Ctrl-C and SIGTERM set; whoever owns children then ends every one of them and
/// keeps what they wrote.
pub fn interrupt_flag() -> Result<Arc<AtomicBool>, Failure> {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&flag))
            .map_err(|err| Failure::environment(format!("cannot handle signals: {err}")))?;
    }
    Ok(flag)
}

/// How long a signal has to work before the next, stronger one is sent.
const GRACE: Duration = Duration::from_secs(2);
/// How often the engine looks at its children's deadlines and at Ctrl-C, when no child has
/// exited (an exit wakes it at once). Four times a second answers Ctrl-C without delay a
/// person notices, and keeps the engine's own CPU well under 1% of a core.
pub const POLL: Duration = Duration::from_millis(250);

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
}

/// Where a process's output goes.
pub struct Redirect<'a> {
    pub stdout: &'a Path,
    pub stderr: &'a Path,
}

/// Run `argv` in a new process group with LC_ALL=C and sysstat's ISO time format, until it
/// exits, `deadline` passes or `interrupted` is set; then end its whole group.
pub fn run_owned(
    argv: &[String],
    redirect: Redirect<'_>,
    deadline: Instant,
    interrupted: &AtomicBool,
) -> std::io::Result<Exit> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::other("empty argv"))?;
    let handle = duct::cmd(program, args)
        .env("LC_ALL", "C")
        .env("S_TIME_FORMAT", "ISO")
        .stdin_null()
        .stdout_path(redirect.stdout)
        .stderr_path(redirect.stderr)
        .unchecked()
        .before_spawn(|command| {
            command.process_group(0);
            Ok(())
        })
        .start()?;
    let Some(&leader) = handle.pids().first() else {
        return Err(std::io::Error::other("the process did not start"));
    };
    let group = leader as libc::pid_t;
    let mut ending = Ending::Exited;
    let mut signals_sent = Vec::new();
    let mut next_escalation: Option<Instant> = None;
    let output = loop {
        if let Some(output) = handle.wait_timeout(POLL)? {
            break output;
        }
        let now = Instant::now();
        if ending == Ending::Exited {
            if interrupted.load(Ordering::Relaxed) {
                ending = Ending::Interrupted;
            } else if now >= deadline {
                ending = Ending::TimedOut;
            }
        }
        if ending != Ending::Exited && next_escalation.is_none_or(|at| now >= at) {
            let signal = match signals_sent.len() {
                0 => libc::SIGINT,
                1 => libc::SIGTERM,
                _ => libc::SIGKILL,
            };
            signal_group(group, signal);
            signals_sent.push(signal_name(signal).to_string());
            next_escalation = Some(now + GRACE);
        }
    };
    // The leader is gone; nothing it started may outlive the step.
    signal_group(group, libc::SIGKILL);
    use std::os::unix::process::ExitStatusExt;
    Ok(Exit {
        ending,
        code: output.status.code(),
        signal: output.status.signal(),
        signals_sent,
    })
}

fn signal_group(group: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill(2) with a negative pid signals a process group; it touches no memory of ours.
    // ESRCH (the group is already gone) is the expected, harmless outcome.
    unsafe {
        libc::kill(-group, signal);
    }
}

fn signal_name(signal: libc::c_int) -> &'static str {
    match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "SIGKILL",
    }
}

/// Whether `program` can be found on PATH (or is a path to an executable file).
pub fn find_program(program: &str) -> Option<std::path::PathBuf> {
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

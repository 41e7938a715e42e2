//! The supervisor that stands between the engine and each program it runs, so that nothing a
//! collector starts outlives it or perf_manual, whatever either does.
//!
//! ```text
//! perf_manual (step thread) ──fork──► supervisor ──clone──► collector ──► its children ...
//!   signals the supervisor              subreaper, PDEATHSIG        own process group,
//!   reads its status pipe               forwards, sweeps            PDEATHSIG = SIGKILL
//! ```
//!
//! - The supervisor is a child subreaper: a grandchild that calls setsid, or whose parent
//!   exits, is reparented to it rather than to init, so it can still be found and ended.
//! - Its parent-death signal is [`END`]: if perf_manual dies, even by SIGKILL, the supervisor
//!   kills the collector's group, then every process reparented to it, and exits. PDEATHSIG
//!   follows the *thread* that forked, not the process: the step thread that starts a
//!   supervisor waits for it in `run_owned`, so that thread never ends first.
//! - The collector gets PDEATHSIG = SIGKILL too, for the supervisor's death (the kernel clears
//!   it when a set-user-ID or file-capability program is executed; the supervisor's stays).
//! - When the collector exits, the supervisor kills its process group and sweeps up every
//!   orphan, then writes the collector's wait status to a pipe and exits: the engine wakes
//!   at once on the pipe's end.
//!
//! The supervisor is forked from a multithreaded process without exec, so between fork and
//! its exit it may call only async-signal-safe functions: raw system calls through libc,
//! no allocation, no locks, nothing that can panic. Everything it needs is prepared before
//! the fork ([`Prepared`]).

use super::process::Usage;
use std::{
    ffi::{CString, OsStr},
    fs::{File, OpenOptions},
    io,
    os::{
        fd::{AsRawFd, FromRawFd, OwnedFd, RawFd},
        unix::{ffi::OsStrExt, fs::OpenOptionsExt},
    },
    path::Path,
    time::Duration,
};

/// The signal that tells the supervisor to end everything at once: the engine's last word
/// after SIGINT and SIGTERM, and its parent-death signal.
const END: libc::c_int = libc::SIGUSR1;

/// The file descriptor of the status pipe in the supervisor and, until exec, the collector.
const STATUS_FD: RawFd = 3;
/// The file descriptor of the go pipe in a repeating supervisor (see [`Supervisor::repeating`]):
/// each count read from it (a native-endian `u32`) runs the program that many times more;
/// its end ends the supervisor.
const GO_FD: RawFd = 4;

/// What the status pipe carries, each message [`MESSAGE`] bytes: a tag and a value, two
/// native-endian `i32`s, then for [`EXITED`] the collector's own measurements, four `i64`s
/// (wall nanoseconds, user and system microseconds, maximum resident set in KiB).
const EXEC_FAILED: i32 = 1;
const START_FAILED: i32 = 2;
const EXITED: i32 = 3;
const MESSAGE: usize = 40;

/// How long the sweep keeps killing orphans before it gives up on any that will not die (a
/// process stuck in the kernel).
const SWEEP_LIMIT: Duration = Duration::from_secs(1);

/// Everything the supervisor and the collector need, made before the fork.
pub(crate) struct Prepared {
    program: CString,
    /// The working directory the collector starts in, when not perf_manual's.
    cwd: Option<CString>,
    _argv: Vec<CString>,
    argv: Vec<*const libc::c_char>,
    _envp: Vec<CString>,
    envp: Vec<*const libc::c_char>,
    stdin: File,
    stdout: File,
    stderr: File,
}

impl Prepared {
    /// `program` runs with `argv` (its first element is the name it sees), perf_manual's
    /// environment with `env` set on top, stdin from /dev/null, stdout and stderr into the
    /// files given (created 0600, truncated), in `cwd` when one is given.
    pub fn new(
        program: &Path,
        cwd: Option<&Path>,
        argv: &[String],
        env: &[(&str, &str)],
        stdout: &Path,
        stderr: &Path,
    ) -> io::Result<Prepared> {
        let c_string = |bytes: &[u8]| {
            CString::new(bytes).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidInput, "an argument holds a NUL byte")
            })
        };
        let program = c_string(program.as_os_str().as_bytes())?;
        let cwd = cwd
            .map(|dir| c_string(dir.as_os_str().as_bytes()))
            .transpose()?;
        let argv_strings = argv
            .iter()
            .map(|arg| c_string(arg.as_bytes()))
            .collect::<io::Result<Vec<_>>>()?;
        let mut envp_strings = Vec::new();
        for (name, value) in std::env::vars_os() {
            if env.iter().any(|(set, _)| OsStr::new(set) == name) {
                continue;
            }
            let mut pair = name.as_bytes().to_vec();
            pair.push(b'=');
            pair.extend_from_slice(value.as_bytes());
            envp_strings.push(c_string(&pair)?);
        }
        for (name, value) in env {
            envp_strings.push(c_string(format!("{name}={value}").as_bytes())?);
        }
        let pointers = |strings: &[CString]| {
            strings
                .iter()
                .map(|s| s.as_ptr())
                .chain(std::iter::once(std::ptr::null()))
                .collect()
        };
        let output = |path: &Path| {
            OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(path)
                .map_err(|err| crate::store::with_path(path, err))
        };
        Ok(Prepared {
            program,
            cwd,
            argv: pointers(&argv_strings),
            _argv: argv_strings,
            envp: pointers(&envp_strings),
            _envp: envp_strings,
            stdin: File::open("/dev/null")?,
            stdout: output(stdout)?,
            stderr: output(stderr)?,
        })
    }
}

/// A running supervisor, seen from the engine.
pub(crate) struct Supervisor {
    pid: libc::pid_t,
    status: File,
    /// What the status pipe carried and has not been taken yet.
    message: Vec<u8>,
    reaped: bool,
    /// The go pipe's write end, when the supervisor repeats its program on each byte.
    go: Option<File>,
    /// An exec failure reported by the collector, waiting for its exit to be reported too.
    exec_failed: Option<i32>,
}

/// How the collector ended, as its supervisor saw it.
pub enum Outcome {
    /// Its wait status, and the CPU seconds it and everything it started used (with the
    /// supervisor's own, a few milliseconds); what the supervisor measured of the collector
    /// alone.
    Ended {
        status: libc::c_int,
        cpu_seconds: f64,
        usage: Option<Usage>,
    },
    /// It could not be started (the errno of exec or fork).
    NotStarted(io::Error),
}

impl Supervisor {
    /// Fork the supervisor, which clones and executes the collector once.
    pub fn start(prepared: &Prepared) -> io::Result<Supervisor> {
        Supervisor::fork(prepared, false)
    }

    /// Fork a supervisor that runs the collector as often as [`Supervisor::go`] asks, each run in a
    /// process group of its own, ended and swept like a single run, and reported through
    /// [`Supervisor::wait_timeout`] as soon as it ends: a benchmark's repetitions cost one
    /// clone each, not a fork of perf_manual each.
    pub fn repeating(prepared: &Prepared) -> io::Result<Supervisor> {
        Supervisor::fork(prepared, true)
    }

    fn fork(prepared: &Prepared, repeating: bool) -> io::Result<Supervisor> {
        let (read, write) = pipe()?;
        let (go_read, go_write) = if repeating {
            let (go_read, go_write) = pipe()?;
            (Some(go_read), Some(File::from(go_write)))
        } else {
            (None, None)
        };
        let go_fd = go_read.as_ref().map_or(-1, AsRawFd::as_raw_fd);
        // SAFETY: getpid has no preconditions.
        let engine = unsafe { libc::getpid() };
        // Every signal stays blocked in the supervisor: it waits for the ones it acts on with
        // sigwaitinfo and never runs perf_manual's handlers.
        let mut all = empty_set();
        let mut previous = empty_set();
        // SAFETY: sigfillset and pthread_sigmask fill and read sets that live on this stack.
        unsafe {
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut previous);
        }
        // SAFETY: fork(2); the child runs only async-signal-safe code and never returns.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: in the forked child, which is single-threaded; `supervise` keeps to
            // async-signal-safe calls and ends in _exit.
            unsafe { supervise(prepared, write.as_raw_fd(), go_fd, engine) }
        }
        let fork_error = io::Error::last_os_error();
        // SAFETY: restores the mask saved above.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut());
        }
        drop(write);
        drop(go_read);
        if pid < 0 {
            return Err(fork_error);
        }
        Ok(Supervisor {
            pid,
            status: File::from(read),
            message: Vec::new(),
            reaped: false,
            go: go_write,
            exec_failed: None,
        })
    }

    /// Have a repeating supervisor run its program `runs` times more, one run after the
    /// other, each reported as it ends.
    pub fn go(&mut self, runs: u32) -> io::Result<()> {
        let go = self
            .go
            .as_mut()
            .ok_or_else(|| io::Error::other("this supervisor runs its program only once"))?;
        io::Write::write_all(go, &runs.to_ne_bytes())
    }

    /// Send the collector `signal` (SIGINT, SIGTERM), forwarded by the supervisor to its
    /// process group.
    pub(crate) fn forward(&self, signal: libc::c_int) {
        self.signal(signal);
    }

    /// Have the supervisor kill the collector's group and everything it started, now.
    pub fn end(&self) {
        self.signal(END);
    }

    fn signal(&self, signal: libc::c_int) {
        if !self.reaped {
            // SAFETY: kill(2) on our own child, which is not reaped yet, so its PID is ours.
            unsafe {
                libc::kill(self.pid, signal);
            }
        }
    }

    /// Wait up to `timeout` for the collector and its sweep to end; `None` when it has not.
    pub fn wait_timeout(&mut self, timeout: Duration) -> io::Result<Option<Outcome>> {
        if self.go.is_some()
            && let Some(outcome) = self.take_run()
        {
            return Ok(Some(outcome));
        }
        let mut poll = libc::pollfd {
            fd: self.status.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int;
        // SAFETY: poll(2) on one descriptor we own.
        let ready = unsafe { libc::poll(&mut poll, 1, millis) };
        if ready < 0 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted {
                Ok(None)
            } else {
                Err(err)
            };
        }
        if ready == 0 {
            return Ok(None);
        }
        let mut buffer = [0u8; 64];
        let read = loop {
            match io::Read::read(&mut self.status, &mut buffer) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        if read > 0 {
            self.message.extend_from_slice(&buffer[..read]);
            return Ok(if self.go.is_some() {
                self.take_run()
            } else {
                None
            });
        }
        // The pipe's end: the supervisor has exited (the collector closed its copy at exec).
        Ok(Some(self.reap()))
    }

    /// A repeating supervisor's next whole report of one run, taken off the messages.
    fn take_run(&mut self) -> Option<Outcome> {
        while self.message.len() >= MESSAGE {
            let message: Vec<u8> = self.message.drain(..MESSAGE).collect();
            match decode(&message) {
                (EXEC_FAILED, errno, _) => self.exec_failed = Some(errno),
                (EXITED, status, usage) => {
                    return Some(match self.exec_failed.take() {
                        Some(errno) => Outcome::NotStarted(io::Error::from_raw_os_error(errno)),
                        None => Outcome::Ended {
                            status,
                            cpu_seconds: usage.user_seconds + usage.system_seconds,
                            usage: Some(usage),
                        },
                    });
                }
                (_, errno, _) => {
                    return Some(Outcome::NotStarted(io::Error::from_raw_os_error(errno)));
                }
            }
        }
        None
    }

    fn reap(&mut self) -> Outcome {
        let mut own_status = 0;
        // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: wait4(2) on our own child. Its usage counts the children it reaped: the
        // collector and every orphan it swept.
        while unsafe { libc::wait4(self.pid, &mut own_status, 0, &mut usage) } < 0
            && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
        {}
        self.reaped = true;
        let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 / 1e6;
        let cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
        let mut outcome = Outcome::Ended {
            status: own_status,
            cpu_seconds,
            usage: None,
        };
        for message in self.message.chunks_exact(MESSAGE) {
            outcome = match decode(message) {
                (EXEC_FAILED | START_FAILED, errno, _) => {
                    Outcome::NotStarted(io::Error::from_raw_os_error(errno))
                }
                (_, status, usage) => Outcome::Ended {
                    status,
                    cpu_seconds,
                    usage: Some(usage),
                },
            };
            if matches!(outcome, Outcome::NotStarted(_)) {
                break;
            }
        }
        outcome
    }
}

impl Drop for Supervisor {
    /// A supervisor left behind by an error ends its collector and is reaped; a repeating
    /// one, whose go pipe ends first, exits when it is idle.
    fn drop(&mut self) {
        self.go = None;
        if !self.reaped {
            self.end();
            let _ = self.reap();
        }
    }
}

/// A pipe whose ends are closed on exec.
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut pipe = [0 as RawFd; 2];
    // SAFETY: pipe2 fills the two descriptors it is given.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both were just opened and are owned here alone.
    Ok(unsafe { (OwnedFd::from_raw_fd(pipe[0]), OwnedFd::from_raw_fd(pipe[1])) })
}

/// One message of the status pipe: its tag, its value, and the measurements of an
/// [`EXITED`] message.
fn decode(message: &[u8]) -> (i32, i32, Usage) {
    let word = |at: usize| {
        let mut bytes = [0u8; 4];
        bytes.copy_from_slice(&message[at..at + 4]);
        i32::from_ne_bytes(bytes)
    };
    let long = |at: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&message[at..at + 8]);
        i64::from_ne_bytes(bytes)
    };
    let usage = Usage {
        wall: Duration::from_nanos(long(8).max(0) as u64),
        user_seconds: long(16) as f64 / 1e6,
        system_seconds: long(24) as f64 / 1e6,
        max_rss_kib: long(32).max(0) as u64,
    };
    (word(0), word(4), usage)
}

fn empty_set() -> libc::sigset_t {
    // SAFETY: an all-zero sigset_t is a valid (empty) set; sigemptyset makes it so anyway.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: sigemptyset writes the set it is given.
    unsafe {
        libc::sigemptyset(&mut set);
    }
    set
}

// Everything below runs in the forked supervisor or collector: async-signal-safe only.

/// Tell the engine why, then exit.
///
/// # Safety
/// Async-signal-safe; call only after fork.
unsafe fn fail(tag: i32, errno: i32) -> ! {
    unsafe {
        report(tag, errno, [0; 4]);
        libc::_exit(127)
    }
}

/// # Safety
/// Async-signal-safe; call only after fork, with the status pipe at [`STATUS_FD`].
unsafe fn report(tag: i32, value: i32, measured: [i64; 4]) {
    let mut message = [0u8; MESSAGE];
    message[..4].copy_from_slice(&tag.to_ne_bytes());
    message[4..8].copy_from_slice(&value.to_ne_bytes());
    for (slot, number) in message[8..].chunks_exact_mut(8).zip(measured) {
        slot.copy_from_slice(&number.to_ne_bytes());
    }
    // A message of 40 bytes is written whole or not at all (PIPE_BUF); with every signal
    // blocked, a reader that has gone means EPIPE, not death by SIGPIPE.
    unsafe {
        libc::write(STATUS_FD, message.as_ptr().cast(), message.len());
    }
}

fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// The supervisor's life: own group, subreaper, parent-death signal; descriptors in place;
/// clone the collector; wait for it, forwarding signals; sweep; report; exit. A repeating
/// supervisor (`go` a descriptor, not -1) waits for a byte on it before each run, with the
/// output files emptied, and exits at the go pipe's end instead.
///
/// # Safety
/// Call only in the child of fork, with every signal blocked.
unsafe fn supervise(prepared: &Prepared, status: RawFd, go: RawFd, engine: libc::pid_t) -> ! {
    unsafe {
        libc::setpgid(0, 0);
        libc::prctl(libc::PR_SET_PDEATHSIG, END as libc::c_ulong);
        // The engine may have died before the line above: then nobody would ever send END.
        if libc::getppid() != engine {
            libc::_exit(127);
        }
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong);
        // Move stdin, stdout, stderr, the status pipe and the go pipe to 0..=4: first out of
        // the way (any of them may be a low number already), then into place.
        let repeating = go >= 0;
        let wanted = [
            prepared.stdin.as_raw_fd(),
            prepared.stdout.as_raw_fd(),
            prepared.stderr.as_raw_fd(),
            status,
            go,
        ];
        let used = if repeating { 5 } else { 4 };
        let mut moved = [-1; 5];
        for (slot, &fd) in moved.iter_mut().zip(&wanted[..used]) {
            *slot = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10);
            if *slot < 0 {
                libc::_exit(127);
            }
        }
        for (target, &fd) in (0..).zip(&moved[..used]) {
            if libc::dup2(fd, target) < 0 {
                libc::_exit(127);
            }
        }
        libc::fcntl(STATUS_FD, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(GO_FD, libc::F_SETFD, libc::FD_CLOEXEC);
        close_from(if repeating { GO_FD + 1 } else { STATUS_FD + 1 });
        let supervisor = libc::getpid();
        // The collector is started as posix_spawn does, sharing this process's memory until
        // it executes (CLONE_VM | CLONE_VFORK, this process waiting meanwhile) on a stack of
        // its own: no copy of a perf_manual-sized address space per program, which a
        // benchmark's repetitions would pay, and measure, every time.
        // Left uninitialised: only the pages the collector uses are touched (and copied).
        let mut stack = std::mem::MaybeUninit::<[u8; COLLECTOR_STACK]>::uninit();
        let top = (stack.as_mut_ptr().cast::<u8>().add(COLLECTOR_STACK) as usize & !15)
            as *mut libc::c_void;
        let context = CollectorStart {
            prepared,
            supervisor,
        };
        let mut runs_left = 0u32;
        loop {
            if repeating {
                if runs_left == 0 {
                    runs_left = await_go();
                }
                if runs_left == 0 || end_pending() {
                    libc::_exit(0);
                }
                runs_left -= 1;
                for output in [1, 2] {
                    libc::ftruncate(output, 0);
                    libc::lseek(output, 0, libc::SEEK_SET);
                }
            }
            let started = monotonic_nanos();
            let collector = libc::clone(
                start_collector,
                top,
                libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
                (&raw const context).cast_mut().cast(),
            );
            if collector < 0 {
                fail(START_FAILED, errno());
            }
            let (wait_status, usage, ended) = wait_for(collector);
            let wall = (monotonic_nanos() - started) as i64;
            sweep();
            let micros = |time: libc::timeval| time.tv_sec * 1_000_000 + time.tv_usec;
            report(
                EXITED,
                wait_status,
                [
                    wall,
                    micros(usage.ru_utime),
                    micros(usage.ru_stime),
                    usage.ru_maxrss,
                ],
            );
            if !repeating || ended {
                libc::_exit(0)
            }
        }
    }
}

/// Wait for the engine's next go: how many runs it asks for, 0 at the go pipe's end (the
/// engine is done, or dead).
///
/// # Safety
/// Async-signal-safe; call only in a repeating supervisor.
unsafe fn await_go() -> u32 {
    unsafe {
        let mut count = [0u8; 4];
        let read = loop {
            let read = libc::read(GO_FD, count.as_mut_ptr().cast(), count.len());
            if read >= 0 || errno() != libc::EINTR {
                break read;
            }
        };
        if read == count.len() as isize {
            u32::from_ne_bytes(count)
        } else {
            0
        }
    }
}

/// Whether [`END`] came while no collector ran.
///
/// # Safety
/// Async-signal-safe.
unsafe fn end_pending() -> bool {
    unsafe {
        let mut pending = empty_set();
        libc::sigpending(&mut pending);
        libc::sigismember(&pending, END) == 1
    }
}

/// Close every descriptor from `first` up: others' pipes, inherited by this fork from the
/// engine's other threads, must not be held open here.
///
/// # Safety
/// Async-signal-safe; call only after fork.
unsafe fn close_from(first: RawFd) {
    unsafe {
        if libc::syscall(
            libc::SYS_close_range,
            first as libc::c_uint,
            libc::c_uint::MAX,
            0,
        ) == 0
        {
            return;
        }
        // Before Linux 5.9: one by one, up to the descriptor limit.
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        let highest = if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur.min(65_536) as RawFd
        } else {
            1024
        };
        for fd in first..highest {
            libc::close(fd);
        }
    }
}

/// The collector's stack while it shares the supervisor's memory, until it executes: what
/// `exec_collector` calls needs a few KiB.
const COLLECTOR_STACK: usize = 64 * 1024;

/// What the collector's first function is handed.
struct CollectorStart<'a> {
    prepared: &'a Prepared,
    supervisor: libc::pid_t,
}

/// The collector's entry point under `clone`.
extern "C" fn start_collector(context: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `context` points at the supervisor's `CollectorStart`, alive while the
    // supervisor waits (CLONE_VFORK) for this function to execute or exit.
    unsafe {
        let context = &*context.cast::<CollectorStart<'_>>();
        exec_collector(context.prepared, context.supervisor)
    }
}

/// # Safety
/// Call only in the collector, cloned by the supervisor; async-signal-safe, and writes
/// nothing the supervisor reads (it shares the supervisor's memory until execve).
unsafe fn exec_collector(prepared: &Prepared, supervisor: libc::pid_t) -> ! {
    unsafe {
        libc::setpgid(0, 0);
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
        if libc::getppid() != supervisor {
            libc::_exit(127);
        }
        // What perf_manual changed goes back to the default: Rust ignores SIGPIPE, and the
        // engine's SIGINT and SIGTERM handlers must not swallow a signal sent before exec.
        for signal in [libc::SIGPIPE, libc::SIGINT, libc::SIGTERM] {
            libc::signal(signal, libc::SIG_DFL);
        }
        let none = empty_set();
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        if let Some(cwd) = &prepared.cwd
            && libc::chdir(cwd.as_ptr()) != 0
        {
            fail(EXEC_FAILED, errno());
        }
        libc::execve(
            prepared.program.as_ptr(),
            prepared.argv.as_ptr(),
            prepared.envp.as_ptr(),
        );
        fail(EXEC_FAILED, errno())
    }
}

/// Wait for the collector to exit, forwarding SIGINT and SIGTERM to its group and killing
/// it on [`END`]; orphans that exit meanwhile are reaped. Returns its wait status, its
/// resource usage (with that of the children it waited for), and whether END came: then
/// the supervisor ends too, whatever runs it had left.
///
/// # Safety
/// Async-signal-safe; call only in the supervisor, with every signal blocked.
unsafe fn wait_for(collector: libc::pid_t) -> (libc::c_int, libc::rusage, bool) {
    unsafe {
        let mut waited = empty_set();
        for signal in [libc::SIGCHLD, libc::SIGINT, libc::SIGTERM, END] {
            libc::sigaddset(&mut waited, signal);
        }
        let mut ended = false;
        loop {
            match libc::sigwaitinfo(&waited, std::ptr::null_mut()) {
                libc::SIGCHLD => {
                    if let Some((status, usage)) = reap_exited(collector) {
                        return (status, usage, ended);
                    }
                }
                signal @ (libc::SIGINT | libc::SIGTERM) => {
                    libc::kill(-collector, signal);
                }
                END => {
                    ended = true;
                    libc::kill(-collector, libc::SIGKILL);
                }
                _ => {}
            }
        }
    }
}

/// Reap every child that has exited; when the collector is one of them, kill its group first
/// (while its zombie still holds the group's number) and return its wait status and usage.
///
/// # Safety
/// Async-signal-safe; call only in the supervisor.
unsafe fn reap_exited(collector: libc::pid_t) -> Option<(libc::c_int, libc::rusage)> {
    unsafe {
        loop {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
            if libc::waitid(libc::P_ALL, 0, &mut info, flags) != 0 {
                return None;
            }
            let pid = info.si_pid();
            if pid == 0 {
                return None;
            }
            let mut status = 0;
            if pid == collector {
                libc::kill(-collector, libc::SIGKILL);
                let mut usage: libc::rusage = std::mem::zeroed();
                libc::wait4(collector, &mut status, 0, &mut usage);
                return Some((status, usage));
            }
            libc::waitpid(pid, &mut status, 0);
        }
    }
}

/// Kill and reap every process reparented to the supervisor until none is left (or
/// [`SWEEP_LIMIT`] passes): each killed one's own children come to it in turn.
///
/// # Safety
/// Async-signal-safe; call only in the supervisor.
unsafe fn sweep() {
    unsafe {
        let give_up = monotonic_nanos() + SWEEP_LIMIT.as_nanos() as i128;
        loop {
            loop {
                let reaped = libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG);
                if reaped < 0 {
                    return; // ECHILD: nothing of ours is left.
                }
                if reaped == 0 {
                    break;
                }
            }
            kill_children();
            if monotonic_nanos() > give_up {
                return;
            }
            let pause = libc::timespec {
                tv_sec: 0,
                tv_nsec: 2_000_000,
            };
            libc::nanosleep(&pause, std::ptr::null_mut());
        }
    }
}

/// SIGKILL every child of this (single-threaded) process, as the kernel lists them. Not yet
/// reaped, their PIDs cannot have been reused.
///
/// # Safety
/// Async-signal-safe; call only in the supervisor.
unsafe fn kill_children() {
    unsafe {
        let path = c"/proc/thread-self/children";
        let fd = libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return;
        }
        let mut buffer = [0u8; 4096];
        let read = libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len());
        libc::close(fd);
        let Ok(read) = usize::try_from(read) else {
            return;
        };
        let mut pid: libc::pid_t = 0;
        for &byte in buffer.iter().take(read) {
            if byte.is_ascii_digit() {
                pid = pid
                    .saturating_mul(10)
                    .saturating_add((byte - b'0') as libc::pid_t);
            } else {
                if pid > 0 {
                    libc::kill(pid, libc::SIGKILL);
                }
                pid = 0;
            }
        }
        if pid > 0 {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
///
/// # Safety
/// Async-signal-safe.
unsafe fn monotonic_nanos() -> i128 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe {
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now);
    }
    now.tv_sec as i128 * 1_000_000_000 + now.tv_nsec as i128
}

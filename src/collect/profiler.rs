//! The `profile` command's recording: `perf record` of some processes, a cgroup or every
//! CPU for a while, then `perf script`, each an owned child (see `process.rs`). Before
//! anything runs, what would stop perf is looked for (perf missing, `perf_event_paranoid`,
//! a PID that does not exist or may not be read), and said with its fix; after, perf's own
//! complaint is read for the same.

use std::{
    path::{Path, PathBuf},
    sync::atomic::AtomicBool,
    time::{Duration, Instant},
};

use super::{
    manifest::CommandRecord,
    process::{Ending, find_program},
    run_invocation,
    target::{CGROUP_ROOT, Target, cgroup_pids, comm, find_cgroup, unified_root},
    tools::{Invocation, PERF, ProfileEvent},
};
use crate::exit::Failure;

/// What is profiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// These processes (`perf record -p`), each with its command name.
    Pids(Vec<(u32, String)>),
    /// Every CPU (`perf record -a`).
    All,
    /// A cgroup v2 group, every CPU filtered to it (`perf record -a -G NAME`): processes
    /// that join it during the recording are profiled too.
    Cgroup { name: String },
    /// A cgroup perf cannot filter by (a v1 hierarchy without perf_event): the processes in
    /// it when the recording starts.
    CgroupMembers {
        dir: PathBuf,
        pids: Vec<(u32, String)>,
    },
}

impl Scope {
    /// How reports and titles name what was profiled.
    pub fn describe(&self) -> String {
        let list = |pids: &[(u32, String)]| {
            pids.iter()
                .map(|(pid, name)| format!("PID {pid} ({name})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Scope::Pids(pids) => list(pids),
            Scope::All => "all CPUs".into(),
            Scope::Cgroup { name } => format!("cgroup {name}"),
            Scope::CgroupMembers { dir, pids } => {
                format!("cgroup {} ({})", dir.display(), list(pids))
            }
        }
    }

    /// perf's target options.
    fn perf_args(&self) -> Vec<String> {
        let pid_list = |pids: &[(u32, String)]| {
            pids.iter()
                .map(|(pid, _)| pid.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            Scope::Pids(pids) | Scope::CgroupMembers { pids, .. } => {
                vec!["-p".into(), pid_list(pids)]
            }
            Scope::All => vec!["-a".into()],
            Scope::Cgroup { name } => vec!["-a".into(), "-G".into(), name.clone()],
        }
    }

    fn is_system_wide(&self) -> bool {
        matches!(self, Scope::All | Scope::Cgroup { .. })
    }
}

/// `--pid 12,34`: each must be a live process perf may attach to.
pub fn resolve_pids(list: &str) -> Result<Scope, Failure> {
    let mut pids = Vec::new();
    for part in list
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let pid: u32 = part.parse().map_err(|_| {
            Failure::bad_input(format!("--pid {list}: {part:?} is not a process ID"))
        })?;
        let proc = PathBuf::from(format!("/proc/{pid}"));
        let Some(name) = comm(pid) else {
            return Err(Failure::bad_input(format!(
                "--pid {pid}: no process has this PID (it may have exited)"
            )));
        };
        if std::fs::read(proc.join("cmdline")).is_ok_and(|cmdline| cmdline.is_empty()) {
            return Err(Failure::bad_input(format!(
                "--pid {pid}: {name} is a kernel thread; profile it with --all"
            )));
        }
        if std::fs::File::open(proc.join("maps")).is_err() {
            return Err(Failure::environment(format!(
                "--pid {pid}: no permission to read {name}'s memory map, so perf may not \
                 profile it: run as its owner or as root (or with CAP_PERFMON and CAP_SYS_PTRACE)"
            )));
        }
        if !pids.iter().any(|(seen, _)| *seen == pid) {
            pids.push((pid, name));
        }
    }
    if pids.is_empty() {
        return Err(Failure::bad_input("--pid: give at least one process ID"));
    }
    Ok(Scope::Pids(pids))
}

/// `--cgroup PATH`: a cgroup directory (`/sys/fs/cgroup/unified/app`, `/sys/fs/cgroup/app`)
/// or a name as `use-check --target` takes it (`app`, `nginx.service`).
pub fn resolve_cgroup(spec: &str) -> Result<Scope, Failure> {
    let root = Path::new(CGROUP_ROOT);
    let unified = unified_root(root);
    let path = Path::new(spec);
    let not_found = || {
        Failure::bad_input(format!(
            "--cgroup {spec}: no such cgroup (give its directory under {CGROUP_ROOT}, or its \
             name as `systemctl status` shows it)"
        ))
    };
    if path.is_absolute() {
        if !path.join("cgroup.procs").is_file() {
            return Err(not_found());
        }
        if let Ok(relative) = path.strip_prefix(&unified) {
            return Ok(Scope::Cgroup {
                name: format!("/{}", relative.display()),
            });
        }
        // A v1 hierarchy: the same group on the unified one is filtered by perf.
        let relative = path
            .strip_prefix(root)
            .ok()
            .and_then(|below| below.iter().skip(1).collect::<PathBuf>().into());
        if let Some(relative) = relative.filter(|relative| unified.join(relative).is_dir()) {
            return Ok(Scope::Cgroup {
                name: format!("/{}", relative.display()),
            });
        }
        return members(path);
    }
    match find_cgroup(root, spec) {
        Some(Target::Cgroup { dirs, members: dir }) => match dirs.unified {
            Some(found) => Ok(Scope::Cgroup {
                name: format!(
                    "/{}",
                    found.strip_prefix(&unified).unwrap_or(&found).display()
                ),
            }),
            None => members(&dir),
        },
        _ => Err(not_found()),
    }
}

fn members(dir: &Path) -> Result<Scope, Failure> {
    let pids: Vec<(u32, String)> = cgroup_pids(dir)
        .into_iter()
        .filter_map(|pid| Some((pid, comm(pid)?)))
        .collect();
    if pids.is_empty() {
        return Err(Failure::bad_input(format!(
            "--cgroup {}: the cgroup has no processes to profile",
            dir.display()
        )));
    }
    Ok(Scope::CgroupMembers {
        dir: dir.to_path_buf(),
        pids,
    })
}

/// What stops perf before it starts, with the fix: perf missing (or Debian's wrapper without
/// the running kernel's perf), or `perf_event_paranoid` forbidding a system-wide profile to
/// a user without CAP_PERFMON.
pub fn preflight(scope: &Scope) -> Result<(), Failure> {
    if find_program("perf").is_none() {
        return Err(Failure::environment(format!(
            "perf is not installed (it records the profile): {}",
            PERF.install_hint()
        )));
    }
    let paranoid: Option<i32> = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()
        .and_then(|text| text.trim().parse().ok());
    let Some(paranoid) = paranoid else {
        return Err(Failure::environment(
            "this kernel has no perf events (/proc/sys/kernel/perf_event_paranoid is missing): \
             a kernel built with CONFIG_PERF_EVENTS is needed, or a container given access to them",
        ));
    };
    if scope.is_system_wide() && paranoid > 0 && !may_perfmon() {
        return Err(Failure::environment(format!(
            "profiling every CPU needs root or CAP_PERFMON while kernel.perf_event_paranoid is \
             {paranoid}: run as root, or `sysctl kernel.perf_event_paranoid=0` (containers: \
             --cap-add PERFMON), or profile your own processes with --pid"
        )));
    }
    Ok(())
}

/// Whether this process may use perf beyond `perf_event_paranoid`: root, CAP_PERFMON (38) or
/// CAP_SYS_ADMIN (21) in its effective set.
fn may_perfmon() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let effective = status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    effective & (1 << 38 | 1 << 21) != 0
}

/// How to record.
#[derive(Debug, Clone)]
pub struct Plan {
    pub scope: Scope,
    pub duration: Duration,
    pub frequency: u32,
    /// DWARF unwinding (whole stacks without frame pointers, about 2 MB/s of data on two
    /// CPUs) rather than frame pointers (`-g`).
    pub dwarf: bool,
    /// Off-CPU: every sched_switch with its stack, instead of cpu-clock samples.
    pub off_cpu: bool,
    /// Page faults: one sample every [`FAULTS_PER_SAMPLE`] faults, with its stack.
    pub page_faults: bool,
    /// Major faults (pages read from disk): every one, with its stack.
    pub major_faults: bool,
    /// perf.data, and perf script's text, relative to `raw_dir`.
    pub data: String,
    pub script: String,
}

impl Plan {
    /// What the recording's event is.
    pub(crate) fn event(&self) -> ProfileEvent {
        match (self.off_cpu, self.page_faults, self.major_faults) {
            (true, _, _) => ProfileEvent::OffCpu,
            (_, _, true) => ProfileEvent::MajorFaults,
            (_, true, _) => ProfileEvent::PageFaults,
            _ => ProfileEvent::Cpu,
        }
    }
}

/// What the recording gave.
#[derive(Debug)]
pub struct Recorded {
    pub commands: Vec<CommandRecord>,
    pub interrupted: bool,
    /// perf map files (`/tmp/perf-PID.map`) of the profiled processes, copied beside the data
    /// (relative to `raw_dir`): what named their JIT frames.
    pub perf_maps: Vec<String>,
    /// What the reader must know (a process exited during the recording).
    pub notes: Vec<String>,
}

/// How long perf record may overrun its `sleep` (writing out a large perf.data).
const RECORD_GRACE: Duration = Duration::from_secs(30);

/// The `perf record` argv of `plan`.
pub fn record_argv(plan: &Plan, raw_dir: &Path) -> Vec<String> {
    let mut argv: Vec<String> = vec!["perf".into(), "record".into()];
    argv.extend(
        plan.event()
            .record_args(plan.frequency, plan.dwarf, !plan.scope.is_system_wide()),
    );
    argv.extend(plan.scope.perf_args());
    argv.extend([
        "-o".into(),
        raw_dir.join(&plan.data).to_string_lossy().into_owned(),
        "--".into(),
        "sleep".into(),
        format!("{}", plan.duration.as_secs_f64()),
    ]);
    argv
}

/// Record, then script. A perf record that fails is a [`Failure`] saying why and what to
/// change; one interrupted (Ctrl-C) keeps what it recorded and is scripted all the same.
pub fn record(
    plan: &Plan,
    raw_dir: &Path,
    interrupted: &AtomicBool,
) -> Result<Recorded, (Failure, Vec<CommandRecord>)> {
    let record = Invocation {
        argv: record_argv(plan, raw_dir),
        stdout: format!("{}.log", plan.data),
    };
    let deadline = Instant::now() + plan.duration + RECORD_GRACE;
    let recorded = run_invocation(raw_dir, &record, deadline, interrupted);
    let was_interrupted = recorded
        .exit
        .as_ref()
        .is_some_and(|exit| exit.ending == Ending::Interrupted);
    let data_written = std::fs::metadata(raw_dir.join(&plan.data)).is_ok_and(|meta| meta.len() > 0);
    // When every profiled process has exited, perf ends its `sleep` with SIGTERM and dies of
    // the same signal, after writing the whole recording ("Captured and wrote").
    let stderr = std::fs::read_to_string(raw_dir.join(&recorded.stderr)).unwrap_or_default();
    let captured = stderr.contains("Captured and wrote");
    let failed = !data_written
        || recorded.exit.as_ref().is_none_or(|exit| match exit.code {
            Some(code) => exit.ending == Ending::Exited && code != 0,
            None => exit.ending == Ending::Exited && !captured,
        });
    if failed {
        let complaint = complaint(raw_dir, &recorded);
        return Err((explain(&complaint, &plan.scope), vec![recorded]));
    }
    let mut notes = Vec::new();
    if let Scope::Pids(pids) | Scope::CgroupMembers { pids, .. } = &plan.scope {
        let gone: Vec<String> = pids
            .iter()
            .filter(|(pid, _)| !Path::new(&format!("/proc/{pid}")).exists())
            .map(|(pid, name)| format!("{pid} ({name})"))
            .collect();
        if !gone.is_empty() {
            notes.push(format!(
                "PID {} exited before the recording ended: the profile covers its last moments only",
                gone.join(", ")
            ));
        }
    }
    let mut script_argv: Vec<String> = vec!["perf".into(), "script".into(), "--header".into()];
    script_argv.extend(plan.event().script_args());
    script_argv.extend([
        "-i".into(),
        raw_dir.join(&plan.data).to_string_lossy().into_owned(),
    ]);
    let script = Invocation {
        argv: script_argv,
        stdout: plan.script.clone(),
    };
    // perf script runs even after Ctrl-C: without it the recording cannot be read.
    let never = AtomicBool::new(false);
    let scripted = run_invocation(
        raw_dir,
        &script,
        Instant::now() + super::script::TIME_BOX,
        if was_interrupted { &never } else { interrupted },
    );
    let perf_maps = copy_perf_maps(&plan.scope, raw_dir, &plan.data);
    let script_failed = scripted
        .exit
        .as_ref()
        .is_none_or(|exit| exit.code != Some(0));
    let script_empty =
        std::fs::metadata(raw_dir.join(&plan.script)).map_or(true, |meta| meta.len() == 0);
    if script_failed && script_empty {
        let complaint = complaint(raw_dir, &scripted);
        return Err((
            Failure::environment(format!(
                "perf script could not read the recording: {complaint}"
            )),
            vec![recorded, scripted],
        ));
    }
    Ok(Recorded {
        commands: vec![recorded, scripted],
        interrupted: was_interrupted || interrupted.load(std::sync::atomic::Ordering::Relaxed),
        perf_maps,
        notes,
    })
}

/// The last line a command wrote to stderr that says something, or its start error.
fn complaint(raw_dir: &Path, command: &CommandRecord) -> String {
    if let Some(error) = &command.error {
        return error.clone();
    }
    let text = std::fs::read_to_string(raw_dir.join(&command.stderr)).unwrap_or_default();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('['))
        .collect();
    // perf explains a refusal over several lines; the first names the problem.
    lines
        .iter()
        .find(|line| {
            let lower = line.to_ascii_lowercase();
            lower.contains("error") || lower.contains("denied") || lower.contains("not ")
        })
        .or(lines.first())
        .map_or_else(|| "perf said nothing".to_string(), |line| line.to_string())
}

/// What perf's complaint means for the user, with the fix.
fn explain(complaint: &str, scope: &Scope) -> Failure {
    let lower = complaint.to_ascii_lowercase();
    if lower.contains("paranoid")
        || lower.contains("access to performance monitoring")
        || lower.contains("permission")
        || lower.contains("not permitted")
    {
        return Failure::environment(format!(
            "perf may not profile {}: {complaint}. Run as root or with CAP_PERFMON, or lower \
             kernel.perf_event_paranoid (`sysctl kernel.perf_event_paranoid=1` lets users profile \
             their own processes, 0 every CPU); in a container, add CAP_PERFMON",
            scope.describe()
        ));
    }
    if lower.contains("no such process") || lower.contains("couldn't") && lower.contains("thread") {
        return Failure::bad_input(format!(
            "perf could not attach to {}: {complaint} (did it exit?)",
            scope.describe()
        ));
    }
    if lower.contains("event syntax error") || lower.contains("unknown tracepoint") {
        return Failure::bad_input(format!(
            "perf does not know an event asked for: {complaint} (`perf list` names the \
             tracepoints; syscalls are named without sys_, like futex or read)"
        ));
    }
    if lower.contains("not found for kernel") || lower.contains("not installed") {
        return Failure::environment(format!(
            "perf cannot run on this kernel: {complaint}. {}",
            PERF.install_hint()
        ));
    }
    Failure::environment(format!("perf failed: {complaint}"))
}

/// Copy the perf map files of the profiled processes beside the data, so whoever reads it
/// later sees what named their JIT frames.
fn copy_perf_maps(scope: &Scope, raw_dir: &Path, data: &str) -> Vec<String> {
    let pids = match scope {
        Scope::Pids(pids) | Scope::CgroupMembers { pids, .. } => pids,
        _ => return Vec::new(),
    };
    let folder = Path::new(data).parent().unwrap_or(Path::new(""));
    pids.iter()
        .filter_map(|(pid, _)| {
            let name = format!("perf-{pid}.map");
            let copy = folder.join(&name);
            std::fs::copy(Path::new("/tmp").join(&name), raw_dir.join(&copy)).ok()?;
            Some(copy.display().to_string())
        })
        .collect()
}

/// `perf trace` of some processes for a while: its event log, one line per call.
#[derive(Debug, Clone)]
pub struct TracePlan {
    pub scope: Scope,
    /// `-e`: syscall names and tracepoints (`futex,read,sched:sched_wakeup`); all syscalls
    /// when empty.
    pub events: String,
    pub duration: Duration,
    /// perf stops after this many events: the bound on what a busy process writes.
    pub max_events: u64,
    /// The event log, relative to `raw_dir`.
    pub output: String,
}

/// The `perf trace` argv of `plan`.
pub fn trace_argv(plan: &TracePlan, raw_dir: &Path) -> Vec<String> {
    let mut argv: Vec<String> = vec!["perf".into(), "trace".into()];
    if !plan.events.is_empty() {
        argv.extend(["-e".into(), plan.events.clone()]);
    }
    argv.extend(plan.scope.perf_args());
    argv.extend([
        "--max-events".into(),
        plan.max_events.to_string(),
        "-o".into(),
        raw_dir.join(&plan.output).to_string_lossy().into_owned(),
        "--".into(),
        "sleep".into(),
        format!("{}", plan.duration.as_secs_f64()),
    ]);
    argv
}

/// Run `perf trace`; its refusals are explained as perf record's are.
pub fn trace(
    plan: &TracePlan,
    raw_dir: &Path,
    interrupted: &AtomicBool,
) -> Result<CommandRecord, Failure> {
    let invocation = Invocation {
        argv: trace_argv(plan, raw_dir),
        stdout: format!("{}.log", plan.output),
    };
    let deadline = Instant::now() + plan.duration + RECORD_GRACE;
    let traced = run_invocation(raw_dir, &invocation, deadline, interrupted);
    let written = std::fs::metadata(raw_dir.join(&plan.output)).is_ok_and(|meta| meta.len() > 0);
    let failed = traced.exit.as_ref().is_none_or(|exit| {
        exit.ending == Ending::Exited && exit.code.is_some_and(|code| code != 0)
    });
    if failed && !written {
        // perf trace writes even its complaints to its -o file.
        let mut complaint = complaint(raw_dir, &traced);
        if complaint == "perf said nothing" {
            complaint = std::fs::read_to_string(raw_dir.join(&plan.output))
                .unwrap_or_default()
                .lines()
                .find(|line| !line.trim().is_empty())
                .unwrap_or("perf trace said nothing")
                .to_string();
        }
        return Err(explain(&complaint, &plan.scope));
    }
    Ok(traced)
}

/// One process's memory at one moment (from /proc/PID/status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryReading {
    pub pid: u32,
    pub name: String,
    pub rss_kib: u64,
    pub swap_kib: u64,
}

/// The resident and swapped memory of the scope's processes (every process for a
/// system-wide scope); processes that cannot be read are left out.
pub fn read_memory(scope: &Scope) -> Vec<MemoryReading> {
    let pids: Vec<u32> = match scope {
        Scope::Pids(pids) | Scope::CgroupMembers { pids, .. } => {
            pids.iter().map(|(pid, _)| *pid).collect()
        }
        Scope::All | Scope::Cgroup { .. } => std::fs::read_dir("/proc")
            .map(|entries| {
                entries
                    .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default(),
    };
    pids.into_iter()
        .filter_map(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let field = |name: &str| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix(name))
                    .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
            };
            Some(MemoryReading {
                pid,
                name: status
                    .lines()
                    .find_map(|line| line.strip_prefix("Name:"))?
                    .trim()
                    .to_string(),
                rss_kib: field("VmRSS:")?,
                swap_kib: field("VmSwap:").unwrap_or(0),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perf_is_told_the_scope() {
        let plan = Plan {
            scope: Scope::Pids(vec![(12, "a".into()), (34, "b".into())]),
            duration: Duration::from_millis(2500),
            frequency: 99,
            dwarf: true,
            off_cpu: false,
            page_faults: false,
            major_faults: false,
            data: "profile/perf.data".into(),
            script: "profile/perf.script".into(),
        };
        let argv = record_argv(&plan, Path::new("/raw"));
        assert_eq!(
            argv.join(" "),
            "perf record -e cpu-clock -F 99 --call-graph dwarf -p 12,34 -o /raw/profile/perf.data -- sleep 2.5"
        );
        let cgroup = Plan {
            scope: Scope::Cgroup {
                name: "/app".into(),
            },
            dwarf: false,
            ..plan
        };
        assert!(
            record_argv(&cgroup, Path::new("/raw"))
                .join(" ")
                .contains("-g -a -G /app -o")
        );
        assert_eq!(cgroup.scope.describe(), "cgroup /app");
        let off = Plan {
            off_cpu: true,
            scope: Scope::Pids(vec![(12, "a".into())]),
            ..cgroup
        };
        assert!(
            record_argv(&off, Path::new("/raw"))
                .join(" ")
                .starts_with("perf record -e sched:sched_switch -g --switch-events -p 12 -o")
        );
        let major = Plan {
            off_cpu: false,
            major_faults: true,
            ..off
        };
        assert!(
            record_argv(&major, Path::new("/raw"))
                .join(" ")
                .starts_with("perf record -e major-faults -c 1 -g -p 12 -o")
        );
    }

    #[test]
    fn bad_pids_are_refused_before_perf_runs() {
        assert_eq!(resolve_pids("x").unwrap_err().code, crate::exit::BAD_INPUT);
        assert_eq!(
            resolve_pids("4000000000").unwrap_err().code,
            crate::exit::BAD_INPUT
        );
        assert_eq!(resolve_pids(",").unwrap_err().code, crate::exit::BAD_INPUT);
        let own = std::process::id().to_string();
        match resolve_pids(&format!("{own},{own}")).unwrap() {
            Scope::Pids(pids) => assert_eq!(pids.len(), 1),
            other => panic!("{other:?}"),
        }
        assert!(resolve_cgroup("/no/such/cgroup").is_err());
    }

    #[test]
    fn perfs_refusals_are_explained_with_the_fix() {
        let failure = explain(
            "Error: Access to performance monitoring and observability operations is limited.",
            &Scope::All,
        );
        assert_eq!(failure.code, crate::exit::ENVIRONMENT);
        assert!(failure.message.contains("perf_event_paranoid"));
        assert!(failure.message.contains("CAP_PERFMON"));
    }
}

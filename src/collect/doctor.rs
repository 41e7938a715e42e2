//! What this host can do: which tools are installed and which kernel features work.
//! Features are detected by trying them, never assumed from the kernel version.

use std::{path::Path, sync::atomic::AtomicBool, time::Instant};

use serde::Serialize;

use super::{
    process::{Ending, Redirect, find_program, run_owned},
    tools::{OFF_CPU_RECORD, Program, programs},
};

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    /// What to do when it is not ok.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hint: String,
}

/// Not a collector's: the load the tests and scenarios run, checked beside the collectors' tools.
const STRESS_NG: Program = Program {
    name: "stress-ng",
    version_args: &["--version"],
    debian: "stress-ng",
    rpm: "stress-ng",
};

/// The programs the collectors run, then stress-ng.
fn checked_programs() -> impl Iterator<Item = Program> {
    programs().into_iter().chain([STRESS_NG])
}

/// Run every check. `scratch` is a directory for the probes' output.
pub fn doctor(scratch: &Path) -> Vec<Check> {
    let mut checks: Vec<Check> = checked_programs()
        .map(|program| tool_check(scratch, &program))
        .collect();
    checks.push(kernel_check());
    checks.push(file_check(
        "pressure stall information",
        "/proc/pressure/cpu",
        "boot with psi=1 (CONFIG_PSI)",
    ));
    checks.push(cgroup2_check());
    checks.push(file_check(
        "cgroup v1 memory controller",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
        "",
    ));
    checks.extend(sys_checks(&super::sampler::sys_reach()));
    checks.push(tracepoint_check());
    checks.push(paranoid_check());
    if find_program("perf").is_some() {
        checks.push(probe(
            scratch,
            "perf record -e cpu-clock (software event)",
            &["perf", "record", "-e", "cpu-clock", "-o"],
            "on-CPU profiles will be missing",
        ));
        checks.push(hardware_counters(scratch));
        checks.push(probe(
            scratch,
            "perf record -e sched:sched_switch (off-CPU)",
            &[&OFF_CPU_RECORD[..], &["--switch-events", "-o"]].concat(),
            "the off-cpu collector cannot run: no per-thread blocked time or blocking stacks",
        ));
        // Kernel lock tracepoints (lock:contention_begin) see the kernel's own locks only; a
        // user-space mutex waits in futex, which perf trace and the off-cpu collector see.
        checks.push(probe(
            scratch,
            "perf lock record (kernel lock contention)",
            &["perf", "lock", "record", "-o"],
            "kernel lock contention cannot be recorded; user-space mutexes are judged by futex waits all the same",
        ));
    }
    checks
}

/// Tool name → the first line its version flag printed, for the tools that are installed.
pub(crate) fn tool_versions(scratch: &Path) -> std::collections::BTreeMap<String, String> {
    checked_programs()
        .map(|program| tool_check(scratch, &program))
        .filter(|check| check.ok)
        .map(|check| (check.name, check.detail))
        .collect()
}

fn tool_check(scratch: &Path, program: &Program) -> Check {
    let tool = program.name;
    let Some(path) = find_program(tool) else {
        return Check {
            name: tool.to_string(),
            ok: false,
            detail: "not found on PATH".into(),
            hint: program.install_hint(),
        };
    };
    let mut argv = vec![tool.to_string()];
    argv.extend(program.version_args.iter().map(|s| s.to_string()));
    let (ok, output) = run_probe(scratch, &argv);
    let version = output
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("")
        .to_string();
    Check {
        name: tool.to_string(),
        ok: true,
        detail: if ok || !version.is_empty() {
            format!("{} ({version})", path.display())
        } else {
            path.display().to_string()
        },
        hint: String::new(),
    }
}

/// Run a short probe; returns whether it exited 0 and what it printed (stdout then stderr).
fn run_probe(scratch: &Path, argv: &[String]) -> (bool, String) {
    let stdout = scratch.join("probe.out");
    let stderr = scratch.join("probe.err");
    let never = AtomicBool::new(false);
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    let exit = run_owned(
        argv,
        Redirect {
            stdout: &stdout,
            stderr: &stderr,
        },
        deadline,
        &never,
    );
    let text = [&stdout, &stderr]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .collect::<Vec<_>>()
        .join("\n");
    let ok = exit.is_ok_and(|exit| exit.ending == Ending::Exited && exit.code == Some(0));
    (ok, text)
}

fn probe(scratch: &Path, name: &str, argv_prefix: &[&str], consequence: &str) -> Check {
    let data = scratch.join("probe.data");
    let mut argv: Vec<String> = argv_prefix.iter().map(|s| s.to_string()).collect();
    argv.push(data.to_string_lossy().into_owned());
    argv.extend(["--", "true"].map(String::from));
    let (ok, output) = run_probe(scratch, &argv);
    let detail = if ok {
        "works".to_string()
    } else {
        output
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .unwrap_or("failed")
            .to_string()
    };
    Check {
        name: name.to_string(),
        ok,
        detail,
        hint: if ok {
            String::new()
        } else {
            consequence.to_string()
        },
    }
}

/// `perf record -e cycles` quietly falls back to cpu-clock where there is no PMU (most VMs),
/// so ask `perf stat`, which says `<not supported>`.
fn hardware_counters(scratch: &Path) -> Check {
    let argv: Vec<String> = ["perf", "stat", "-x", ",", "-e", "cycles", "--", "true"]
        .map(String::from)
        .to_vec();
    let (ran, output) = run_probe(scratch, &argv);
    let ok = ran && !output.contains("<not supported>") && !output.contains("<not counted>");
    Check {
        name: "perf hardware counters (cycles)".into(),
        ok,
        detail: if ok {
            "counted".into()
        } else {
            "not supported".into()
        },
        hint: if ok {
            String::new()
        } else {
            "no PMU (a VM?): profiles use the cpu-clock software event".into()
        },
    }
}

/// cgroup v2 is mounted at /sys/fs/cgroup, or beside v1 at /sys/fs/cgroup/unified.
fn cgroup2_check() -> Check {
    let candidates = [
        "/sys/fs/cgroup/cgroup.controllers",
        "/sys/fs/cgroup/unified/cgroup.controllers",
    ];
    let found = candidates.iter().find(|path| std::fs::read(path).is_ok());
    Check {
        name: "cgroup v2".into(),
        ok: found.is_some(),
        detail: found.map_or("not mounted".into(), |path| format!("{path} readable")),
        hint: String::new(),
    }
}

/// Whether the sampler can read what the cgroup, disk-error and link-utilization rules need.
fn sys_checks(reach: &super::sampler::SysReach) -> [Check; 3] {
    let cgroups = Check {
        name: "cgroup memory counters".into(),
        ok: reach.memory_hierarchy.is_some(),
        detail: reach.memory_hierarchy.as_ref().map_or_else(
            || "no memory cgroup hierarchy".into(),
            |hierarchy| {
                format!(
                    "{hierarchy}: {} cgroup(s) with a limit below the RAM now",
                    reach.limited_cgroups
                )
            },
        ),
        hint: if reach.memory_hierarchy.is_some() {
            String::new()
        } else {
            "cgroup memory limits and OOM kills are not judged".into()
        },
    };
    let disks = &reach.disks_with_error_counters;
    let disk_errors = Check {
        name: "disk error counters".into(),
        ok: !disks.is_empty(),
        detail: if disks.is_empty() {
            "no block device exposes device/ioerr_cnt".into()
        } else {
            disks.join(", ")
        },
        hint: if disks.is_empty() {
            "only SCSI disks have them (virtio-blk and NVMe do not): disk errors are not judged"
                .into()
        } else {
            String::new()
        },
    };
    let known = |speed: &Result<String, String>| {
        speed
            .as_ref()
            .is_ok_and(|text| text.parse::<i64>().is_ok_and(|mbps| mbps > 0))
    };
    let speeds: Vec<String> = reach
        .link_speeds
        .iter()
        .map(|(iface, speed)| match speed {
            Ok(text) if known(speed) => format!("{iface} {text} Mb/s"),
            Ok(text) => format!("{iface} unknown ({text})"),
            Err(err) => format!("{iface} unknown ({err})"),
        })
        .collect();
    let all_known = reach.link_speeds.iter().all(|(_, speed)| known(speed));
    let links = Check {
        name: "link speeds".into(),
        ok: reach.link_speeds.iter().any(|(_, speed)| known(speed)),
        detail: if speeds.is_empty() {
            "no network interface".into()
        } else {
            speeds.join(", ")
        },
        hint: if all_known {
            String::new()
        } else {
            "virtual NICs report no speed: no link utilization from /proc for them (sar prints \
             %ifutil 0.00)"
                .into()
        },
    };
    [cgroups, disk_errors, links]
}

fn kernel_check() -> Check {
    match procfs::sys::kernel::Version::current() {
        Ok(version) => Check {
            name: "kernel".into(),
            ok: true,
            detail: format!("{}.{}.{}", version.major, version.minor, version.patch),
            hint: String::new(),
        },
        Err(err) => Check {
            name: "kernel".into(),
            ok: false,
            detail: err.to_string(),
            hint: String::new(),
        },
    }
}

fn file_check(name: &str, path: &str, hint: &str) -> Check {
    let ok = std::fs::read(path).is_ok();
    Check {
        name: name.to_string(),
        ok,
        detail: if ok {
            format!("{path} readable")
        } else {
            format!("{path} not readable")
        },
        hint: if ok { String::new() } else { hint.to_string() },
    }
}

fn tracepoint_check() -> Check {
    let candidates = [
        "/sys/kernel/tracing/events/sched/sched_switch",
        "/sys/kernel/debug/tracing/events/sched/sched_switch",
    ];
    let found = candidates.iter().find(|path| Path::new(path).exists());
    Check {
        name: "tracepoint sched:sched_switch".into(),
        ok: found.is_some(),
        detail: found.map_or("tracefs not mounted or no sched events".into(), |path| {
            path.to_string()
        }),
        hint: if found.is_some() {
            String::new()
        } else {
            "mount -t tracefs nodev /sys/kernel/tracing".into()
        },
    }
}

/// What lets perf profile as this user: said by doctor and by a run whose perf step was refused.
pub(crate) const PARANOID_HINT: &str =
    "run as root, or allow it: sysctl kernel.perf_event_paranoid=1 (or grant CAP_PERFMON)";

fn paranoid_check() -> Check {
    let value = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .map(|text| text.trim().to_string());
    let is_root = unsafe_geteuid() == 0;
    match value {
        Ok(level) => {
            let ok = is_root || level.parse::<i32>().is_ok_and(|level| level <= 1);
            Check {
                name: "perf_event_paranoid".into(),
                ok,
                detail: format!("{level}{}", if is_root { " (running as root)" } else { "" }),
                hint: if ok {
                    String::new()
                } else {
                    PARANOID_HINT.into()
                },
            }
        }
        Err(err) => Check {
            name: "perf_event_paranoid".into(),
            ok: false,
            detail: err.to_string(),
            hint: "this kernel has no perf events".into(),
        },
    }
}

fn unsafe_geteuid() -> u32 {
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

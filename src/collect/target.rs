//! Readings for `use-check`: find what a target names (a PID, a cgroup or systemd service, or
//! the processes of a command name), then read its /proc and cgroup counters, and copy the
//! host's /proc files in the sampler's snapshot format. Reads only; the rates are made in
//! `record::target` (the target) and `parse::procfs` (the host).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use procfs::process::Process;

use crate::record::target::{CgroupSample, ProcessSample, TargetSample, ThreadSample};

/// Where the cgroup hierarchies are mounted.
pub(crate) const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// A cgroup's directories on the v1 memory hierarchy and on the v2 one, whichever exist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CgroupDirs {
    pub memory_v1: Option<PathBuf>,
    pub unified: Option<PathBuf>,
}

impl CgroupDirs {
    fn describe(&self) -> String {
        let dirs: Vec<String> = [&self.memory_v1, &self.unified]
            .into_iter()
            .flatten()
            .map(|dir| dir.display().to_string())
            .collect();
        format!("cgroup {}", dirs.join(" and "))
    }
}

/// What a target names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A process, with the cgroup it is in unless that is a hierarchy's root: its limits and
    /// pressure are the process's too, though it may share them with others.
    Pid {
        pid: u32,
        cgroup: Option<CgroupDirs>,
    },
    Cgroup {
        dirs: CgroupDirs,
        /// The directory whose `cgroup.procs` (and its children's) list the members.
        members: PathBuf,
    },
    /// Every process whose comm is this name, found again at each reading.
    Command(String),
}

impl Target {
    /// How the table names the target.
    pub(crate) fn describe(&self) -> String {
        match self {
            Target::Pid { pid, cgroup } => {
                let name = format!("pid {pid} ({})", comm(*pid).unwrap_or_default());
                match cgroup {
                    Some(dirs) => format!("{name} in {}", dirs.describe()),
                    None => name,
                }
            }
            Target::Cgroup { dirs, .. } => dirs.describe(),
            Target::Command(name) => format!("processes named {name}"),
        }
    }
}

/// Resolve a `--target`: a PID; else a cgroup named `<name>` or `<name>.service`, at the top
/// of a hierarchy or under system.slice; else the processes whose comm is `<name>`.
pub fn resolve(spec: &str) -> Result<Target, String> {
    let spec = spec.trim();
    if spec.is_empty() {
        return Err(
            "--target is empty: give a PID, a service or cgroup name, or a command name".into(),
        );
    }
    if let Ok(pid) = spec.parse::<u32>() {
        let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .map_err(|_| format!("--target {pid}: no process has this PID"))?;
        return Ok(Target::Pid {
            pid,
            cgroup: cgroup_of(Path::new(CGROUP_ROOT), &cgroups),
        });
    }
    if let Some(target) = find_cgroup(Path::new(CGROUP_ROOT), spec) {
        return Ok(target);
    }
    if !pids_named(spec).is_empty() {
        return Ok(Target::Command(spec.to_string()));
    }
    Err(format!(
        "--target {spec}: no process has this PID, no cgroup or service of this name is under {CGROUP_ROOT} (memory/, unified/, or the cgroup2 root, each also under system.slice/), and no running process has this command name"
    ))
}

/// The cgroup `name` names under `root`, on the v1 memory hierarchy and on the v2 one (at the
/// root on a pure cgroup2 host, under `unified/` on a hybrid one).
pub(crate) fn find_cgroup(root: &Path, name: &str) -> Option<Target> {
    let relative = name.trim_matches('/');
    if relative.is_empty() || relative.split('/').any(|part| part == "..") {
        return None;
    }
    let mut candidates = vec![relative.to_string()];
    if !relative.contains('.') {
        candidates.push(format!("{relative}.service"));
    }
    let find_in = |hierarchy: PathBuf| {
        candidates.iter().find_map(|candidate| {
            [
                hierarchy.join(candidate),
                hierarchy.join("system.slice").join(candidate),
            ]
            .into_iter()
            .find(|dir| dir.join("cgroup.procs").is_file())
        })
    };
    let dirs = CgroupDirs {
        memory_v1: find_in(root.join("memory")),
        unified: find_in(unified_root(root)),
    };
    let members = dirs
        .unified
        .clone()
        .or_else(|| dirs.memory_v1.clone())
        .or_else(|| find_in(root.join("systemd")))?;
    Some(Target::Cgroup { dirs, members })
}

/// Where the v2 hierarchy is: the root on a pure cgroup2 host, `unified/` on a hybrid one.
pub(crate) fn unified_root(root: &Path) -> PathBuf {
    if root.join("cgroup.controllers").is_file() {
        root.to_path_buf()
    } else {
        root.join("unified")
    }
}

/// The cgroup a process is in, from its /proc/PID/cgroup (`0::/path` for v2,
/// `4:memory:/path` for v1's memory controller); a hierarchy's root is not kept, as its files
/// describe the whole host or are absent.
fn cgroup_of(root: &Path, proc_cgroup: &str) -> Option<CgroupDirs> {
    let mut dirs = CgroupDirs::default();
    for line in proc_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(hierarchy), Some(controllers), Some(path)) =
            (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let relative = path.trim_start_matches('/');
        if relative.is_empty() || relative.split('/').any(|part| part == "..") {
            continue;
        }
        let (slot, base) = if hierarchy == "0" && controllers.is_empty() {
            (&mut dirs.unified, unified_root(root))
        } else if controllers.split(',').any(|name| name == "memory") {
            (&mut dirs.memory_v1, root.join("memory"))
        } else {
            continue;
        };
        *slot = Some(base.join(relative)).filter(|candidate| candidate.is_dir());
    }
    (dirs.memory_v1.is_some() || dirs.unified.is_some()).then_some(dirs)
}

pub(crate) fn comm(pid: u32) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(text.trim_end_matches('\n').to_string())
}

fn pids_named(name: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| comm(pid).as_deref() == Some(name))
        .collect();
    pids.sort_unstable();
    pids
}

/// The PIDs of a cgroup and of the cgroups below it.
pub(crate) fn cgroup_pids(dir: &Path) -> Vec<u32> {
    let mut pids: Vec<u32> = std::fs::read_to_string(dir.join("cgroup.procs"))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        .collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                pids.extend(cgroup_pids(&entry.path()));
            }
        }
    }
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// Read the target once. Processes that end while being read are left out.
pub(crate) fn read_target(target: &Target) -> TargetSample {
    let (pids, cgroup) = match target {
        Target::Pid { pid, cgroup } => (vec![*pid], cgroup.as_ref().map(read_cgroup)),
        Target::Command(name) => (pids_named(name), None),
        Target::Cgroup { dirs, members } => (cgroup_pids(members), Some(read_cgroup(dirs))),
    };
    let delay_accounting = std::fs::read_to_string("/proc/sys/kernel/task_delayacct")
        .map(|text| text.trim() != "0")
        .unwrap_or(true);
    TargetSample {
        processes: pids
            .into_iter()
            .filter_map(|pid| Some((pid, read_process(pid, delay_accounting)?)))
            .collect(),
        cgroup,
    }
}

fn read_process(pid: u32, delay_accounting: bool) -> Option<ProcessSample> {
    let process = Process::new(i32::try_from(pid).ok()?).ok()?;
    let stat = process.stat().ok()?;
    let io = process.io().ok();
    let threads = process
        .tasks()
        .map(|tasks| {
            tasks
                .flatten()
                .filter_map(|task| {
                    let schedstat = task.schedstat().ok()?;
                    let status = task.status().ok()?;
                    Some((
                        u32::try_from(task.tid).ok()?,
                        ThreadSample {
                            on_cpu_ns: schedstat.sum_exec_runtime,
                            run_wait_ns: schedstat.run_delay,
                            voluntary_switches: status.voluntary_ctxt_switches.unwrap_or(0),
                            involuntary_switches: status.nonvoluntary_ctxt_switches.unwrap_or(0),
                        },
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Some(ProcessSample {
        cpu_ticks: stat.utime + stat.stime,
        major_faults: stat.majflt,
        rss_kib: stat.rss * procfs::page_size() / 1024,
        read_bytes: io.as_ref().map(|io| io.read_bytes),
        write_bytes: io.as_ref().map(|io| io.write_bytes),
        blkio_delay_ticks: stat.delayacct_blkio_ticks.filter(|_| delay_accounting),
        threads,
    })
}

/// A cgroup's memory, OOM, throttling and pressure counters, from whichever hierarchy has each.
fn read_cgroup(dirs: &CgroupDirs) -> CgroupSample {
    let mut sample = CgroupSample::default();
    if let Some(dir) = &dirs.memory_v1 {
        sample.memory_bytes = read_number(&dir.join("memory.usage_in_bytes"));
        // v1 writes "no limit" as a huge number rounded down to a page.
        sample.memory_limit_bytes =
            read_number(&dir.join("memory.limit_in_bytes")).filter(|&limit| limit < 1 << 60);
        sample.inactive_file_bytes = read_keyed(&dir.join("memory.stat"), "total_inactive_file");
        sample.failcnt = read_number(&dir.join("memory.failcnt"));
        sample.oom_kill = read_keyed(&dir.join("memory.oom_control"), "oom_kill");
    }
    if let Some(dir) = &dirs.unified {
        let events = dir.join("memory.events");
        if let Some(current) = read_number(&dir.join("memory.current")) {
            sample.memory_bytes = Some(current);
            sample.inactive_file_bytes = read_keyed(&dir.join("memory.stat"), "inactive_file");
            // memory.max reads "max" when there is no limit.
            sample.memory_limit_bytes = read_number(&dir.join("memory.max"));
        }
        sample.memory_max_events = read_keyed(&events, "max");
        sample.oom = read_keyed(&events, "oom");
        sample.oom_kill = read_keyed(&events, "oom_kill").or(sample.oom_kill);
        sample.nr_throttled = read_keyed(&dir.join("cpu.stat"), "nr_throttled");
        sample.throttled_usec = read_keyed(&dir.join("cpu.stat"), "throttled_usec");
        for resource in ["cpu", "memory", "io"] {
            if let Some(total) = read_psi_some_total(&dir.join(format!("{resource}.pressure"))) {
                sample.pressure_some_us.insert(resource.to_string(), total);
            }
        }
    }
    sample
}

fn read_number(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The value of `key` in a file of `key value` lines (memory.events, cpu.stat, oom_control).
fn read_keyed(path: &Path, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let keyed: BTreeMap<&str, &str> = text
        .lines()
        .filter_map(|line| line.split_once(' '))
        .collect();
    keyed.get(key)?.trim().parse().ok()
}

/// The `total=` of a PSI file's `some` line, µs.
fn read_psi_some_total(path: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let some = text.lines().find(|line| line.starts_with("some "))?;
    some.split_whitespace()
        .find_map(|field| field.strip_prefix("total="))?
        .parse()
        .ok()
}

/// Clock ticks per second, the unit of /proc/PID/stat's times.
pub(crate) fn ticks_per_second() -> u64 {
    procfs::ticks_per_second()
}

/// Append one snapshot of each host /proc source the sampler copies to `texts` (keyed by the
/// sampler's file name, `stat.txt`), in its format, so `parse::procfs` reads them as it reads
/// the sampler's files. Sources that cannot be read (no PSI) are skipped.
pub(crate) fn read_host(texts: &mut BTreeMap<&'static str, String>) {
    let stamp = super::sampler::stamp_now();
    for (source, file) in super::sampler::SOURCES {
        if let Ok(content) = std::fs::read_to_string(source) {
            let text = texts.entry(file).or_default();
            text.push_str(&super::sampler::snapshot_header(source, &stamp));
            text.push_str(&content);
            if !content.ends_with('\n') {
                text.push('\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cgroup_dir(root: &Path, path: &str) {
        let dir = root.join(path);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cgroup.procs"), "").unwrap();
    }

    #[test]
    fn a_service_is_found_under_system_slice_on_both_hierarchies() {
        let root = tempfile::tempdir().unwrap();
        cgroup_dir(root.path(), "memory/system.slice/web.service");
        cgroup_dir(root.path(), "unified/system.slice/web.service");
        let Some(Target::Cgroup { dirs, members }) = find_cgroup(root.path(), "web") else {
            panic!("web.service not found");
        };
        assert_eq!(
            dirs.memory_v1.unwrap(),
            root.path().join("memory/system.slice/web.service")
        );
        assert_eq!(members, dirs.unified.unwrap());
    }

    #[test]
    fn a_pure_cgroup2_host_has_the_hierarchy_at_its_root() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("cgroup.controllers"), "cpu memory\n").unwrap();
        cgroup_dir(root.path(), "batch.slice");
        let found = find_cgroup(root.path(), "batch.slice");
        assert!(
            matches!(found, Some(Target::Cgroup { dirs: CgroupDirs { unified: Some(dir), memory_v1: None }, .. }) if dir == root.path().join("batch.slice"))
        );
        assert_eq!(find_cgroup(root.path(), "../etc"), None);
        assert_eq!(find_cgroup(root.path(), "absent"), None);
    }

    #[test]
    fn a_pid_that_does_not_exist_is_refused() {
        assert!(resolve("4294967295").is_err());
        assert!(resolve("").is_err());
        assert!(matches!(
            resolve(&std::process::id().to_string()),
            Ok(Target::Pid { pid, .. }) if pid == std::process::id()
        ));
    }

    #[test]
    fn a_process_cgroup_is_found_on_each_hierarchy_but_not_at_a_root() {
        let root = tempfile::tempdir().unwrap();
        cgroup_dir(root.path(), "memory/system.slice/web.service");
        cgroup_dir(root.path(), "unified/system.slice/web.service");
        let hybrid = "12:memory:/system.slice/web.service\n\
                      1:name=systemd:/system.slice/web.service\n\
                      0::/system.slice/web.service\n";
        let dirs = cgroup_of(root.path(), hybrid).unwrap();
        assert_eq!(
            dirs.memory_v1.unwrap(),
            root.path().join("memory/system.slice/web.service")
        );
        assert_eq!(
            dirs.unified.unwrap(),
            root.path().join("unified/system.slice/web.service")
        );
        assert_eq!(cgroup_of(root.path(), "12:memory:/\n0::/\n"), None);
        assert_eq!(cgroup_of(root.path(), "0::/gone.scope\ngarbage\n"), None);
    }
}

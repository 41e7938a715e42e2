//! perf_manual's own /proc sampler. It needs no tool at all, so a USE report can always be made;
//! where sysstat is missing its snapshots stand in for mpstat, vmstat, iostat and sar
//! (see record::fallback).
//!
//! Each source is appended to its own file under raw_data/proc/ as a series of snapshots:
//! a header line `==> /proc/stat @ 2026-11-25T19:20:01.123456 <==` (local wall clock, as
//! sysstat prints it) and then the file's content verbatim. Parsing happens later, in parse/.
//!
//! Beside the /proc files, each round copies the /sys files that the USE method needs and
//! /proc lacks, in the same format, where they exist:
//! - each interface's link speed (`/sys/class/net/IFACE/speed`, Mb/s), into `net_dev.txt`
//!   after /proc/net/dev, so the parser can turn throughput into utilization;
//! - SCSI disks' counts of commands done and failed (`/sys/block/DEV/device/iodone_cnt`,
//!   `ioerr_cnt`), into `disk_errors.txt` (virtio-blk and NVMe disks have none);
//! - the memory counters of the cgroups whose memory limit is below the host's RAM, into
//!   `cgroup_memory.txt`: parse::procfs's `CGROUP_V1_FILES` on the v1 memory hierarchy,
//!   `CGROUP_V2_FILES` on the v2 one. The hierarchies are walked again each round, so a cgroup made during the
//!   run is seen, but the walk is bounded ([`MAX_CGROUP_DIRS_WALKED`] directories) and at most
//!   [`MAX_CGROUPS`] cgroups are copied, the first by path.

use std::{
    fs::OpenOptions,
    io::Write,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

use crate::parse::procfs::{CGROUP_V1_FILES, CGROUP_V2_FILES, DISK_ERROR_COUNTERS};

/// The /proc files sampled and the file each goes to under raw_data/proc/.
pub(crate) const SOURCES: [(&str, &str); 12] = [
    ("/proc/stat", "stat.txt"),
    ("/proc/meminfo", "meminfo.txt"),
    ("/proc/vmstat", "vmstat.txt"),
    ("/proc/loadavg", "loadavg.txt"),
    ("/proc/diskstats", "diskstats.txt"),
    ("/proc/net/dev", NET_DEV_FILE),
    ("/proc/net/snmp", "net_snmp.txt"),
    ("/proc/net/netstat", "net_netstat.txt"),
    ("/proc/net/sockstat", "net_sockstat.txt"),
    ("/proc/pressure/cpu", "pressure_cpu.txt"),
    ("/proc/pressure/memory", "pressure_memory.txt"),
    ("/proc/pressure/io", "pressure_io.txt"),
];

/// /proc/net/dev's file, which the link speeds join.
const NET_DEV_FILE: &str = "net_dev.txt";
const DISK_ERRORS_FILE: &str = "disk_errors.txt";
const CGROUP_MEMORY_FILE: &str = "cgroup_memory.txt";

const NET_CLASS: &str = "/sys/class/net";
const BLOCK: &str = "/sys/block";
const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// At most this many cgroups are copied each round.
pub(crate) const MAX_CGROUPS: usize = 64;
/// At most this many cgroup directories are looked at each round, over both hierarchies: a
/// host with thousands of cgroups costs the sampler no more than this.
pub(crate) const MAX_CGROUP_DIRS_WALKED: usize = 2048;

/// What a sampling session did.
#[derive(Debug, Clone, Default)]
pub struct SamplerReport {
    pub snapshots: u64,
    pub bytes: u64,
    /// Sources that could not be read (no PSI on this kernel, say) or only in part (no disk
    /// exposes error counters, a link speed is unknown), with the reason.
    pub unreadable: Vec<(String, String)>,
    pub files: Vec<String>,
}

/// The local wall clock as sysstat prints its time; one per round, so the sources of a round
/// (snmp and netstat both give `tcp` rows) share it.
pub(crate) fn stamp_now() -> String {
    jiff::ZonedDateTime::now()
        .datetime()
        .strftime("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

/// The line before each copy of a source.
pub(crate) fn snapshot_header(source: &str, stamp: &str) -> String {
    format!("==> {source} @ {stamp} <==\n")
}

/// Sample every `interval` until `deadline` or an interrupt, starting at once.
pub fn sample(
    proc_dir: &Path,
    interval: Duration,
    deadline: Instant,
    interrupted: &AtomicBool,
) -> std::io::Result<SamplerReport> {
    crate::store::private_dir(proc_dir)?;
    let mut report = SamplerReport::default();
    let mut sys = SysNotes::default();
    let mem_total_bytes = mem_total_bytes();
    let mut next = Instant::now();
    // Leave time for a last snapshot before the deadline, so the interval tools and the
    // sampler cover the same window.
    while Instant::now() < deadline && !interrupted.load(Ordering::Relaxed) {
        let stamp = stamp_now();
        for (source, file) in SOURCES {
            if report.unreadable.iter().any(|(s, _)| s == source) {
                continue;
            }
            match std::fs::read(source) {
                Ok(content) => append(proc_dir, file, source, &stamp, &content, &mut report)?,
                Err(err) => report
                    .unreadable
                    .push((source.to_string(), err.to_string())),
            }
        }
        for (file, path) in sys_sources(mem_total_bytes, &mut sys) {
            // A speed the driver does not know reads as EINVAL, a cgroup may go between the
            // walk and the read: what cannot be read now is left out of this round.
            if let Ok(content) = std::fs::read(&path) {
                sys.saw(file, &path, &content);
                let source = path.to_string_lossy();
                append(proc_dir, file, &source, &stamp, &content, &mut report)?;
            }
        }
        report.snapshots += 1;
        next += interval;
        while Instant::now() < next {
            if interrupted.load(Ordering::Relaxed) || Instant::now() >= deadline {
                report.unreadable.extend(sys.notes());
                return Ok(report);
            }
            std::thread::sleep(
                super::process::POLL.min(next.saturating_duration_since(Instant::now())),
            );
        }
    }
    report.unreadable.extend(sys.notes());
    Ok(report)
}

/// Append one snapshot of `source` to `file` under `proc_dir`.
fn append(
    proc_dir: &Path,
    file: &str,
    source: &str,
    stamp: &str,
    content: &[u8],
    report: &mut SamplerReport,
) -> std::io::Result<()> {
    let path = proc_dir.join(file);
    let mut out = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)?;
    let header = snapshot_header(source, stamp);
    out.write_all(header.as_bytes())?;
    out.write_all(content)?;
    if !content.ends_with(b"\n") {
        out.write_all(b"\n")?;
    }
    report.bytes += (header.len() + content.len()) as u64;
    let name = format!("proc/{file}");
    if !report.files.contains(&name) {
        report.files.push(name);
    }
    Ok(())
}

/// The host's RAM in bytes, from /proc/meminfo's MemTotal.
fn mem_total_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// What the session saw of the /sys sources, for the step's note: where a USE signal could
/// not be measured, the report says why.
#[derive(Debug, Default)]
struct SysNotes {
    disk_errors_seen: bool,
    /// Interfaces, and whether a positive link speed was ever read for each.
    speeds: Vec<(String, bool)>,
    /// The most memory cgroups with a limit seen in one round.
    most_limited_cgroups: usize,
}

impl SysNotes {
    fn saw(&mut self, file: &str, path: &Path, content: &[u8]) {
        match file {
            DISK_ERRORS_FILE => self.disk_errors_seen = true,
            NET_DEV_FILE => {
                let iface = path
                    .parent()
                    .and_then(Path::file_name)
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let known = String::from_utf8_lossy(content)
                    .trim()
                    .parse::<i64>()
                    .is_ok_and(|mbps| mbps > 0);
                match self.speeds.iter_mut().find(|(name, _)| *name == iface) {
                    Some((_, seen)) => *seen |= known,
                    None => self.speeds.push((iface, known)),
                }
            }
            _ => {}
        }
    }

    fn notes(&self) -> Vec<(String, String)> {
        let mut notes = Vec::new();
        if !self.disk_errors_seen {
            notes.push((
                format!("{BLOCK}/*/device/ioerr_cnt"),
                "no block device exposes it (SCSI disks do; virtio-blk and NVMe do not): \
                 disk errors not measured"
                    .to_string(),
            ));
        }
        let unknown: Vec<&str> = self
            .speeds
            .iter()
            .filter(|(_, known)| !known)
            .map(|(iface, _)| iface.as_str())
            .collect();
        if !unknown.is_empty() {
            notes.push((
                format!("{NET_CLASS}/*/speed"),
                format!(
                    "link speed unknown for {}: no utilization from /proc for them",
                    unknown.join(", ")
                ),
            ));
        }
        if self.most_limited_cgroups > MAX_CGROUPS {
            notes.push((
                CGROUP_ROOT.to_string(),
                format!(
                    "{} memory cgroups have a limit; only the first {MAX_CGROUPS} by path \
                     were sampled",
                    self.most_limited_cgroups
                ),
            ));
        }
        notes
    }
}

/// The /sys files to copy this round: (file under raw_data/proc/, path).
fn sys_sources(mem_total_bytes: Option<u64>, notes: &mut SysNotes) -> Vec<(&'static str, PathBuf)> {
    let mut sources = Vec::new();
    for iface in sorted_entries(Path::new(NET_CLASS)) {
        // The loopback has no link.
        if iface.file_name().is_some_and(|name| name != "lo") {
            sources.push((NET_DEV_FILE, iface.join("speed")));
        }
    }
    for device in sorted_entries(Path::new(BLOCK)) {
        for counter in DISK_ERROR_COUNTERS {
            let path = device.join("device").join(counter);
            if path.is_file() {
                sources.push((DISK_ERRORS_FILE, path));
            }
        }
    }
    let limited = limited_memory_cgroups(Path::new(CGROUP_ROOT), mem_total_bytes);
    notes.most_limited_cgroups = notes.most_limited_cgroups.max(limited.len());
    for (dir, files) in limited.into_iter().take(MAX_CGROUPS) {
        for file in files {
            sources.push((CGROUP_MEMORY_FILE, dir.join(file)));
        }
    }
    sources
}

/// What the /sys sources hold on this host now, for `doctor`.
#[derive(Debug, Clone, Default)]
pub(crate) struct SysReach {
    /// The memory cgroup hierarchy found (`v1 /sys/fs/cgroup/memory`), if any.
    pub memory_hierarchy: Option<String>,
    /// Memory cgroups whose limit is below the host's RAM.
    pub limited_cgroups: usize,
    /// Block devices that expose SCSI error counters.
    pub disks_with_error_counters: Vec<String>,
    /// Each interface but the loopback, with its speed file's content or why it reads nothing.
    pub link_speeds: Vec<(String, Result<String, String>)>,
}

/// Look at the /sys sources as one sampling round would.
pub(crate) fn sys_reach() -> SysReach {
    let root = Path::new(CGROUP_ROOT);
    let v1 = root.join("memory");
    let v2 = [root.to_path_buf(), root.join("unified")]
        .into_iter()
        .find(|dir| {
            std::fs::read_to_string(dir.join("cgroup.controllers"))
                .is_ok_and(|controllers| controllers.split_whitespace().any(|c| c == "memory"))
        });
    let memory_hierarchy = if v1.join("memory.failcnt").is_file() {
        Some(format!("v1 {}", v1.display()))
    } else {
        v2.map(|dir| format!("v2 {}", dir.display()))
    };
    let name = |path: &Path| {
        path.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    SysReach {
        memory_hierarchy,
        limited_cgroups: limited_memory_cgroups(root, mem_total_bytes()).len(),
        disks_with_error_counters: sorted_entries(Path::new(BLOCK))
            .into_iter()
            .filter(|device| device.join("device/ioerr_cnt").is_file())
            .map(|device| name(&device))
            .collect(),
        link_speeds: sorted_entries(Path::new(NET_CLASS))
            .into_iter()
            .filter(|iface| iface.file_name().is_some_and(|name| name != "lo"))
            .map(|iface| {
                let speed = std::fs::read_to_string(iface.join("speed"))
                    .map(|text| text.trim().to_string())
                    .map_err(|err| err.to_string());
                (name(&iface), speed)
            })
            .collect(),
    }
}

/// The entries of `dir`, sorted; none when it cannot be read.
fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

/// The memory cgroups below `root` whose own limit is below the host's RAM (a limit at or
/// above it never binds), sorted by path, each with the files to copy: v1's under
/// `root/memory`, v2's under `root` on a cgroup2-only host or `root/unified` on a hybrid one.
/// Without the RAM size, every limit counts but v1's "none" (a huge number rounded down to a
/// page). A hierarchy's root has no limit and is left out.
pub(crate) fn limited_memory_cgroups(
    root: &Path,
    mem_total_bytes: Option<u64>,
) -> Vec<(PathBuf, &'static [&'static str])> {
    let binds =
        |limit: Option<u64>| limit.is_some_and(|limit| limit < mem_total_bytes.unwrap_or(1 << 60));
    let unified = if root.join("cgroup.controllers").is_file() {
        root.to_path_buf()
    } else {
        root.join("unified")
    };
    let mut budget = MAX_CGROUP_DIRS_WALKED;
    let mut found: Vec<(PathBuf, &'static [&'static str])> = Vec::new();
    for dir in walk_below(&root.join("memory"), &mut budget) {
        if binds(read_number(&dir.join("memory.limit_in_bytes"))) {
            found.push((dir, &CGROUP_V1_FILES));
        }
    }
    for dir in walk_below(&unified, &mut budget) {
        // memory.max reads `max` when there is no limit, and is absent where the memory
        // controller is not enabled.
        if binds(read_number(&dir.join("memory.max"))) {
            found.push((dir, &CGROUP_V2_FILES));
        }
    }
    found.sort();
    found
}

/// The directories below `top` (not `top` itself), breadth first in path order, at most
/// `budget` of them; the budget is shared between hierarchies.
fn walk_below(top: &Path, budget: &mut usize) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut queue = std::collections::VecDeque::from([top.to_path_buf()]);
    while let Some(dir) = queue.pop_front() {
        for child in sorted_entries(&dir) {
            if *budget == 0 {
                return found;
            }
            // A directory entry's type is not followed through symlinks: no loop.
            if std::fs::symlink_metadata(&child).is_ok_and(|meta| meta.is_dir()) {
                *budget -= 1;
                found.push(child.clone());
                queue.push_back(child);
            }
        }
    }
    found
}

fn read_number(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cgroup(root: &Path, relative: &str, files: &[(&str, &str)]) {
        let dir = root.join(relative);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, content) in files {
            std::fs::write(dir.join(name), content).unwrap();
        }
    }

    #[test]
    fn only_cgroups_with_a_limit_below_the_ram_are_copied() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let unlimited = "9223372036854771712\n";
        cgroup(root, "memory", &[("memory.limit_in_bytes", unlimited)]);
        cgroup(
            root,
            "memory/a",
            &[("memory.limit_in_bytes", "104857600\n")],
        );
        cgroup(root, "memory/a/b", &[("memory.limit_in_bytes", unlimited)]);
        cgroup(
            root,
            "memory/a/b/c",
            &[("memory.limit_in_bytes", "52428800\n")],
        );
        cgroup(
            root,
            "memory/big",
            &[("memory.limit_in_bytes", "8589934592\n")],
        );
        cgroup(root, "unified/svc", &[("memory.max", "max\n")]);
        cgroup(root, "unified/job", &[("memory.max", "1048576\n")]);
        cgroup(root, "unified/no-controller", &[]);
        let found = limited_memory_cgroups(root, Some(4 << 30));
        let relative: Vec<(String, usize)> = found
            .iter()
            .map(|(dir, files)| {
                let relative = dir.strip_prefix(root).unwrap();
                (relative.to_string_lossy().into_owned(), files.len())
            })
            .collect();
        assert_eq!(
            relative,
            [
                ("memory/a".to_string(), CGROUP_V1_FILES.len()),
                ("memory/a/b/c".to_string(), CGROUP_V1_FILES.len()),
                ("unified/job".to_string(), CGROUP_V2_FILES.len()),
            ]
        );
        assert_eq!(limited_memory_cgroups(root, None).len(), 4);
    }

    #[test]
    fn a_cgroup2_only_host_has_its_hierarchy_at_the_root() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        cgroup(root, "", &[("cgroup.controllers", "memory\n")]);
        cgroup(
            root,
            "system.slice/db.service",
            &[("memory.max", "1048576\n")],
        );
        let found = limited_memory_cgroups(root, Some(4 << 30));
        assert_eq!(found.len(), 1);
        assert!(found[0].0.ends_with("system.slice/db.service"));
    }

    #[test]
    fn the_walk_stops_at_its_budget() {
        let root = tempfile::tempdir().unwrap();
        for index in 0..5 {
            std::fs::create_dir_all(root.path().join(format!("d{index}/e"))).unwrap();
        }
        let mut budget = 3;
        assert_eq!(walk_below(root.path(), &mut budget).len(), 3);
        assert_eq!(budget, 0);
    }

    #[test]
    fn the_notes_say_what_could_not_be_measured() {
        let mut notes = SysNotes::default();
        let speed = |iface: &str| PathBuf::from(format!("{NET_CLASS}/{iface}/speed"));
        notes.saw(NET_DEV_FILE, &speed("eth0"), b"-1\n");
        notes.saw(NET_DEV_FILE, &speed("eth1"), b"10000\n");
        notes.most_limited_cgroups = MAX_CGROUPS + 1;
        let notes = notes.notes();
        assert_eq!(notes.len(), 3);
        assert!(notes[0].1.contains("no block device exposes it"));
        assert_eq!(
            notes[1].1,
            "link speed unknown for eth0: no utilization from /proc for them"
        );
        assert!(notes[2].1.starts_with("65 memory cgroups have a limit"));
    }
}

//! perf_manual's own /proc sampler. It needs no tool at all, so a USE report can always be made;
//! where sysstat is missing its snapshots stand in for mpstat, vmstat, iostat and sar
//! (see record::fallback).
//!
//! Each source is appended to its own file under raw_data/proc/ as a series of snapshots:
//! a header line `==> /proc/stat @ 2026-11-25T19:20:01.123456 <==` (local wall clock, as
//! sysstat prints it) and then the file's content verbatim. Parsing happens later, in parse/.

use std::{
    fs::OpenOptions,
    io::Write,
    path::Path,
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

/// The /proc files sampled and the file each goes to under raw_data/proc/.
pub const SOURCES: [(&str, &str); 12] = [
    ("/proc/stat", "stat.txt"),
    ("/proc/meminfo", "meminfo.txt"),
    ("/proc/vmstat", "vmstat.txt"),
    ("/proc/loadavg", "loadavg.txt"),
    ("/proc/diskstats", "diskstats.txt"),
    ("/proc/net/dev", "net_dev.txt"),
    ("/proc/net/snmp", "net_snmp.txt"),
    ("/proc/net/netstat", "net_netstat.txt"),
    ("/proc/net/sockstat", "net_sockstat.txt"),
    ("/proc/pressure/cpu", "pressure_cpu.txt"),
    ("/proc/pressure/memory", "pressure_memory.txt"),
    ("/proc/pressure/io", "pressure_io.txt"),
];

/// What a sampling session did.
#[derive(Debug, Clone, Default)]
pub struct SamplerReport {
    pub snapshots: u64,
    pub bytes: u64,
    /// Sources that could not be read (no PSI on this kernel, say), with the reason.
    pub unreadable: Vec<(String, String)>,
    pub files: Vec<String>,
}

/// The local wall clock as sysstat prints its time; one per round, so the sources of a round
/// (snmp and netstat both give `tcp` rows) share it.
pub fn stamp_now() -> String {
    jiff::ZonedDateTime::now()
        .datetime()
        .strftime("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

/// The line before each copy of a source.
pub fn snapshot_header(source: &str, stamp: &str) -> String {
    format!("==> {source} @ {stamp} <==\n")
}

/// Sample every `interval` until `deadline` or an interrupt, starting at once.
pub fn sample(
    proc_dir: &Path,
    interval: Duration,
    deadline: Instant,
    interrupted: &AtomicBool,
) -> std::io::Result<SamplerReport> {
    super::private_dir(proc_dir)?;
    let mut report = SamplerReport::default();
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
                Ok(content) => {
                    let path = proc_dir.join(file);
                    let mut out = OpenOptions::new().create(true).append(true).open(&path)?;
                    let header = snapshot_header(source, &stamp);
                    out.write_all(header.as_bytes())?;
                    out.write_all(&content)?;
                    if !content.ends_with(b"\n") {
                        out.write_all(b"\n")?;
                    }
                    report.bytes += (header.len() + content.len()) as u64;
                    let name = format!("proc/{file}");
                    if !report.files.contains(&name) {
                        report.files.push(name);
                    }
                }
                Err(err) => report
                    .unreadable
                    .push((source.to_string(), err.to_string())),
            }
        }
        report.snapshots += 1;
        next += interval;
        while Instant::now() < next {
            if interrupted.load(Ordering::Relaxed) || Instant::now() >= deadline {
                return Ok(report);
            }
            std::thread::sleep(
                super::process::POLL.min(next.saturating_duration_since(Instant::now())),
            );
        }
    }
    Ok(report)
}

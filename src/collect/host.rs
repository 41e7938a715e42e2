//! Facts about this host, read once at the start of a run (procfs crate).

use procfs::{Current, CurrentSI};

use crate::record::HostFacts;

pub(crate) fn host_facts() -> HostFacts {
    HostFacts {
        hostname: std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|name| name.trim().to_string()),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|release| release.trim().to_string()),
        cpus: procfs::CpuInfo::current()
            .ok()
            .map(|info| info.num_cores() as u32)
            .filter(|&cpus| cpus > 0),
        mem_total_kib: procfs::Meminfo::current()
            .ok()
            .map(|meminfo| meminfo.mem_total / 1024),
        boot_time: procfs::KernelStats::current().ok().map(|stats| stats.btime),
    }
}

/// CPU seconds (user + system) used so far by this process's own threads, and by its children
/// that have been waited for: the engine's cost beside the collectors'.
pub fn cpu_seconds() -> (f64, f64) {
    fn usage(who: libc::c_int) -> f64 {
        // SAFETY: getrusage(2) fills the struct we hand it; a zeroed rusage is a valid value.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(who, &mut usage) } != 0 {
            return 0.0;
        }
        let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 / 1e6;
        seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
    (usage(libc::RUSAGE_SELF), usage(libc::RUSAGE_CHILDREN))
}

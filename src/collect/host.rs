//! Facts about this host, read once at the start of a run (procfs crate).

use procfs::Current;

use crate::record::HostFacts;

pub fn host_facts() -> HostFacts {
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
    }
}

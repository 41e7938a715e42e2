//! The /proc snapshot parser (series and plain copies) must not panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for name in ["proc/stat.txt", "proc/pressure_cpu.txt", "proc/net_netstat.txt"] {
        let _ = perf_manual::parse::procfs::parse(name, &text);
    }
});

//! The off-CPU parser (`perf script` over sched:sched_switch) must not panic on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = perf_manual::parse::perf_sched::parse("fuzz", &text);
});

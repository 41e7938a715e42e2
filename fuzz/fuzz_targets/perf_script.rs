//! perf script → folded stacks, and the profile views built on them, must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(folded) = perf_manual::profile::fold_perf_script(data) {
        let _ = perf_manual::profile::top_functions(&folded, 10);
    }
});

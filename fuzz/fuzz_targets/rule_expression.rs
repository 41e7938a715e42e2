//! Rule expressions and phase conditions come from users: parsing must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = perf_manual::rules::parse_expression(&text);
    let _ = perf_manual::rules::parse_condition(&text);
});

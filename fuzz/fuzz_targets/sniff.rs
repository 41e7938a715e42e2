//! Recognition by content, then the parser it picks: what `analyze` does with any file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(format) = perf_manual::parse::sniff::sniff(&text) {
        let _ = perf_manual::parse::parse(format, "fuzz", &text);
    }
});

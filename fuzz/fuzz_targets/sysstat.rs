//! Every sysstat parser on the same bytes: none may panic, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perf_manual::parse::{Format, parse};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for format in [
        Format::Mpstat,
        Format::Vmstat,
        Format::Iostat,
        Format::Sar,
        Format::Pidstat,
        Format::SysstatJson,
        Format::Sadf,
    ] {
        let _ = parse(format, "fuzz", &text);
    }
});

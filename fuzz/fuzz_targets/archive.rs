//! Tarballs and gzip streams from colleagues: any bytes, read as `analyze` reads an archive
//! member, must not panic, whatever the headers, sizes, nesting or truncation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = perf_manual::judge::read_bytes("fuzz.tgz", data, &[]);
});

//! Sysstat parse throughput: each committed fixture, repeated in memory to at least 50 MB,
//! parsed on one thread; prints MB/s per format and whether it meets the 100 MB/s target.
//!
//! Run through `bench/parse-throughput [REPETITIONS] [FILTER]`. The best of the repetitions
//! is the figure (the machine is shared: the slowest runs measure the neighbours), the
//! worst is printed beside it so the noise shows.

use std::path::Path;
use std::time::Instant;

use perf_manual::parse::{self, Format};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
/// Each input is at least this large, so a run lasts long enough to time.
const MIN_BYTES: usize = 50 << 20;
const TARGET_MB_S: f64 = 100.0;

/// One fixture per sysstat report shape perf_manual reads.
const INPUTS: &[(&str, &str, Format)] = &[
    (
        "mpstat -P ALL",
        "mpstat/12.6.1-iso/mpstat-P-ALL.txt",
        Format::Mpstat,
    ),
    (
        "mpstat -I CPU",
        "mpstat/12.6.1-iso/mpstat-I-CPU.txt",
        Format::Mpstat,
    ),
    (
        "mpstat -A",
        "mpstat/12.6.1-iso/mpstat-A.txt",
        Format::Mpstat,
    ),
    (
        "vmstat -w -t",
        "vmstat/procps-ng-4.0.2/vmstat-w-t.txt",
        Format::Vmstat,
    ),
    (
        "iostat -x",
        "iostat/12.6.1-iso/iostat-x-d-y-t.txt",
        Format::Iostat,
    ),
    ("sar -A", "sar/12.6.1-iso/sar-A.txt", Format::Sar),
    ("sar -n DEV", "sar/12.6.1-iso/sar-n-DEV.txt", Format::Sar),
    (
        "pidstat -u -w",
        "pidstat/12.6.1-iso/pidstat-u-w.txt",
        Format::Pidstat,
    ),
    (
        "pidstat -u -w -h",
        "pidstat/12.6.1-iso/pidstat-u-w-h.txt",
        Format::Pidstat,
    ),
    (
        "pidstat -urdw -h",
        "pidstat/12.6.1-iso/pidstat-u-r-d-w-h.txt",
        Format::Pidstat,
    ),
];

fn main() {
    // `cargo bench` passes `--bench`; the rest are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let repetitions: usize = args
        .first()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5)
        .max(1);
    let filter = args.get(1).map_or("", String::as_str);
    println!(
        "{:<18} {:>7} {:>9} {:>9} {:>10}  target {TARGET_MB_S:.0} MB/s, best of {repetitions}",
        "format", "MB", "best MB/s", "worst", "records"
    );
    let mut misses = 0;
    for &(name, relative, format) in INPUTS.iter().filter(|(n, _, _)| n.contains(filter)) {
        let one = std::fs::read_to_string(Path::new(DATA).join(relative))
            .unwrap_or_else(|error| panic!("{relative}: {error}"));
        let text = one.repeat(MIN_BYTES.div_ceil(one.len()));
        let mut rates = Vec::with_capacity(repetitions);
        let mut records = 0;
        for _ in 0..repetitions {
            let start = Instant::now();
            let parsed = parse::parse(format, relative, &text);
            rates.push(text.len() as f64 / start.elapsed().as_secs_f64() / 1e6);
            records = parsed.records.len();
            assert!(
                parsed.warnings.len() < records,
                "{relative}: mostly warnings"
            );
            // Freeing the records is not part of parsing them.
            drop(parsed);
        }
        let best = rates.iter().copied().fold(0.0, f64::max);
        let worst = rates.iter().copied().fold(f64::INFINITY, f64::min);
        let verdict = if best >= TARGET_MB_S {
            "ok"
        } else {
            misses += 1;
            "BELOW TARGET"
        };
        println!(
            "{name:<18} {:>7.1} {best:>9.0} {worst:>9.0} {records:>10}  {verdict}",
            text.len() as f64 / 1e6
        );
    }
    if misses > 0 {
        println!("{misses} format(s) below {TARGET_MB_S:.0} MB/s");
    }
}

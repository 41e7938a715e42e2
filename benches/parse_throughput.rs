//! Sysstat parse throughput: each committed fixture, repeated in memory to at least 50 MB,
//! parsed on one thread; prints MB/s per format and whether it meets the 100 MB/s target.
//!
//! Run through `bench/parse-throughput [REPETITIONS] [FILTER]`. Throughput is bytes per
//! second of the parsing thread's own CPU time (user and system, page faults included), so
//! other processes on a shared machine do not count against it; wall-clock MB/s is printed
//! beside it. The best of the repetitions is the figure, the worst shows the noise.

use std::path::Path;
use std::time::{Duration, Instant};

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
        "MB/s of one core's CPU time (wall clock in brackets), best and worst of {repetitions}"
    );
    println!(
        "{:<18} {:>6} {:>7} {:>7} {:>7} {:>7} {:>9}  target {TARGET_MB_S:.0} MB/s",
        "format", "MB", "best", "(wall)", "worst", "(wall)", "records"
    );
    let mut misses = 0;
    for &(name, relative, format) in INPUTS.iter().filter(|(n, _, _)| n.contains(filter)) {
        let one = std::fs::read_to_string(Path::new(DATA).join(relative))
            .unwrap_or_else(|error| panic!("{relative}: {error}"));
        let text = one.repeat(MIN_BYTES.div_ceil(one.len()));
        let mb = text.len() as f64 / 1e6;
        // (CPU, wall) MB/s of each repetition.
        let mut rates: Vec<(f64, f64)> = Vec::with_capacity(repetitions);
        let mut records = 0;
        for _ in 0..repetitions {
            let (cpu, wall) = (thread_cpu_time(), Instant::now());
            let parsed = parse::parse(format, relative, &text);
            let cpu = thread_cpu_time() - cpu;
            rates.push((mb / cpu.as_secs_f64(), mb / wall.elapsed().as_secs_f64()));
            records = parsed.records.len();
            assert!(
                parsed.warnings.len() < records,
                "{relative}: mostly warnings"
            );
            // Freeing the records is not part of parsing them.
            drop(parsed);
        }
        rates.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (best, best_wall) = rates[0];
        let (worst, worst_wall) = rates[rates.len() - 1];
        let verdict = if best >= TARGET_MB_S {
            "ok"
        } else {
            misses += 1;
            "BELOW TARGET"
        };
        println!(
            "{name:<18} {mb:>6.1} {best:>7.0} {:>7} {worst:>7.0} {:>7} {records:>9}  {verdict}",
            format!("({best_wall:.0})"),
            format!("({worst_wall:.0})"),
        );
    }
    if misses > 0 {
        println!("{misses} format(s) below {TARGET_MB_S:.0} MB/s");
    }
}

/// CPU time the calling thread has used, user and system.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to write; the clock id is a constant.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

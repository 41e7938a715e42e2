//! perf script → folded stacks: perf_manual's fold against inferno's own
//! `inferno-collapse-perf`, on the same input in the same run.
//!
//! Run through `bench/fold-vs-inferno`, which records a real profile first; or directly:
//! `cargo bench --bench fold_vs_inferno -- SCRIPT [REPETITIONS] [MIN_MB]`. The script is
//! repeated in memory to at least MIN_MB (default 50) and written to a temporary file that
//! inferno-collapse-perf reads. Each repetition times, by the wall clock:
//!
//! - ours as `perf_manual analyze` (and `run`, on the perf.script it wrote) reads a perf
//!   script on disk: `judge::read_data` on the file (open, sniff, fold as it is read, top
//!   functions), then the folded text written as `perf.folded` is (to a sink). This is the
//!   end-to-end comparison: inferno-collapse-perf reads the file and writes its output too
//!   (to /dev/null);
//! - ours on the bytes in memory (`fold_perf_script`), as `analyze` folds what `perf script`
//!   printed for a perf.data it found alone, and as the fuzzer calls it;
//! - inferno-collapse-perf.
//!
//! Each as it runs by default (one thread per CPU) and on one thread (ours in a one-thread
//! rayon pool, inferno with `--nthreads 1`); the best time of each is compared, and the
//! least CPU time (user + system, of all threads; inferno's as a child's) beside it, which
//! other work on a shared machine disturbs less than the wall clock. Both fold
//! with the same options (inferno's defaults: no pid, tid, addresses or annotations), and
//! their outputs are compared first.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use perf_manual::collect::host::cpu_seconds;
use perf_manual::profile::fold_perf_script;

fn main() {
    // `cargo bench` passes `--bench`; the rest are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(script) = args.first() else {
        eprintln!("usage: fold_vs_inferno SCRIPT [REPETITIONS] [MIN_MB]");
        std::process::exit(2);
    };
    let repetitions: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(5).max(1);
    let min_bytes = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(50usize) << 20;
    let inferno = std::env::var("INFERNO_COLLAPSE_PERF")
        .unwrap_or_else(|_| "inferno-collapse-perf".to_string());

    let one = std::fs::read(script).unwrap_or_else(|error| panic!("{script}: {error}"));
    let mut one = one;
    // Copies must stay apart as samples: a blank line ends the last sample of each.
    while !one.ends_with(b"\n\n") {
        one.push(b'\n');
    }
    let text = one.repeat(min_bytes.div_ceil(one.len()));
    let input = std::env::temp_dir().join(format!("perf_manual-fold-{}.txt", std::process::id()));
    std::fs::write(&input, &text).expect("write the input for inferno-collapse-perf");
    let mb = text.len() as f64 / 1e6;
    println!(
        "input: {script} repeated to {mb:.1} MB ({} copies); {inferno}; best of {repetitions}",
        text.len() / one.len()
    );

    let ours = analyze_file(&input);
    let theirs = run_inferno(&inferno, &input, None, true);
    compare(&ours, &theirs);
    compare(&fold_perf_script(&text).expect("fold").to_text(), &theirs);

    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    let threads = rayon::current_num_threads();
    let runs: [(String, &dyn Fn()); 6] = [
        (
            format!("ours, analyze the file ({threads} threads)"),
            &|| drop(analyze_file(&input)),
        ),
        ("ours, analyze the file (1 thread)".to_string(), &|| {
            one_thread.install(|| drop(analyze_file(&input)))
        }),
        (
            format!("ours, bytes in memory ({threads} threads)"),
            &|| drop(fold_perf_script(&text).expect("fold")),
        ),
        ("ours, bytes in memory (1 thread)".to_string(), &|| {
            one_thread.install(|| drop(fold_perf_script(&text).expect("fold")))
        }),
        ("inferno-collapse-perf".to_string(), &|| {
            drop(run_inferno(&inferno, &input, None, false))
        }),
        ("inferno-collapse-perf --nthreads 1".to_string(), &|| {
            drop(run_inferno(&inferno, &input, Some(1), false))
        }),
    ];
    let mut best = [Duration::MAX; 6];
    let mut least_cpu = [f64::MAX; 6];
    let cpu = || {
        let (own, children) = cpu_seconds();
        own + children
    };
    for _ in 0..repetitions {
        for (((_, run), best), least_cpu) in runs.iter().zip(&mut best).zip(&mut least_cpu) {
            let (start, cpu_start) = (Instant::now(), cpu());
            run();
            *best = (*best).min(start.elapsed());
            *least_cpu = least_cpu.min(cpu() - cpu_start);
        }
    }
    let _ = std::fs::remove_file(&input);
    for (((name, _), time), cpu) in runs.iter().zip(best).zip(least_cpu) {
        println!(
            "{name:<40} {:>7.3} s {:>6.0} MB/s  {cpu:>6.3} CPU s",
            time.as_secs_f64(),
            mb / time.as_secs_f64()
        );
    }
    let ratio = |ours: Duration, theirs: Duration| theirs.as_secs_f64() / ours.as_secs_f64();
    let [
        file,
        file_single,
        memory,
        memory_single,
        theirs,
        theirs_single,
    ] = best;
    println!(
        "fold: ours {:.2}x inferno-collapse-perf, both reading the file on every CPU \
         (above 1: ours is faster)",
        ratio(file, theirs)
    );
    println!(
        "      one thread each {:.2}x; ours on bytes in memory {:.2}x, one thread each {:.2}x",
        ratio(file_single, theirs_single),
        ratio(memory, theirs),
        ratio(memory_single, theirs_single)
    );
    let [file, file_single, .., theirs, theirs_single] = least_cpu;
    println!(
        "      CPU time (least; the wall clock waits for other work on a shared machine): \
         ours {:.2}x, one thread each {:.2}x",
        theirs / file,
        theirs_single / file_single
    );
}

/// What `perf_manual analyze` does with a perf script on disk: read and fold it, then write
/// the folded text (`perf.folded`).
fn analyze_file(path: &Path) -> String {
    let analysis = perf_manual::judge::read_data(path, &[]).expect("read the script");
    let profile = analysis.profiles.first().expect("a profile");
    let text = profile.folded.to_text();
    std::io::sink().write_all(text.as_bytes()).expect("write");
    text
}

/// Run inferno-collapse-perf on `path`; its output when `keep` is set.
fn run_inferno(program: &str, path: &Path, nthreads: Option<usize>, keep: bool) -> String {
    let mut command = Command::new(program);
    if let Some(n) = nthreads {
        command.arg("--nthreads").arg(n.to_string());
    }
    command
        .arg(path)
        .stdout(if keep { Stdio::piped() } else { Stdio::null() });
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{program}: {error} (cargo install inferno --locked)"));
    assert!(
        output.status.success(),
        "{program} failed: {:?}",
        output.status
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Say whether both folded the input alike, and how they differ if not.
fn compare(ours: &str, theirs: &str) {
    if ours == theirs {
        println!(
            "folded outputs are identical ({} stacks)",
            ours.lines().count()
        );
        return;
    }
    let ours_lines: std::collections::BTreeSet<&str> = ours.lines().collect();
    let theirs_lines: std::collections::BTreeSet<&str> = theirs.lines().collect();
    let only_ours: Vec<&&str> = ours_lines.difference(&theirs_lines).collect();
    let only_theirs: Vec<&&str> = theirs_lines.difference(&ours_lines).collect();
    println!(
        "folded outputs differ: {} stacks only in ours, {} only in inferno's; first of each:",
        only_ours.len(),
        only_theirs.len()
    );
    println!("  ours:    {:?}", only_ours.first());
    println!("  inferno: {:?}", only_theirs.first());
}

//! Off-CPU time from sched:sched_switch: the parser against real perf 6.1 output and goldens
//! beside it (rewritten only on purpose: `SNAPSHOTS=overwrite cargo test --test offcpu`), and
//! the off-cpu collector run for real on examples/contended_lock.
//!
//! perf missing skips the real run on a developer's machine and fails it in CI (when `CI` is
//! set): CI must never pass by not testing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use perf_manual::parse::{Format, perf_sched, perf_trace, sniff::sniff};
use perf_manual::playbook;
use perf_manual::record::{Dataset, HostFacts, Record};
use perf_manual::rules::evaluate_all;

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");

fn data_dir(variant: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/perf_sched/6.1")
        .join(variant)
}

/// Compare `actual` with the golden at `path`, or write it when SNAPSHOTS=overwrite.
fn golden(path: &Path, actual: &str) {
    if std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite") {
        fs::write(path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(path).unwrap_or_else(|error| {
        panic!(
            "{}: {error}; create it with SNAPSHOTS=overwrite",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{} differs from what the code produces now; if the change is meant, \
         regenerate with SNAPSHOTS=overwrite and review the diff",
        path.display()
    );
}

fn check(variant: &str) -> perf_manual::record::Parsed {
    let dir = data_dir(variant);
    let text = fs::read_to_string(dir.join("switches.txt")).unwrap();
    assert_eq!(sniff(&text), Some(Format::PerfSchedSwitch));
    let parsed = perf_sched::parse("offcpu/switches.txt", &text);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let json = serde_json::to_string_pretty(&parsed).unwrap() + "\n";
    golden(&dir.join("expected.json"), &json);
    parsed
}

fn field(parsed: &perf_manual::record::Parsed, wait: &str, name: &str) -> Vec<f64> {
    parsed
        .records
        .iter()
        .filter(|record| record.table == "offcpu")
        .filter(|record| record.labels.get("wait").map(String::as_str) == Some(wait))
        .filter_map(|record| record.fields.get(name).copied())
        .collect()
}

#[test]
fn contended_lock_threads_block_in_futex() {
    let parsed = check("contended-lock");
    let futex = field(&parsed, "futex", "blocks");
    assert_eq!(futex.len(), 8, "one futex group per thread");
    assert!(futex.iter().all(|&blocks| blocks > 0.0));
    assert!(
        parsed
            .records
            .iter()
            .filter(|record| record.table == "offcpu")
            .filter(|record| record.labels.get("wait").map(String::as_str) == Some("futex"))
            .all(|record| record.labels.get("frame").map(String::as_str) == Some("futex_do_wait"))
    );
    assert!(!field(&parsed, "clock_nanosleep", "blocks").is_empty());
    assert!(!field(&parsed, "preempted", "blocks").is_empty());
}

#[test]
fn idle_pool_threads_block_in_futex_ten_times_a_second() {
    let parsed = check("idle-pool-100ms");
    let rates = field(&parsed, "futex", "blocks_s");
    assert_eq!(rates.len(), 8);
    assert!(rates.iter().all(|&rate| rate < 20.0), "{rates:?}");
}

#[test]
fn system_wide_switch_ins_come_from_next_pid() {
    let parsed = check("system-wide");
    assert!(
        parsed
            .records
            .iter()
            .any(|record| record.labels.get("comm").map(String::as_str) == Some("migration/0"))
    );
    assert!(
        parsed
            .records
            .iter()
            .all(|record| record.labels.get("pid").map(String::as_str) != Some("0"))
    );
    assert!(!field(&parsed, "futex", "blocks").is_empty());
}

/// The mutex rules on real captures: which of the futex rules each load fires.
fn mutex_findings(trace: Option<&str>, switches: Option<&str>) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = playbook::load(&root.join("tests/data/playbooks/off-cpu.toml")).unwrap();
    let mut records: Vec<Record> = Vec::new();
    if let Some(variant) = trace {
        let path = root.join("tests/data/perf_trace/6.1").join(variant);
        let text = fs::read_to_string(path.join("trace.txt")).unwrap();
        records.extend(perf_trace::parse("trace/syscalls.txt", &text).records);
    }
    if let Some(variant) = switches {
        let text = fs::read_to_string(data_dir(variant).join("switches.txt")).unwrap();
        records.extend(perf_sched::parse("offcpu/switches.txt", &text).records);
    }
    let judgement = evaluate_all(
        &loaded.playbook.rules,
        &Dataset::from_records(&records, HostFacts::default()),
    );
    assert!(judgement.errors.is_empty(), "{:?}", judgement.errors);
    let mut fired: Vec<String> = judgement.findings.iter().map(|f| f.id.clone()).collect();
    fired.sort();
    fired
}

#[test]
fn a_contended_lock_fires_both_futex_rules() {
    assert_eq!(
        mutex_findings(Some("contended-lock"), Some("contended-lock")),
        ["mutex-futex-woken-waits", "mutex-offcpu-futex"]
    );
}

#[test]
fn idle_pools_and_a_busy_syscall_loop_fire_no_futex_rule() {
    assert!(mutex_findings(Some("idle-pool-1ms"), Some("idle-pool-100ms")).is_empty());
    assert!(mutex_findings(Some("pid"), None).is_empty());
}

/// rustc's codegen coordinator, woken 343 times a second by its workers' messages, is a
/// hand-off hot spot by the same measure (use-mutex.toml says so).
#[test]
fn a_busy_channel_consumer_fires_the_woken_waits_rule() {
    assert_eq!(
        mutex_findings(Some("system-wide"), None),
        ["mutex-futex-woken-waits"]
    );
}

/// Cut and mangled copies of real output parse without panicking.
#[test]
fn cut_and_mangled_output_never_panics() {
    let original = fs::read(data_dir("system-wide").join("switches.txt")).unwrap();
    let alphabet = b" \t\n:=/>[]0123456789.abcRSDPERF_RECORD_SWITCH";
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut random = move |below: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % below.max(1) as u64) as usize
    };
    for round in 0..60 {
        let mut bytes = original.clone();
        if round % 3 == 0 {
            bytes.truncate(random(bytes.len()));
        } else {
            for _ in 0..round * 4 {
                let at = random(bytes.len());
                if let Some(byte) = bytes.get_mut(at) {
                    *byte = alphabet[random(alphabet.len())];
                }
            }
        }
        perf_sched::parse("t", &String::from_utf8_lossy(&bytes));
    }
}

fn have_perf() -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("perf").is_file()));
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "perf is required in CI: .ci/run must install it"
        );
        eprintln!("skipping: perf is not installed");
    }
    found
}

/// The off-cpu collector, run by `perf_manual run` on eight threads fighting for one mutex
/// (4 s in all, 1 s of it recorded): every thread of the lock is blocked in futex most of the
/// window, and the rule says so.
#[test]
fn the_off_cpu_collector_finds_the_lock_threads_blocked_in_futex() {
    if !have_perf() {
        return;
    }
    let example = Path::new(BIN)
        .parent()
        .expect("the binary's folder")
        .join("examples/contended_lock");
    assert!(
        example.is_file(),
        "cargo test builds examples/contended_lock"
    );
    let mut lock = Command::new(&example)
        .args(["8", "8"])
        .spawn()
        .expect("the contended-lock load starts");
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("inv");
    let output = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "tests/data/playbooks/off-cpu.toml",
            "--format",
            "json",
        ])
        .args(["--pid", &lock.id().to_string(), "--output"])
        .arg(&out)
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    let _ = lock.kill();
    let _ = lock.wait();
    assert_eq!(output.status.code(), Some(0), "perf_manual run failed");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let text = fs::read_to_string(out.join("raw_data/offcpu/switches.txt")).unwrap();
    let parsed = perf_sched::parse("offcpu/switches.txt", &text);
    let shares = field(&parsed, "futex", "offcpu_pct");
    assert!(shares.len() >= 6, "threads blocked in futex: {shares:?}");
    assert!(
        shares.iter().filter(|&&share| share > 50.0).count() >= 6,
        "{shares:?}"
    );
    let fired = json["findings"]
        .as_array()
        .is_some_and(|all| all.iter().any(|f| f["id"] == "mutex-offcpu-futex"));
    assert!(fired, "{:#}", json["findings"]);
}

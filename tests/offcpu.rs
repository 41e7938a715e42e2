//! The mutex rules on real captures of a contended lock, idle pools and a busy channel, and the
//! off-cpu collector run for real on examples/contended_lock. The parser's goldens are in
//! tests/profile.rs with the other perf output.
//!
//! perf missing skips the real run on a developer's machine and fails it in CI (when `CI` is
//! set): CI must never pass by not testing.

mod common;

use common::{example, have};

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use perf_manual::parse::{perf_sched, perf_trace, unit_of};
use perf_manual::playbook;
use perf_manual::record::{Dataset, HostFacts, Name, Record};
use perf_manual::rules::{compile, evaluate_all};

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");

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
        let path = root.join("tests/data/perf_sched/6.1").join(variant);
        let text = fs::read_to_string(path.join("switches.txt")).unwrap();
        records.extend(perf_sched::parse("offcpu/switches.txt", &text).records);
    }
    let rules: Vec<_> = loaded.playbook.rules.into_iter().map(compile).collect();
    let judgement = evaluate_all(
        &rules,
        &Dataset::from_records(&records, HostFacts::default(), unit_of),
    );
    assert!(judgement.errors.is_empty(), "{:?}", judgement.errors);
    let mut fired: Vec<String> = judgement.findings.iter().map(|f| f.id.clone()).collect();
    fired.sort();
    fired
}

#[test]
fn a_contended_lock_fires_every_futex_rule() {
    assert_eq!(
        mutex_findings(Some("contended-lock"), Some("contended-lock")),
        [
            "mutex-futex-shared",
            "mutex-futex-woken-waits",
            "mutex-offcpu-futex"
        ]
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

/// The off-cpu collector, run by `perf_manual run` on eight threads fighting for one mutex
/// (4 s in all, 1 s of it recorded): every thread of the lock is blocked in futex most of the
/// window, and the rule says so.
#[test]
fn the_off_cpu_collector_finds_the_lock_threads_blocked_in_futex() {
    if !have("perf") {
        return;
    }
    let program = example("contended_lock");
    let mut lock = Command::new(&program)
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
    let lock = parsed
        .records
        .iter()
        .find(|record| {
            record.table == "offcpu_process"
                && record.labels.get("comm").map(Name::as_str) == Some("contended_lock")
                && record.labels.get("wait").map(Name::as_str) == Some("futex")
        })
        .unwrap_or_else(|| panic!("no futex waits of contended_lock: {:?}", parsed.records));
    assert_eq!(lock.fields.get("threads"), Some(&8.0), "{lock:?}");
    assert!(
        lock.fields
            .get("offcpu_pct")
            .is_some_and(|&share| share > 50.0),
        "{lock:?}"
    );
    let fired = json["findings"]
        .as_array()
        .is_some_and(|all| all.iter().any(|f| f["id"] == "mutex-offcpu-futex"));
    assert!(fired, "{:#}", json["findings"]);
}

/// `analyze` of a captured sched_switch trace shows the blocked threads in the report's
/// off-CPU table, futex waits first, preemption left out.
#[test]
fn the_report_lists_the_blocked_threads() {
    let data =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/perf_sched/6.1/contended-lock");
    let output = Command::new(BIN)
        .args(["analyze", "--format", "json", "--data"])
        .arg(&data)
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = json["off_cpu"].as_array().expect("an off-CPU table");
    assert!(!rows.is_empty());
    assert_eq!(rows[0]["process"], "contended_lock");
    assert_eq!(rows[0]["wait"], "futex");
    assert!(rows.iter().all(|row| row["wait"] != "preempted"));
    let work = tempfile::tempdir().unwrap();
    let report = work.path().join("report.md");
    let status = Command::new(BIN)
        .args(["analyze", "--data"])
        .arg(&data)
        .arg("--output")
        .arg(&report)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.code().is_some_and(|code| code <= 1), "{status:?}");
    let text = fs::read_to_string(report).unwrap();
    assert!(text.contains("## Off-CPU time (sched_switch)"), "{text}");
    assert!(text.contains("| contended_lock |"), "{text}");
}

//! Real perf 6.1 output captured on this project's VM, folded and parsed, against goldens
//! beside it. A golden is rewritten only on purpose: `SNAPSHOTS=overwrite cargo test`.

mod common;

use common::golden;

use std::fs;
use std::path::{Path, PathBuf};

use perf_manual::parse::{Format, perf_sched, perf_trace, sniff::sniff};
use perf_manual::profile::{
    Caption, ProfileError, flamegraph_svg, fold_perf_script, top_functions,
};
use perf_manual::record::{Name, Parsed};

fn data_dir(tool: &str, variant: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(tool)
        .join("6.1")
        .join(variant)
}

/// `dropped`: samples whose every frame inferno skips (a name starting with `(`, as C++'s
/// `(anonymous namespace)::f`), counted by eye in the script.
fn check_profile(variant: &str, dropped: u64) {
    let dir = data_dir("perf", variant);
    let script = fs::read(dir.join("perf.script")).unwrap();
    let folded = fold_perf_script(&script).unwrap();
    golden(&dir.join("expected.folded"), &folded.to_text());
    let top = top_functions(&folded, 20);
    let json = serde_json::to_string_pretty(&top).unwrap() + "\n";
    golden(&dir.join("expected.top.json"), &json);

    let events = script
        .split(|&byte| byte == b'\n')
        .filter(|line| {
            line.first() != Some(&b'\t') && line.windows(11).any(|w| w == b" cpu-clock:")
        })
        .count() as u64;
    assert_eq!(
        folded.total_samples,
        events - dropped,
        "one count per sample"
    );
    let caption = Caption {
        kind: "On-CPU".into(),
        what: variant.into(),
        samples: folded.total_samples,
        ..Caption::default()
    };
    let (svg, _) = flamegraph_svg(&folded, &caption).unwrap();
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.contains(&top[0].function.replace('<', "&lt;").replace('>', "&gt;")));
}

#[test]
fn frame_pointer_profile_folds_to_its_golden() {
    check_profile("fp", 3);
}

#[test]
fn dwarf_profile_folds_to_its_golden() {
    check_profile("dwarf", 0);
}

#[test]
fn dwarf_profile_with_inlined_frames_folds_to_its_golden() {
    check_profile("dwarf-inline", 0);
}

#[test]
fn profile_without_callchains_folds_to_its_golden() {
    check_profile("no-callgraph", 0);
}

#[test]
fn stripped_stress_ng_frames_fold_to_its_module_and_libm_is_named() {
    let script = fs::read(data_dir("perf", "dwarf-inline").join("perf.script")).unwrap();
    let folded = fold_perf_script(&script).unwrap();
    let text = folded.to_text();
    assert!(text.contains(
        "stress-ng-cpu;[stress-ng];__libc_start_main_impl;__libc_start_call_main;[stress-ng];"
    ));
    assert!(text.contains(";__sincos_fma;do_sin "));
}

fn check_trace(variant: &str) {
    let dir = data_dir("perf_trace", variant);
    let text = fs::read_to_string(dir.join("trace.txt")).unwrap();
    let parsed = perf_trace::parse("trace/syscalls.txt", &text);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let json = serde_json::to_string_pretty(&parsed).unwrap() + "\n";
    golden(&dir.join("expected.json"), &json);
}

#[test]
fn system_wide_trace_summary_parses_to_its_golden() {
    check_trace("system-wide");
}

#[test]
fn per_process_trace_summary_parses_to_its_golden() {
    check_trace("pid");
}

#[test]
fn trace_summary_with_sched_runtime_parses_to_its_golden() {
    check_trace("pid-sched");
}

#[test]
fn trace_summary_with_faults_and_empty_tables_parses_to_its_golden() {
    check_trace("pid-faults-sched");
}

#[test]
fn contended_lock_trace_has_woken_futex_waits() {
    check_trace("contended-lock");
}

#[test]
fn idle_pool_trace_has_timed_out_futex_waits() {
    check_trace("idle-pool-1ms");
}

/// Sixty damaged copies of `original`: every third cut short at a random byte, the others
/// with `round * damage` random bytes overwritten from `alphabet` (the characters the format
/// is made of, so the damage reaches deep into the parser). The same copies every run.
fn mangled_copies(original: &[u8], alphabet: &[u8], damage: usize) -> Vec<Vec<u8>> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut random = move |below: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % below.max(1) as u64) as usize
    };
    (0..60)
        .map(|round| {
            let mut bytes = original.to_vec();
            if round % 3 == 0 {
                bytes.truncate(random(bytes.len()));
            } else {
                for _ in 0..round * damage {
                    let at = random(bytes.len());
                    if let Some(byte) = bytes.get_mut(at) {
                        *byte = alphabet[random(alphabet.len())];
                    }
                }
            }
            bytes
        })
        .collect()
}

/// Cut and mangled copies of real output: the fold and the parser must neither panic nor
/// (for ASCII damage, which inferno slices safely) report inferno failing, which would hide
/// a panic of our own under `catch_unwind`.
#[test]
fn cut_and_mangled_output_never_panics() {
    let script = fs::read(data_dir("perf", "dwarf-inline").join("perf.script")).unwrap();
    let trace = fs::read(data_dir("perf_trace", "pid").join("trace.txt")).unwrap();
    let alphabet = b" \t\n:#()[]/;+%,.-0123456789abcxyz";
    for original in [&script, &trace] {
        for (round, bytes) in mangled_copies(original, alphabet, 1).iter().enumerate() {
            if let Err(ProfileError::Inferno(error)) = fold_perf_script(bytes) {
                panic!("round {round}: {error}");
            }
            perf_trace::parse("t", &String::from_utf8_lossy(bytes));
        }
    }
}

fn check_switches(variant: &str) -> Parsed {
    let dir = data_dir("perf_sched", variant);
    let text = fs::read_to_string(dir.join("switches.txt")).unwrap();
    assert_eq!(sniff(&text), Some(Format::PerfSchedSwitch));
    let parsed = perf_sched::parse("offcpu/switches.txt", &text);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let json = serde_json::to_string_pretty(&parsed).unwrap() + "\n";
    golden(&dir.join("expected.json"), &json);
    parsed
}

fn field(parsed: &Parsed, wait: &str, name: &str) -> Vec<f64> {
    parsed
        .records
        .iter()
        .filter(|record| record.table == "offcpu")
        .filter(|record| record.labels.get("wait").map(Name::as_str) == Some(wait))
        .filter_map(|record| record.fields.get(name).copied())
        .collect()
}

#[test]
fn contended_lock_threads_block_in_futex() {
    let parsed = check_switches("contended-lock");
    let futex = field(&parsed, "futex", "blocks");
    assert_eq!(futex.len(), 8, "one futex group per thread");
    assert!(futex.iter().all(|&blocks| blocks > 0.0));
    assert!(
        parsed
            .records
            .iter()
            .filter(|record| record.table == "offcpu")
            .filter(|record| record.labels.get("wait").map(Name::as_str) == Some("futex"))
            .all(|record| record.labels.get("frame").map(Name::as_str) == Some("futex_do_wait"))
    );
    assert!(!field(&parsed, "clock_nanosleep", "blocks").is_empty());
    assert!(!field(&parsed, "preempted", "blocks").is_empty());
}

#[test]
fn idle_pool_threads_block_in_futex_ten_times_a_second() {
    let parsed = check_switches("idle-pool-100ms");
    let rates = field(&parsed, "futex", "blocks_s");
    assert_eq!(rates.len(), 8);
    assert!(rates.iter().all(|&rate| rate < 20.0), "{rates:?}");
}

#[test]
fn system_wide_switch_ins_come_from_next_pid() {
    let parsed = check_switches("system-wide");
    assert!(
        parsed
            .records
            .iter()
            .any(|record| record.labels.get("comm").map(Name::as_str) == Some("migration/0"))
    );
    assert!(
        parsed
            .records
            .iter()
            .all(|record| record.labels.get("pid").map(Name::as_str) != Some("0"))
    );
    assert!(!field(&parsed, "futex", "blocks").is_empty());
}

/// Cut and mangled copies of real output parse without panicking.
#[test]
fn cut_and_mangled_switches_never_panic() {
    let original = fs::read(data_dir("perf_sched", "system-wide").join("switches.txt")).unwrap();
    let alphabet = b" \t\n:=/>[]0123456789.abcRSDPERF_RECORD_SWITCH";
    for bytes in mangled_copies(&original, alphabet, 4) {
        perf_sched::parse("t", &String::from_utf8_lossy(&bytes));
    }
}

/// Off-CPU stacks from the real sched_switch captures (tests/data/perf_sched/6.1): the
/// contended lock's threads wait in futex; the idle pool's sleep in futex with timeouts too,
/// and a system-wide capture's switch-ins come from next_pid.
#[test]
fn real_switches_fold_into_off_cpu_stacks_weighted_by_time() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/perf_sched/6.1");
    for variant in ["contended-lock", "idle-pool-100ms", "system-wide"] {
        let text = fs::read(dir.join(variant).join("switches.txt")).unwrap();
        let off = perf_manual::profile::fold_switches(&text);
        assert!(off.blocked_ms > 0.0, "{variant}");
        assert_eq!(
            off.folded.total_samples,
            off.folded.lines.iter().map(|(_, us)| us).sum::<u64>(),
            "{variant}"
        );
        let waits: f64 = off.by_wait.iter().map(|w| w.percent).sum();
        assert!((waits - 100.0).abs() < 0.01, "{variant}: {waits}");
        if variant == "contended-lock" {
            assert_eq!(off.by_wait[0].wait, "futex", "{:?}", off.by_wait[0]);
            assert!(off.by_wait[0].percent > 40.0, "{:?}", off.by_wait[0]);
        }
    }
}

//! The parsers of `free`, `top -b` and `perf trace` (without `-s`) against output captured on
//! this machine (tests/data/<tool>/<version>/, each with a README), and what their tables stand
//! in for when sysstat and /proc are missing.
//!
//! Every `tests/data/<tool>/<version>/<name>.txt` is sniffed and parsed, and what the parser
//! made of it is compared with `<name>.expected.json` beside it. Regenerate those on purpose
//! with `SNAPSHOTS=overwrite cargo test --test parse_tools`, then read the diff.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{DATA, assert_goldens_match, fixtures, golden_beside, name_of};
use perf_manual::parse::{self, Format, perf_trace, sniff::sniff, unit_of};
use perf_manual::record::{Parsed, Record, Unit, fallback};

const TOOLS: [(&str, Format); 3] = [
    ("free", Format::Free),
    ("top", Format::Top),
    ("perf_trace_events", Format::PerfTraceEvents),
];

fn load(relative: &str, format: Format) -> Parsed {
    let path = Path::new(DATA).join(relative);
    parse::parse(format, &name_of(&path), &fs::read_to_string(&path).unwrap())
}

#[test]
fn every_fixture_is_sniffed_as_its_tool_parses_cleanly_and_matches_its_golden() {
    let mut mismatches = Vec::new();
    for (tool, format) in TOOLS {
        let paths = fixtures(tool);
        assert!(!paths.is_empty(), "{tool}");
        for path in paths {
            let text = fs::read_to_string(&path).unwrap();
            assert_eq!(sniff(&text), Some(format), "{}", path.display());
            let parsed = parse::parse(format, &name_of(&path), &text);
            assert!(
                parsed.warnings.is_empty(),
                "{}: {:#?}",
                path.display(),
                parsed.warnings
            );
            assert!(!parsed.records.is_empty(), "{}", path.display());
            mismatches.extend(golden_beside(&path, &parsed));
        }
    }
    assert_goldens_match(&mismatches);
}

fn mem_row<'p>(parsed: &'p Parsed, table: &str) -> &'p Record {
    parsed
        .records
        .iter()
        .find(|r| r.table == table && r.labels["kind"] == "Mem")
        .unwrap()
}

/// MemTotal on the machine the fixtures come from, in KiB (free -k's total).
const MEM_TOTAL_KIB: f64 = 24_683_792.0;

#[test]
fn free_in_any_unit_gives_kib_with_or_without_its_name() {
    for name in [
        "free-k",
        "free-m",
        "free-g",
        "free-b",
        "free-h",
        "free-si-h",
        "free-m-w-s1-c2",
    ] {
        let relative = format!("free/procps-ng-4.0.2/{name}.txt");
        let named = load(&relative, Format::Free);
        let total = mem_row(&named, "free").fields["total"];
        // -g rounds to whole GiB and -h to two digits: within 5 %.
        assert!(
            (total - MEM_TOTAL_KIB).abs() / MEM_TOTAL_KIB < 0.05,
            "{name}: {total}"
        );
        let text = fs::read_to_string(Path::new(DATA).join(&relative)).unwrap();
        let unnamed = parse::parse(Format::Free, "free.txt", &text);
        assert_eq!(mem_row(&unnamed, "free").fields["total"], total, "{name}");
    }
    assert_eq!(unit_of("free", "available"), Unit::KiB);
    let wide = load("free/procps-ng-4.0.2/free-m-w-s1-c2.txt", Format::Free);
    let times: Vec<f64> = wide.records.iter().map(|r| r.time).collect();
    assert_eq!(times, [0.0, 0.0, 1.0, 1.0]);
    assert!(wide.records[0].fields.contains_key("buffers"));
}

#[test]
fn free_and_top_stand_in_for_memory_and_top_for_the_cpu_shares() {
    let mut records = load("free/procps-ng-4.0.2/free-k.txt", Format::Free).records;
    records.extend(load("top/procps-ng-4.0.2/top-b-n3-d1.txt", Format::Top).records);
    let from = fallback::fill_missing(&mut records);
    let from: Vec<(&str, &str)> = from.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        from,
        [
            ("mpstat", "top_cpu"),
            ("vmstat", "top_cpu"),
            ("memory", "free")
        ],
        "top's memory is not mixed into free's"
    );
    let used: Vec<f64> = records
        .iter()
        .filter(|r| r.table == "memory")
        .filter_map(|r| r.fields.get("used_pct").copied())
        .collect();
    let expected = 100.0 - 23_784_072.0 / MEM_TOTAL_KIB * 100.0;
    assert_eq!(used.len(), 1);
    assert!((used[0] - expected).abs() < 1e-9);
    let busy: Vec<(f64, f64)> = records
        .iter()
        .filter(|r| r.table == "mpstat" && r.labels["cpu"] == "all")
        .map(|r| (r.time, r.fields["busy"]))
        .collect();
    // Frames 2 and 3 (the first frame's shares are not a measurement): 100 % busy under load.
    assert_eq!(busy, [(1.0, 100.0), (2.0, 100.0)]);
}

#[test]
fn top_reads_threads_and_every_memory_unit() {
    let threads = load("top/procps-ng-4.0.2/top-b-n2-H-Eg-em.txt", Format::Top);
    let summary = threads
        .records
        .iter()
        .find(|r| r.table == "top_summary" && r.fields.contains_key("threads_total"))
        .unwrap();
    assert_eq!(summary.fields["threads_total"], 113.0);
    let gib = mem_row(&threads, "top_memory").fields["total"];
    let mib = mem_row(
        &load("top/procps-ng-4.0.2/top-b-n2.txt", Format::Top),
        "top_memory",
    )
    .fields["total"];
    assert!((gib - mib).abs() / mib < 0.01, "{gib} vs {mib}");
    let stress = threads
        .records
        .iter()
        .find(|r| r.table == "top_process" && r.labels["pid"] == "8960")
        .unwrap();
    assert_eq!(stress.fields["res_kib"], 6.5 * 1024.0);
    assert_eq!(unit_of("top_process", "res_kib"), Unit::KiB);
    assert_eq!(unit_of("top_cpu", "busy"), Unit::Percent);
}

/// (pid, syscall) → (calls, errors, total_ms) of a parse's `syscalls` table.
fn calls(parsed: &Parsed) -> BTreeMap<(String, String), (f64, f64, f64)> {
    parsed
        .records
        .iter()
        .filter(|r| r.table == "syscalls")
        .map(|r| {
            (
                (r.labels["pid"].to_string(), r.labels["syscall"].to_string()),
                (r.fields["calls"], r.fields["errors"], r.fields["total_ms"]),
            )
        })
        .collect()
}

#[test]
fn perf_trace_events_sum_to_what_perfs_own_summary_of_the_same_calls_says() {
    let path = Path::new(DATA).join("perf_trace_events/6.1/idle-pool-with-summary.out");
    let text = fs::read_to_string(path).unwrap();
    assert_eq!(
        sniff(&text),
        Some(Format::PerfTraceEvents),
        "told by its head"
    );
    let whole = parse::parse(Format::PerfTraceEvents, "t", &text);
    assert!(whole.warnings.is_empty(), "{:#?}", whole.warnings);
    let (events, summary) = text.split_once(" Summary of events:").unwrap();
    let summed = calls(&whole);
    assert_eq!(
        summed,
        calls(&parse::parse(Format::PerfTraceEvents, "t", events))
    );
    let perf = calls(&perf_trace::parse(
        "t",
        &format!(" Summary of events:{summary}"),
    ));
    // The waits the mutex rules read: perf also counts a call begun before the trace (one
    // futex wait of thread 13060, with no time), the events only calls with both ends.
    for pid in ["13059", "13060", "13061"] {
        let key = (pid.to_string(), "futex".to_string());
        let ((calls, errors, total), (own_calls, own_errors, own_total)) =
            (perf[&key], summed[&key]);
        assert!(
            calls - own_calls <= 1.0 && errors - own_errors <= 1.0,
            "{key:?}"
        );
        assert!((own_total - total).abs() <= 0.001 * calls, "{key:?}");
    }
    // Where both count the same calls, they give the same time, to perf's rounding.
    for (key, (calls, errors, total)) in &perf {
        if let Some(&(own_calls, own_errors, own_total)) = summed.get(key)
            && own_calls == *calls
        {
            assert_eq!(own_errors, *errors, "{key:?}");
            assert!((own_total - total).abs() <= 0.001 * calls + 1e-9, "{key:?}");
        }
    }
}

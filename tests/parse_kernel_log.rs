//! The kernel log parser against dmesg and journalctl output captured on this machine: a real
//! OOM kill in a memory cgroup, a real segfault, and shapes written into /dev/kmsg (see
//! tests/data/kernel_log/README.md).
//!
//! Every `tests/data/kernel_log/<variant>/<name>.txt` is sniffed and parsed, and what the
//! parser made of it is compared with `<name>.expected.json` beside it. Regenerate those on
//! purpose with `SNAPSHOTS=overwrite cargo test --test parse_kernel_log`, then read the diff.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use common::{DATA, assert_goldens_match, fixtures, golden_beside, name_of};
use perf_manual::parse::{self, Format, sniff::sniff, unit_of};
use perf_manual::record::{Parsed, Unit};

fn load(path: &Path) -> Parsed {
    let text = fs::read_to_string(path).unwrap();
    parse::parse(Format::KernelLog, &name_of(path), &text)
}

#[test]
fn every_fixture_is_sniffed_as_a_kernel_log_and_matches_its_golden() {
    let mut mismatches = Vec::new();
    for path in fixtures("kernel_log") {
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(sniff(&text), Some(Format::KernelLog), "{}", path.display());
        mismatches.extend(golden_beside(&path, &load(&path)));
    }
    assert_goldens_match(&mismatches);
}

/// The events of a parse as (table, labels but `line` and `clock`), the "log read" rows left
/// out.
fn events(parsed: &Parsed) -> BTreeSet<(String, String)> {
    parsed
        .records
        .iter()
        .filter(|record| record.labels.get("line").is_some())
        .map(|record| {
            let labels: Vec<String> = record
                .labels
                .iter()
                .filter(|(name, _)| !["line", "clock"].contains(&name.as_str()))
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            (record.table.to_string(), labels.join(","))
        })
        .collect()
}

#[test]
fn every_capture_gives_the_same_events_without_warnings() {
    let captures: Vec<PathBuf> = fixtures("kernel_log")
        .into_iter()
        .filter(|path| !path.to_string_lossy().contains("/broken/"))
        .collect();
    assert_eq!(captures.len(), 5);
    let reference = events(&load(&captures[0]));
    let expected_tables: BTreeSet<&str> = [
        "kernel_cgroup_oom_kill",
        "kernel_oom_kill",
        "kernel_segfault",
        "kernel_hung_task",
        "kernel_io_error",
        "kernel_fs_error",
        "kernel_link",
        "kernel_lockup",
        "kernel_mce",
        "kernel_memory_error",
    ]
    .into();
    let tables: BTreeSet<&str> = reference.iter().map(|(table, _)| table.as_str()).collect();
    assert_eq!(tables, expected_tables);
    assert!(reference.contains(&(
        "kernel_cgroup_oom_kill".into(),
        "comm=tail,constraint=memcg,memcg=/pmd_oom_fixture,pid=32629".into()
    )));
    assert!(reference.contains(&(
        "kernel_segfault".into(),
        "comm=segv,kind=segfault,pid=32630".into()
    )));
    for path in &captures {
        let parsed = load(path);
        assert!(
            parsed.warnings.is_empty(),
            "{}: {:#?}",
            path.display(),
            parsed.warnings
        );
        assert_eq!(events(&parsed), reference, "{}", path.display());
    }
}

#[test]
fn each_form_keeps_its_clock() {
    let oom_time = |file: &str| {
        let parsed = load(&Path::new(DATA).join("kernel_log").join(file));
        let oom = parsed
            .records
            .iter()
            .find(|record| record.table == "kernel_cgroup_oom_kill" && record.fields["count"] > 0.0)
            .unwrap()
            .clone();
        (oom.time, oom.labels.get("clock").map(|c| c.to_string()))
    };
    // Booted at 14:39:41 (btime 1796395181); killed 5068.53 s later, 16:04:09.53.
    assert_eq!(
        oom_time("util-linux-2.38.1/dmesg.txt"),
        (5068.534707, Some("boot".into()))
    );
    assert_eq!(
        oom_time("util-linux-2.38.1/dmesg-T.txt"),
        (1_796_400_249.0, None)
    );
    assert_eq!(
        oom_time("util-linux-2.38.1/dmesg-iso.txt"),
        (1_796_400_249.534707, None)
    );
    assert_eq!(
        oom_time("systemd-252/journalctl-k-short-iso.txt"),
        (1_796_400_250.0, None)
    );
    let (no_year, clock) = oom_time("systemd-252/journalctl-k.txt");
    assert_eq!(clock.as_deref(), Some("no_year"));
    assert!(no_year < 1e9, "read in the year 2000: {no_year}");
}

#[test]
fn a_broken_log_warns_per_line_and_keeps_the_rest() {
    let parsed = load(&Path::new(DATA).join("kernel_log/broken/dmesg.txt"));
    let lines: Vec<usize> = parsed.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [4, 8, 9], "{:#?}", parsed.warnings);
    assert!(
        parsed
            .warnings
            .iter()
            .all(|w| w.file == "kernel_log/broken/dmesg.txt")
    );
    let tables: Vec<String> = events(&parsed)
        .into_iter()
        .map(|(table, _)| table)
        .collect();
    assert!(tables.contains(&"kernel_cgroup_oom_kill".to_string()));
    assert!(tables.contains(&"kernel_hung_task".to_string()));
}

#[test]
fn kernel_event_fields_have_their_units() {
    assert_eq!(unit_of("kernel_hung_task", "blocked_s"), Unit::Seconds);
    assert_eq!(unit_of("kernel_oom_kill", "anon_rss_kib"), Unit::KiB);
    assert_eq!(unit_of("kernel_oom_kill", "count"), Unit::Count);
}

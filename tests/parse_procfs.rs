//! The /proc snapshot parser and the sysstat stand-ins, against /proc files captured on a
//! 6.18 kernel (see tests/data/procfs/README.md). Goldens are rewritten only with
//! `SNAPSHOTS=overwrite`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use perf_manual::parse::procfs;
use perf_manual::record::fallback::fill_missing;
use perf_manual::record::units::unit_of;
use perf_manual::record::{Parsed, Record, Unit};

fn fixture_dir(set: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/procfs/6.18")
        .join(set)
}

/// Every `.txt` of a fixture set, parsed, by file name.
fn parse_set(set: &str) -> BTreeMap<String, Parsed> {
    let mut parsed = BTreeMap::new();
    for entry in fs::read_dir(fixture_dir(set)).expect("fixture directory") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|ext| ext == "txt") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = fs::read_to_string(&path).expect("fixture text");
            parsed.insert(name.clone(), procfs::parse(&name, &text));
        }
    }
    parsed
}

fn check_golden(set: &str) {
    let actual = serde_json::to_string_pretty(&parse_set(set)).unwrap() + "\n";
    let golden = fixture_dir(set).join("expected.json");
    if std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite") {
        fs::write(&golden, &actual).unwrap();
    }
    let expected =
        fs::read_to_string(&golden).expect("golden missing: run with SNAPSHOTS=overwrite");
    assert!(
        expected == actual,
        "{set}: records differ from {}; if the change is intended, rerun with \
         SNAPSHOTS=overwrite and check the diff by eye",
        golden.display()
    );
}

fn records_of(parsed: &Parsed, table: &str) -> Vec<Record> {
    parsed
        .records
        .iter()
        .filter(|r| r.table == table)
        .cloned()
        .collect()
}

fn label<'r>(record: &'r Record, key: &str) -> &'r str {
    record.labels.get(key).map_or("", String::as_str)
}

#[test]
fn loaded_series_match_golden() {
    check_golden("loaded");
}

#[test]
fn plain_snapshots_match_golden() {
    check_golden("plain");
}

#[test]
fn broken_files_match_golden() {
    check_golden("broken");
}

#[test]
fn loaded_series_give_every_table_without_warnings() {
    let sets = parse_set("loaded");
    for (file, parsed) in &sets {
        assert!(parsed.warnings.is_empty(), "{file}: {:?}", parsed.warnings);
        assert!(!parsed.records.is_empty(), "{file}: no records");
        assert!(
            parsed
                .records
                .iter()
                .all(|r| r.source.file == *file && r.source.line > 1)
        );
    }

    let cpu = &sets["pressure_cpu.txt"];
    let stalls: Vec<f64> = records_of(cpu, "pressure")
        .iter()
        .filter(|r| label(r, "kind") == "some" && label(r, "resource") == "cpu")
        .filter_map(|r| r.fields.get("stall").copied())
        .collect();
    assert_eq!(
        stalls.len(),
        2,
        "a stall per interval between three snapshots"
    );
    assert!(stalls.iter().all(|s| (0.0..=100.0).contains(s) && *s > 0.0));
    assert!(
        records_of(cpu, "pressure")
            .iter()
            .any(|r| label(r, "kind") == "full")
    );

    let stat = &sets["stat.txt"];
    assert_eq!(stat.host.cpus, Some(2));
    let all: Vec<Record> = records_of(stat, "proc_stat")
        .into_iter()
        .filter(|r| label(r, "cpu") == "all")
        .collect();
    assert_eq!(all.len(), 3);
    assert!(all[0].fields.contains_key("procs_running"));
    assert!(
        !all[0].fields.contains_key("busy"),
        "no rate from one snapshot"
    );
    for row in &all[1..] {
        let total: f64 = [
            "usr", "nice", "sys", "iowait", "irq", "soft", "steal", "guest", "gnice", "idle",
        ]
        .iter()
        .map(|f| row.fields[*f])
        .sum();
        assert!(
            (total - 100.0).abs() < 1e-6,
            "percentages add up to 100: {total}"
        );
        assert!(row.fields["busy"] > 0.0 && row.fields["ctxt_s"] > 0.0);
    }
    assert_eq!(all[1].time, 1795633946.861186, "header time read as UTC");

    let meminfo = &sets["meminfo.txt"];
    assert!(meminfo.host.mem_total_kib.is_some_and(|kib| kib > 0));
    let memory = records_of(meminfo, "memory");
    assert_eq!(memory.len(), 3);
    assert!(
        memory
            .iter()
            .all(|r| (0.0..100.0).contains(&r.fields["used_pct"]))
    );

    let disks = records_of(&sets["diskstats.txt"], "diskstats");
    assert!(!disks.is_empty());
    assert!(
        disks.iter().all(|r| label(r, "device") == "vda"),
        "loop, unused zram left out"
    );
    assert!(
        disks.iter().any(|r| r.fields["wkb_s"] > 0.0),
        "stress-ng --io wrote"
    );
    assert!(
        disks[0].fields.contains_key("f_await"),
        "20-field diskstats has flushes"
    );

    let nets = records_of(&sets["net_dev.txt"], "net_dev");
    assert!(nets.iter().any(|r| label(r, "iface") == "eth0"));

    let vmstat = records_of(&sets["vmstat.txt"], "proc_vmstat");
    assert_eq!(vmstat.len(), 2);
    assert!(
        vmstat
            .iter()
            .all(|r| r.fields["oom_kill_delta"] == 0.0 && r.fields["pgfault_s"] > 0.0)
    );
}

#[test]
fn one_plain_snapshot_gives_instant_fields_and_no_rates() {
    let sets = parse_set("plain");
    for (file, parsed) in &sets {
        assert!(parsed.warnings.is_empty(), "{file}: {:?}", parsed.warnings);
        assert!(parsed.records.iter().all(|r| r.time == 0.0));
    }
    let pressure = records_of(&sets["pressure_memory.txt"], "pressure");
    assert_eq!(pressure.len(), 2);
    assert!(pressure.iter().all(|r| label(r, "resource") == "memory"));
    assert!(
        pressure
            .iter()
            .all(|r| r.fields.contains_key("avg10") && !r.fields.contains_key("stall"))
    );
    assert_eq!(records_of(&sets["loadavg.txt"], "loadavg").len(), 1);
    assert_eq!(records_of(&sets["meminfo.txt"], "memory").len(), 1);
    assert!(
        records_of(&sets["meminfo.txt"], "meminfo")[0]
            .fields
            .contains_key("active_anon")
    );
    assert!(sets["vmstat.txt"].records.is_empty());
    assert!(sets["diskstats.txt"].records.is_empty());
    assert!(sets["net_dev.txt"].records.is_empty());
    let stat = &sets["stat.txt"];
    assert_eq!(
        stat.records.len(),
        1,
        "only cpu=all's procs_running and procs_blocked"
    );
    assert_eq!(stat.host.cpus, Some(2));
}

#[test]
fn broken_files_warn_with_file_and_line_and_parse_the_rest() {
    let sets = parse_set("broken");

    let stat = &sets["stat_garbled.txt"];
    let lines: Vec<usize> = stat.warnings.iter().map(|w| w.line).collect();
    let last_line = fs::read_to_string(fixture_dir("broken").join("stat_garbled.txt"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(lines, [14, 16, last_line - 1], "{:?}", stat.warnings);
    assert!(stat.warnings.iter().all(|w| w.file == "stat_garbled.txt"));
    let cpu1: Vec<Record> = records_of(stat, "proc_stat")
        .into_iter()
        .filter(|r| label(r, "cpu") == "1")
        .collect();
    assert_eq!(
        cpu1.len(),
        1,
        "cpu1's garbled line costs one point, not two"
    );
    assert!(cpu1[0].fields["busy"] > 0.0);
    let all_rows = records_of(stat, "proc_stat")
        .into_iter()
        .filter(|r| label(r, "cpu") == "all");
    assert_eq!(all_rows.count(), 3);

    let disks = &sets["diskstats_truncated.txt"];
    assert_eq!(disks.warnings.len(), 1, "{:?}", disks.warnings);
    let text = fs::read_to_string(fixture_dir("broken").join("diskstats_truncated.txt")).unwrap();
    assert_eq!(disks.warnings[0].line, text.lines().count());
    assert_eq!(
        records_of(disks, "diskstats").len(),
        1,
        "the complete interval is kept"
    );
}

#[test]
fn no_prefix_of_any_fixture_panics() {
    for set in ["loaded", "plain", "broken"] {
        for entry in fs::read_dir(fixture_dir(set)).unwrap() {
            let path = entry.unwrap().path();
            let text = fs::read_to_string(&path).unwrap();
            let name = path.to_string_lossy();
            for (cut, _) in text.char_indices().step_by(13) {
                procfs::parse(&name, &text[..cut]);
            }
        }
    }
}

fn loaded_records() -> Vec<Record> {
    parse_set("loaded")
        .into_values()
        .flat_map(|parsed| parsed.records)
        .collect()
}

#[test]
fn fallback_fills_sysstat_tables_from_the_loaded_run() {
    let mut records = loaded_records();
    let before = records.len();
    fill_missing(&mut records);
    let added = &records[before..];
    let table = |name: &str| -> Vec<&Record> { added.iter().filter(|r| r.table == name).collect() };

    let mpstat = table("mpstat");
    let all: Vec<&&Record> = mpstat.iter().filter(|r| label(r, "cpu") == "all").collect();
    assert_eq!(all.len(), 2);
    assert!(
        all.iter()
            .all(|r| r.fields["busy"] > 0.0 && r.fields.len() == 11)
    );
    assert!(mpstat.iter().any(|r| label(r, "cpu") == "0"));
    assert!(
        mpstat
            .iter()
            .all(|r| r.source.file == "stat.txt" && r.source.line > 1)
    );

    let vmstat = table("vmstat");
    for field in [
        "r", "b", "cs", "in", "us", "sy", "id", "wa", "st", "si", "so", "bi", "bo", "swpd", "free",
        "buff", "cache",
    ] {
        assert!(
            vmstat.iter().any(|r| r.fields.contains_key(field)),
            "vmstat.{field} missing"
        );
    }
    assert!(vmstat.iter().all(|r| r.labels.is_empty()));
    let sources: std::collections::BTreeSet<&str> =
        vmstat.iter().map(|r| r.source.file.as_str()).collect();
    assert_eq!(sources, ["meminfo.txt", "stat.txt", "vmstat.txt"].into());

    let iostat = table("iostat");
    assert!(!iostat.is_empty());
    assert!(
        iostat
            .iter()
            .all(|r| label(r, "device") == "vda" && r.fields.contains_key("util"))
    );
    assert!(iostat.iter().all(|r| r.source.file == "diskstats.txt"));

    let sar_dev = table("sar_dev");
    assert!(sar_dev.iter().any(|r| label(r, "iface") == "eth0"));
    for field in ["rxkb_s", "txkb_s", "rxpck_s", "txpck_s"] {
        assert!(sar_dev.iter().all(|r| r.fields.contains_key(field)));
    }
    assert!(
        sar_dev.iter().all(|r| !r.fields.contains_key("rxerr_s")),
        "sar -n DEV has no errors"
    );
}

#[test]
fn fallback_never_mixes_with_a_present_table() {
    let mut records = loaded_records();
    let mut real = records[0].clone();
    real.table = "mpstat".into();
    records.push(real);
    fill_missing(&mut records);
    assert_eq!(records.iter().filter(|r| r.table == "mpstat").count(), 1);
    assert!(records.iter().any(|r| r.table == "vmstat"));
}

#[test]
fn procfs_tables_have_their_units() {
    assert_eq!(unit_of("pressure", "stall"), Unit::Percent);
    assert_eq!(unit_of("memory", "used_pct"), Unit::Percent);
    assert_eq!(unit_of("meminfo", "memavailable"), Unit::KiB);
    assert_eq!(unit_of("meminfo", "hugepages_total"), Unit::Count);
    assert_eq!(unit_of("proc_stat", "nice"), Unit::Percent);
    assert_eq!(unit_of("proc_stat", "ctxt_s"), Unit::PerSecond);
    assert_eq!(unit_of("proc_stat", "procs_running"), Unit::Count);
    assert_eq!(unit_of("proc_vmstat", "pgmajfault_s"), Unit::PerSecond);
    assert_eq!(unit_of("proc_vmstat", "oom_kill_delta"), Unit::Count);
    assert_eq!(unit_of("diskstats", "wrqm"), Unit::Percent);
    assert_eq!(unit_of("diskstats", "rareq_sz"), Unit::KiB);
    assert_eq!(unit_of("diskstats", "r_await"), Unit::Milliseconds);
    assert_eq!(unit_of("net_dev", "rxkb_s"), Unit::KiBPerSecond);
    assert_eq!(unit_of("loadavg", "load1"), Unit::Count);
}

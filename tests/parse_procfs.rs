//! The /proc snapshot parser and the sysstat stand-ins, against /proc files captured on a
//! 6.18 kernel (see tests/data/procfs/README.md). Goldens are rewritten only with
//! `SNAPSHOTS=overwrite`.

mod common;

use common::golden;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use perf_manual::parse::procfs;
use perf_manual::parse::{feeds, unit_of};
use perf_manual::playbook::{self, check::check};
use perf_manual::record::fallback::fill_missing;
use perf_manual::record::{Dataset, Fields, HostFacts, Name, Parsed, Record, Unit};
use perf_manual::rules::{compile, evaluate_all};

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
    golden(&fixture_dir(set).join("expected.json"), &actual);
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
    record.labels.get(key).map_or("", Name::as_str)
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
fn net_series_match_golden() {
    check_golden("net");
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
    let tcp = records_of(&sets["net_snmp.txt"], "tcp");
    assert_eq!(tcp.len(), 1);
    assert_eq!(
        tcp[0].fields.keys().collect::<Vec<_>>(),
        ["curr_estab"],
        "no rate from one snapshot"
    );
    assert!(sets["net_netstat.txt"].records.is_empty());
    assert_eq!(
        records_of(&sets["net_sockstat.txt"], "sockstat")[0]
            .fields
            .len(),
        7
    );
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
fn sys_series_match_golden() {
    check_golden("sys");
}

#[test]
fn handwritten_series_match_golden() {
    check_golden("handwritten");
}

#[test]
fn no_prefix_of_any_fixture_panics() {
    for set in ["loaded", "plain", "broken", "net", "sys", "handwritten"] {
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
    assert_eq!(unit_of("tcp", "listen_overflows_s"), Unit::PerSecond);
    assert_eq!(unit_of("tcp", "listen_overflows_delta"), Unit::Count);
    assert_eq!(unit_of("tcp", "retrans_pct"), Unit::Percent);
    assert_eq!(unit_of("tcp", "curr_estab"), Unit::Count);
    assert_eq!(unit_of("udp", "rcvbuf_errors_s"), Unit::PerSecond);
    assert_eq!(unit_of("sockstat", "tcp_mem_pages"), Unit::Count);
    assert_eq!(unit_of("sockstat", "sockets_used"), Unit::Count);
}

/// The `tcp` fields of the rows of `file` in the `net` capture, in time order.
fn tcp_rows(sets: &BTreeMap<String, Parsed>, file: &str) -> Vec<Fields> {
    records_of(&sets[file], "tcp")
        .into_iter()
        .map(|r| r.fields)
        .collect()
}

#[test]
fn the_net_capture_shows_the_listen_queue_overflowing() {
    let sets = parse_set("net");
    for (file, parsed) in &sets {
        assert!(parsed.warnings.is_empty(), "{file}: {:?}", parsed.warnings);
    }

    let netstat = tcp_rows(&sets, "net_netstat.txt");
    assert_eq!(
        netstat.len(),
        2,
        "a row per interval between three snapshots"
    );
    let overflows = netstat
        .iter()
        .map(|fields| fields["listen_overflows_delta"])
        .fold(0.0, f64::max);
    assert!(overflows > 0.0, "the never-accepting listener overflowed");
    assert!(netstat.iter().all(|fields| {
        fields["listen_drops_delta"] >= fields["listen_overflows_delta"]
            && fields.contains_key("syn_retrans_s")
            && fields.contains_key("tcp_backlog_drop_s")
    }));

    let snmp = tcp_rows(&sets, "net_snmp.txt");
    assert_eq!(snmp.len(), 3, "curr_estab from the first snapshot too");
    assert!(snmp[1]["active_opens_s"] >= 40.0, "50 clients connected");
    assert!(
        snmp[1..]
            .iter()
            .all(|fields| fields.contains_key("retrans_pct"))
    );
    assert!(!records_of(&sets["net_snmp.txt"], "udp").is_empty());

    let sockets: Vec<f64> = records_of(&sets["net_sockstat.txt"], "sockstat")
        .iter()
        .map(|r| r.fields["tcp_inuse"])
        .collect();
    assert_eq!(sockets.len(), 3);
    assert!(sockets[1] >= sockets[0] + 50.0, "listener and clients open");
    assert!(sockets[2] < sockets[1], "and closed: {sockets:?}");
}

/// The rules of `playbooks/rules/<file>`, loaded and checked as a playbook including it.
fn shipped_rules(file: &str) -> Vec<perf_manual::rules::Rule> {
    let rules_file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("playbooks/rules")
        .join(file);
    let dir = tempfile::tempdir().unwrap();
    let playbook_path = dir.path().join("rules.toml");
    let playbook_text = format!(
        "name = \"rules\"\nsummary = \"shipped rules\"\ninterval = \"1s\"\n\
         include = [{:?}]\n\n[[phase]]\nname = \"use\"\ntime_box = \"10s\"\n\
         steps = [\"procfs\"]\n",
        rules_file.to_string_lossy()
    );
    fs::write(&playbook_path, playbook_text).unwrap();
    let loaded = playbook::load(&playbook_path).expect("playbook loads");
    let checked = check(loaded);
    assert!(checked.is_ok(), "{:?}", checked.as_ref().err());
    checked
        .map(|checked| checked.playbook.rules)
        .unwrap_or_default()
}

#[test]
fn network_stack_rules_see_the_listen_overflow_and_nothing_else() {
    let rules = &shipped_rules("use-network-stack.toml");
    assert_eq!(rules.len(), 7);
    assert!(rules.iter().all(|rule| rule.resource == "network"));

    let records: Vec<Record> = parse_set("net")
        .into_values()
        .flat_map(|parsed| parsed.records)
        .collect();
    let judgement = evaluate_all(
        &rules.iter().cloned().map(compile).collect::<Vec<_>>(),
        &Dataset::from_records(&records, HostFacts::default(), unit_of),
    );
    assert!(judgement.errors.is_empty(), "{:?}", judgement.errors);
    let fired: Vec<&str> = judgement.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(fired, ["network-listen-overflows"]);
    let not_evaluated: Vec<&str> = judgement
        .not_evaluated
        .iter()
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(
        not_evaluated,
        ["network-tcp-retransmits", "network-tcp-resets"],
        "2 s of data cannot hold for 5 s: {:?}",
        judgement.not_evaluated
    );
}

/// The records of `file` in fixture set `set`, with the sysstat stand-ins filled and the
/// canonical metrics built from what /proc measured, judged by the shipped rules of `rules`.
fn judge(set: &str, file: &str, rules: &str) -> perf_manual::rules::eval::Judgement {
    let mut records = parse_set(set).remove(file).expect("fixture file").records;
    let measured = records.len();
    fill_missing(&mut records);
    let data = Dataset::from_records(&records, HostFacts::default(), unit_of).with_metrics(
        &records[..measured],
        feeds(),
        |_| true,
    );
    let judgement = evaluate_all(
        &shipped_rules(rules)
            .into_iter()
            .map(compile)
            .collect::<Vec<_>>(),
        &data,
    );
    assert!(judgement.errors.is_empty(), "{:?}", judgement.errors);
    judgement
}

fn finding<'j>(
    judgement: &'j perf_manual::rules::eval::Judgement,
    id: &str,
) -> &'j perf_manual::rules::finding::Finding {
    judgement
        .findings
        .iter()
        .find(|finding| finding.id == id)
        .unwrap_or_else(|| panic!("{id} did not fire: {:?}", judgement.findings))
}

fn why_not_evaluated<'j>(judgement: &'j perf_manual::rules::eval::Judgement, id: &str) -> &'j str {
    judgement
        .not_evaluated
        .iter()
        .find(|(rule, _)| rule == id)
        .map(|(_, why)| why.as_str())
        .unwrap_or_else(|| panic!("{id} was evaluated: {:?}", judgement.findings))
}

/// The real run of tests/data/procfs/README.md: stress-ng in a v1 cgroup limited to 50 MiB
/// (60 MiB with swap) while another perf_manual test's 100 MiB cgroup was in use too.
#[test]
fn the_cgroup_capture_shows_the_limit_hit_and_the_oom_kills() {
    let sets = parse_set("sys");
    let parsed = &sets["cgroup_memory.txt"];
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let rows = records_of(parsed, "cgroup_memory");
    let ours: Vec<&Record> = rows
        .iter()
        .filter(|r| label(r, "cgroup") == "/perf_manual_cg_fixture")
        .collect();
    assert_eq!(ours.len(), 9, "a row per round of the 9 s run");
    assert!(
        ours.iter().all(|r| r.fields["limit_bytes"] == 52428800.0
            && r.fields["memsw_limit_bytes"] == 62914560.0)
    );
    let last = &ours[ours.len() - 1].fields;
    assert_eq!(
        (last["failcnt_delta"], last["oom_kill_delta"]),
        (18192.0, 19.0),
        "what the cgroup's files said after the run"
    );
    assert!(
        ours.iter()
            .any(|r| r.fields.get("failcnt_s").is_some_and(|&rate| rate > 0.0))
    );
    assert!(
        ours.iter()
            .all(|r| (0.0..=100.0).contains(&r.fields["usage_pct"]))
    );
    assert_eq!(
        ours[0].fields.get("failcnt_delta"),
        None,
        "no count from one reading"
    );

    let judgement = judge("sys", "cgroup_memory.txt", "use-memory.toml");
    let oom = finding(&judgement, "cgroup-oom-kill");
    assert_eq!(oom.evidence.instance["cgroup"], "/perf_manual_cg_fixture");
    assert_eq!(oom.value, 19.0);
    assert_eq!(oom.evidence.files, ["cgroup_memory.txt"]);
    let limit = finding(&judgement, "cgroup-memory-limit");
    assert!(
        limit.value >= 18192.0,
        "the worst cgroup: {}",
        limit.message
    );
}

#[test]
fn a_v2_cgroup_counts_max_events_as_limit_hits() {
    let sets = parse_set("handwritten");
    let parsed = &sets["cgroup_memory_v2.txt"];
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let rows = records_of(parsed, "cgroup_memory");
    let db: Vec<&Record> = rows
        .iter()
        .filter(|r| label(r, "cgroup") == "/system.slice/db.service")
        .collect();
    let last = &db[2].fields;
    assert_eq!(
        (
            last["failcnt_delta"],
            last["oom_delta"],
            last["oom_kill_delta"]
        ),
        (40.0, 3.0, 2.0)
    );
    assert_eq!(last["failcnt_s"], 28.0);
    assert_eq!(last["limit_bytes"], 268435456.0);
    let batch: Vec<&Record> = rows
        .iter()
        .filter(|r| label(r, "cgroup") == "/batch")
        .collect();
    assert!(
        batch
            .iter()
            .all(|r| !r.fields.contains_key("limit_bytes") && !r.fields.contains_key("usage_pct")),
        "memory.max `max` is no limit"
    );
    assert_eq!(unit_of("cgroup_memory", "usage_bytes"), Unit::Bytes);
    assert_eq!(unit_of("cgroup_memory", "usage_pct"), Unit::Percent);
    assert_eq!(unit_of("cgroup_memory", "failcnt_delta"), Unit::Count);

    let judgement = judge("handwritten", "cgroup_memory_v2.txt", "use-memory.toml");
    assert_eq!(
        finding(&judgement, "cgroup-oom-kill").evidence.instance["cgroup"],
        "/system.slice/db.service"
    );
    assert_eq!(finding(&judgement, "cgroup-memory-limit").value, 40.0);
}

#[test]
fn scsi_error_counters_become_errors_since_the_start() {
    let sets = parse_set("handwritten");
    let parsed = &sets["disk_errors.txt"];
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let sda: Vec<Fields> = records_of(parsed, "disk_errors")
        .into_iter()
        .filter(|r| label(r, "device") == "sda")
        .map(|r| r.fields)
        .collect();
    let column = |name: &str| -> Vec<f64> { sda.iter().map(|fields| fields[name]).collect() };
    assert_eq!(
        column("ioerr_delta"),
        [2.0, 2.0, 6.0],
        "hexadecimal, counted from the first"
    );
    assert_eq!(column("ioerr_s"), [2.0, 0.0, 4.0]);
    assert_eq!(column("iodone_s")[0], f64::from(0x1f00 - 0x1a2b));

    let judgement = judge("handwritten", "disk_errors.txt", "use-disk.toml");
    let errors = finding(&judgement, "disk-errors");
    assert_eq!(
        (errors.value, errors.evidence.instance["device"].as_str()),
        (6.0, "sda")
    );
}

/// This VM's virtio disk exposes no SCSI counter: the sampler writes no disk_errors.txt, and
/// the rule says it had no data.
#[test]
fn without_scsi_counters_the_disk_error_rule_is_not_evaluated() {
    let judgement = judge("sys", "net_dev.txt", "use-disk.toml");
    assert_eq!(
        why_not_evaluated(&judgement, "disk-errors"),
        "no data for disk_errors.ioerr_delta: no block device here exposes error counters (SCSI \
         disks do in /sys/block/DEV/device/ioerr_cnt; virtio-blk and NVMe do not: see dmesg or \
         smartctl)"
    );
}

#[test]
fn a_known_link_speed_gives_utilization_and_an_unknown_one_none() {
    let sets = parse_set("handwritten");
    let parsed = &sets["net_dev.txt"];
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let rows = records_of(parsed, "net_dev");
    let of = |iface: &str| -> Vec<&Record> {
        rows.iter().filter(|r| label(r, "iface") == iface).collect()
    };
    assert_eq!(of("eth1").len(), 11);
    for row in of("eth1") {
        assert!(
            (row.fields["ifutil"] - 85.0).abs() < 1e-9,
            "{:?}",
            row.fields
        );
        assert_eq!(row.fields["speed_mbps"], 1000.0);
    }
    assert!(
        of("eth2")
            .iter()
            .chain(&of("lo"))
            .all(|r| !r.fields.contains_key("ifutil") && !r.fields.contains_key("speed_mbps")),
        "speed -1 or not read: no utilization"
    );

    let judgement = judge("handwritten", "net_dev.txt", "use-network.toml");
    let busy = finding(&judgement, "network-utilization");
    assert_eq!(busy.evidence.instance["iface"], "eth1");
    assert!((busy.value - 85.0).abs() < 1e-9);
    assert_eq!(busy.evidence.series, ["net.util"]);
    assert_eq!(busy.evidence.sources[0].measured_as, "net_dev.ifutil");
}

/// eth0 here is virtio: its speed reads -1, so /proc gives no utilization and the rule is not
/// evaluated (sar, had it run, would have printed %ifutil 0.00).
#[test]
fn the_virtio_link_of_this_vm_has_no_utilization() {
    let sets = parse_set("sys");
    let parsed = &sets["net_dev.txt"];
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let rows = records_of(parsed, "net_dev");
    assert!(rows.iter().any(|r| label(r, "iface") == "eth0"));
    assert!(rows.iter().all(|r| !r.fields.contains_key("ifutil")));
    let judgement = judge("sys", "net_dev.txt", "use-network.toml");
    assert_eq!(
        why_not_evaluated(&judgement, "network-utilization"),
        "no data for net.util: the link speed is unknown (virtual NICs report none in \
         /sys/class/net/IFACE/speed), so throughput cannot be set against it"
    );
}

/// The sampler's /sys files are told by their first header, as its /proc files are.
#[test]
fn sys_snapshot_files_are_sniffed_as_procfs() {
    for (set, file) in [
        ("sys", "cgroup_memory.txt"),
        ("handwritten", "cgroup_memory_v2.txt"),
        ("handwritten", "disk_errors.txt"),
    ] {
        let text = fs::read_to_string(fixture_dir(set).join(file)).unwrap();
        assert_eq!(
            perf_manual::parse::sniff::sniff(&text),
            Some(perf_manual::parse::Format::Procfs),
            "{set}/{file}"
        );
    }
}

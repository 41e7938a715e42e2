//! The sysstat and vmstat parsers against output captured on a real host (and a few
//! handwritten older formats, each with a README saying so).
//!
//! Every `tests/data/<tool>/<variant>/<name>.txt` is sniffed and parsed, and what the parser
//! made of it is compared with `<name>.expected.json` beside it. Regenerate those on purpose
//! with `SNAPSHOTS=overwrite cargo test --test parse_sysstat`, then read the diff.

mod common;

use std::fs;
use std::path::Path;

use std::collections::{BTreeMap, BTreeSet};

use common::{DATA, assert_goldens_match, fixtures, golden_beside, name_of};
use perf_manual::parse::unit_of;
use perf_manual::parse::{self, Format, sar, sniff::sniff, vmstat};
use perf_manual::record::units::Unit;
use perf_manual::record::{Name, Parsed, Record};

const TOOLS: &[(&str, Format)] = &[
    ("mpstat", Format::Mpstat),
    ("vmstat", Format::Vmstat),
    ("iostat", Format::Iostat),
    ("sar", Format::Sar),
    ("pidstat", Format::Pidstat),
    ("sysstat-json", Format::SysstatJson),
    ("sadf", Format::Sadf),
];

/// Parse a fixture the way perf_manual would, knowing the argv for vmstat's `-S`.
fn parse_fixture(path: &Path, format: Format) -> Parsed {
    let text = fs::read_to_string(path).unwrap();
    let name = name_of(path);
    if name.contains("-S-M") {
        vmstat::parse_with_unit(&name, &text, vmstat::MemoryUnit::MiB)
    } else {
        parse::parse(format, &name, &text)
    }
}

fn load(relative: &str, format: Format) -> Parsed {
    parse_fixture(&Path::new(DATA).join(relative), format)
}

#[test]
fn every_fixture_is_sniffed_as_its_tool() {
    for &(tool, format) in TOOLS {
        for path in fixtures(tool) {
            let text = fs::read_to_string(&path).unwrap();
            assert_eq!(sniff(&text), Some(format), "{}", path.display());
        }
    }
}

#[test]
fn every_fixture_matches_its_golden() {
    let mut mismatches = Vec::new();
    for &(tool, format) in TOOLS {
        for path in fixtures(tool) {
            let parsed = parse_fixture(&path, format);
            mismatches.extend(golden_beside(&path, &parsed));
        }
    }
    assert_goldens_match(&mismatches);
}

#[test]
fn real_captures_parse_without_warnings() {
    for &(tool, format) in TOOLS {
        for path in fixtures(tool) {
            // `sar -A` (and sadf's `-- -A`) also prints reports no parser reads: see
            // `sar_all_...` and `sadf_and_json_...` below.
            if path.to_string_lossy().contains("/broken/") || name_of(&path).ends_with("-A.txt") {
                continue;
            }
            let parsed = parse_fixture(&path, format);
            assert!(
                parsed.warnings.is_empty(),
                "{}: {:#?}",
                path.display(),
                parsed.warnings
            );
            assert!(!parsed.records.is_empty(), "{}", path.display());
        }
    }
}

/// 2026-11-25 00:00:00, naive.
const DAY: f64 = 20_782.0 * 86_400.0;

#[test]
fn mpstat_reads_every_cpu_with_busy_and_host_facts() {
    let parsed = load("mpstat/12.6.1-iso/mpstat-P-ALL.txt", Format::Mpstat);
    assert_eq!(
        parsed.records.len(),
        9,
        "3 reports x (all, 0, 1); Average rows skipped"
    );
    assert_eq!(parsed.host.cpus, Some(2));
    assert_eq!(parsed.host.hostname.as_deref(), Some("vm"));
    let first = &parsed.records[0];
    assert_eq!(first.labels["cpu"], "all");
    assert_eq!(first.time, DAY + 19.0 * 3600.0 + 11.0 * 60.0 + 24.0);
    assert_eq!(
        first.fields["busy"],
        100.0 - first.fields["idle"] - first.fields["iowait"]
    );
    for field in [
        "usr", "nice", "sys", "iowait", "irq", "soft", "steal", "guest", "gnice",
    ] {
        assert!(first.fields.contains_key(field), "{field}");
    }
}

#[test]
fn iso_and_c_locale_dates_give_the_same_times() {
    let iso = load("mpstat/12.6.1-iso/mpstat-P-ALL.txt", Format::Mpstat);
    let c = load("mpstat/12.6.1-c/mpstat-P-ALL.txt", Format::Mpstat);
    let times = |p: &Parsed| p.records.iter().map(|r| r.time).collect::<Vec<_>>();
    assert_eq!(times(&iso), times(&c));
    let iso = load("iostat/12.6.1-iso/iostat-x-d-y-t.txt", Format::Iostat);
    let c = load("iostat/12.6.1-c/iostat-x-d-y-t.txt", Format::Iostat);
    assert_eq!(times(&iso), times(&c));
}

#[test]
fn twelve_hour_clock_crosses_midnight_into_the_next_day() {
    let parsed = load("mpstat/10.1.5-en_US-12h/mpstat-P-ALL.txt", Format::Mpstat);
    let times: Vec<f64> = parsed
        .records
        .iter()
        .filter(|r| r.labels["cpu"] == "all")
        .map(|r| r.time)
        .collect();
    assert_eq!(times, [DAY + 86_399.0, DAY + 86_400.0, DAY + 86_401.0]);
}

#[test]
fn iostat_old_and_new_columns_meet_under_one_name() {
    let new = load("iostat/12.6.1-iso/iostat-x-d-y-t.txt", Format::Iostat);
    let old = load("iostat/10.1.5-en_US-12h/iostat-x-t.txt", Format::Iostat);
    for parsed in [&new, &old] {
        let device = parsed.records.iter().find(|r| r.table == "iostat").unwrap();
        for field in [
            "r_s", "w_s", "rkb_s", "wkb_s", "r_await", "w_await", "aqu_sz", "util",
        ] {
            assert!(device.fields.contains_key(field), "{field}");
        }
        assert!(!device.fields.contains_key("avgqu_sz"));
    }
    let sda = old
        .records
        .iter()
        .rfind(|r| r.labels.get("device").is_some_and(|d| d == "sda"))
        .unwrap();
    assert_eq!(sda.fields["aqu_sz"], 12.75);
    assert_eq!(sda.fields["areq_sz"], 384.0);
    assert_eq!(sda.time, DAY + 19.0 * 3600.0 + 20.0 * 60.0 + 2.0);
    let cpu = old
        .records
        .iter()
        .find(|r| r.table == "iostat_cpu")
        .unwrap();
    assert_eq!(cpu.fields["idle"], 92.36);
    assert_eq!(cpu.fields["iowait"], 0.5);
}

#[test]
fn iostat_without_stamps_counts_reports_in_seconds() {
    let parsed = load("iostat/12.6.1-c/iostat-x.txt", Format::Iostat);
    let times: Vec<(&str, f64)> = parsed
        .records
        .iter()
        .map(|r| (r.table.as_str(), r.time))
        .collect();
    assert_eq!(
        times,
        [
            ("iostat_cpu", 0.0),
            ("iostat", 0.0),
            ("iostat_cpu", 1.0),
            ("iostat", 1.0)
        ]
    );
}

#[test]
fn vmstat_drops_the_since_boot_row_and_stores_memory_in_kib() {
    let wide = load("vmstat/procps-ng-4.0.2/vmstat-w-t.txt", Format::Vmstat);
    assert_eq!(
        wide.records.len(),
        3,
        "4 rows printed, the since-boot one dropped"
    );
    assert_eq!(
        wide.records[0].time,
        DAY + 19.0 * 3600.0 + 11.0 * 60.0 + 24.0
    );
    assert_eq!(wide.records[0].fields["gu"], 0.0);
    let plain = load("vmstat/procps-ng-4.0.2/vmstat.txt", Format::Vmstat);
    let times: Vec<f64> = plain.records.iter().map(|r| r.time).collect();
    assert_eq!(times, [0.0, 1.0, 2.0]);
    let mib = load("vmstat/procps-ng-4.0.2/vmstat-S-M.txt", Format::Vmstat);
    let free_kib = plain.records[0].fields["free"];
    let free_from_mib = mib.records[0].fields["free"];
    assert!(
        (free_kib - free_from_mib).abs() <= 1024.0,
        "{free_kib} vs {free_from_mib}"
    );
}

#[test]
fn sar_dev_reads_interfaces_and_decimal_commas() {
    let parsed = load("sar/12.6.1-iso/sar-n-DEV.txt", Format::Sar);
    assert_eq!(parsed.records.len(), 12, "3 reports x 4 interfaces");
    let fields: Vec<&str> = parsed.records[0].fields.keys().map(Name::as_str).collect();
    assert_eq!(
        fields,
        [
            "ifutil", "rxcmp_s", "rxkb_s", "rxmcst_s", "rxpck_s", "txcmp_s", "txkb_s", "txpck_s"
        ]
    );
    let german = load("sar/12.6.1-de_DE-comma/sar-n-DEV.txt", Format::Sar);
    let eth0 = german
        .records
        .iter()
        .find(|r| r.labels["iface"] == "eth0")
        .unwrap();
    assert_eq!(eth0.fields["rxkb_s"], 2210.5);
    assert_eq!(eth0.time, DAY + 19.0 * 3600.0 + 20.0 * 60.0 + 1.0);
}

/// The records of `table` in `parsed`.
fn rows<'a>(parsed: &'a Parsed, table: &str) -> Vec<&'a Record> {
    parsed.records.iter().filter(|r| r.table == table).collect()
}

/// Every record of `table` has exactly these fields, and each field has its unit.
fn assert_fields(parsed: &Parsed, table: &str, fields: &[(&str, Unit)]) {
    let records = rows(parsed, table);
    assert!(!records.is_empty(), "no {table} records");
    let expected: BTreeSet<&str> = fields.iter().map(|&(name, _)| name).collect();
    for record in records {
        let names: BTreeSet<&str> = record.fields.keys().map(Name::as_str).collect();
        assert_eq!(names, expected, "{table} line {}", record.source.line);
    }
    for &(field, unit) in fields {
        assert_eq!(unit_of(table, field), unit, "{table}.{field}");
    }
}

/// `fields`, all in `unit`.
fn all_in<'a>(unit: Unit, fields: &[&'a str]) -> Vec<(&'a str, Unit)> {
    fields.iter().map(|&field| (field, unit)).collect()
}

#[test]
fn sar_reports_become_tables_with_units() {
    use Unit::*;
    let cpu = load("sar/12.6.1-iso/sar-u.txt", Format::Sar);
    let fields = ["user", "nice", "system", "iowait", "steal", "idle", "busy"];
    assert_fields(&cpu, "sar_cpu", &all_in(Percent, &fields));
    assert!(cpu.records.iter().all(|r| r.labels["cpu"] == "all"));
    let first = &cpu.records[0];
    assert_eq!(first.fields["busy"], 100.0 - first.fields["idle"]);
    let all = load("sar/12.6.1-iso/sar-u-ALL-P-ALL.txt", Format::Sar);
    let fields = [
        "usr", "nice", "sys", "iowait", "steal", "irq", "soft", "guest", "gnice", "idle", "busy",
    ];
    assert_fields(&all, "sar_cpu", &all_in(Percent, &fields));
    let cpus: BTreeSet<&str> = all
        .records
        .iter()
        .map(|r| r.labels["cpu"].as_str())
        .collect();
    assert_eq!(cpus, BTreeSet::from(["all", "0", "1"]));

    let queue = load("sar/12.6.1-iso/sar-q.txt", Format::Sar);
    let fields = [
        "runq_sz", "plist_sz", "ldavg_1", "ldavg_5", "ldavg_15", "blocked",
    ];
    assert_fields(&queue, "sar_queue", &all_in(Count, &fields));

    let memory = load("sar/12.6.1-iso/sar-r.txt", Format::Sar);
    let sizes = [
        "kbmemfree",
        "kbavail",
        "kbmemused",
        "kbbuffers",
        "kbcached",
        "kbcommit",
        "kbactive",
        "kbinact",
        "kbdirty",
    ];
    let mut fields = all_in(KiB, &sizes);
    fields.extend([("memused", Percent), ("commit", Percent)]);
    assert_fields(&memory, "sar_memory", &fields);
    let memory_all = load("sar/12.6.1-iso/sar-r-ALL.txt", Format::Sar);
    fields.extend(all_in(
        KiB,
        &["kbanonpg", "kbslab", "kbkstack", "kbpgtbl", "kbvmused"],
    ));
    assert_fields(&memory_all, "sar_memory", &fields);

    let paging = load("sar/12.6.1-iso/sar-B.txt", Format::Sar);
    let rates = [
        "fault_s",
        "majflt_s",
        "pgfree_s",
        "pgscank_s",
        "pgscand_s",
        "pgsteal_s",
    ];
    let mut fields = all_in(PerSecond, &rates);
    fields.extend([
        ("pgpgin_s", KiBPerSecond),
        ("pgpgout_s", KiBPerSecond),
        ("vmeff", Percent),
    ]);
    assert_fields(&paging, "sar_paging", &fields);

    let swap = load("sar/12.6.1-iso/sar-W.txt", Format::Sar);
    assert_fields(
        &swap,
        "sar_swap",
        &all_in(PerSecond, &["pswpin_s", "pswpout_s"]),
    );

    let disk = load("sar/12.6.1-iso/sar-d.txt", Format::Sar);
    let pretty = load("sar/12.6.1-iso/sar-d-p.txt", Format::Sar);
    let mut fields = all_in(KiBPerSecond, &["rkb_s", "wkb_s", "dkb_s"]);
    fields.extend([
        ("tps", PerSecond),
        ("areq_sz", KiB),
        ("aqu_sz", Count),
        ("await", Milliseconds),
        ("util", Percent),
    ]);
    for parsed in [&disk, &pretty] {
        assert_fields(parsed, "sar_disk", &fields);
        assert!(parsed.records.iter().all(|r| r.labels["device"] == "vda"));
    }
    let pressure = load("sar/12.6.1-iso/sar-q-ALL.txt", Format::Sar);
    let cpu = ["scpu_10", "scpu_60", "scpu_300", "scpu"];
    assert_fields(&pressure, "sar_psi_cpu", &all_in(Percent, &cpu));
    let io = [
        "sio_10", "sio_60", "sio_300", "sio", "fio_10", "fio_60", "fio_300", "fio",
    ];
    assert_fields(&pressure, "sar_psi_io", &all_in(Percent, &io));
    assert_eq!(rows(&pressure, "sar_psi_mem").len(), 3);
    assert_eq!(rows(&pressure, "sar_queue").len(), 3);

    let all = load("sar/12.6.1-iso/sar-A.txt", Format::Sar);
    let io = [
        "tps", "rtps", "wtps", "dtps", "bread_s", "bwrtn_s", "bdscd_s",
    ];
    assert_fields(&all, "sar_io", &all_in(PerSecond, &io));
    assert_fields(&all, "sar_task", &all_in(PerSecond, &["proc_s", "cswch_s"]));
    let udp = ["idgm_s", "odgm_s", "noport_s", "idgmerr_s"];
    assert_fields(&all, "sar_udp", &all_in(PerSecond, &udp));
    let kernel = ["dentunusd", "file_nr", "inode_nr", "pty_nr"];
    assert_fields(&all, "sar_kernel", &all_in(Count, &kernel));
    let mut swap_space = all_in(KiB, &["kbswpfree", "kbswpused", "kbswpcad"]);
    swap_space.extend([("swpused", Percent), ("swpcad", Percent)]);
    assert_fields(&all, "sar_swap_space", &swap_space);
    let softnet = ["total_s", "dropd_s", "squeezd_s", "rx_rps_s", "flw_lim_s"];
    let mut softnet = all_in(PerSecond, &softnet);
    softnet.push(("blg_len", Count));
    assert_fields(&all, "sar_softnet", &softnet);

    let huge = load("sar/12.6.1-iso/sar-H.txt", Format::Sar);
    let mut fields = all_in(KiB, &["kbhugfree", "kbhugused", "kbhugrsvd", "kbhugsurp"]);
    fields.push(("hugused", Percent));
    assert_fields(&huge, "sar_hugepages", &fields);

    let old = load("sar/10.1.5-en_US-12h/sar-u-q-d.txt", Format::Sar);
    let sda = rows(&old, "sar_disk")[2];
    assert_eq!(sda.labels["device"], "dev8-0");
    assert_eq!(sda.fields["aqu_sz"], 12.75, "avgqu-sz meets aqu-sz");
    assert_eq!(sda.time, DAY + 19.0 * 3600.0 + 20.0 * 60.0 + 3.0);
}

#[test]
fn one_sar_file_holds_many_network_reports() {
    use Unit::*;
    let parsed = load(
        "sar/12.6.1-iso/sar-n-DEV,EDEV,TCP,ETCP,SOCK.txt",
        Format::Sar,
    );
    let per_table = parsed.records.iter().fold(BTreeMap::new(), |mut n, r| {
        *n.entry(r.table.as_str()).or_insert(0) += 1;
        n
    });
    assert_eq!(
        per_table,
        BTreeMap::from([
            ("sar_dev", 12),
            ("sar_edev", 12),
            ("sar_etcp", 3),
            ("sar_sock", 3),
            ("sar_tcp", 3)
        ]),
        "3 samples, 4 interfaces"
    );
    let errors = [
        "rxerr_s", "txerr_s", "coll_s", "rxdrop_s", "txdrop_s", "txcarr_s", "rxfram_s", "rxfifo_s",
        "txfifo_s",
    ];
    assert_fields(&parsed, "sar_edev", &all_in(PerSecond, &errors));
    let tcp = ["active_s", "passive_s", "iseg_s", "oseg_s"];
    assert_fields(&parsed, "sar_tcp", &all_in(PerSecond, &tcp));
    let etcp = ["atmptf_s", "estres_s", "retrans_s", "isegerr_s", "orsts_s"];
    assert_fields(&parsed, "sar_etcp", &all_in(PerSecond, &etcp));
    let sock = ["totsck", "tcpsck", "udpsck", "rawsck", "ip_frag", "tcp_tw"];
    assert_fields(&parsed, "sar_sock", &all_in(Count, &sock));
    assert!(
        rows(&parsed, "sar_tcp")
            .iter()
            .any(|r| r.fields["active_s"] > 0.0),
        "the capture opened connections"
    );
}

/// `sar -A` prints every report sysstat has: each known one becomes its table, each other
/// one is warned about once (at its first header), never per row or per sample.
#[test]
fn sar_all_reads_every_known_report_and_warns_once_per_unknown_one() {
    for relative in ["sar/12.6.1-iso/sar-A.txt", "sar/12.6.1-c/sar-A.txt"] {
        let parsed = load(relative, Format::Sar);
        let tables: BTreeSet<&str> = parsed.records.iter().map(|r| r.table.as_str()).collect();
        let known: BTreeSet<&str> = sar::REPORTS.iter().map(|report| report.table).collect();
        assert_eq!(tables, known, "{relative}");
        for table in known {
            let times: BTreeSet<u64> = rows(&parsed, table).iter().map(|r| r.time as u64).collect();
            assert_eq!(times.len(), 2, "{relative}: {table} has both samples");
        }
        let text = fs::read_to_string(Path::new(DATA).join(relative)).unwrap();
        let second_sample = text
            .lines()
            .skip(3)
            .position(|line| line.contains("%usr") && line.contains("%idle"))
            .unwrap()
            + 4;
        let messages: BTreeSet<&str> = parsed.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            messages.len(),
            parsed.warnings.len(),
            "{relative}: one each"
        );
        // TTY, NFS, NFSD, IP, EIP, ICMP, EICMP, SOCK6, IP6, EIP6, ICMP6, EICMP6, UDP6, the CPU
        // clock (-m CPU) and file systems (-F).
        assert_eq!(parsed.warnings.len(), 15, "{relative}");
        for warning in &parsed.warnings {
            assert!(warning.message.contains("is not understood"), "{warning}");
            assert!(warning.line < second_sample, "{warning}");
        }
    }
}

/// `sar -I` prints a column per CPU: each cell is a record labelled with its CPU and interrupt.
#[test]
fn sar_interrupts_are_per_interrupt_per_cpu_records() {
    let relative = "sar/12.6.1-iso/sar-I-ALL-P-ALL.txt";
    let parsed = load(relative, Format::Sar);
    assert_fields(&parsed, "sar_irq", &[("intr_s", Unit::PerSecond)]);
    let text = fs::read_to_string(Path::new(DATA).join(relative)).unwrap();
    let sum: Vec<&str> = text.lines().nth(3).unwrap().split_whitespace().collect();
    assert_eq!(sum[1], "sum");
    for (cpu, cell) in [("all", sum[2]), ("0", sum[3]), ("1", sum[4])] {
        let record = parsed
            .records
            .iter()
            .find(|r| r.labels["irq"] == "sum" && r.labels["cpu"] == cpu)
            .unwrap();
        assert_eq!(
            record.fields["intr_s"],
            cell.parse::<f64>().unwrap(),
            "{cpu}"
        );
    }
    assert!(parsed.records.iter().any(|r| r.labels["irq"] == "LOC"));
}

#[test]
fn pidstat_memory_and_disk_reports_and_the_one_line_form_of_all() {
    use Unit::*;
    let memory_fields = [
        ("minflt_s", PerSecond),
        ("majflt_s", PerSecond),
        ("vsz", KiB),
        ("rss", KiB),
        ("mem", Percent),
    ];
    let memory = load("pidstat/12.6.1-iso/pidstat-r.txt", Format::Pidstat);
    assert_fields(&memory, "pidstat", &memory_fields);
    let disk_fields = [
        ("kb_rd_s", KiBPerSecond),
        ("kb_wr_s", KiBPerSecond),
        ("kb_ccwr_s", KiBPerSecond),
        ("iodelay", Count),
    ];
    let disk = load("pidstat/12.6.1-iso/pidstat-d.txt", Format::Pidstat);
    assert_fields(&disk, "pidstat", &disk_fields);
    let hdd = disk
        .records
        .iter()
        .find(|r| r.labels["comm"] == "stress-ng-hdd")
        .unwrap();
    assert!(hdd.fields["kb_wr_s"] > 0.0);

    let every = load("pidstat/12.6.1-iso/pidstat-u-r-d-w-h.txt", Format::Pidstat);
    let mut fields = all_in(Percent, &["usr", "system", "guest", "wait", "cpu"]);
    fields.extend(memory_fields);
    fields.extend(disk_fields);
    fields.extend([
        ("last_cpu", Count),
        ("cswch_s", PerSecond),
        ("nvcswch_s", PerSecond),
    ]);
    assert_fields(&every, "pidstat", &fields);
    let scheduling = load(
        "pidstat/12.6.1-iso/pidstat-R-s-v-h-p-ALL.txt",
        Format::Pidstat,
    );
    let fields = [
        ("stksize", KiB),
        ("stkref", KiB),
        ("threads", Count),
        ("fd_nr", Count),
        ("prio", Count),
    ];
    assert_fields(&scheduling, "pidstat", &fields);
    assert!(every.records.iter().all(|r| {
        let names: Vec<&str> = r.labels.keys().map(Name::as_str).collect();
        names == ["comm", "pid"]
    }));
}

#[test]
fn mpstat_interrupts_are_per_cpu_totals_and_per_cpu_per_interrupt_rates() {
    let sum = load("mpstat/12.6.1-iso/mpstat-I-SUM.txt", Format::Mpstat);
    assert_fields(&sum, "mpstat_irq", &[("intr_s", Unit::PerSecond)]);
    assert!(sum.records.iter().all(|r| r.labels.len() == 1));
    assert_eq!(sum.records[0].labels["cpu"], "all");

    let per_irq = load("mpstat/12.6.1-iso/mpstat-I-CPU.txt", Format::Mpstat);
    assert_fields(&per_irq, "mpstat_irq", &[("intr_s", Unit::PerSecond)]);
    let text = fs::read_to_string(Path::new(DATA).join("mpstat/12.6.1-iso/mpstat-I-CPU.txt"));
    let text = text.unwrap();
    let mut lines = text.lines().skip(2);
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    let row: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    let column = header.iter().position(|&c| c == "LOC/s").unwrap();
    let loc = per_irq
        .records
        .iter()
        .find(|r| r.labels["cpu"] == row[1] && r.labels["irq"] == "LOC")
        .unwrap();
    assert_eq!(loc.fields["intr_s"], row[column].parse::<f64>().unwrap());
    assert_eq!(per_irq.records.len(), 3 * 2 * (header.len() - 2));

    let all = load("mpstat/12.6.1-iso/mpstat-I-ALL-P-ALL.txt", Format::Mpstat);
    let tables: BTreeSet<&str> = all.records.iter().map(|r| r.table.as_str()).collect();
    assert_eq!(tables, BTreeSet::from(["mpstat_irq", "mpstat_softirq"]));
    let softirqs: BTreeSet<&str> = rows(&all, "mpstat_softirq")
        .iter()
        .map(|r| r.labels["irq"].as_str())
        .collect();
    assert!(softirqs.contains("NET_RX") && softirqs.contains("TIMER"));

    let default = load("mpstat/12.6.1-iso/mpstat-P-ALL.txt", Format::Mpstat);
    let explicit = load("mpstat/12.6.1-iso/mpstat-u.txt", Format::Mpstat);
    let names = |p: &Parsed| p.records[0].fields.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&default), names(&explicit));
    let every = load("mpstat/12.6.1-iso/mpstat-A.txt", Format::Mpstat);
    assert_eq!(rows(&every, "mpstat_node")[0].labels["node"], "all");
}

#[test]
fn pidstat_blocks_one_line_mode_threads_and_epoch_stamps() {
    let blocks = load("pidstat/12.6.1-iso/pidstat-u-w.txt", Format::Pidstat);
    assert!(blocks.records.iter().any(|r| r.fields.contains_key("cpu")));
    assert!(
        blocks
            .records
            .iter()
            .any(|r| r.fields.contains_key("cswch_s"))
    );
    let one_line = load("pidstat/12.6.1-iso/pidstat-u-w-h.txt", Format::Pidstat);
    let stress = one_line
        .records
        .iter()
        .find(|r| r.labels["comm"] == "stress-ng-cpu")
        .unwrap();
    for field in [
        "usr",
        "system",
        "guest",
        "wait",
        "cpu",
        "last_cpu",
        "cswch_s",
        "nvcswch_s",
    ] {
        assert!(stress.fields.contains_key(field), "{field}");
    }
    let threads = load("pidstat/12.6.1-iso/pidstat-t-u-w-p1.txt", Format::Pidstat);
    assert!(threads.records.iter().all(|r| r.labels["pid"] == "1"));
    assert!(threads.records.iter().any(|r| r.labels.contains_key("tid")));
    assert!(
        threads
            .records
            .iter()
            .all(|r| !r.labels["comm"].starts_with("|__"))
    );
    let epoch = load("pidstat/9.0-epoch/pidstat-u-w-h.txt", Format::Pidstat);
    assert_eq!(epoch.records[0].time, 1_764_098_401.0);
    assert_eq!(epoch.records[0].labels["comm"], "java");
}

#[test]
fn broken_files_warn_with_file_and_line_and_keep_the_rest() {
    let truncated = load("mpstat/broken/truncated.txt", Format::Mpstat);
    assert_eq!(
        truncated.records.len(),
        4,
        "the first report and cpu all of the second"
    );
    let lines: Vec<(String, usize)> = truncated
        .warnings
        .iter()
        .map(|w| (w.file.clone(), w.line))
        .collect();
    assert_eq!(lines, [("mpstat/broken/truncated.txt".to_string(), 10)]);

    let garbled = load("mpstat/broken/garbled.txt", Format::Mpstat);
    assert_eq!(garbled.records.len(), 9);
    let lines: Vec<usize> = garbled.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [6, 12]);
    assert!(
        garbled.warnings[0].message.contains("iowait"),
        "{}",
        garbled.warnings[0]
    );

    let vmstat = load("vmstat/broken/truncated.txt", Format::Vmstat);
    assert_eq!(vmstat.records.len(), 1);
    let lines: Vec<usize> = vmstat.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [5]);

    let pidstat = load("pidstat/broken/truncated.txt", Format::Pidstat);
    assert_eq!(pidstat.records.len(), 17, "6 -u rows and 11 -w rows");
    let lines: Vec<usize> = pidstat.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [23]);

    let sar = load("sar/broken/truncated-A.txt", Format::Sar);
    let tables: Vec<&str> = sar.records.iter().map(|r| r.table.as_str()).collect();
    assert_eq!(
        tables,
        [
            "sar_cpu",
            "sar_cpu",
            "sar_task",
            "sar_irq",
            "sar_irq",
            "sar_irq",
            "sar_swap",
            "sar_paging"
        ],
        "each report after a bad row is still read"
    );
    let lines: Vec<usize> = sar.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [6, 21, 24]);

    let iostat = load("iostat/broken/garbled.txt", Format::Iostat);
    assert_eq!(iostat.records.len(), 3);
    let lines: Vec<usize> = iostat.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [7, 13, 15]);
    assert!(
        iostat
            .warnings
            .iter()
            .all(|w| w.file == "iostat/broken/garbled.txt")
    );
}

/// Parsers never panic: every fixture, cut at 100 places (mid-line, mid-number) and fed to
/// every parser, including the wrong ones, gives records or warnings and nothing worse.
#[test]
fn any_cut_of_any_fixture_through_any_parser_is_survived() {
    let formats: Vec<Format> = TOOLS.iter().map(|&(_, format)| format).collect();
    for &(tool, _) in TOOLS {
        for path in fixtures(tool) {
            let text = fs::read_to_string(&path).unwrap();
            let step = (text.len() / 100).max(1);
            for cut in (0..=text.len())
                .step_by(step)
                .filter(|&cut| text.is_char_boundary(cut))
            {
                let prefix = &text[..cut];
                sniff(prefix);
                for &format in &formats {
                    parse::parse(format, "cut", prefix);
                }
            }
        }
    }
}

/// A record without where it was read: what two formats of one capture must agree on.
type Fact = (String, u64, Vec<(String, String)>, Vec<(String, f64)>);

fn facts(parsed: &Parsed) -> Vec<Fact> {
    facts_of(parsed.records.iter())
}

fn facts_of<'a>(records: impl Iterator<Item = &'a Record>) -> Vec<Fact> {
    let mut facts: Vec<_> = records
        .map(|r| {
            (
                r.table.to_string(),
                r.time as u64,
                r.labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                r.fields.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            )
        })
        .collect();
    facts.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    facts
}

/// `sadf -j`, `sadf -d` and `sadf -p` of the data file `sar -o` wrote while it printed
/// `sar -A`: the same tables, fields, labels, times and values as the text, record for record;
/// only the reports no parser reads are warned about, once each.
#[test]
fn sadf_and_json_of_a_sar_file_make_the_records_of_its_text() {
    let text = load("sar/12.6.1-A-cpu-stress-twin/sar-A.txt", Format::Sar);
    let expected = facts(&text);
    let tables: BTreeSet<&str> = text.records.iter().map(|r| r.table.as_str()).collect();
    assert_eq!(tables.len(), sar::REPORTS.len(), "{tables:?}");
    for (relative, format) in [
        (
            "sysstat-json/12.6.1-cpu-stress/sadf-j-A.txt",
            Format::SysstatJson,
        ),
        ("sadf/12.6.1-cpu-stress/sadf-d-A.txt", Format::Sadf),
        ("sadf/12.6.1-cpu-stress/sadf-p-A.txt", Format::Sadf),
    ] {
        let parsed = load(relative, format);
        let actual = facts(&parsed);
        let missing: Vec<_> = expected.iter().filter(|f| !actual.contains(f)).collect();
        let extra: Vec<_> = actual.iter().filter(|f| !expected.contains(f)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{relative}: missing {:#?}\nextra {:#?}",
            missing.get(..3),
            extra.get(..3)
        );
        assert_eq!(parsed.host.cpus, Some(2), "{relative}");
        assert_eq!(parsed.host.hostname.as_deref(), Some("vm"), "{relative}");
        let messages: BTreeSet<&str> = parsed.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            messages.len(),
            parsed.warnings.len(),
            "{relative}: one each"
        );
        for warning in &parsed.warnings {
            assert!(
                warning.message.contains("not read") || warning.message.contains("not understood"),
                "{relative}: {warning}"
            );
        }
    }
}

/// The JSON of mpstat and iostat, taken beside their text under the same load: the same
/// tables, with the same fields and labels, at the same times.
#[test]
fn mpstat_and_iostat_json_make_the_tables_of_their_text() {
    let shape = |parsed: &Parsed| -> BTreeSet<(String, u64, Vec<String>, Vec<String>)> {
        parsed
            .records
            .iter()
            .map(|r| {
                (
                    r.table.to_string(),
                    r.time as u64,
                    r.labels.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                    r.fields.keys().map(Name::to_string).collect(),
                )
            })
            .collect()
    };
    for (text, json) in [
        (
            ("mpstat/12.6.1-cpu-stress/mpstat-P-ALL.txt", Format::Mpstat),
            "sysstat-json/12.6.1-cpu-stress/mpstat-P-ALL-o-JSON.txt",
        ),
        (
            ("iostat/12.6.1-cpu-stress/iostat-x-y-t.txt", Format::Iostat),
            "sysstat-json/12.6.1-cpu-stress/iostat-x-y-t-o-JSON.txt",
        ),
    ] {
        let text = load(text.0, text.1);
        let parsed = load(json, Format::SysstatJson);
        assert!(!parsed.records.is_empty(), "{json}");
        assert_eq!(shape(&parsed), shape(&text), "{json}");
        assert_eq!(parsed.host.cpus, Some(2), "{json}");
        for record in &parsed.records {
            let line = text_line(json, record.source.line);
            assert!(
                line.trim_start().starts_with('{'),
                "{json}:{}: {line}",
                record.source.line
            );
        }
    }
    // Without -t, report n is at n seconds, as for the text.
    let unstamped = load(
        "sysstat-json/12.6.1-cpu-stress/iostat-x-o-JSON.txt",
        Format::SysstatJson,
    );
    let times: BTreeSet<u64> = unstamped.records.iter().map(|r| r.time as u64).collect();
    assert_eq!(times, BTreeSet::from([0, 1, 2, 3, 4]));
}

/// Line `number` (1-based) of a fixture.
fn text_line(relative: &str, number: usize) -> String {
    let text = fs::read_to_string(Path::new(DATA).join(relative)).unwrap();
    text.lines().nth(number - 1).unwrap_or_default().to_string()
}

/// A JSON capture cut mid-way (the tool killed) keeps every statistics object before the cut,
/// exactly as the whole file has them, and says where the cut one starts.
#[test]
fn a_cut_json_capture_keeps_what_came_before_the_cut() {
    for (cut, whole, samples) in [
        (
            "sysstat-json/broken/sadf-j-A-cut.txt",
            "sysstat-json/12.6.1-cpu-stress/sadf-j-A.txt",
            3,
        ),
        (
            "sysstat-json/broken/mpstat-o-JSON-cut.txt",
            "sysstat-json/12.6.1-cpu-stress/mpstat-P-ALL-o-JSON.txt",
            2,
        ),
    ] {
        let parsed = load(cut, Format::SysstatJson);
        let complete = load(whole, Format::SysstatJson);
        let warning = parsed.warnings.last().expect("a warning about the cut");
        assert_eq!(warning.file, cut);
        assert!(warning.message.contains("cut short"), "{warning}");
        assert!(
            text_line(cut, warning.line).trim() == "{",
            "{warning}: the line of the statistics object cut"
        );
        let times: BTreeSet<u64> = parsed.records.iter().map(|r| r.time as u64).collect();
        assert_eq!(
            times.len(),
            samples,
            "{cut}: the whole samples before the cut"
        );
        let before_cut = complete
            .records
            .iter()
            .filter(|r| times.contains(&(r.time as u64)));
        assert_eq!(facts(&parsed), facts_of(before_cut), "{cut}");
    }
}

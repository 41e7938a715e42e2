//! Stand-ins for missing sysstat tables, computed from /proc snapshots.
//!
//! When sysstat is not installed, perf_manual's sampler still copies /proc; so that the same
//! rules (`mpstat.busy`, `vmstat.r`, `iostat.util`, `sar_dev.rxkb_s`) judge the run, this
//! module adds rows under the sysstat table names, with the canonical fields the sysstat
//! parsers produce. It is the single place such stand-ins are made. A table is filled only
//! when it is entirely absent, so a series never mixes a tool's numbers with /proc's, and each
//! added row keeps the source (file and line) of the /proc snapshot it came from, so evidence
//! points at what was really read.
//!
//! | table | from | fields |
//! |---|---|---|
//! | `mpstat` {cpu} | `proc_stat` | usr nice sys iowait irq soft steal guest gnice idle busy |
//! | `vmstat` | `proc_stat` {cpu="all"} | r b cs in us sy id wa st |
//! | `vmstat` | `proc_vmstat` | si so bi bo |
//! | `vmstat` | `meminfo` | swpd free buff cache |
//! | `iostat` {device} | `diskstats` | every field (they are iostat -x's already) |
//! | `sar_dev` {iface} | `net_dev` | rxpck_s txpck_s rxkb_s txkb_s rxcmp_s txcmp_s rxmcst_s ifutil |
//!
//! Where a table is missing still, other tools' summaries of the same facts stand in, the
//! first present alone (so no series mixes two tools):
//!
//! | table | from | fields |
//! |---|---|---|
//! | `mpstat` {cpu} | `top_cpu` (top's `%Cpu(s)`) | usr nice sys iowait irq soft steal idle busy |
//! | `vmstat` | `top_cpu` {cpu="all"} | us sy id wa st |
//! | `memory` | `free`, else `top_memory` | used_pct (Mem: 100 − available / total), swap_used_pct |
//!
//! vmstat's numbers as procps-ng 4 computes them: `r` is /proc/stat's procs_running (running
//! and runnable); `us` = user + nice (guest time included, as /proc/stat counts it), `sy` =
//! system + irq + softirq; `si`/`so` are swap-ins/outs in KiB/s, converted from pages with a
//! page size of 4 KiB (x86-64 and most arm64 kernels; a 16 or 64 KiB arm64 or ppc64 kernel
//! would under-report them); `bi`/`bo` are pgpgin/pgpgout, already KiB; `cache` = Cached +
//! SReclaimable. vmstat's one row per interval becomes one row per /proc source here, each at
//! its own snapshot's time: a series only ever takes points from one source. `ifutil` is there
//! only for interfaces whose link speed the sampler read (sar prints 0.00 where it is unknown;
//! the stand-in leaves it out, so a rule on it is not evaluated rather than judged on a 0).

use std::collections::BTreeSet;

use super::{Columns, Fields, Labels, Name, Record, swap_used_pct_of_totals, used_pct_of_totals};

/// Kernel page size assumed when turning /proc/vmstat's swap pages into vmstat's KiB.
const PAGE_KIB: f64 = 4.0;

const MPSTAT_FIELDS: [&str; 11] = [
    "usr", "nice", "sys", "iowait", "irq", "soft", "steal", "guest", "gnice", "idle", "busy",
];

const SAR_DEV_FIELDS: [&str; 8] = [
    "rxpck_s", "txpck_s", "rxkb_s", "txkb_s", "rxcmp_s", "txcmp_s", "rxmcst_s", "ifutil",
];

/// One way of making a sysstat row from a /proc row: the row's fields, none to skip it.
type StandIn = fn(&Record) -> Fields;

/// (sysstat table, /proc table, how). One sysstat table may come from several /proc tables.
const STAND_INS: [(&str, &str, StandIn); 6] = [
    ("mpstat", "proc_stat", mpstat_from_stat),
    ("vmstat", "proc_stat", vmstat_from_stat),
    ("vmstat", "proc_vmstat", vmstat_from_vmstat),
    ("vmstat", "meminfo", vmstat_from_meminfo),
    ("iostat", "diskstats", |record| record.fields.clone()),
    ("sar_dev", "net_dev", sar_dev_from_net_dev),
];

/// Stand-ins from other tools' summaries of the same facts, for the tables that neither their
/// tool nor /proc gave: top's `%Cpu(s)` for mpstat's and vmstat's CPU shares, and the memory
/// totals of free and top for `memory.used_pct`. For each table the first source present is
/// used alone, so a series never mixes two tools.
const SUMMARY_STAND_INS: [(&str, &str, StandIn); 4] = [
    ("mpstat", "top_cpu", mpstat_from_stat),
    ("vmstat", "top_cpu", vmstat_from_top),
    ("memory", "free", memory_from_totals),
    ("memory", "top_memory", memory_from_totals),
];

/// Where `records` has no mpstat, vmstat, iostat or sar_dev rows but has /proc snapshot rows,
/// add rows under those tables computed from /proc, so the same rules apply; then, where a
/// table is still missing, from other tools' summaries ([`SUMMARY_STAND_INS`]). Returns each
/// table filled from a summary with the table it came from.
pub fn fill_missing(records: &mut Vec<Record>) -> Vec<(String, String)> {
    fill_missing_beside(records, &[])
}

/// [`fill_missing`] where the tables `streamed` are present too, as [`Columns`] (read
/// from big files).
pub fn fill_missing_beside(
    records: &mut Vec<Record>,
    streamed: &[String],
) -> Vec<(String, String)> {
    let mut present: BTreeSet<&str> = records.iter().map(|r| r.table.as_str()).collect();
    present.extend(streamed.iter().map(String::as_str));
    let mut added = Vec::new();
    for (table, from, make) in STAND_INS {
        if !present.contains(table) {
            added.extend(stand_ins(records, table, from, make));
        }
    }
    let mut filled: BTreeSet<&str> = added.iter().map(|r: &Record| r.table.as_str()).collect();
    filled.extend(present);
    let mut from_summaries = Vec::new();
    let mut summaries = Vec::new();
    for (table, from, make) in SUMMARY_STAND_INS {
        if filled.contains(table) {
            continue;
        }
        let rows = stand_ins(records, table, from, make);
        if !rows.is_empty() {
            filled.insert(table);
            from_summaries.push((table.to_string(), from.to_string()));
            summaries.extend(rows);
        }
    }
    records.extend(added);
    records.extend(summaries);
    from_summaries
}

/// The rows of `table` that `make` computes from the rows of `from`.
fn stand_ins(records: &[Record], table: &str, from: &str, make: StandIn) -> Vec<Record> {
    records
        .iter()
        .filter(|record| record.table == from)
        .filter_map(|record| {
            let fields = make(record);
            (!fields.is_empty()).then(|| Record {
                table: table.into(),
                time: record.time,
                labels: system_wide_or(table, &record.labels),
                fields,
                source: record.source.clone(),
            })
        })
        .collect()
}

/// sar prints %ifutil 0.00 for an interface whose link speed the kernel does not know (as for
/// virtio): a 0 a rule would read as an idle link. Where the sampler read that interface's
/// speed file and found no speed, sar's `ifutil` is taken out, so the rule is not evaluated.
pub(crate) fn drop_unknown_link_utilization(records: &mut [Record], columns: &mut Columns) {
    let mut known: std::collections::BTreeMap<&str, bool> = Default::default();
    for record in records.iter().filter(|r| r.table == "net_dev") {
        if let (Some(iface), Some(&flag)) =
            (record.labels.get("iface"), record.fields.get("speed_known"))
        {
            *known.entry(iface.as_str()).or_insert(false) |= flag > 0.0;
        }
    }
    let unknown: BTreeSet<String> = known
        .into_iter()
        .filter(|(_, known)| !known)
        .map(|(iface, _)| iface.to_string())
        .collect();
    for record in records.iter_mut().filter(|r| r.table == "sar_dev") {
        if record
            .labels
            .get("iface")
            .is_some_and(|iface| unknown.contains(iface.as_str()))
        {
            record.fields.remove("ifutil");
        }
    }
    columns.drop_field("sar_dev", "ifutil", |labels| {
        labels
            .get("iface")
            .is_some_and(|iface| unknown.contains(iface.as_str()))
    });
}

/// vmstat and memory describe the whole system, so their rows have no labels (vmstat's
/// /proc/stat source is the `cpu="all"` row); every other stand-in keeps its instance (cpu,
/// device, iface).
fn system_wide_or(table: &str, labels: &Labels) -> Labels {
    if table == "vmstat" || table == "memory" {
        Labels::new()
    } else {
        labels.clone()
    }
}

fn copy(record: &Record, names: &[&str]) -> Fields {
    names
        .iter()
        .filter_map(|&name| Some((name.into(), *record.fields.get(name)?)))
        .collect()
}

fn mpstat_from_stat(record: &Record) -> Fields {
    copy(record, &MPSTAT_FIELDS)
}

fn vmstat_from_stat(record: &Record) -> Fields {
    if record.labels.get("cpu").map(Name::as_str) != Some("all") {
        return Fields::new();
    }
    let field = |name: &str| record.fields.get(name).copied();
    let sum = |names: &[&str]| -> Option<f64> { names.iter().map(|&name| field(name)).sum() };
    let derived = [
        ("r", field("procs_running")),
        ("b", field("procs_blocked")),
        ("cs", field("ctxt_s")),
        ("in", field("intr_s")),
        ("us", sum(&["usr", "nice", "guest", "gnice"])),
        ("sy", sum(&["sys", "irq", "soft"])),
        ("id", field("idle")),
        ("wa", field("iowait")),
        ("st", field("steal")),
    ];
    present(derived)
}

fn vmstat_from_vmstat(record: &Record) -> Fields {
    let field = |name: &str| record.fields.get(name).copied();
    let derived = [
        ("si", field("pswpin_s").map(|pages| pages * PAGE_KIB)),
        ("so", field("pswpout_s").map(|pages| pages * PAGE_KIB)),
        ("bi", field("pgpgin_s")),
        ("bo", field("pgpgout_s")),
    ];
    present(derived)
}

fn vmstat_from_meminfo(record: &Record) -> Fields {
    let field = |name: &str| record.fields.get(name).copied();
    let swap_used = field("swaptotal").zip(field("swapfree"));
    let derived = [
        ("swpd", swap_used.map(|(total, free)| total - free)),
        ("free", field("memfree")),
        ("buff", field("buffers")),
        (
            "cache",
            field("cached").map(|c| c + field("sreclaimable").unwrap_or(0.0)),
        ),
    ];
    present(derived)
}

/// vmstat's CPU shares from top's `%Cpu(s)` row, summed as procps-ng 4's vmstat sums them.
fn vmstat_from_top(record: &Record) -> Fields {
    if record.labels.get("cpu").map(Name::as_str) != Some("all") {
        return Fields::new();
    }
    let field = |name: &str| record.fields.get(name).copied();
    let sum = |names: &[&str]| -> Option<f64> { names.iter().map(|&name| field(name)).sum() };
    present([
        ("us", sum(&["usr", "nice"])),
        ("sy", sum(&["sys", "irq", "soft"])),
        ("id", field("idle")),
        ("wa", field("iowait")),
        ("st", field("steal")),
    ])
}

/// `memory.used_pct` from free's or top's Mem row (what `available` leaves), and
/// `swap_used_pct` from their Swap row (0 without swap), as meminfo's are computed.
fn memory_from_totals(record: &Record) -> Fields {
    match record.labels.get("kind").map(Name::as_str) {
        Some("Mem") => present([("used_pct", used_pct_of_totals(&record.fields))]),
        Some("Swap") => present([("swap_used_pct", swap_used_pct_of_totals(&record.fields))]),
        _ => Fields::new(),
    }
}

fn sar_dev_from_net_dev(record: &Record) -> Fields {
    copy(record, &SAR_DEV_FIELDS)
}

fn present<const N: usize>(derived: [(&str, Option<f64>); N]) -> Fields {
    derived
        .into_iter()
        .filter_map(|(name, value)| Some((name.into(), value?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(table: &str, labels: &[(&str, &str)], fields: &[(&str, f64)]) -> Record {
        Record::from_pairs(table, 1.0, labels, fields, &format!("proc/{table}.txt"), 7)
    }

    #[test]
    fn sar_ifutil_is_dropped_only_where_the_link_speed_was_read_and_unknown() {
        let mut records = vec![
            record("net_dev", &[("iface", "eth0")], &[("speed_known", 0.0)]),
            record("net_dev", &[("iface", "eth1")], &[("speed_known", 1.0)]),
            record("net_dev", &[("iface", "eth2")], &[("rxkb_s", 1.0)]),
            record("sar_dev", &[("iface", "eth0")], &[("ifutil", 0.0)]),
            record("sar_dev", &[("iface", "eth1")], &[("ifutil", 0.0)]),
            record("sar_dev", &[("iface", "eth2")], &[("ifutil", 0.0)]),
        ];
        drop_unknown_link_utilization(&mut records, &mut Columns::default());
        let ifutil: Vec<bool> = records
            .iter()
            .filter(|r| r.table == "sar_dev")
            .map(|r| r.fields.contains_key("ifutil"))
            .collect();
        // eth0: read, unknown; eth1: known; eth2: never read, so sar's number stands.
        assert_eq!(ifutil, [false, true, true]);
    }

    fn vmstat_fields(records: &[Record]) -> Fields {
        records
            .iter()
            .filter(|r| r.table == "vmstat")
            .flat_map(|r| r.fields.clone())
            .collect()
    }

    #[test]
    fn vmstat_is_computed_as_procps_computes_it() {
        let mut records = vec![
            record(
                "proc_stat",
                &[("cpu", "all")],
                &[
                    ("usr", 30.0),
                    ("nice", 5.0),
                    ("guest", 10.0),
                    ("gnice", 1.0),
                    ("sys", 8.0),
                    ("irq", 1.0),
                    ("soft", 2.0),
                    ("idle", 40.0),
                    ("iowait", 3.0),
                    ("steal", 0.0),
                    ("procs_running", 4.0),
                    ("procs_blocked", 1.0),
                    ("ctxt_s", 900.0),
                    ("intr_s", 300.0),
                ],
            ),
            record("proc_stat", &[("cpu", "0")], &[("usr", 99.0)]),
            record(
                "proc_vmstat",
                &[],
                &[
                    ("pswpin_s", 2.0),
                    ("pswpout_s", 3.0),
                    ("pgpgin_s", 8.0),
                    ("pgpgout_s", 9.0),
                ],
            ),
            record(
                "meminfo",
                &[],
                &[
                    ("memfree", 100.0),
                    ("buffers", 10.0),
                    ("cached", 50.0),
                    ("sreclaimable", 5.0),
                    ("swaptotal", 80.0),
                    ("swapfree", 60.0),
                ],
            ),
        ];
        fill_missing(&mut records);
        let expected: Fields = [
            ("r", 4.0),
            ("b", 1.0),
            ("cs", 900.0),
            ("in", 300.0),
            ("us", 46.0),
            ("sy", 11.0),
            ("id", 40.0),
            ("wa", 3.0),
            ("st", 0.0),
            ("si", 8.0),
            ("so", 12.0),
            ("bi", 8.0),
            ("bo", 9.0),
            ("swpd", 20.0),
            ("free", 100.0),
            ("buff", 10.0),
            ("cache", 55.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v))
        .collect();
        assert_eq!(vmstat_fields(&records), expected);
        let vmstat: Vec<&Record> = records.iter().filter(|r| r.table == "vmstat").collect();
        assert_eq!(
            vmstat.len(),
            3,
            "one row per /proc source, the cpu0 row gives none"
        );
        assert!(
            vmstat
                .iter()
                .all(|r| r.labels.is_empty() && r.source.line == 7)
        );
    }

    #[test]
    fn nothing_is_added_without_proc_rows() {
        let mut records = vec![record("pidstat", &[("pid", "1")], &[("usr", 1.0)])];
        fill_missing(&mut records);
        assert_eq!(records.len(), 1);
    }
}

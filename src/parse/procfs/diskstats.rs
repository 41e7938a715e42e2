//! `/proc/diskstats` → `diskstats` {device}: iostat -x's fields with iostat's formulas, and
//! its units. Whole disks, dm and md devices are kept; loop and ram devices, partitions (a
//! name that is another listed device's name plus a number, with an optional `p`: sda1,
//! nvme0n1p2) and devices that never did an I/O since boot are left out, as iostat leaves
//! them out by default.
//!
//! Each line is read by procfs-core's `DiskStat::from_line`, which costs one bad line only.

use std::collections::{BTreeMap, BTreeSet};

use procfs::DiskStat;

use super::rate::{Reading, percent};
use super::snapshot::Snapshot;
use super::{Output, labels};
use crate::parse::{Table, iostat};
use crate::record::{Feed, Rank, Unit};

pub(super) fn table() -> Table {
    let mut fields = Vec::new();
    for prefix in ["r", "w", "d"] {
        for field in ["_s", "rqm_s", "kb_s", "rqm", "_await", "areq_sz"] {
            fields.push(format!("{prefix}{field}"));
        }
    }
    fields.extend(["f_s", "f_await", "aqu_sz", "util"].map(String::from));
    Table::known("diskstats", &fields)
}

/// Computed as iostat computes them, in its place.
pub(super) fn feeds() -> Vec<Feed> {
    iostat::disk_feeds(Rank::StandIn, "/proc/diskstats", "diskstats")
}

/// The counters of a diskstats line, in-flight (a gauge, field 12) left out. 14-field lines
/// (before 4.18) stop after `time_in_queue`, 18-field lines (before 5.5) after the discards.
const DISK_COUNTERS: [&str; 16] = [
    "reads",
    "reads_merged",
    "sectors_read",
    "read_ticks",
    "writes",
    "writes_merged",
    "sectors_written",
    "write_ticks",
    "io_ticks",
    "time_in_queue",
    "discards",
    "discards_merged",
    "sectors_discarded",
    "discard_ticks",
    "flushes",
    "flush_ticks",
];

const READS: usize = 0;
const WRITES: usize = 4;
const IO_TICKS: usize = 8;
const TIME_IN_QUEUE: usize = 9;
const DISCARDS: usize = 10;
const FLUSHES: usize = 14;

/// A device's name and its [`DISK_COUNTERS`], as far as its kernel prints them.
pub(super) struct Disk {
    name: String,
    counters: Vec<u64>,
}

/// `major minor name` and 11, 15 or 17 numbers. Only the lengths kernels print are read:
/// `DiskStat::from_line` also takes a line cut short (the last snapshot of a file a time box
/// ended) with the cut number as a count, and a garbled number after the eleventh as absent.
pub(super) fn disk_line(line: &str) -> Option<Disk> {
    let later_counters = match line.split_whitespace().count() {
        14 => 0,
        18 => 4,
        20 => 6,
        _ => return None,
    };
    let disk = DiskStat::from_line(line).ok()?;
    // It reads device numbers as signed; no kernel prints a negative one.
    if disk.major < 0 || disk.minor < 0 {
        return None;
    }
    let since_4_18 = [
        disk.discards,
        disk.discards_merged,
        disk.sectors_discarded,
        disk.time_discarding,
        disk.flushes,
        disk.time_flushing,
    ];
    let mut counters = vec![
        disk.reads,
        disk.merged,
        disk.sectors_read,
        disk.time_reading,
        disk.writes,
        disk.writes_merged,
        disk.sectors_written,
        disk.time_writing,
        disk.time_in_progress,
        disk.weighted_time_in_progress,
    ];
    for counter in since_4_18.into_iter().take(later_counters) {
        counters.push(counter?);
    }
    Some(Disk {
        name: disk.name,
        counters,
    })
}

/// Whether `name` is a partition of another device listed beside it (sda1 of sda,
/// nvme0n1p2 of nvme0n1, mmcblk0p1 of mmcblk0).
fn is_partition(name: &str, listed: &BTreeSet<&str>) -> bool {
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if base.len() == name.len() {
        return false;
    }
    listed.contains(base)
        || base
            .strip_suffix('p')
            .is_some_and(|disk| listed.contains(disk))
}

/// `total / count`, or 0 when there was nothing to average (iostat prints 0.00 then).
fn mean(total: f64, count: f64) -> f64 {
    if count > 0.0 { total / count } else { 0.0 }
}

/// iostat -x's fields of one device over `seconds`, from counter deltas.
fn disk_fields(deltas: &[f64], seconds: f64) -> BTreeMap<String, f64> {
    let delta = |index: usize| deltas.get(index).copied();
    let milliseconds = seconds * 1000.0;
    let mut values = BTreeMap::new();
    for (prefix, first) in [("r", READS), ("w", WRITES), ("d", DISCARDS)] {
        let (Some(ios), Some(merged), Some(sectors), Some(ticks)) = (
            delta(first),
            delta(first + 1),
            delta(first + 2),
            delta(first + 3),
        ) else {
            continue;
        };
        let kib = sectors / 2.0;
        values.insert(format!("{prefix}_s"), ios / seconds);
        values.insert(format!("{prefix}rqm_s"), merged / seconds);
        values.insert(format!("{prefix}kb_s"), kib / seconds);
        values.insert(format!("{prefix}rqm"), percent(merged, merged + ios));
        values.insert(format!("{prefix}_await"), mean(ticks, ios));
        values.insert(format!("{prefix}areq_sz"), mean(kib, ios));
    }
    if let (Some(flushes), Some(ticks)) = (delta(FLUSHES), delta(FLUSHES + 1)) {
        values.insert("f_s".into(), flushes / seconds);
        values.insert("f_await".into(), mean(ticks, flushes));
    }
    if let Some(queued) = delta(TIME_IN_QUEUE) {
        values.insert("aqu_sz".into(), queued / milliseconds);
    }
    if let Some(busy) = delta(IO_TICKS) {
        // iostat caps it too: io_ticks and the clock are not read at the same instant.
        values.insert("util".into(), percent(busy, milliseconds).min(100.0));
    }
    values
}

pub(super) fn diskstats(snapshots: &[Snapshot], out: &mut Output) {
    let mut last: BTreeMap<String, Reading<Vec<u64>>> = BTreeMap::new();
    for snapshot in snapshots {
        let mut disks = Vec::new();
        for line in &snapshot.lines {
            match disk_line(line.text) {
                Some(disk) => disks.push((*line, disk)),
                None => out.warn(
                    line.number,
                    "expected `major minor device` and 11, 15 or 17 numbers",
                ),
            }
        }
        let listed: BTreeSet<&str> = disks.iter().map(|(_, disk)| disk.name.as_str()).collect();
        for (line, disk) in &disks {
            let pseudo = disk.name.starts_with("loop") || disk.name.starts_with("ram");
            let never_used = [READS, WRITES, DISCARDS, FLUSHES]
                .iter()
                .all(|&column| disk.counters.get(column).copied().unwrap_or(0) == 0);
            if pseudo || never_used || is_partition(&disk.name, &listed) {
                continue;
            }
            if let Some(previous) = last.get(&disk.name)
                && let Some(deltas) =
                    out.deltas(&DISK_COUNTERS, &previous.value, &disk.counters, line.number)
            {
                let seconds = out.seconds_between(previous.time_us, snapshot.time_us);
                let row_labels = labels(&[("device", &disk.name)]);
                let values = disk_fields(&deltas, seconds);
                out.push(
                    "diskstats",
                    snapshot.time_us,
                    line.number,
                    row_labels,
                    values,
                );
            } else {
                let row_labels = labels(&[("device", &disk.name)]);
                out.push_mark("diskstats", snapshot.time_us, line.number, row_labels);
            }
            let reading = Reading {
                time_us: snapshot.time_us,
                value: disk.counters.clone(),
            };
            last.insert(disk.name.clone(), reading);
        }
    }
}

pub(super) fn unit(field: &str) -> Option<Unit> {
    iostat::device_unit(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::procfs::parse;
    use crate::parse::procfs::testing::{only, series, warning_lines};

    #[test]
    fn diskstats_before_4_18_and_before_5_5_have_what_they_have() {
        let fourteen = series(
            "/proc/diskstats",
            &[
                ("10:00:00", "   8 0 sda 100 0 800 50 10 0 80 20 0 40 70"),
                (
                    "10:00:02",
                    "   8 0 sda 300 0 2800 150 30 10 480 60 1 1040 170",
                ),
            ],
        );
        let parsed = parse("diskstats.txt", &fourteen);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let fields = &only(&parsed, "diskstats")[0].fields;
        assert_eq!(fields["r_s"], 100.0);
        assert_eq!(fields["rkb_s"], 500.0);
        assert_eq!(fields["r_await"], 0.5);
        assert_eq!(fields["w_await"], 2.0);
        assert!((fields["wrqm"] - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(fields["util"], 50.0);
        assert_eq!(fields["aqu_sz"], 0.05);
        assert!(!fields.contains_key("d_s") && !fields.contains_key("f_s"));

        let eighteen = series(
            "/proc/diskstats",
            &[
                ("10:00:00", "8 0 sda 1 0 8 1 1 0 8 1 0 1 2 4 0 16 2"),
                ("10:00:01", "8 0 sda 1 0 8 1 1 0 8 1 0 1 2 8 0 32 6"),
            ],
        );
        let parsed = parse("diskstats.txt", &eighteen);
        let fields = &only(&parsed, "diskstats")[0].fields;
        assert_eq!(
            (fields["d_s"], fields["dkb_s"], fields["d_await"]),
            (4.0, 8.0, 1.0)
        );
        assert!(!fields.contains_key("f_s"));
    }

    #[test]
    fn partitions_loop_ram_and_unused_devices_are_left_out() {
        let listed: BTreeSet<&str> = [
            "sda",
            "sda1",
            "nvme0n1",
            "nvme0n1p2",
            "mmcblk0",
            "mmcblk0p1",
        ]
        .into_iter()
        .collect();
        assert!(is_partition("sda1", &listed));
        assert!(is_partition("nvme0n1p2", &listed));
        assert!(is_partition("mmcblk0p1", &listed));
        for whole in ["sda", "nvme0n1", "mmcblk0", "dm-0", "md127", "sdb2"] {
            assert!(!is_partition(whole, &listed), "{whole}");
        }

        let disks = "8 0 sda 1 0 0 0 0 0 0 0 0 0 0\n8 1 sda1 1 0 0 0 0 0 0 0 0 0 0\n\
                     7 0 loop0 1 0 0 0 0 0 0 0 0 0 0\n1 0 ram0 1 0 0 0 0 0 0 0 0 0 0\n\
                     252 0 zram0 0 0 0 0 0 0 0 0 0 0 0\n253 0 dm-0 1 0 0 0 0 0 0 0 0 0 0";
        let text = series(
            "/proc/diskstats",
            &[("10:00:00", disks), ("10:00:01", disks)],
        );
        let parsed = parse("d.txt", &text);
        let devices: Vec<&str> = only(&parsed, "diskstats")
            .iter()
            .map(|r| r.labels["device"].as_str())
            .collect();
        assert_eq!(devices, ["sda", "dm-0"]);
    }

    #[test]
    fn a_cut_or_garbled_line_is_warned_about_not_read_as_a_shorter_kernels() {
        let whole = "8 0 sda 1 0 8 1 1 0 8 1 0 1 2 4 0 16 2 5 6";
        let text = series(
            "/proc/diskstats",
            &[
                ("10:00:00", whole),
                ("10:00:01", "8 0 sda 1 0 8 1 1 0 8 1 0 1 2 4 0 16 2 5"),
                ("10:00:02", "8 0 sda 1 0 8 1 1 0 8 1 0 1 2 4 0 16 2 5 x"),
                ("10:00:03", "-8 0 sda 1 0 8 1 1 0 8 1 0 1 2 4 0 16 2 5 6"),
                ("10:00:04", whole),
            ],
        );
        let parsed = parse("d.txt", &text);
        assert_eq!(warning_lines(&parsed), [4, 6, 8]);
        assert_eq!(only(&parsed, "diskstats").len(), 1);
    }
}

//! `/proc/loadavg` → `loadavg`: load1 load5 load15 running total.
//!
//! Read here, not by procfs-core's `LoadAverage`: it reads the loads as `f32` (0.12 would
//! become 0.11999999731779099) and takes a line with cells past the fifth.

use super::snapshot::Snapshot;
use super::{Output, fields};
use crate::parse::Table;
use crate::record::{Feed, Labels, Rank, metric::Convert};

pub(super) fn table() -> Table {
    Table::known("loadavg", &["load1", "load5", "load15", "running", "total"])
}

/// The load averages' own source; its running count, which counts the reader, stands in for
/// vmstat's after /proc/stat's.
pub(super) fn feeds() -> Vec<Feed> {
    let loadavg =
        |rank, source: &str, metric: &str| Feed::new(rank, "/proc/loadavg", source, metric);
    vec![
        loadavg(Rank::Primary, "loadavg.load1", "load.avg1"),
        loadavg(Rank::Primary, "loadavg.load5", "load.avg5"),
        loadavg(Rank::Primary, "loadavg.load15", "load.avg15"),
        loadavg(Rank::StandIn, "loadavg.running", "procs.runnable").convert(Convert::LessObserver),
    ]
}

/// `load1 load5 load15 running/total last_pid`.
pub(super) fn loadavg_line(line: &str) -> Option<[f64; 5]> {
    let parts: Vec<&str> = line.split_whitespace().collect();
    let [load1, load5, load15, tasks, last_pid] = parts.as_slice() else {
        return None;
    };
    last_pid.parse::<u64>().ok()?;
    let (running, total) = tasks.split_once('/')?;
    Some([
        load1.parse().ok()?,
        load5.parse().ok()?,
        load15.parse().ok()?,
        running.parse::<u64>().ok()? as f64,
        total.parse::<u64>().ok()? as f64,
    ])
}

pub(super) fn loadavg(snapshots: &[Snapshot], out: &mut Output) {
    for snapshot in snapshots {
        for line in &snapshot.lines {
            let Some([load1, load5, load15, running, total]) = loadavg_line(line.text) else {
                out.warn(
                    line.number,
                    "expected `load1 load5 load15 running/total pid`",
                );
                continue;
            };
            let values = fields([
                ("load1", load1),
                ("load5", load5),
                ("load15", load15),
                ("running", running),
                ("total", total),
            ]);
            out.push(
                "loadavg",
                snapshot.time_us,
                line.number,
                Labels::new(),
                values,
            );
        }
    }
}

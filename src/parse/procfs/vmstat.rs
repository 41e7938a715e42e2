//! `/proc/vmstat` → `proc_vmstat`: per-second rates `<counter>_s` of the counters in
//! [`VMSTAT_RATES`], and `oom_kill_delta`, OOM kills since the first snapshot.
//!
//! Read here, not by procfs-core's `VmStat`, which fails the whole copy on one line it cannot
//! read.

use std::collections::BTreeMap;

use super::Output;
use super::rate::Reading;
use super::snapshot::Snapshot;
use crate::parse::Table;
use crate::record::{Feed, Labels, Rank, metric::Convert};

/// Kernel page size assumed when turning swapped pages into vmstat's KiB (x86-64 and most
/// arm64 kernels; a 16 or 64 KiB kernel would under-report them).
const PAGE_KIB: f64 = 4.0;

pub(super) fn table() -> Table {
    let mut fields: Vec<String> = VMSTAT_RATES
        .iter()
        .map(|name| format!("{name}_s"))
        .collect();
    fields.push("oom_kill_delta".into());
    Table::known("proc_vmstat", &fields)
}

/// /proc/vmstat is the source of the paging counters; for swapping it stands in for vmstat.
pub(super) fn feeds() -> Vec<Feed> {
    let vmstat = |rank, source: &str, metric: &str| Feed::new(rank, "/proc/vmstat", source, metric);
    vec![
        vmstat(Rank::StandIn, "proc_vmstat.pswpin_s", "memory.swap_in_kb_s")
            .convert(Convert::Scale(PAGE_KIB)),
        vmstat(
            Rank::StandIn,
            "proc_vmstat.pswpout_s",
            "memory.swap_out_kb_s",
        )
        .convert(Convert::Scale(PAGE_KIB)),
        vmstat(
            Rank::Primary,
            "proc_vmstat.pgfault_s",
            "memory.page_faults_s",
        ),
        vmstat(
            Rank::Primary,
            "proc_vmstat.pgmajfault_s",
            "memory.major_faults_s",
        ),
        vmstat(
            Rank::Primary,
            "proc_vmstat.pgscan_direct_s",
            "memory.direct_scan_s",
        ),
        vmstat(
            Rank::Primary,
            "proc_vmstat.allocstall_s",
            "memory.direct_reclaim_s",
        ),
        vmstat(
            Rank::Primary,
            "proc_vmstat.oom_kill_delta",
            "memory.oom_kills",
        ),
    ]
}

/// The /proc/vmstat counters reported as per-second rates, `<name>_s`.
pub(crate) const VMSTAT_RATES: [&str; 14] = [
    "pgpgin",
    "pgpgout",
    "pswpin",
    "pswpout",
    "pgfault",
    "pgmajfault",
    "pgscan_kswapd",
    "pgscan_direct",
    "pgsteal_kswapd",
    "pgsteal_direct",
    "allocstall",
    "compact_stall",
    "oom_kill",
    "thp_fault_fallback",
];

/// Counters that kernels since 4.8 split per memory zone (`allocstall_normal`, ...): summed.
const ZONED_VMSTAT: [&str; 1] = ["allocstall"];

pub(super) fn vmstat_line(line: &str) -> Option<(&str, u64)> {
    let (name, value) = line.trim().split_once(' ')?;
    let valid_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    valid_name.then_some(())?;
    Some((name, value.trim().parse().ok()?))
}

/// Each counter of [`VMSTAT_RATES`] present, with the line it was read from.
fn vmstat_counters(snapshot: &Snapshot, out: &mut Output) -> BTreeMap<&'static str, (u64, usize)> {
    let mut raw: BTreeMap<&str, (u64, usize)> = BTreeMap::new();
    for line in &snapshot.lines {
        match vmstat_line(line.text) {
            Some((name, value)) => {
                raw.insert(name, (value, line.number));
            }
            None => out.warn(line.number, "expected `name value`"),
        }
    }
    let mut counters = BTreeMap::new();
    for name in VMSTAT_RATES {
        if let Some(&reading) = raw.get(name) {
            counters.insert(name, reading);
        } else if ZONED_VMSTAT.contains(&name) {
            let prefix = format!("{name}_");
            let zones: Vec<(u64, usize)> = raw
                .iter()
                .filter(|(key, _)| key.starts_with(&prefix))
                .map(|(_, &reading)| reading)
                .collect();
            if let Some(&(_, line)) = zones.first() {
                let sum = zones.iter().fold(0u64, |sum, (v, _)| sum.wrapping_add(*v));
                counters.insert(name, (sum, line));
            }
        }
    }
    counters
}

pub(super) fn vmstat(snapshots: &[Snapshot], out: &mut Output) {
    let mut first_oom_kill: Option<u64> = None;
    let mut last: BTreeMap<&str, Reading<u64>> = BTreeMap::new();
    for snapshot in snapshots {
        let counters = vmstat_counters(snapshot, out);
        let mut values = BTreeMap::new();
        let mut reset = false;
        for (&name, &(now, line)) in &counters {
            let Some(previous) = last.get(name) else {
                continue;
            };
            match out.deltas(&[name], &[previous.value], &[now], line) {
                Some(deltas) => {
                    let seconds = out.seconds_between(previous.time_us, snapshot.time_us);
                    let delta = deltas.first().copied().unwrap_or(0.0);
                    values.insert(format!("{name}_s"), delta / seconds);
                }
                None => reset = true,
            }
        }
        if let Some(&(now, _)) = counters.get("oom_kill") {
            match first_oom_kill {
                Some(first) if now >= first => {
                    values.insert("oom_kill_delta".into(), (now - first) as f64);
                }
                Some(_) => {}
                None => {
                    first_oom_kill = Some(now);
                    if out.baseline_rows {
                        values.insert("oom_kill_delta".into(), 0.0);
                    }
                }
            }
        }
        for (&name, &(value, _)) in &counters {
            let time_us = snapshot.time_us;
            last.insert(name, Reading { time_us, value });
        }
        if !reset {
            let line = snapshot.first_line();
            out.push("proc_vmstat", snapshot.time_us, line, Labels::new(), values);
        }
    }
}
#[cfg(test)]
mod tests {
    use crate::parse::procfs::parse;
    use crate::parse::procfs::testing::{only, series};

    #[test]
    fn allocstall_sums_the_zones_and_oom_kills_count_from_the_first_snapshot() {
        let first = "allocstall_dma32 1\nallocstall_normal 2\noom_kill 5";
        let second = "allocstall_dma32 3\nallocstall_normal 4\noom_kill 7";
        let text = series("/proc/vmstat", &[("10:00:00", first), ("10:00:02", second)]);
        let parsed = parse("vmstat.txt", &text);
        let fields = &only(&parsed, "proc_vmstat")[0].fields;
        assert_eq!(fields["allocstall_s"], 2.0);
        assert_eq!((fields["oom_kill_s"], fields["oom_kill_delta"]), (1.0, 2.0));
    }
}

//! `/proc/meminfo` → `meminfo`: every line in KiB under lower-case names (`Active(anon)` →
//! `active_anon`; the `HugePages_*` counts are counts), and `memory`: used_pct (from
//! MemAvailable) and swap_used_pct (0 when there is no swap).
//!
//! Read here, not by procfs-core's `Meminfo`: it fails a whole copy on one bad line or on a
//! copy cut before its last required line (`VmallocChunk`), and keeps only the lines it
//! names, where every line is kept here.

use std::collections::BTreeMap;

use nom::bytes::complete::{tag, take_until};
use nom::character::complete::{space0, space1, u64 as decimal};
use nom::combinator::{eof, opt};
use nom::sequence::preceded;
use nom::{IResult, Parser as _};

use super::Output;
use super::rate::percent;
use super::snapshot::Snapshot;
use crate::parse::Table;
use crate::record::{Feed, Labels, Rank, Unit, canonical_field};

/// `Name:   value [kB]`.
pub(super) fn meminfo_line(line: &str) -> IResult<&str, (&str, u64)> {
    (
        take_until(":"),
        tag(":"),
        space1,
        decimal,
        opt(preceded(space1, tag("kB"))),
        space0,
        eof,
    )
        .map(|(name, _, _, value, _, _, _)| (name, value))
        .parse(line)
}

/// `meminfo` holds every key the kernel prints, which differ between kernels; `memory` the
/// two shares made of them.
pub(super) fn tables() -> Vec<Table> {
    vec![
        Table::open("meminfo"),
        Table::known("memory", &["used_pct", "swap_used_pct"]),
    ]
}

/// MemAvailable is the fact's own source; `memory.used_pct` and `swap_used_pct` keep their
/// names as metrics.
pub(super) fn feeds() -> Vec<Feed> {
    let meminfo =
        |source: &str, metric: &str| Feed::new(Rank::Primary, "/proc/meminfo", source, metric);
    vec![
        meminfo("memory.used_pct", "memory.used_pct"),
        meminfo("memory.swap_used_pct", "memory.swap_used_pct"),
        meminfo("meminfo.memavailable", "memory.available"),
    ]
}

/// `Active(anon)` → `active_anon`, `HugePages_Total` → `hugepages_total`.
fn meminfo_name(raw: &str) -> String {
    canonical_field(&raw.replace('(', "_").replace(')', ""))
}

pub(super) fn meminfo(snapshots: &[Snapshot], out: &mut Output) {
    let mut warned_no_available = false;
    for snapshot in snapshots {
        let mut values = BTreeMap::new();
        for line in &snapshot.lines {
            match meminfo_line(line.text) {
                Ok((_, (name, value))) => {
                    values.insert(meminfo_name(name), value as f64);
                }
                Err(_) => out.warn(line.number, "expected `Name: value kB`"),
            }
        }
        let get = |name: &str| values.get(name).copied();
        if out.parsed.host.mem_total_kib.is_none() {
            out.parsed.host.mem_total_kib = get("memtotal").map(|kib| kib as u64);
        }
        let mut derived = BTreeMap::new();
        match (get("memtotal"), get("memavailable")) {
            (Some(total), Some(available)) if total > 0.0 => {
                derived.insert("used_pct".into(), 100.0 - percent(available, total));
            }
            (Some(_), None) if !warned_no_available => {
                out.warn(
                    snapshot.first_line(),
                    "no MemAvailable line (a kernel before 3.14, or a cut snapshot): \
                     memory.used_pct not computed",
                );
                warned_no_available = true;
            }
            _ => {}
        }
        if let (Some(swap_total), Some(swap_free)) = (get("swaptotal"), get("swapfree")) {
            derived.insert(
                "swap_used_pct".into(),
                percent(swap_total - swap_free, swap_total),
            );
        }
        let line = snapshot.first_line();
        out.push("meminfo", snapshot.time_us, line, Labels::new(), values);
        out.push("memory", snapshot.time_us, line, Labels::new(), derived);
    }
}

/// `meminfo`'s unit: KiB, but for the huge page counts.
pub(super) fn unit(field: &str) -> Option<Unit> {
    if field.starts_with("hugepages_") {
        Some(Unit::Count)
    } else {
        Some(Unit::KiB)
    }
}

/// `memory`'s unit: its two fields are percents.
pub(super) fn memory_unit(field: &str) -> Option<Unit> {
    matches!(field, "used_pct" | "swap_used_pct").then_some(Unit::Percent)
}

#[cfg(test)]
mod tests {
    use crate::parse::procfs::parse;
    use crate::parse::procfs::testing::only;

    #[test]
    fn meminfo_names_are_canonical_and_hugepages_are_counts() {
        let parsed = parse(
            "meminfo.txt",
            "MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 250 kB\nActive(anon): 7 kB\n\
             SwapTotal: 0 kB\nSwapFree: 0 kB\nHugePages_Total: 0\n",
        );
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let meminfo = &only(&parsed, "meminfo")[0].fields;
        assert_eq!(meminfo["active_anon"], 7.0);
        assert!(meminfo.contains_key("hugepages_total"));
        let memory = &only(&parsed, "memory")[0].fields;
        assert_eq!((memory["used_pct"], memory["swap_used_pct"]), (75.0, 0.0));
        assert_eq!(parsed.host.mem_total_kib, Some(1000));
    }
}

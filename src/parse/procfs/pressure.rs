//! `/proc/pressure/<resource>` → `pressure` {resource, kind}: avg10 avg60 avg300, and
//! `stall`, the percent of the interval some (or all) tasks stalled, from the `total` counter
//! (exact even for short runs). Every field is a percent.
//!
//! Read here, not by procfs-core's `parse_pressure_record`: it reads the averages as `f32`,
//! so 1.23 would become 1.2300000190734863.

use std::collections::BTreeMap;

use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::{space0, u64 as decimal};
use nom::combinator::eof;
use nom::number::complete::double;
use nom::sequence::preceded;
use nom::{IResult, Parser as _};

use super::rate::{Reading, percent};
use super::snapshot::Snapshot;
use super::{Output, fields, labels};
use crate::parse::Table;
use crate::record::{Feed, Rank, Unit};

/// PSI resources the kernel has files for.
pub(super) const PSI_RESOURCES: [&str; 4] = ["cpu", "memory", "io", "irq"];

pub(super) struct PsiLine<'a> {
    kind: &'a str,
    avg10: f64,
    avg60: f64,
    avg300: f64,
    /// Microseconds stalled since boot.
    total: u64,
}

pub(super) fn psi_line(line: &str) -> IResult<&str, PsiLine<'_>> {
    (
        alt((tag("some"), tag("full"))),
        preceded(tag(" avg10="), double),
        preceded(tag(" avg60="), double),
        preceded(tag(" avg300="), double),
        preceded(tag(" total="), decimal),
        space0,
        eof,
    )
        .map(|(kind, avg10, avg60, avg300, total, _, _)| PsiLine {
            kind,
            avg10,
            avg60,
            avg300,
            total,
        })
        .parse(line)
}

pub(super) fn pressure(resource: &str, snapshots: &[Snapshot], out: &mut Output) {
    let mut last_total: BTreeMap<String, Reading<u64>> = BTreeMap::new();
    for snapshot in snapshots {
        for line in &snapshot.lines {
            let Ok((_, psi)) = psi_line(line.text) else {
                out.warn(
                    line.number,
                    "expected `some|full avg10=N avg60=N avg300=N total=N`",
                );
                continue;
            };
            let mut values = fields([
                ("avg10", psi.avg10),
                ("avg60", psi.avg60),
                ("avg300", psi.avg300),
            ]);
            if let Some(previous) = last_total.get(psi.kind) {
                let interval_us = out.micros_between(previous.time_us, snapshot.time_us);
                if let Some(deltas) =
                    out.deltas(&["total"], &[previous.value], &[psi.total], line.number)
                    && interval_us.is_finite()
                {
                    let stalled_us = deltas.first().copied().unwrap_or(0.0);
                    values.insert("stall".into(), percent(stalled_us, interval_us));
                }
            }
            last_total.insert(
                psi.kind.to_string(),
                Reading {
                    time_us: snapshot.time_us,
                    value: psi.total,
                },
            );
            let row_labels = labels(&[("resource", resource), ("kind", psi.kind)]);
            out.push(
                "pressure",
                snapshot.time_us,
                line.number,
                row_labels,
                values,
            );
        }
    }
}

pub(super) fn table() -> Table {
    Table::known("pressure", &["avg10", "avg60", "avg300", "stall"])
}

/// /proc/pressure is the fact's own source: the metric keeps the table's name.
pub(super) fn feeds() -> Vec<Feed> {
    vec![Feed::new(
        Rank::Primary,
        "/proc/pressure",
        "pressure.stall",
        "pressure.stall",
    )]
}

pub(super) fn unit(_field: &str) -> Option<Unit> {
    Some(Unit::Percent)
}

#[cfg(test)]
mod tests {
    use crate::parse::procfs::parse;
    use crate::parse::procfs::testing::warning_lines;

    #[test]
    fn plain_pressure_takes_its_resource_from_the_file_name() {
        let psi = "some avg10=1.00 avg60=2.00 avg300=3.00 total=4\n";
        let parsed = parse("proc/pressure_io.txt", psi);
        assert_eq!(parsed.records[0].labels["resource"], "io");
        let parsed = parse("psi.txt", psi);
        assert_eq!(parsed.records[0].labels["resource"], "unknown");
        assert_eq!(warning_lines(&parsed), [1]);
    }
}

//! Parser for procps `vmstat 1 N`, with or without `-w` (wide), `-t` (timestamp), `-a`
//! (inact/active) and `-S` (memory unit). Table `vmstat`, no labels, fields named after the
//! header: `r b swpd free buff cache si so bi bo in cs us sy id wa st` (`gu` where printed).
//!
//! The first data row is dropped: vmstat computes it from the counters since boot, so it is
//! an average over the machine's whole uptime, not a sample of the interval being studied.
//!
//! Time: with `-t`, from the row's date and time (a naive wall clock, as for sysstat).
//! Without it vmstat prints no clock, so the n-th kept sample (from 0) is at n seconds:
//! seconds since the first sample at the 1 s interval perf_manual uses, as iostat without
//! `-t` counts its reports.
//!
//! Memory columns are always stored in KiB. vmstat's text does not say which `-S` unit it
//! was run with, so a caller that passed `-S` says so with [`parse_with_unit`].

use super::sniff::Sign;
use super::sysstat::{Stamp, parse_date, parse_stamp, split_cells, value_of, warning};
use super::{Format, Parser, Table};
use crate::record::{
    Feed, Fields, Labels, Name, Parsed, Rank, Record, SourceRef, Unit, canonical_field,
    cpu_busy_pct, metric::Convert,
};

/// vmstat, told by its banner: `procs -----memory-----` (`--procs--` with `-w`).
pub struct Vmstat;

impl Parser for Vmstat {
    fn format(&self) -> Format {
        Format::Vmstat
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        let is_banner =
            line.trim_start_matches('-').starts_with("procs") && line.contains("memory");
        is_banner.then_some(Sign::Banner)
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }

    fn unit(&self, table: &str, field: &str) -> Option<Unit> {
        if table != "vmstat" {
            return None;
        }
        match field {
            "us" | "sy" | "id" | "wa" | "st" | "gu" => Some(Unit::Percent),
            "si" | "so" | "bi" | "bo" | "in" | "cs" => Some(Unit::PerSecond),
            _ => MEMORY_FIELDS.contains(&field).then_some(Unit::KiB),
        }
    }

    fn tables(&self) -> Vec<Table> {
        vec![Table::known(
            "vmstat",
            &[
                "r", "b", "swpd", "free", "buff", "cache", "inact", "active", "si", "so", "bi",
                "bo", "in", "cs", "us", "sy", "id", "wa", "st", "gu",
            ],
        )]
    }

    /// vmstat is the tool made for the run queue, context switches and swapping; its CPU
    /// columns cover the whole machine only, so per-CPU tools come first for those. `r`
    /// counts vmstat itself, running as it reads; `si`/`so` are KiB/s.
    fn feeds(&self) -> Vec<Feed> {
        let vmstat = |rank, source: &str, metric: &str| Feed::new(rank, "vmstat", source, metric);
        let all_cpus = |source: &str, metric: &str| {
            vmstat(Rank::Secondary, source, metric).set(&[("cpu", "all")])
        };
        vec![
            all_cpus("vmstat.id,wa", "cpu.busy").convert(Convert::Derive(|fields| {
                Some(cpu_busy_pct(*fields.get("id")?, *fields.get("wa")?))
            })),
            all_cpus("vmstat.wa", "cpu.iowait"),
            all_cpus("vmstat.st", "cpu.steal"),
            vmstat(Rank::Primary, "vmstat.r", "procs.runnable").convert(Convert::LessObserver),
            vmstat(Rank::Primary, "vmstat.b", "procs.blocked"),
            vmstat(Rank::Primary, "vmstat.cs", "cpu.context_switches_s"),
            vmstat(Rank::Primary, "vmstat.in", "cpu.interrupts_s"),
            vmstat(Rank::Primary, "vmstat.si", "memory.swap_in_kb_s"),
            vmstat(Rank::Primary, "vmstat.so", "memory.swap_out_kb_s"),
        ]
    }
}

/// vmstat's `-S` unit for its memory columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemoryUnit {
    /// `-S k`: 1000 bytes.
    Kilobyte,
    /// `-S K`, and vmstat's default: 1024 bytes.
    #[default]
    KiB,
    /// `-S m`: 1 000 000 bytes.
    Megabyte,
    /// `-S M`: 1 048 576 bytes.
    MiB,
}

impl MemoryUnit {
    fn kib(self) -> f64 {
        match self {
            MemoryUnit::Kilobyte => 1000.0 / 1024.0,
            MemoryUnit::KiB => 1.0,
            MemoryUnit::Megabyte => 1_000_000.0 / 1024.0,
            MemoryUnit::MiB => 1024.0,
        }
    }
}

/// The columns vmstat prints in its memory unit.
const MEMORY_FIELDS: &[&str] = &["swpd", "free", "buff", "cache", "inact", "active"];

/// Parse vmstat printed in its default unit (KiB).
pub fn parse(file: &str, text: &str) -> Parsed {
    parse_with_unit(file, text, MemoryUnit::KiB)
}

/// Parse vmstat run with `-S <unit>`.
pub fn parse_with_unit(file: &str, text: &str, unit: MemoryUnit) -> Parsed {
    let mut parsed = Parsed::default();
    let table = Name::from("vmstat");
    let file_name = Name::from(file);
    let mut header: Option<Header> = None;
    let mut since_boot_dropped = false;
    let mut samples = 0u32;
    let mut cells: Vec<&str> = Vec::with_capacity(24);
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        split_cells(line, &mut cells);
        let Some(&first) = cells.first() else {
            continue;
        };
        if first.contains("procs") {
            continue;
        }
        if first == "r" && cells.get(1) == Some(&"b") {
            header = Some(Header::new(&cells, unit));
            continue;
        }
        let Some(columns) = &header else {
            parsed.warnings.push(warning(
                file,
                number,
                "data row before the `r  b` header row",
            ));
            continue;
        };
        if !since_boot_dropped {
            // Dropped by position, so a garbled since-boot row cannot promote the next one.
            since_boot_dropped = true;
            continue;
        }
        let (fields, stamp) = match columns.read_row(&cells) {
            Ok(row) => row,
            Err(message) => {
                parsed.warnings.push(warning(file, number, message));
                continue;
            }
        };
        parsed.records.push(Record {
            table: table.clone(),
            time: stamp.unwrap_or(f64::from(samples)),
            labels: Labels::new(),
            fields,
            source: SourceRef {
                file: file_name.clone(),
                line: number,
            },
        });
        samples += 1;
    }
    parsed
}

/// The columns of a `r  b ...` header row.
struct Header {
    /// Field name and the factor to KiB (1 for all but memory columns), in column order.
    columns: Vec<(Name, f64)>,
    /// Column indices in the order of their names, each name once (the last column of
    /// that name): a row's fields are made sorted, with no sort per row.
    by_name: Vec<usize>,
}

impl Header {
    fn new(cells: &[&str], unit: MemoryUnit) -> Self {
        let columns: Vec<(Name, f64)> = cells
            .iter()
            .map(|name| {
                let scale = if MEMORY_FIELDS.contains(name) {
                    unit.kib()
                } else {
                    1.0
                };
                (canonical_field(name).into(), scale)
            })
            .collect();
        let mut by_name: Vec<usize> = (0..columns.len()).collect();
        by_name.sort_by(|&a, &b| columns[a].0.cmp(&columns[b].0).then(b.cmp(&a)));
        by_name.dedup_by(|later, earlier| columns[*later].0 == columns[*earlier].0);
        Header { columns, by_name }
    }

    /// The fields of a data row and, with `-t`, its naive epoch time. With `-t` the header
    /// ends in the zone name (`UTC`) over a row that ends in a date and a time: one cell more.
    fn read_row(&self, cells: &[&str]) -> Result<(Fields, Option<f64>), String> {
        let columns = &self.columns;
        let (measured, stamp) = if cells.len() == columns.len() {
            (columns.len(), None)
        } else if cells.len() == columns.len() + 1
            && let [.., date, time] = cells
            && let Some(day) = parse_date(date)
            && let Some((Stamp::OfDay(seconds), 1)) = parse_stamp(&[time])
        {
            (
                columns.len() - 1,
                Some((day * 86_400 + i64::from(seconds)) as f64),
            )
        } else {
            return Err(format!(
                "expected {} columns (or a date and time in place of the last), found {}",
                columns.len(),
                cells.len()
            ));
        };
        let mut fields = Vec::with_capacity(measured);
        for &index in self.by_name.iter().filter(|&&index| index < measured) {
            let Some((name, scale)) = columns.get(index) else {
                continue;
            };
            fields.push((name.clone(), value_of(name, cells, index)? * scale));
        }
        Ok((Fields::from_sorted(fields), stamp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &str = "procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----\n \
        r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st\n \
        9  0      0  17995     15   5891    0    0  2612  7715  297  367 29 11 57  3  1\n \
        6  1      0  17995     15   5891    0    0     0 401412  750  822 67 17  0 16  1\n";

    #[test]
    fn memory_columns_are_converted_to_kib() {
        let parsed = parse_with_unit("v", PLAIN, MemoryUnit::MiB);
        assert_eq!(parsed.records.len(), 1, "the since-boot row is dropped");
        let fields = &parsed.records[0].fields;
        assert_eq!(fields["free"], 17995.0 * 1024.0);
        assert_eq!(fields["bo"], 401412.0);
        assert_eq!(parsed.records[0].time, 0.0);
    }

    #[test]
    fn fields_come_in_name_order_and_a_repeated_column_keeps_its_last_value() {
        let text = " r  b id us id
 1 0 50 2 60
 3 1 40 5 30
";
        let parsed = parse("v", text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let fields: Vec<(&str, f64)> = parsed.records[0]
            .fields
            .iter()
            .map(|(name, value)| (name.as_str(), *value))
            .collect();
        assert_eq!(fields, [("b", 1.0), ("id", 30.0), ("r", 3.0), ("us", 5.0)]);
        let bad = parse(
            "v",
            " r  b
 1 0
 1 x
",
        );
        assert_eq!(bad.warnings.len(), 1);
        assert!(
            bad.warnings[0].message.contains("column b"),
            "{:?}",
            bad.warnings
        );
    }
}

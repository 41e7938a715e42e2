//! Parser for `sadf -d` and `sadf -p`: a sar data file's activities, as sar's text makes them.
//!
//! `sadf -d FILE -- -A` prints each activity as a `# hostname;interval;timestamp;CPU;%usr;...`
//! header over semicolon-separated rows; `sadf -p` (and plain `sadf`) prints one value a line,
//! `host<TAB>interval<TAB>timestamp<TAB>device<TAB>field<TAB>value`, activity after activity,
//! `-` for no device. The columns are sar's own (`%usr`, `rxpck/s`), so each activity is
//! matched to the same [`sar::REPORTS`] spec the text is, and makes the same `sar_*` table with
//! the same fields: every rule and canonical metric judges it as it judges `sar`.
//!
//! Where sadf differs from sar's text: `-d` writes the whole-machine CPU as `-1` and `-p` each
//! CPU as `cpu0` (sar: `all`, `0`); `-d` heads the interrupt columns `CPU*` (sar: `all CPU0
//! CPU1`) and `-p` names them `all`, `cpu0` as fields. `-p` has no header: one record's values
//! are the lines with the same time and device, up to a field seen before or the first column
//! of another report.
//!
//! Times are `2026-12-04 21:53:57 UTC` (UTC by default, local with `-T`, the zone named or
//! not) or epoch seconds (`-U`), read as a naive wall clock as every sysstat time is. sadf
//! prints no CPU count: it is taken from the CPU report when that lists each CPU (`-P ALL`,
//! which `-A` implies), as sar's banner would say it.

use std::collections::BTreeSet;

use super::sar::{self, REPORTS};
use super::sniff::Sign;
use super::sysstat::{Layout, TableSpec, parse_date_time, parse_number, warning};
use super::{Format, Parser};
use crate::record::{Name, Parsed, SourceRef};

/// `sadf -d` by its header lines, `sadf -p` by the shape of its lines.
pub struct Sadf;

impl Parser for Sadf {
    fn format(&self) -> Format {
        Format::Sadf
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        let is_sadf = line.starts_with("# hostname;interval;timestamp;")
            || (line.contains('\t') && value_line(line).is_some());
        is_sadf.then_some(Sign::Header)
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }
}

/// One line of `sadf -p`: timestamp, device, field and value.
struct ValueLine<'a> {
    host: &'a str,
    stamp: &'a str,
    device: &'a str,
    field: &'a str,
    value: &'a str,
}

/// A line of `sadf -p`, or `None` when `line` is not one (six tab-separated cells, the
/// interval a number, the time readable).
fn value_line(line: &str) -> Option<ValueLine<'_>> {
    let mut cells = line.split('\t');
    let (host, interval, stamp, device, field, value) = (
        cells.next()?,
        cells.next()?,
        cells.next()?,
        cells.next()?,
        cells.next()?,
        cells.next()?,
    );
    let shaped = cells.next().is_none()
        && interval.parse::<i64>().is_ok()
        && time_of(stamp).is_some()
        && !field.is_empty();
    shaped.then_some(ValueLine {
        host,
        stamp,
        device,
        field,
        value: value.trim_end(),
    })
}

/// The time sadf printed: `2026-12-04 21:53:57 UTC`, `2026-12-04 21:53:57`, or epoch seconds.
fn time_of(stamp: &str) -> Option<f64> {
    let stamp = stamp.trim();
    if !stamp.is_empty() && stamp.bytes().all(|b| b.is_ascii_digit()) {
        return stamp.parse().ok();
    }
    parse_date_time(stamp).or_else(|| {
        let (date_time, zone) = stamp.rsplit_once(' ')?;
        zone.bytes()
            .all(|b| b.is_ascii_alphabetic())
            .then(|| parse_date_time(date_time))?
    })
}

/// The header cell sadf -d writes for sar's per-CPU interrupt columns.
const CPU_COLUMNS: &str = "CPU*";

/// Reports' headers compiled once, and the reports no spec describes, warned about once.
struct Reader<'a> {
    file: &'a str,
    file_name: Name,
    parsed: Parsed,
    layouts: Vec<(Vec<String>, Option<Layout>)>,
    /// The reports warned about, by their columns.
    unknown: BTreeSet<String>,
}

impl Reader<'_> {
    /// The layout of `header`, compiled when first seen; `None` for a report no spec
    /// describes, warned about at `line` the first time.
    fn layout(&mut self, header: &[String], line: usize) -> Option<&Layout> {
        let index = match self.layouts.iter().position(|(seen, _)| seen == header) {
            Some(index) => index,
            None => {
                let cells: Vec<&str> = header.iter().map(String::as_str).collect();
                let layout = spec_of(&cells).map(|spec| Layout::new(spec, &cells));
                if layout.is_none() {
                    self.not_understood(&cells, line);
                }
                self.layouts.push((header.to_vec(), layout));
                self.layouts.len() - 1
            }
        };
        self.layouts.get(index)?.1.as_ref()
    }

    /// Warn, once per report, that its rows are skipped.
    fn not_understood(&mut self, columns: &[&str], line: usize) {
        let columns = columns.join(" ");
        if self.unknown.insert(columns.clone()) {
            self.parsed.warnings.push(warning(
                self.file,
                line,
                format!("report with columns {columns:?} is not understood; its rows are skipped"),
            ));
        }
    }

    /// The records of one row: `cells` are its values under `header`, `line` its text.
    fn row(&mut self, header: &[String], cells: &[&str], time: f64, text: &str, line: usize) {
        let source = SourceRef {
            file: self.file_name.clone(),
            line,
        };
        let mut records = std::mem::take(&mut self.parsed.records);
        if let Some(layout) = self.layout(header, line)
            && let Err(message) = layout.read_row(text, cells, time, source, &mut records)
        {
            self.parsed.warnings.push(warning(self.file, line, message));
        }
        self.parsed.records = records;
    }

    fn host(&mut self, host: &str) {
        if self.parsed.host.hostname.is_none() && !host.is_empty() {
            self.parsed.host.hostname = Some(host.to_string());
        }
    }
}

/// The sar report whose header `cells` are, naming no column it does not declare.
fn spec_of(cells: &[&str]) -> Option<&'static TableSpec> {
    REPORTS
        .iter()
        .find(|spec| spec.matches(cells) && spec.declares_all(cells))
}

pub fn parse(file: &str, text: &str) -> Parsed {
    let mut reader = Reader {
        file,
        file_name: Name::from(file),
        parsed: Parsed::default(),
        layouts: Vec::new(),
        unknown: BTreeSet::new(),
    };
    let mut header: Option<Vec<String>> = None;
    let mut group = Group::default();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        if let Some(columns) = line.strip_prefix("# ") {
            let cells: Vec<&str> = columns.split(';').collect();
            header = match cells.get(..3) {
                Some(["hostname", "interval", "timestamp"]) => Some(
                    cells
                        .get(3..)
                        .unwrap_or_default()
                        .iter()
                        .map(|c| c.to_string())
                        .collect(),
                ),
                // sadf's comments (`# COM ...`) and anything else after a `#`.
                _ => header,
            };
            continue;
        }
        if let Some(value) = value_line(line) {
            group.add(&mut reader, value, line, number);
            continue;
        }
        group.flush(&mut reader);
        let cells: Vec<&str> = line.split(';').collect();
        match (&header, cells.as_slice()) {
            (Some(header), [host, _, stamp, values @ ..]) if !values.is_empty() => {
                if values
                    .first()
                    .is_some_and(|v| v.starts_with("LINUX-RESTART"))
                {
                    continue;
                }
                reader.host(host);
                let Some(time) = time_of(stamp) else {
                    reader.parsed.warnings.push(warning(
                        file,
                        number,
                        format!("expected a time, found {stamp:?}"),
                    ));
                    continue;
                };
                let (header, values) = semicolon_row(header, values);
                reader.row(&header, &values, time, line, number);
            }
            _ => reader.parsed.warnings.push(warning(
                file,
                number,
                "expected a `# hostname;interval;timestamp;...` header, a row under one, \
                 or a sadf -p line",
            )),
        }
    }
    group.flush(&mut reader);
    let mut parsed = reader.parsed;
    parsed.host.cpus = parsed.host.cpus.or_else(|| cpus_listed(&parsed));
    parsed
}

/// A `sadf -d` row as sar's text would print it: `-1` as `all` under `CPU`, and `CPU*`
/// spelt out as `all CPU0 CPU1 ...` for the values the row has.
fn semicolon_row<'a>(header: &[String], values: &[&'a str]) -> (Vec<String>, Vec<&'a str>) {
    let mut columns = Vec::with_capacity(values.len());
    for (index, name) in header.iter().enumerate() {
        if name == CPU_COLUMNS {
            let instances = values.len().saturating_sub(index);
            columns.extend((0..instances).map(|n| match n {
                0 => "all".to_string(),
                n => format!("CPU{}", n - 1),
            }));
        } else {
            columns.push(name.clone());
        }
    }
    let values = values
        .iter()
        .zip(header.iter().map(Some).chain(std::iter::repeat(None)))
        .map(|(&value, name)| match (name.map(String::as_str), value) {
            (Some("CPU"), "-1") => "all",
            _ => value,
        })
        .collect();
    (columns, values)
}

/// The values of one `sadf -p` record being gathered.
#[derive(Default)]
struct Group {
    stamp: String,
    device: String,
    fields: Vec<String>,
    values: Vec<String>,
    /// The first line's text and number.
    first: Option<(String, usize)>,
}

impl Group {
    fn add(&mut self, reader: &mut Reader, value: ValueLine, line: &str, number: usize) {
        let same_record = self.first.is_some()
            && self.stamp == value.stamp
            && self.device == value.device
            && !self.fields.iter().any(|field| field == value.field)
            && !(value.device == "-" && starts_a_report(value.field));
        if !same_record {
            self.flush(reader);
            reader.host(value.host);
            self.stamp = value.stamp.to_string();
            self.device = value.device.to_string();
            self.first = Some((line.to_string(), number));
        }
        self.fields.push(value.field.to_string());
        self.values.push(value.value.to_string());
    }

    /// Make the gathered record, matched to the report whose columns it has.
    fn flush(&mut self, reader: &mut Reader) {
        let Some((text, number)) = self.first.take() else {
            return;
        };
        let fields = std::mem::take(&mut self.fields);
        let values = std::mem::take(&mut self.values);
        let Some(time) = time_of(&self.stamp) else {
            return;
        };
        let field_cells: Vec<&str> = fields.iter().map(String::as_str).collect();
        let value_cells: Vec<&str> = values.iter().map(String::as_str).collect();
        if self.device == "-" {
            reader.row(&fields, &value_cells, time, &text, number);
            return;
        }
        // The device is the report's label column: which one, its spec says.
        for spec in REPORTS.iter().filter(|spec| !spec.labels.is_empty()) {
            let Some(&(label, _)) = spec.labels.first() else {
                continue;
            };
            let mut header = vec![label.to_string()];
            header.extend(field_cells.iter().map(|field| {
                match spec.instances {
                    Some(_) => field
                        .strip_prefix("cpu")
                        .map_or(field.to_string(), |n| format!("CPU{n}")),
                    None => field.to_string(),
                }
            }));
            let cells: Vec<&str> = header.iter().map(String::as_str).collect();
            if !spec.matches(&cells) {
                continue;
            }
            let device = match label {
                "CPU" => self.device.strip_prefix("cpu").unwrap_or(&self.device),
                _ => &self.device,
            };
            let mut row = vec![device];
            row.extend(value_cells.iter().copied());
            reader.row(&header, &row, time, &text, number);
            return;
        }
        let mut columns = vec!["(device)"];
        columns.extend(field_cells);
        reader.not_understood(&columns, number);
    }
}

/// Whether `field` is the first column of a sar report without a label column, so a
/// `sadf -p` line with it starts a new record even at the same time.
fn starts_a_report(field: &str) -> bool {
    REPORTS
        .iter()
        .filter(|spec| spec.labels.is_empty())
        .any(|spec| spec.first.contains(&field))
        || sar::OTHER_FIRST_COLUMNS.contains(&field)
}

/// How many CPUs the CPU report lists one by one, when it does.
fn cpus_listed(parsed: &Parsed) -> Option<u32> {
    let cpus: BTreeSet<&str> = parsed
        .records
        .iter()
        .filter(|r| r.table == "sar_cpu")
        .filter_map(|r| r.labels.get("cpu").map(Name::as_str))
        .filter(|cpu| parse_number(cpu).is_some())
        .collect();
    u32::try_from(cpus.len()).ok().filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEMICOLONS: &str = "# hostname;interval;timestamp;CPU;%usr;%iowait;%idle\n\
        vm;1;2026-12-04 21:53:57 UTC;-1;60.00;10.00;25.00\n\
        vm;1;2026-12-04 21:53:57 UTC;0;60.00;10.00;25.00\n\
        vm;1;2026-12-04 21:53:57 UTC;1;60.00;10.00;25.00\n\
        # hostname;interval;timestamp;INTR;CPU*\n\
        vm;1;2026-12-04 21:53:57 UTC;sum;9.00;4.00;5.00\n\
        # hostname;interval;timestamp;runq-sz;blocked\n\
        vm;1;1796421237;4;0\n\
        # hostname;interval;timestamp;TTY;rcvin/s\n\
        vm;1;1796421237;ttyS0;0.00\n\
        vm;1;1796421238;ttyS0;0.00\n";

    #[test]
    fn semicolon_rows_become_sar_records() {
        let parsed = parse("d", SEMICOLONS);
        let rows: Vec<(&str, Option<&str>, usize)> = parsed
            .records
            .iter()
            .map(|r| {
                (
                    r.table.as_str(),
                    r.labels.get("cpu").map(Name::as_str),
                    r.source.line,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("sar_cpu", Some("all"), 2),
                ("sar_cpu", Some("0"), 3),
                ("sar_cpu", Some("1"), 4),
                ("sar_irq", Some("0"), 6),
                ("sar_irq", Some("1"), 6),
                ("sar_irq", Some("all"), 6),
                ("sar_queue", None, 8),
            ]
        );
        assert_eq!(parsed.records[0].fields["busy"], 65.0);
        assert_eq!(parsed.records[4].fields["intr_s"], 5.0);
        assert_eq!(parsed.records[6].time, 1_796_421_237.0);
        assert_eq!(parsed.host.cpus, Some(2));
        assert_eq!(parsed.host.hostname.as_deref(), Some("vm"));
        let lines: Vec<usize> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [10], "the TTY report, once: {:?}", parsed.warnings);
    }

    #[test]
    fn value_lines_group_into_records() {
        let text = "vm\t1\t2026-12-04 21:53:57 UTC\tall\t%usr\t60.00\n\
            vm\t1\t2026-12-04 21:53:57 UTC\tall\t%idle\t40.00\n\
            vm\t1\t2026-12-04 21:53:57 UTC\tcpu0\t%usr\t70.00\n\
            vm\t1\t2026-12-04 21:53:57 UTC\tcpu0\t%idle\t30.00\n\
            vm\t1\t2026-12-04 21:53:57 UTC\tsum\tall\t9.00\n\
            vm\t1\t2026-12-04 21:53:57 UTC\tsum\tcpu0\t9.00\n\
            vm\t1\t2026-12-04 21:53:57 UTC\t-\tproc/s\t1.00\n\
            vm\t1\t2026-12-04 21:53:57 UTC\t-\tcswch/s\t2.00\n\
            vm\t1\t2026-12-04 21:53:57 UTC\t-\tpswpin/s\t0.00\n\
            vm\t1\t2026-12-04 21:53:57 UTC\t-\tpswpout/s\t0.00\n\
            vm\t1\t2026-12-04 21:53:57 UTC\tvda\ttps\t3.00\n\
            vm\t1\t2026-12-04 21:53:57 UTC\tvda\t%util\t4.00\n";
        let parsed = parse("p", text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let rows: Vec<(&str, usize, usize)> = parsed
            .records
            .iter()
            .map(|r| (r.table.as_str(), r.fields.len(), r.source.line))
            .collect();
        assert_eq!(
            rows,
            [
                ("sar_cpu", 3, 1),
                ("sar_cpu", 3, 3),
                ("sar_irq", 1, 5),
                ("sar_irq", 1, 5),
                ("sar_task", 2, 7),
                ("sar_swap", 2, 9),
                ("sar_disk", 2, 11),
            ]
        );
        assert_eq!(parsed.records[1].labels["cpu"], "0");
        assert_eq!(parsed.records[2].labels["cpu"], "0");
        assert_eq!(parsed.records[2].labels["irq"], "sum");
        assert_eq!(parsed.records[6].labels["device"], "vda");
        assert_eq!(parsed.host.cpus, Some(1));
    }

    #[test]
    fn any_cut_or_damage_parses_without_panicking() {
        let tabs = "vm\t1\t2026-12-04 21:53:57 UTC\tall\t%usr\t60.00\n\
            vm\t1\t2026-12-04 21:53:57 UTC\tsum\tcpu0\t9.00\n";
        for text in [SEMICOLONS, tabs] {
            for cut in 0..text.len() {
                let prefix = text.get(..cut).unwrap_or_default();
                parse("d", prefix);
                parse("d", &prefix.replace(';', "\t"));
                parse(
                    "d",
                    &text.replacen(|c: char| c.is_ascii_digit(), "", cut % 7),
                );
            }
        }
    }

    #[test]
    fn signs() {
        assert_eq!(
            Sadf.sign("# hostname;interval;timestamp;CPU;%user"),
            Some(Sign::Header)
        );
        assert_eq!(
            Sadf.sign("vm\t1\t2026-12-04 21:53:57 UTC\tall\t%usr\t59.41"),
            Some(Sign::Header)
        );
        assert_eq!(Sadf.sign("vm\t1\tyesterday\tall\t%usr\t59.41"), None);
        assert_eq!(Sadf.sign("# hostname"), None);
    }
}

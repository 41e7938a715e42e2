//! What sysstat's tools share: the banner line, dates and time stamps, numbers, header rows,
//! and a generic reader for the "time stamp + header-keyed columns" reports that mpstat, sar
//! and pidstat print.
//!
//! Columns are always found by their header name, never by position, so a tool version that
//! adds, drops or reorders columns still parses. Each report repeats its header; a header
//! picks the [`TableSpec`] whose first column (and marker column) it has.
//!
//! Time: sysstat prints a local wall-clock time and a date in the banner, but not the zone
//! (the ISO `+0000` offset appears only in iostat's per-report stamps). So every sysstat time
//! is read as a naive wall clock: banner date + time of day, counted as if it were UTC. All
//! files of one investigation come from one host and one zone, so their times line up with
//! each other; they are off from true epoch seconds by the host's UTC offset.

use std::collections::BTreeMap;

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{tag, take_till1, take_until},
    character::complete::{char, digit1, one_of, space0, space1},
    combinator::{all_consuming, map_res, opt},
};

use crate::record::{
    Fields, HostFacts, Labels, Name, ParseWarning, Parsed, Record, SourceRef, canonical_field,
};

const SECONDS_PER_DAY: i64 = 86_400;

/// What sysstat's first line says: `Linux 6.1.0 (host) \t2026-11-25 \t_x86_64_\t(2 CPU)`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Banner {
    pub host: HostFacts,
    /// The banner date as days since 1970-01-01, when it could be read.
    pub epoch_day: Option<i64>,
}

/// Read a banner line; `None` when `line` is not one.
pub(crate) fn parse_banner(line: &str) -> Option<Banner> {
    let (_, (kernel, hostname, date, cpus)) = banner(line).ok()?;
    Some(Banner {
        host: HostFacts {
            hostname: Some(hostname.to_string()),
            kernel: Some(kernel.to_string()),
            cpus,
            mem_total_kib: None,
            boot_time: None,
        },
        epoch_day: parse_date(date),
    })
}

fn banner(input: &str) -> IResult<&str, (&str, &str, &str, Option<u32>)> {
    let (input, (_, _, kernel, _, _, hostname, _, _, date)) = (
        tag("Linux"),
        space1,
        take_till1(char::is_whitespace),
        space1,
        char('('),
        take_until(")"),
        char(')'),
        space1,
        take_till1(char::is_whitespace),
    )
        .parse(input)?;
    let (input, cpus) = opt((
        space1,
        take_till1(char::is_whitespace),
        space1,
        char('('),
        map_res(digit1, str::parse::<u32>),
        tag(" CPU)"),
    ))
    .parse(input)?;
    Ok((input, (kernel, hostname, date, cpus.map(|c| c.4))))
}

/// Days since 1970-01-01 of a sysstat date: ISO `2026-11-25`, the C locale's `11/25/26`,
/// `11/25/2026`, day-first `25/11/26` (taken when the first number cannot be a month) and
/// `25.11.2026`. Two-digit years are 20xx. An ambiguous `a/b/yy` is read month first, as the
/// C and en_US locales print it.
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    let (_, (a, sep, b, _, c)) = all_consuming(date_parts).parse(text).ok()?;
    let full_year = |(year, digits): (i64, usize)| if digits <= 2 { 2000 + year } else { year };
    let (year, month, day) = if a.1 == 4 {
        (a.0, b, c.0)
    } else if sep == '.' || a.0 > 12 {
        (full_year(c), b, a.0)
    } else {
        (full_year(c), a.0, b)
    };
    days_since_epoch(year, month, day)
}

/// A number with its digit count, for the places a year may be (two digits mean 20xx).
type Counted = (i64, usize);

/// Three numbers with separators.
fn date_parts(input: &str) -> IResult<&str, (Counted, char, i64, char, Counted)> {
    let counted = || map_res(digit1, |d: &str| d.parse::<i64>().map(|n| (n, d.len())));
    (
        counted(),
        one_of("-/."),
        map_res(digit1, str::parse::<i64>),
        one_of("-/."),
        counted(),
    )
        .parse(input)
}

/// Days since 1970-01-01 of a calendar date, or `None` for one that does not exist.
fn days_since_epoch(year: i64, month: i64, day: i64) -> Option<i64> {
    let date = jiff::civil::Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()?;
    let epoch = jiff::civil::Date::constant(1970, 1, 1);
    Some(date.duration_since(epoch).as_secs().div_euclid(86_400))
}

/// Seconds since midnight of `19:20:01`.
fn clock(input: &str) -> IResult<&str, u32> {
    let two = || map_res(digit1, str::parse::<u32>);
    let (input, (h, _, m, _, s)) = (two(), char(':'), two(), char(':'), two()).parse(input)?;
    if h > 23 || m > 59 || s > 60 {
        return Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Verify,
        )));
    }
    Ok((input, h * 3600 + m * 60 + s))
}

/// Turn a 12-hour clock reading into 24-hour seconds since midnight.
fn with_meridiem(seconds: u32, meridiem: &str) -> Option<u32> {
    let hour = seconds / 3600;
    if !(1..=12).contains(&hour) {
        return None;
    }
    let rest = seconds % 3600;
    match meridiem {
        "AM" => Some((hour % 12) * 3600 + rest),
        "PM" => Some((hour % 12 + 12) * 3600 + rest),
        _ => None,
    }
}

/// A time read from the start of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stamp {
    /// Seconds since midnight, to be put on the banner's date by a [`Timeline`].
    OfDay(u32),
    /// Seconds since the Unix epoch (old `pidstat -h` prints these).
    Epoch(f64),
}

/// The time stamp at the start of `cells` (`19:20:01`, `07:20:01 PM`, or epoch seconds) and
/// how many cells it took.
pub(crate) fn parse_stamp(cells: &[&str]) -> Option<(Stamp, usize)> {
    let first = cells.first()?;
    if first.len() >= 9 && first.bytes().all(|b| b.is_ascii_digit()) {
        return Some((Stamp::Epoch(first.parse().ok()?), 1));
    }
    let (_, seconds) = all_consuming(clock).parse(first).ok()?;
    match cells.get(1) {
        Some(&meridiem @ ("AM" | "PM")) => {
            Some((Stamp::OfDay(with_meridiem(seconds, meridiem)?), 2))
        }
        _ => Some((Stamp::OfDay(seconds), 1)),
    }
}

/// The column names of a report header after its time stamp (`19:50:31 CPU %usr` → `CPU
/// %usr`), or `None` when `line` does not start with a stamp.
pub(crate) fn stamped_header(line: &str) -> Option<Vec<&str>> {
    let mut cells: Vec<&str> = line.split_ascii_whitespace().collect();
    let (_, taken) = parse_stamp(&cells)?;
    cells.drain(..taken);
    Some(cells)
}

/// A date and time on one line, as iostat prints before each report with `-t`:
/// `2026-11-25T19:20:01+0000` (S_TIME_FORMAT=ISO), `11/25/26 19:20:01`, `11/25/2026 07:20:01 PM`.
/// Returns naive epoch seconds (the offset, when printed, is ignored: see the module doc).
pub(crate) fn parse_date_time(line: &str) -> Option<f64> {
    let line = line.trim();
    let (date, time) = match line.split_once('T') {
        Some((date, time)) if !date.contains(' ') => (date, time),
        _ => line.split_once(' ')?,
    };
    let day = parse_date(date)?;
    let (rest, seconds) = clock(time.trim_start()).ok()?;
    let (rest, meridiem) = opt((
        space0::<&str, nom::error::Error<&str>>,
        alt((tag("AM"), tag("PM"))),
    ))
    .parse(rest)
    .ok()?;
    let seconds = match meridiem {
        Some((_, m)) => with_meridiem(seconds, m)?,
        None => seconds,
    };
    let offset_ok = rest.is_empty()
        || (rest.len() == 5
            && rest.starts_with(['+', '-'])
            && rest.bytes().skip(1).all(|b| b.is_ascii_digit()));
    offset_ok.then(|| (day * SECONDS_PER_DAY + i64::from(seconds)) as f64)
}

/// A number as sysstat prints it, with a decimal point or (in some locales) a decimal comma.
pub(crate) fn parse_number(cell: &str) -> Option<f64> {
    let first = cell.bytes().next()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'.') {
        return None;
    }
    if let Some(value) = plain_decimal(cell.as_bytes()) {
        return Some(value);
    }
    match cell.parse::<f64>() {
        Ok(value) => Some(value),
        Err(_) if cell.contains(',') => cell.replacen(',', ".", 1).parse().ok(),
        Err(_) => None,
    }
}

/// A cell as sysstat prints nearly all of them (`0.00`, `-12.5`, `1523`), read without the
/// general float parser, which took a third of the time of parsing `mpstat -I CPU`; `None`
/// for anything else (exponents, commas, more than 15 digits), which that parser reads.
///
/// The result is the one `str::parse` gives: at most 15 digits make a mantissa below 2^53
/// and a power of ten up to 10^15, both exact in an f64, and one division of exact values
/// is correctly rounded.
fn plain_decimal(cell: &[u8]) -> Option<f64> {
    const POWERS: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, text) = match cell.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, cell),
    };
    let mut mantissa: u64 = 0;
    let mut digits = 0;
    let mut point = None;
    for (index, &byte) in text.iter().enumerate() {
        match byte {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(byte - b'0');
                digits += 1;
                if digits > 15 {
                    return None;
                }
            }
            b'.' if point.is_none() => point = Some(index),
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    let decimals = point.map_or(0, |point| text.len() - point - 1);
    let magnitude = mantissa as f64 / POWERS.get(decimals).copied()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// Puts times of day on the banner date, adding a day each time the clock passes midnight.
///
/// A backwards step of less than 12 hours is a clock adjustment, not midnight, and is kept
/// as printed. Without a banner date, times count from the first sample of the file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeline {
    epoch_day: Option<i64>,
    last: Option<u32>,
    days_passed: i64,
    first: Option<f64>,
}

impl Timeline {
    pub fn new(epoch_day: Option<i64>) -> Self {
        Timeline {
            epoch_day,
            ..Timeline::default()
        }
    }

    pub fn resolve(&mut self, stamp: Stamp) -> f64 {
        match stamp {
            Stamp::Epoch(seconds) => seconds,
            Stamp::OfDay(seconds) => {
                if let Some(last) = self.last
                    && i64::from(last) - i64::from(seconds) > SECONDS_PER_DAY / 2
                {
                    self.days_passed += 1;
                }
                self.last = Some(seconds);
                let since_day = (self.days_passed * SECONDS_PER_DAY + i64::from(seconds)) as f64;
                match self.epoch_day {
                    Some(day) => (day * SECONDS_PER_DAY) as f64 + since_day,
                    None => since_day - *self.first.get_or_insert(since_day),
                }
            }
        }
    }
}

/// How one report's header maps to a table.
#[derive(Debug)]
pub struct TableSpec {
    pub table: &'static str,
    /// Names the header's first column (after the time) may have: `CPU`, `IFACE`, `UID`.
    pub first: &'static [&'static str],
    /// A column that tells this report apart from others with the same first column
    /// (`rxpck/s` for sar's DEV against EDEV's `rxerr/s`).
    pub marker: Option<&'static str>,
    /// Header → label name. A label in the last column takes the rest of the line, since
    /// free text (pidstat's `Command`) comes last and may hold spaces.
    pub labels: &'static [(&'static str, &'static str)],
    /// Header → field name, where the canonical name would be wrong or ambiguous.
    pub renames: &'static [(&'static str, &'static str)],
    /// Columns that are neither labels nor measurements.
    pub skip: &'static [&'static str],
    /// Set for reports whose columns are instances rather than measurements.
    pub instances: Option<Instances>,
    /// Whether rows with an `idle` field get `busy` ([`crate::record::cpu_busy_pct`]), the
    /// one number a utilization rule wants, whichever tool measured the CPU.
    pub busy: bool,
    /// Every field the report's rows can have, over the sysstat versions known (from
    /// sysstat's manual pages and the fixtures under tests/data), `busy` included: what
    /// `check` lets a rule read.
    pub fields: &'static [&'static str],
}

/// A report whose every non-label column is one instance of the same measurement, as
/// `mpstat -I CPU` prints one column per interrupt (`24/s 25/s LOC/s`) and `sar -I` one per
/// CPU (`all CPU0 CPU1`). Each cell becomes a record of its own, so a rule can ask for one
/// interrupt or CPU by label instead of by a field name that exists on one host only.
#[derive(Debug)]
pub struct Instances {
    /// The label naming the instance: the header without `prefix` and `suffix`, as printed
    /// (`LOC`, `0`).
    pub label: &'static str,
    /// Cut from the start of an instance header where present (`CPU` of `CPU0`).
    pub prefix: &'static str,
    /// What every instance header ends with (`/s`); a header with another column is not this report.
    pub suffix: &'static str,
    /// The field holding each instance's value (`intr_s`).
    pub field: &'static str,
}

impl TableSpec {
    /// The table and its fields, as `check` knows them.
    pub(crate) fn declared(&self) -> super::Table {
        super::Table::known(self.table, self.fields)
    }

    /// Whether every column of `header` is a label, a skipped column, an instance or a field
    /// this report declares: for headers rebuilt from `sadf -p`, where a report's end is
    /// inferred rather than printed.
    pub(crate) fn declares_all(&self, header: &[&str]) -> bool {
        header.iter().all(|&name| {
            self.labels.iter().any(|(label, _)| *label == name)
                || self.skip.contains(&name)
                || self.instances.is_some()
                || self.fields.contains(&field_name(self, name).as_str())
        })
    }

    /// Whether `header` (the cells after the time) is this report's header.
    pub(crate) fn matches(&self, header: &[&str]) -> bool {
        header
            .first()
            .is_some_and(|first| self.first.contains(first))
            && self.marker.is_none_or(|marker| header.contains(&marker))
            && self.instances.as_ref().is_none_or(|instances| {
                header.iter().all(|name| {
                    self.labels.iter().any(|(label, _)| label == name)
                        || self.skip.contains(name)
                        || name.ends_with(instances.suffix)
                })
            })
    }
}

/// A header row compiled against its [`TableSpec`]: which cells are labels and which cell
/// each field is read from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    table: Name,
    /// How many cells the header has: a row must have as many.
    width: usize,
    /// Label name and cell index; a label in the last cell takes the rest of the line.
    labels: Vec<(Name, usize)>,
    /// Field name and cell index, sorted by name: a row's fields are made in this order,
    /// with the names shared rather than rebuilt and no key compared or moved, which was
    /// most of the cost of building a record.
    fields: Vec<(Name, usize)>,
    /// With [`Instances`]: the label and field every instance's record gets.
    instances: Option<(Name, Name)>,
    /// `busy`, when the spec derives it and the header has `%idle`.
    busy: Option<Name>,
}

impl Layout {
    pub fn new(spec: &TableSpec, header: &[&str]) -> Self {
        let mut labels = Vec::new();
        let mut fields: BTreeMap<String, usize> = BTreeMap::new();
        for (index, &name) in header.iter().enumerate() {
            if let Some(&(_, label)) = spec.labels.iter().find(|(h, _)| *h == name) {
                labels.push((label.into(), index));
            } else if !spec.skip.contains(&name) {
                fields.insert(field_name(spec, name), index);
            }
        }
        let busy = (spec.busy && fields.contains_key("idle")).then(|| Name::from("busy"));
        Layout {
            busy,
            table: spec.table.into(),
            width: header.len(),
            labels,
            fields: fields
                .into_iter()
                .map(|(name, index)| (name.into(), index))
                .collect(),
            instances: spec
                .instances
                .as_ref()
                .map(|instances| (instances.label.into(), instances.field.into())),
        }
    }

    /// The record of one data row. `cells` are the row's cells after any time stamp, all
    /// borrowed from `line`. A label cell of `-` means "none" and is left out. For a report
    /// of [`Instances`], [`Layout::read_row`] makes one record per instance instead.
    pub fn record(
        &self,
        line: &str,
        cells: &[&str],
        time: f64,
        source: SourceRef,
    ) -> Result<Record, String> {
        let labels = self.labels_of(line, cells)?;
        // One slot to spare for `busy`, so adding it does not reallocate.
        let mut fields = Vec::with_capacity(self.fields.len() + 1);
        for (name, index) in &self.fields {
            fields.push((name.clone(), value_of(name, cells, *index)?));
        }
        let mut fields = Fields::from_sorted(fields);
        if let Some(busy) = &self.busy {
            let idle = fields.get("idle").copied().unwrap_or_default();
            let iowait = fields.get("iowait").copied().unwrap_or(0.0);
            fields.insert(busy.clone(), crate::record::cpu_busy_pct(idle, iowait));
        }
        Ok(Record {
            table: self.table.clone(),
            time,
            labels,
            fields,
            source,
        })
    }

    /// Add the records of one data row to `records`: its record, or with [`Instances`] one
    /// per instance, labelled with it. A row with a bad cell adds nothing.
    pub(crate) fn read_row(
        &self,
        line: &str,
        cells: &[&str],
        time: f64,
        source: SourceRef,
        records: &mut Vec<Record>,
    ) -> Result<(), String> {
        let Some((label, field)) = &self.instances else {
            records.push(self.record(line, cells, time, source)?);
            return Ok(());
        };
        // Every instance's labels are the row's with the instance's label set: made once
        // per row, copied per instance (two labels are copied inline, not allocated).
        let row_labels = self.labels_of(line, cells)?;
        let first = records.len();
        records.reserve(self.fields.len());
        for (instance, index) in &self.fields {
            // A bad cell takes back the row's records made so far: the row is one warning.
            let value =
                value_of(instance, cells, *index).inspect_err(|_| records.truncate(first))?;
            let mut labels = row_labels.clone();
            labels.insert(label.clone(), instance.clone());
            records.push(Record {
                table: self.table.clone(),
                time,
                labels,
                fields: Fields::from_sorted([(field.clone(), value)]),
                source: source.clone(),
            });
        }
        Ok(())
    }

    /// The labels of a row, once it is known to have the header's columns.
    fn labels_of(&self, line: &str, cells: &[&str]) -> Result<Labels, String> {
        let last_takes_rest = self
            .labels
            .last()
            .is_some_and(|&(_, index)| index + 1 == self.width);
        let enough = if last_takes_rest {
            cells.len() >= self.width
        } else {
            cells.len() == self.width
        };
        if !enough {
            return Err(format!(
                "expected {} columns, as the header names, found {}",
                self.width,
                cells.len()
            ));
        }
        let mut labels = Labels::with_capacity(self.labels.len());
        for (name, index) in &self.labels {
            let index = *index;
            let cell = cells.get(index).copied().unwrap_or_default();
            let value = if index + 1 == self.width {
                rest_of_line(line, cell)
            } else {
                cell
            };
            if value != "-" {
                labels.insert(name.clone(), value.into());
            }
        }
        Ok(labels)
    }
}

/// The number in cell `index` of a row, for the column `name`.
pub(crate) fn value_of(name: &str, cells: &[&str], index: usize) -> Result<f64, String> {
    let cell = cells.get(index).copied().unwrap_or_default();
    parse_number(cell).ok_or_else(|| format!("column {name}: {cell:?} is not a number"))
}

/// What the column headed `name` is called in records: the instance's own name for
/// [`Instances`], else a rename or the canonical field name.
fn field_name(spec: &TableSpec, name: &str) -> String {
    if let Some(instances) = &spec.instances {
        let name = name.strip_prefix(instances.prefix).unwrap_or(name);
        name.strip_suffix(instances.suffix)
            .unwrap_or(name)
            .to_string()
    } else if let Some(&(_, field)) = spec.renames.iter().find(|(h, _)| *h == name) {
        field.to_string()
    } else {
        canonical_field(name)
    }
}

/// `line` from the start of `cell` (a slice of it) to its end, trimmed.
fn rest_of_line<'a>(line: &'a str, cell: &'a str) -> &'a str {
    let start = (cell.as_ptr() as usize).saturating_sub(line.as_ptr() as usize);
    line.get(start..).map_or(cell, str::trim_end)
}

/// Split `line` into its whitespace-separated cells, reusing `cells`' allocation.
pub(crate) fn split_cells<'a>(line: &'a str, cells: &mut Vec<&'a str>) {
    cells.clear();
    cells.extend(line.split_ascii_whitespace());
}

/// A summary row: `Average:`, `Summary:`, or their translations (`Durchschn.:` in German) —
/// a word ending in a colon where a time stamp belongs, never a time itself. Summaries
/// repeat what the samples said, so they are passed over without a word.
fn is_summary(first_cell: &str) -> bool {
    first_cell.ends_with(':') && !first_cell.bytes().any(|b| b.is_ascii_digit())
}

/// A warning about `line` (1-based) of `file`.
pub fn warning(file: &str, line: usize, message: impl Into<String>) -> ParseWarning {
    ParseWarning {
        file: file.to_string(),
        line,
        message: message.into(),
    }
}

/// Compiled headers, kept by their text: sysstat repeats each header in every report, and
/// compiling one (canonical names, lookups in the spec) costs more than reading a row.
#[derive(Debug, Default)]
pub(crate) struct Layouts {
    seen: Vec<(String, Option<Layout>)>,
}

impl Layouts {
    /// The index of the header whose cells are `cells` (slices of `line`), compiled by
    /// `compile` when first seen (`None`: a header no spec describes), and whether it is new.
    pub(crate) fn intern(
        &mut self,
        line: &str,
        cells: &[&str],
        compile: impl FnOnce() -> Option<Layout>,
    ) -> (usize, bool) {
        let text = cells.first().map_or("", |first| rest_of_line(line, first));
        if let Some(index) = self.seen.iter().position(|(seen, _)| seen == text) {
            return (index, false);
        }
        self.seen.push((text.to_string(), compile()));
        (self.seen.len() - 1, true)
    }

    /// The layout of header `index`; `None` for a header no spec describes.
    pub fn get(&self, index: usize) -> Option<&Layout> {
        self.seen.get(index).and_then(|(_, layout)| layout.as_ref())
    }
}

/// Read every "time stamp + columns" report of `text` whose header one of `specs` describes.
///
/// Rows take their time from their own stamp; `Average:` summaries and `LINUX RESTART`
/// marks are skipped; a row that cannot be read becomes a warning and the rest goes on.
/// Each header starts a new table, so one file may hold many reports (`sar -A`); a report
/// no spec describes is warned about once, at its first header, and its rows are passed over.
pub(crate) fn read_tables(file: &str, text: &str, specs: &[TableSpec]) -> Parsed {
    let mut parsed = Parsed::default();
    let file_name = Name::from(file);
    let mut timeline = Timeline::default();
    let mut layouts = Layouts::default();
    let mut current: Option<usize> = None;
    let mut cells: Vec<&str> = Vec::with_capacity(32);
    let mut after_blank = true;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        split_cells(line, &mut cells);
        let Some(&first) = cells.first() else {
            after_blank = true;
            continue;
        };
        let starts_block = std::mem::replace(&mut after_blank, false);
        if first == "Linux"
            && let Some(banner) = parse_banner(line)
        {
            parsed.host.merge(&banner.host);
            timeline = Timeline::new(banner.epoch_day);
            continue;
        }
        if is_summary(first) {
            continue;
        }
        let (stamp, rest) = if first == "#" {
            // `pidstat -h` heads its one header with `# Time`.
            (None, cells.get(2..).unwrap_or_default())
        } else if let Some((stamp, taken)) = parse_stamp(&cells) {
            (Some(stamp), cells.get(taken..).unwrap_or_default())
        } else {
            parsed.warnings.push(warning(
                file,
                number,
                format!("expected a time stamp, found {first:?}"),
            ));
            continue;
        };
        if rest.starts_with(&["LINUX", "RESTART"]) {
            // sar marks a reboot inside its data file; the samples around it stand as they are.
            continue;
        }
        let under_known_header = current.and_then(|i| layouts.get(i)).is_some();
        if looks_like_header(rest, specs, under_known_header && !starts_block) {
            let (index, new) = layouts.intern(line, rest, || {
                let spec = specs.iter().find(|spec| spec.matches(rest))?;
                Some(Layout::new(spec, rest))
            });
            if new && layouts.get(index).is_none() {
                parsed.warnings.push(warning(
                    file,
                    number,
                    format!(
                        "report with columns {:?} is not understood; its rows are skipped",
                        rest.join(" ")
                    ),
                ));
            }
            current = Some(index);
            continue;
        }
        let Some(stamp) = stamp else {
            parsed
                .warnings
                .push(warning(file, number, "expected a header after `# Time`"));
            continue;
        };
        let Some(index) = current else {
            parsed
                .warnings
                .push(warning(file, number, "data row before any header row"));
            continue;
        };
        // Rows under a header no spec describes are passed over: it was warned about once.
        if let Some(layout) = layouts.get(index) {
            let source = SourceRef {
                file: file_name.clone(),
                line: number,
            };
            if let Err(message) = layout.read_row(
                line,
                rest,
                timeline.resolve(stamp),
                source,
                &mut parsed.records,
            ) {
                parsed.warnings.push(warning(file, number, message));
            }
        }
    }
    parsed
}

/// A header row has no numbers, and starts with a known first column, or opens a block (sysstat
/// puts a blank line before every header), or comes where no header is known yet. Any other
/// non-numeric row, in the middle of a known report, is a garbled data row.
fn looks_like_header(rest: &[&str], specs: &[TableSpec], inside_known_report: bool) -> bool {
    let Some(first) = rest.first() else {
        return false;
    };
    rest.iter().all(|cell| parse_number(cell).is_none())
        && (specs.iter().any(|spec| spec.first.contains(first)) || !inside_known_report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_read_exactly_as_the_standard_parser_reads_them() {
        let mut cells: Vec<String> = [
            "0",
            "0.00",
            "-0.00",
            "100.00",
            "5.",
            ".5",
            "-.5",
            "99.99",
            "0.1",
            "0.3",
            "123456789012345",
            "1234567890.12345",
            "999999999999999",
            "0.000000000000001",
            "18446744073.70",
            "4294967295",
        ]
        .map(String::from)
        .to_vec();
        // A spread of values with every count of decimals sysstat prints and more.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let digits = (state >> 33) % 10_u64.pow(1 + (state % 14) as u32);
            let decimals = ((state >> 20) % 8) as usize;
            let text = format!("{digits:0>width$}", width = decimals + 1);
            let (whole, fraction) = text.split_at(text.len() - decimals);
            let sign = if state & 1 == 1 { "-" } else { "" };
            cells.push(format!("{sign}{whole}.{fraction}"));
        }
        let mut read = 0;
        for cell in &cells {
            let standard = cell.parse::<f64>().ok();
            if let Some(fast) = plain_decimal(cell.as_bytes()) {
                assert_eq!(Some(fast.to_bits()), standard.map(f64::to_bits), "{cell}");
                read += 1;
            }
        }
        // Only the cells over 15 digits are left to the standard parser.
        assert!(read > cells.len() * 9 / 10, "{read} of {}", cells.len());
        assert_eq!(plain_decimal(b"12.50"), Some(12.5));
        for other in [
            "",
            ".",
            "-",
            "1e3",
            "1,5",
            "1.2.3",
            "nan",
            "inf",
            "1234567890123456",
        ] {
            assert_eq!(plain_decimal(other.as_bytes()), None, "{other}");
        }
        assert_eq!(parse_number("1,5"), Some(1.5));
        assert_eq!(parse_number("1e3"), Some(1000.0));
    }

    #[test]
    fn banner_gives_host_facts_and_date() {
        let banner =
            parse_banner("Linux 6.18.44-fc-v657 (vm) \t2026-11-25 \t_x86_64_\t(2 CPU)").unwrap();
        assert_eq!(banner.host.hostname.as_deref(), Some("vm"));
        assert_eq!(banner.host.kernel.as_deref(), Some("6.18.44-fc-v657"));
        assert_eq!(banner.host.cpus, Some(2));
        assert_eq!(banner.epoch_day, Some(20_782));
        assert!(parse_banner("Linux is nice").is_none());
    }

    #[test]
    fn dates_in_every_locale_shape_agree() {
        let day = parse_date("2026-11-25");
        assert_eq!(day, Some(20_782));
        assert_eq!(parse_date("11/25/26"), day);
        assert_eq!(parse_date("11/25/2026"), day);
        assert_eq!(parse_date("25/11/26"), day);
        assert_eq!(parse_date("25.11.2026"), day);
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("13/13/26"), None);
        assert_eq!(parse_date("2026-11"), None);
    }

    #[test]
    fn stamps_read_24_and_12_hour_clocks_and_epoch_seconds() {
        assert_eq!(
            parse_stamp(&["19:20:01", "all"]),
            Some((Stamp::OfDay(69_601), 1))
        );
        assert_eq!(
            parse_stamp(&["07:20:01", "PM", "all"]),
            Some((Stamp::OfDay(69_601), 2))
        );
        assert_eq!(parse_stamp(&["12:00:00", "AM"]), Some((Stamp::OfDay(0), 2)));
        assert_eq!(
            parse_stamp(&["12:00:00", "PM"]),
            Some((Stamp::OfDay(43_200), 2))
        );
        assert_eq!(
            parse_stamp(&["1764098484"]),
            Some((Stamp::Epoch(1_764_098_484.0), 1))
        );
        assert_eq!(parse_stamp(&["25:00:00"]), None);
        assert_eq!(parse_stamp(&["all"]), None);
    }

    #[test]
    fn date_times_read_iso_and_locale_forms_ignoring_the_offset() {
        let expected = Some(20_782.0 * 86_400.0 + 69_601.0);
        assert_eq!(parse_date_time("2026-11-25T19:20:01+0000"), expected);
        assert_eq!(parse_date_time("2026-11-25T19:20:01+0100"), expected);
        assert_eq!(parse_date_time("11/25/26 19:20:01"), expected);
        assert_eq!(parse_date_time("11/25/2026 07:20:01 PM"), expected);
        assert_eq!(parse_date_time("Device r/s"), None);
    }

    #[test]
    fn numbers_accept_decimal_commas_and_refuse_words() {
        assert_eq!(parse_number("12.50"), Some(12.5));
        assert_eq!(parse_number("12,50"), Some(12.5));
        assert_eq!(parse_number("-3"), Some(-3.0));
        assert_eq!(parse_number("nan"), None);
        assert_eq!(parse_number("%usr"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn timeline_adds_a_day_at_midnight_but_not_for_small_steps_back() {
        let mut timeline = Timeline::new(Some(1));
        assert_eq!(timeline.resolve(Stamp::OfDay(86_399)), 172_799.0);
        assert_eq!(timeline.resolve(Stamp::OfDay(0)), 172_800.0);
        assert_eq!(timeline.resolve(Stamp::OfDay(1)), 172_801.0);
        let mut timeline = Timeline::new(None);
        assert_eq!(timeline.resolve(Stamp::OfDay(100)), 0.0);
        assert_eq!(timeline.resolve(Stamp::OfDay(99)), -1.0);
        assert_eq!(timeline.resolve(Stamp::OfDay(103)), 3.0);
    }

    const SPEC: TableSpec = TableSpec {
        table: "t",
        first: &["ID"],
        marker: None,
        labels: &[("ID", "id"), ("Name", "name")],
        renames: &[],
        skip: &["Skip"],
        instances: None,
        busy: false,
        fields: &["a", "b_s"],
    };

    #[test]
    fn reader_keys_columns_by_header_and_warns_with_file_and_line() {
        let text = "Linux 6.1 (h) \t2026-11-25 \t_x86_64_\t(2 CPU)\n\
                    \n\
                    10:00:00 ID Skip %a b/s Name\n\
                    10:00:01 7 x 1,5 2 long name here\n\
                    10:00:01 8 x oops 2 n\n\
                    10:00:01 9 x\n\
                    junk\n\
                    Average: 7 x 1.5 2 long name here\n\
                    10:00:02 LINUX RESTART\t(2 CPU)\n\
                    Durchschn.: 7 x 1.5 2 n\n\
                    10:00:02 9 x 3 4 n\n";
        let parsed = read_tables("f.txt", text, &[SPEC]);
        assert_eq!(parsed.records.len(), 2);
        let first = &parsed.records[0];
        assert_eq!(first.labels["name"], "long name here");
        assert_eq!(first.fields["a"], 1.5);
        assert_eq!(first.fields["b_s"], 2.0);
        assert!(!first.fields.contains_key("skip"));
        assert_eq!(first.source.line, 4);
        assert_eq!(first.time, 20_782.0 * 86_400.0 + 36_001.0);
        let lines: Vec<usize> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![5, 6, 7]);
        assert!(parsed.warnings.iter().all(|w| w.file == "f.txt"));
    }
}

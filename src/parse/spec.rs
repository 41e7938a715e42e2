//! Declarative parsers: a TOML spec (`parsers/*.toml`, schema in
//! `schemas/parser-spec.schema.json`) describes the table a tool prints, so a team can add a
//! tool perf_manual's code does not know without a Rust change, and rules can use its fields.
//!
//! A spec is tried only after the built-in sniffer gave up, so it cannot take a format away from
//! a built-in parser. How a file is read:
//!
//! - **Recognition.** The spec's `recognize.header` regex matches a line among the first
//!   [`RECOGNIZE_LINES`] lines. The first spec (in the order given) that matches wins.
//! - **Lines.** Blank lines and lines matching a `table.skip` regex are ignored. A line matching
//!   `table.header` is a column header (it may repeat, as `free -s` repeats it; each repeat is
//!   read again). Lines before the first header are ignored, and so are lines that do not match
//!   `table.row` when it is given. Every other line is a data row. Cells are split on
//!   whitespace, so a header name must not contain a space.
//! - **Labels.** The first `label_columns` cells of a row name the instance (`Mem`, `eth0`); a
//!   trailing `:` is dropped from their values. A header may name them (`Iface  MTU ...`: the
//!   row has as many cells as the header) or not (`free`'s header starts at `total`: the row
//!   has `label_columns` more cells); the first full row under a header tells which, and the
//!   rows after it must agree. Label names come from `table.labels`, else from the
//!   header's canonical names, else are `label`, `label_2`, ...
//! - **Fields.** The other cells are numbers (a trailing `%` is allowed) under the header's
//!   canonical name ([`canonical_field`]), unless a `[[column]]` renames, scales, ignores or
//!   marks the column as the time. A row with the wrong number of cells or a cell that is not a
//!   number is dropped with a warning naming file and line; the parse goes on. With
//!   `table.partial_rows`, a row may stop early (`free`'s `Swap:` row has three numbers); before
//!   any full row, a partial row is taken to have its labels unnamed by the header.
//! - **Time.** A `time = true` column holds epoch seconds or a wall clock `HH:MM:SS` (read as
//!   seconds since midnight, adding a day whenever the clock goes back). Without one, the n-th
//!   row of an instance (0-based, counting dropped rows) is at n × `table.interval` seconds:
//!   tools without a clock are assumed to print one table per interval.
//! - **Units.** A field's unit is its column's `unit`, else `table.unit`, else a count; the
//!   analysis hands them to the [`crate::record::Dataset`], as the global unit table knows only
//!   built-in tables.
//! - **Fields.** `table.fields` lists the fields the rows can have, under their final names:
//!   `check` then refuses a rule reading another field of the table (any field passes without
//!   it, as the header decides them).
//! - **Metrics.** Each `[[feed]]` says a field feeds a canonical metric
//!   ([`crate::record::metric`]): `metric`, `field`, the `labels` a row must have (dropped from
//!   the instance) and how the tool ranks against the others that measure it (`rank`,
//!   `secondary` unless said).

use std::collections::BTreeMap;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::base::Span;
use crate::base::source::{SourceError, SourceFile};
use crate::record::{
    Feed, Labels, ParseWarning, Parsed, Rank, Record, SourceRef, Unit, canonical_field, metric,
};

/// The specs shipped in `parsers/`, built into the binary (path, text), so `ss -s` or
/// `netstat -i` output is read wherever perf_manual runs, not only from a checkout.
pub const SHIPPED: [(&str, &str); 3] = [
    ("parsers/free.toml", include_str!("../../parsers/free.toml")),
    (
        "parsers/netstat-interfaces.toml",
        include_str!("../../parsers/netstat-interfaces.toml"),
    ),
    (
        "parsers/ss-summary.toml",
        include_str!("../../parsers/ss-summary.toml"),
    ),
];

/// How many lines from the top a spec's `recognize.header` may match in: the sniffer's head.
pub const RECOGNIZE_LINES: usize = super::sniff::HEAD_LINES;

/// A parser spec as written in `parsers/<tool>.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ParserSpec")]
pub struct Definition {
    /// The table the rows go to, and so the first part of a rule's series name (`free` in
    /// `free.available`): a lower-case letter, then lower-case letters, digits or `_`.
    pub name: String,
    /// Which command's output this describes (`free -w: memory and swap totals`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub recognize: Recognize,
    #[serde(default)]
    pub table: Layout,
    /// Per-column settings; columns not listed are numbers under their canonical name.
    #[serde(default, rename = "column", skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<Column>,
    /// The canonical metrics its fields feed.
    #[serde(default, rename = "feed", skip_serializing_if = "Vec::is_empty")]
    pub feeds: Vec<SpecFeed>,
}

/// A field of the table feeding a canonical metric (`sockets.udp_inuse` from `ip` of the
/// `UDP` row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecFeed {
    /// The canonical metric (`memory.available`).
    pub metric: String,
    /// The field read, under its final name, already in the metric's unit.
    pub field: String,
    /// The labels a row must have to feed it (`{ kind = "Mem" }`); they are left out of the
    /// metric's instance, whose labels must then be the metric's own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// How the tool ranks against the others that measure the metric; `secondary` (below the
    /// tool made for it and sar, above perf_manual's /proc stand-ins) unless said.
    #[serde(default = "secondary")]
    pub rank: Rank,
}

fn secondary() -> Rank {
    Rank::Secondary
}

/// How the tool's output is told apart from every other file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recognize {
    /// A regex one of the first 20 lines must match, usually the column header
    /// (`^\s+total\s+used\s+free`). Make it specific: the first spec that matches wins.
    pub header: String,
}

/// Where the table is in the output and how its rows read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    /// A regex for the column header line; `recognize.header` when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// A regex data rows must match; other lines after the header are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<String>,
    /// Regexes for lines to ignore (blank lines always are).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip: Vec<String>,
    /// How many leading cells of a row are labels (the instance), not numbers; the number of
    /// `labels` when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_columns: Option<usize>,
    /// Names for the label cells, in order (`["kind"]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// The unit of every numeric column that does not name its own.
    #[serde(default)]
    pub unit: SpecUnit,
    /// Whether a row may have fewer cells than the header; the missing fields are absent.
    #[serde(default)]
    pub partial_rows: bool,
    /// The time between two rows of one instance when no column holds the time.
    #[serde(default = "one_second")]
    pub interval: Span,
    /// The fields its rows can have, under their final names (`total`, `available`): `check`
    /// refuses a rule reading another field of this table. Empty: any field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            header: None,
            row: None,
            skip: Vec::new(),
            label_columns: None,
            labels: Vec::new(),
            unit: SpecUnit::default(),
            partial_rows: false,
            interval: one_second(),
            fields: Vec::new(),
        }
    }
}

fn one_second() -> Span {
    Span(std::time::Duration::from_secs(1))
}

/// Settings for one column, found by its header text or by its canonical name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// The column's header as printed (`buff/cache`). When absent, `name` finds the column by
    /// its canonical name (`buff_cache`) and does not rename it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// The field name rules use; the header's canonical name when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The unit of the values, after `scale`; `table.unit` when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<SpecUnit>,
    /// A factor every value is multiplied by (`4` to turn 4 KiB pages into KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// The column holds the row's time: epoch seconds or `HH:MM:SS`.
    #[serde(default)]
    pub time: bool,
    /// The column is not a number and not wanted (`netstat -i`'s `Flg`).
    #[serde(default)]
    pub ignore: bool,
}

/// Units as a spec names them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpecUnit {
    /// A plain number.
    #[default]
    Count,
    /// 0–100.
    Percent,
    Ms,
    S,
    Us,
    Kib,
    Bytes,
    PerSecond,
    KibPerSecond,
    BytesPerSecond,
}

impl From<SpecUnit> for Unit {
    fn from(unit: SpecUnit) -> Unit {
        match unit {
            SpecUnit::Count => Unit::Count,
            SpecUnit::Percent => Unit::Percent,
            SpecUnit::Ms => Unit::Milliseconds,
            SpecUnit::S => Unit::Seconds,
            SpecUnit::Us => Unit::Microseconds,
            SpecUnit::Kib => Unit::KiB,
            SpecUnit::Bytes => Unit::Bytes,
            SpecUnit::PerSecond => Unit::PerSecond,
            SpecUnit::KibPerSecond => Unit::KiBPerSecond,
            SpecUnit::BytesPerSecond => Unit::BytesPerSecond,
        }
    }
}

/// A checked spec with its regexes compiled, ready to sniff and parse.
#[derive(Debug, Clone)]
pub struct ParserSpec {
    pub definition: Definition,
    recognize: Regex,
    header: Regex,
    row: Option<Regex>,
    skip: Vec<Regex>,
}

impl ParserSpec {
    /// Read and check a spec. `file` names it in errors, which point at line and column.
    pub fn from_toml(file: &str, text: &str) -> Result<ParserSpec, SourceError> {
        let source = SourceFile {
            path: file.into(),
            text: text.to_string(),
        };
        let definition: Definition = toml::from_str(text)
            .map_err(|err| source.error_at(err.span(), err.message().trim().replace('\n', " ")))?;
        let at = |path: &[&str], message: String| source.error_at_path(path, None, message);
        let compile = |path: &[&str], pattern: &str| {
            crate::base::user_regex(pattern)
                .map_err(|err| at(path, format!("bad regex: {}", regex_reason(&err))))
        };
        check(&definition, &at)?;
        let layout = &definition.table;
        let recognize = compile(&["recognize", "header"], &definition.recognize.header)?;
        let header = match &layout.header {
            Some(pattern) => compile(&["table", "header"], pattern)?,
            None => recognize.clone(),
        };
        let row = match &layout.row {
            Some(pattern) => Some(compile(&["table", "row"], pattern)?),
            None => None,
        };
        let skip = layout
            .skip
            .iter()
            .enumerate()
            .map(|(index, pattern)| compile(&["table", "skip", &index.to_string()], pattern))
            .collect::<Result<_, _>>()?;
        Ok(ParserSpec {
            definition,
            recognize,
            header,
            row,
            skip,
        })
    }

    /// The table its rows go to.
    pub fn name(&self) -> &str {
        &self.definition.name
    }

    /// The unit of one of its fields, by the field's final name.
    pub fn unit_of(&self, field: &str) -> Unit {
        self.definition
            .columns
            .iter()
            .find(|column| column.field_name().as_deref() == Some(field))
            .and_then(|column| column.unit)
            .unwrap_or(self.definition.table.unit)
            .into()
    }

    /// The fields its rows can have, when the spec lists them.
    pub fn fields(&self) -> Option<&[String]> {
        let fields = &self.definition.table.fields;
        (!fields.is_empty()).then_some(fields.as_slice())
    }

    /// The metrics its `[[feed]]`s declare, measured by the tool its description names.
    pub fn feeds(&self) -> Vec<Feed> {
        let tool = self
            .definition
            .description
            .split(':')
            .next()
            .filter(|tool| !tool.trim().is_empty())
            .unwrap_or(self.name())
            .trim();
        self.definition
            .feeds
            .iter()
            .map(|feed| {
                let labels: Vec<(&str, &str)> = feed
                    .labels
                    .iter()
                    .map(|(key, value)| (key.as_str(), value.as_str()))
                    .collect();
                let source = format!("{}.{}", self.name(), feed.field);
                Feed::new(feed.rank, tool, &source, &feed.metric).only(&labels)
            })
            .collect()
    }

    /// The unit of every series (`free.total`) in `parsed`, for [`crate::record::Dataset::with_units`].
    pub fn units(&self, parsed: &Parsed) -> BTreeMap<String, Unit> {
        parsed
            .records
            .iter()
            .flat_map(|record| record.fields.keys())
            .map(|field| (format!("{}.{field}", self.name()), self.unit_of(field)))
            .collect()
    }

    fn label_columns(&self) -> usize {
        let layout = &self.definition.table;
        layout.label_columns.unwrap_or(layout.labels.len())
    }

    /// The settings of the column printed as `header`, if any.
    fn column(&self, header: &str) -> Option<&Column> {
        self.definition
            .columns
            .iter()
            .find(|column| match &column.header {
                Some(printed) => printed == header,
                None => column.name.as_deref() == Some(canonical_field(header).as_str()),
            })
    }
}

impl Column {
    /// The field name this column's values go under, when the spec decides it.
    fn field_name(&self) -> Option<String> {
        self.name
            .clone()
            .or_else(|| self.header.as_deref().map(canonical_field))
    }
}

/// The last line of a regex error (`unclosed group`), without the pattern drawing above it.
fn regex_reason(err: &regex::Error) -> String {
    let text = err.to_string();
    let last = text.lines().last().unwrap_or(&text).trim();
    last.strip_prefix("error: ").unwrap_or(last).to_string()
}

/// What deserializing cannot check: names, counts and combinations.
fn check(
    definition: &Definition,
    at: &dyn Fn(&[&str], String) -> SourceError,
) -> Result<(), SourceError> {
    let is_name = |text: &str| {
        text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    if !is_name(&definition.name) {
        return Err(at(
            &["name"],
            format!(
                "bad table name {:?}: a lower-case letter, then lower-case letters, digits or `_`",
                definition.name
            ),
        ));
    }
    let layout = &definition.table;
    if let Some(index) = layout.labels.iter().position(|label| !is_name(label)) {
        return Err(at(
            &["table", "labels", &index.to_string()],
            "a label name is a lower-case letter, then lower-case letters, digits or `_`".into(),
        ));
    }
    if let Some(count) = layout.label_columns
        && layout.labels.len() > count
    {
        return Err(at(
            &["table", "labels"],
            format!(
                "{} label names for {count} label columns",
                layout.labels.len()
            ),
        ));
    }
    if layout.interval.as_secs_f64() <= 0.0 {
        return Err(at(
            &["table", "interval"],
            "the interval must be above 0".into(),
        ));
    }
    for (index, feed) in definition.feeds.iter().enumerate() {
        if metric::find(&feed.metric).is_none() {
            return Err(at(
                &["feed", &index.to_string(), "metric"],
                format!(
                    "{:?} is no canonical metric (record::metric lists them: cpu.busy, \
                     memory.available, sockets.udp_inuse, ...)",
                    feed.metric
                ),
            ));
        }
    }
    let mut time_column = None;
    for (index, column) in definition.columns.iter().enumerate() {
        let index = index.to_string();
        let at_column = |key: &str, message: &str| at(&["column", &index, key], message.into());
        if column.header.is_none() && column.name.is_none() {
            return Err(at_column(
                "",
                "a column needs a `header` or a `name` to find it by",
            ));
        }
        if let Some(name) = &column.name
            && !is_name(name)
        {
            return Err(at_column(
                "name",
                "a field name is a lower-case letter, then lower-case letters, digits or `_`",
            ));
        }
        if let Some(scale) = column.scale
            && !(scale.is_finite() && scale != 0.0)
        {
            return Err(at_column(
                "scale",
                "the scale must be a finite number other than 0",
            ));
        }
        if column.time {
            if time_column.replace(index.clone()).is_some() {
                return Err(at_column("time", "only one column can hold the time"));
            }
            if column.ignore || column.unit.is_some() || column.scale.is_some() {
                return Err(at_column(
                    "time",
                    "a time column takes no `unit`, `scale` or `ignore`",
                ));
            }
        }
    }
    Ok(())
}

/// The index of the first spec that recognizes `text`, if any.
pub fn sniff(specs: &[ParserSpec], text: &str) -> Option<usize> {
    let head: Vec<&str> = text.lines().take(RECOGNIZE_LINES).collect();
    specs
        .iter()
        .position(|spec| head.iter().any(|line| spec.recognize.is_match(line)))
}

/// What a header cell's values are.
#[derive(Debug, Clone)]
enum Role {
    Field { name: String, scale: f64 },
    Time,
    Ignore,
}

/// A header line, read.
struct Header {
    line: usize,
    cells: Vec<String>,
    roles: Vec<Role>,
    /// Whether the header names the label cells, as the first full row under it showed; every
    /// later row under it must have the same layout.
    names_labels: Option<bool>,
}

impl Header {
    fn read(spec: &ParserSpec, line: usize, text: &str) -> Header {
        let cells: Vec<String> = text.split_whitespace().map(str::to_string).collect();
        let roles = cells
            .iter()
            .map(|cell| match spec.column(cell) {
                Some(column) if column.time => Role::Time,
                Some(column) if column.ignore => Role::Ignore,
                Some(column) => Role::Field {
                    name: column.field_name().unwrap_or_else(|| canonical_field(cell)),
                    scale: column.scale.unwrap_or(1.0),
                },
                None => Role::Field {
                    name: canonical_field(cell),
                    scale: 1.0,
                },
            })
            .collect();
        Header {
            line,
            cells,
            roles,
            names_labels: None,
        }
    }
}

/// A data row, read.
struct Row {
    labels: Labels,
    fields: BTreeMap<String, f64>,
    clock: Option<f64>,
}

/// Read one data row under `header`, or say why it does not fit.
fn read_row(spec: &ParserSpec, header: &mut Header, text: &str) -> Result<Row, String> {
    let cells: Vec<&str> = text.split_whitespace().collect();
    let label_count = spec.label_columns();
    let named = header.cells.len();
    let unnamed = named + label_count;
    let full = match header.names_labels {
        Some(true) => named,
        Some(false) => unnamed,
        None if cells.len() == named => named,
        None => unnamed,
    };
    let partial = spec.definition.table.partial_rows && cells.len() > label_count;
    if !(cells.len() == full || partial && cells.len() < full) {
        return Err(format!(
            "{} cells, but the rows under the header at line {} have {full}",
            cells.len(),
            header.line
        ));
    }
    let names_labels = full == named && named != unnamed;
    if cells.len() == full {
        header.names_labels = Some(names_labels);
    }
    let names = &spec.definition.table.labels;
    let labels = cells
        .iter()
        .take(label_count)
        .enumerate()
        .map(|(index, value)| {
            let name = names.get(index).cloned().unwrap_or_else(|| {
                match header.cells.get(index).filter(|_| names_labels) {
                    Some(printed) => canonical_field(printed),
                    None if index == 0 => "label".to_string(),
                    None => format!("label_{}", index + 1),
                }
            });
            (name.into(), label_value(value).into())
        })
        .collect();
    let first_column = if names_labels { label_count } else { 0 };
    let mut row = Row {
        labels,
        fields: BTreeMap::new(),
        clock: None,
    };
    let columns = header.cells.iter().zip(&header.roles).skip(first_column);
    for ((printed, role), cell) in columns.zip(cells.iter().skip(label_count)) {
        match role {
            Role::Ignore => {}
            Role::Time => {
                row.clock = Some(
                    clock_seconds(cell)
                        .ok_or_else(|| format!("column `{printed}`: `{cell}` is not a time"))?,
                );
            }
            Role::Field { name, scale } => {
                let value: f64 = cell
                    .strip_suffix('%')
                    .unwrap_or(cell)
                    .parse()
                    .ok()
                    .filter(|value: &f64| value.is_finite())
                    .ok_or_else(|| format!("column `{printed}`: `{cell}` is not a number"))?;
                row.fields.insert(name.clone(), value * scale);
            }
        }
    }
    Ok(row)
}

/// A label cell's value: `Mem:` names the instance `Mem`.
fn label_value(cell: &str) -> &str {
    cell.strip_suffix(':').unwrap_or(cell)
}

/// Epoch seconds, or `HH:MM:SS` as seconds since midnight.
fn clock_seconds(cell: &str) -> Option<f64> {
    let parts: Vec<&str> = cell.split(':').collect();
    match parts.as_slice() {
        [seconds] => seconds.parse::<f64>().ok().filter(|s| s.is_finite()),
        [hours, minutes, seconds] => {
            let hours: u32 = hours.parse().ok().filter(|h| *h < 24)?;
            let minutes: u32 = minutes.parse().ok().filter(|m| *m < 60)?;
            let seconds: f64 = seconds.parse().ok().filter(|s| (0.0..61.0).contains(s))?;
            Some(f64::from(hours * 3600 + minutes * 60) + seconds)
        }
        _ => None,
    }
}

/// Parse `text` as `spec` describes. `file` names the input in warnings and record sources.
pub fn parse(spec: &ParserSpec, file: &str, text: &str) -> Parsed {
    const DAY: f64 = 86_400.0;
    let mut parsed = Parsed::default();
    let mut header: Option<Header> = None;
    let mut rows_seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut last_clock: Option<f64> = None;
    let mut days = 0.0;
    let interval = spec.definition.table.interval.as_secs_f64();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() || spec.skip.iter().any(|skip| skip.is_match(line)) {
            continue;
        }
        if spec.header.is_match(line) {
            header = Some(Header::read(spec, number, line));
            continue;
        }
        let Some(header) = header.as_mut() else {
            continue;
        };
        if spec.row.as_ref().is_some_and(|row| !row.is_match(line)) {
            continue;
        }
        // Counted before the row is checked, so a dropped row does not shift the later ones.
        let instance: Vec<&str> = line
            .split_whitespace()
            .take(spec.label_columns())
            .map(label_value)
            .collect();
        let seen = rows_seen.entry(instance.join(" ")).or_default();
        let occurrence = *seen;
        *seen += 1;
        let row = match read_row(spec, header, line) {
            Ok(row) => row,
            Err(message) => {
                parsed.warnings.push(ParseWarning {
                    file: file.into(),
                    line: number,
                    message,
                });
                continue;
            }
        };
        if row.fields.is_empty() {
            continue;
        }
        let time = match row.clock {
            Some(clock) => {
                if last_clock.is_some_and(|last| clock < last) {
                    days += DAY;
                }
                last_clock = Some(clock);
                clock + days
            }
            None => occurrence as f64 * interval,
        };
        parsed.records.push(Record {
            table: spec.name().into(),
            time,
            labels: row.labels,
            fields: row.fields.into(),
            source: SourceRef {
                file: file.into(),
                line: number,
            },
        });
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> ParserSpec {
        ParserSpec::from_toml("t.toml", text).unwrap_or_else(|err| panic!("{err}"))
    }

    #[test]
    fn labels_named_by_the_header_take_its_names() {
        let spec =
            spec("name = \"n\"\n[recognize]\nheader = '^Iface'\n[table]\nlabel_columns = 1\n");
        let parsed = parse(&spec, "f", "Iface MTU %drop\neth0 1500 5%\n");
        assert_eq!(parsed.warnings, vec![]);
        let record = &parsed.records[0];
        assert_eq!(record.labels["iface"], "eth0");
        assert_eq!(record.fields["mtu"], 1500.0);
        assert_eq!(record.fields["drop"], 5.0);
        assert_eq!(record.source.line, 2);
    }

    #[test]
    fn bad_rows_are_warned_about_and_skipped() {
        let spec =
            spec("name = \"n\"\n[recognize]\nheader = '^ +a +b'\n[table]\nlabels = [\"k\"]\n");
        let parsed = parse(
            &spec,
            "f",
            "   a  b\nx: 1 2\ny: 1\nz: 1 q\nw: NaN 2\nx: 3 4\n",
        );
        let lines: Vec<usize> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(parsed.warnings[1].message.contains("`q` is not a number"));
        let times: Vec<f64> = parsed.records.iter().map(|r| r.time).collect();
        assert_eq!(times, vec![0.0, 1.0]);
        assert_eq!(parsed.records[0].labels["k"], "x");
    }

    #[test]
    fn a_clock_column_gives_the_time_and_wraps_at_midnight() {
        let spec = spec(
            "name = \"n\"\n[recognize]\nheader = '^time'\n[[column]]\nname = \"time\"\ntime = true\n[[column]]\nheader = \"v\"\nname = \"value\"\nscale = 4\nunit = \"kib\"\n",
        );
        let parsed = parse(&spec, "f", "time v\n23:59:59 1\n00:00:01 2\n");
        let points: Vec<(f64, f64)> = parsed
            .records
            .iter()
            .map(|r| (r.time, r.fields["value"]))
            .collect();
        assert_eq!(points, vec![(86_399.0, 4.0), (86_401.0, 8.0)]);
        assert_eq!(spec.unit_of("value"), Unit::KiB);
        assert_eq!(spec.unit_of("other"), Unit::Count);
    }

    #[test]
    fn checks_point_at_the_offending_value() {
        let err = ParserSpec::from_toml(
            "x.toml",
            "name = \"n\"\n[recognize]\nheader = 'a'\n[table]\nrow = '(unclosed'\n",
        )
        .unwrap_err();
        assert_eq!((err.line, err.column), (5, 7), "{err}");
        assert!(err.message.contains("unclosed group"), "{err}");
        let err =
            ParserSpec::from_toml("x.toml", "name = \"Bad Name\"\n[recognize]\nheader = 'a'\n")
                .unwrap_err();
        assert_eq!(err.line, 1, "{err}");
    }

    #[test]
    fn any_bytes_parse_without_panic() {
        let spec = spec(
            "name = \"n\"\n[recognize]\nheader = 'h'\n[table]\nlabel_columns = 3\npartial_rows = true\n",
        );
        for text in ["h\n\u{0}\u{ff}x 1\n", "h a\n: : : : :\n", "h\n1\n", ""] {
            parse(&spec, "f", text);
        }
    }
}

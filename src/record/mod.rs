//! Typed records and the uniform series view that rules query.
//!
//! Every parser turns one tool's text into [`Record`]s: one row of one table
//! (`mpstat`, `vmstat`, `iostat`, `sar_dev`, `pidstat`, `pressure`, ...), at one
//! time, for one instance (the labels), with numeric fields under canonical names.
//! Nothing above `parse/` looks at tool text again.

pub mod columns;
pub mod fallback;
pub mod metric;
pub mod name;
pub mod series;
pub mod target;
pub mod units;

use serde::{Deserialize, Serialize};

pub use columns::Columns;
pub use metric::{Feed, Metric, MetricSource, Rank};
pub use name::{Name, NameMap};
pub use series::{Dataset, Origin, Rows, Series};
pub use units::Unit;

/// Which instance a row describes: `cpu="0"`, `device="sda"`, `pid="123"`, `comm="nginx"`.
/// Two kept inline: most tables label a row with one or two names (`cpu`; `pid`, `comm`).
pub(crate) type Labels = NameMap<Name, 2>;

/// A row's measurements by canonical field name.
pub type Fields = NameMap<f64>;

/// One row of one tool's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Record {
    /// The table the row belongs to; with a field name it makes a series name (`mpstat.usr`).
    pub table: Name,
    /// Seconds since the Unix epoch when the tool printed a date or the collector knew it;
    /// otherwise seconds since the first sample of the file.
    pub time: f64,
    pub labels: Labels,
    /// Field values under canonical names: lower case, leading `%` dropped, `/` and `-` as `_`
    /// (`%util` → `util`, `rkB/s` → `rkb_s`, `aqu-sz` → `aqu_sz`). Units: declared by the parser that makes the table (`parse::unit_of`).
    pub fields: Fields,
    pub source: SourceRef,
}

impl Record {
    /// A record from plain name/value pairs, read from line `line` of `file`: for code that
    /// makes a record or two rather than parsing a table (tests, derived rows).
    pub fn from_pairs(
        table: &str,
        time: f64,
        labels: &[(&str, &str)],
        fields: &[(&str, f64)],
        file: &str,
        line: usize,
    ) -> Record {
        Record {
            table: table.into(),
            time,
            labels: labels.iter().map(|&(k, v)| (k.into(), v.into())).collect(),
            fields: fields.iter().map(|&(k, v)| (k.into(), v)).collect(),
            source: SourceRef {
                file: file.into(),
                line,
            },
        }
    }
}

/// Where a record came from: a raw file (relative to the data directory; an archive member is
/// `archive.tgz!/path/in/archive`) and a 1-based line.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct SourceRef {
    /// Shared by every record of the file: cloning it costs no allocation.
    pub file: Name,
    pub line: usize,
}

/// A line of input a parser could not use. The parse of the rest goes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseWarning {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ParseWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Facts about the host a file revealed (sysstat's banner names the CPU count, for one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HostFacts {
    pub hostname: Option<String>,
    pub kernel: Option<String>,
    pub cpus: Option<u32>,
    pub mem_total_kib: Option<u64>,
    /// When the host booted, in seconds since the epoch (/proc/stat's `btime`): what places
    /// times a kernel log gives in seconds since boot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_time: Option<u64>,
}

impl HostFacts {
    /// Fill what `self` does not know from `other`.
    pub(crate) fn merge(&mut self, other: &HostFacts) {
        if self.hostname.is_none() {
            self.hostname.clone_from(&other.hostname);
        }
        if self.kernel.is_none() {
            self.kernel.clone_from(&other.kernel);
        }
        self.cpus = self.cpus.or(other.cpus);
        self.mem_total_kib = self.mem_total_kib.or(other.mem_total_kib);
        self.boot_time = self.boot_time.or(other.boot_time);
    }
}

/// What a parser made of one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Parsed {
    pub records: Vec<Record>,
    pub warnings: Vec<ParseWarning>,
    pub host: HostFacts,
}

/// CPU busy percent from idle and iowait percents: what is neither idle nor waiting on I/O.
/// Time waiting on I/O is idle time (the CPU could have run something else), as sysstat
/// itself reports it apart. Every parser that derives `busy` uses this one formula.
pub(crate) fn cpu_busy_pct(idle: f64, iowait: f64) -> f64 {
    (100.0 - idle - iowait).max(0.0)
}

/// Memory in use from a `Mem` row of free or top (`total`, `available`): 100 − available /
/// total, as /proc/meminfo's `memory.used_pct` is computed; none without a total.
pub(crate) fn used_pct_of_totals(fields: &Fields) -> Option<f64> {
    let total = *fields.get("total")?;
    let available = *fields.get("available")?;
    (total > 0.0).then(|| 100.0 - available / total * 100.0)
}

/// Swap in use from a `Swap` row of free or top (`total`, `used`): 0 without swap.
pub(crate) fn swap_used_pct_of_totals(fields: &Fields) -> Option<f64> {
    let total = *fields.get("total")?;
    let used = *fields.get("used")?;
    Some(if total > 0.0 {
        used / total * 100.0
    } else {
        0.0
    })
}

/// The canonical name of a tool's column header: `%util` → `util`, `rkB/s` → `rkb_s`.
pub(crate) fn canonical_field(header: &str) -> String {
    let trimmed = header.trim().trim_start_matches('%');
    let mut name = String::with_capacity(trimmed.len());
    for ch in trimmed.chars() {
        match ch {
            '/' | '-' | '.' | ' ' => name.push('_'),
            '%' => name.push_str("pct"),
            c => name.extend(c.to_lowercase()),
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::canonical_field;

    #[test]
    fn canonical_names_follow_the_documented_rule() {
        assert_eq!(canonical_field("%util"), "util");
        assert_eq!(canonical_field("rkB/s"), "rkb_s");
        assert_eq!(canonical_field("aqu-sz"), "aqu_sz");
        assert_eq!(canonical_field("%rxutil"), "rxutil");
        assert_eq!(canonical_field("r_await"), "r_await");
    }
}

//! Units of the canonical fields, so a rule can write `20ms` or `90%` and be compared
//! with the series in the series' own unit.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A plain number: a count, a queue length, a ratio.
    Count,
    /// 0–100.
    Percent,
    Milliseconds,
    Seconds,
    Microseconds,
    KiB,
    Bytes,
    PerSecond,
    KiBPerSecond,
    BytesPerSecond,
}

/// What a unit measures; literals convert only within one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Count,
    Percent,
    Time,
    Size,
    Rate,
    Throughput,
}

impl Unit {
    pub fn dimension(self) -> Dimension {
        match self {
            Unit::Count => Dimension::Count,
            Unit::Percent => Dimension::Percent,
            Unit::Milliseconds | Unit::Seconds | Unit::Microseconds => Dimension::Time,
            Unit::KiB | Unit::Bytes => Dimension::Size,
            Unit::PerSecond => Dimension::Rate,
            Unit::KiBPerSecond | Unit::BytesPerSecond => Dimension::Throughput,
        }
    }

    /// How many of the dimension's base unit (seconds, bytes, bytes/s) one of `self` is.
    fn scale(self) -> f64 {
        match self {
            Unit::Count | Unit::Percent | Unit::PerSecond | Unit::Seconds | Unit::Bytes => 1.0,
            Unit::BytesPerSecond => 1.0,
            Unit::Milliseconds => 1e-3,
            Unit::Microseconds => 1e-6,
            Unit::KiB | Unit::KiBPerSecond => 1024.0,
        }
    }

    /// Convert `value` in `self` to `to`; `None` when the dimensions differ.
    pub fn convert(self, value: f64, to: Unit) -> Option<f64> {
        (self.dimension() == to.dimension()).then(|| value * self.scale() / to.scale())
    }

    /// The suffix a report prints after a number in this unit.
    pub fn suffix(self) -> &'static str {
        match self {
            Unit::Count => "",
            Unit::Percent => "%",
            Unit::Milliseconds => " ms",
            Unit::Seconds => " s",
            Unit::Microseconds => " µs",
            Unit::KiB => " KiB",
            Unit::Bytes => " B",
            Unit::PerSecond => "/s",
            Unit::KiBPerSecond => " KiB/s",
            Unit::BytesPerSecond => " B/s",
        }
    }
}

/// The unit of a canonical field of a table. Unknown fields are counts.
pub fn unit_of(table: &str, field: &str) -> Unit {
    match (table, field) {
        ("mpstat" | "mpstat_node" | "sar_cpu", _) => Unit::Percent,
        ("iostat_cpu", _) => Unit::Percent,
        ("vmstat", "us" | "sy" | "id" | "wa" | "st" | "gu") => Unit::Percent,
        ("vmstat", "swpd" | "free" | "buff" | "cache" | "inact" | "active") => Unit::KiB,
        ("vmstat", "si" | "so" | "bi" | "bo" | "in" | "cs") => Unit::PerSecond,
        ("pressure", _) => Unit::Percent,
        ("meminfo", f) if f.starts_with("hugepages_") => Unit::Count,
        ("meminfo", _) => Unit::KiB,
        ("memory", "used_pct" | "swap_used_pct") => Unit::Percent,
        ("cgroup_memory", f) if f.ends_with("_bytes") => Unit::Bytes,
        (
            "proc_stat",
            "usr" | "nice" | "sys" | "iowait" | "irq" | "soft" | "steal" | "guest" | "gnice"
            | "idle" | "busy",
        ) => Unit::Percent,
        ("diskstats" | "iostat", "rrqm" | "wrqm" | "drqm") => Unit::Percent,
        ("diskstats" | "iostat" | "sar_disk", f) if f.ends_with("areq_sz") => Unit::KiB,
        (
            "sar_memory" | "sar_swap_space" | "sar_hugepages",
            "memused" | "commit" | "swpused" | "swpcad" | "hugused",
        ) => Unit::Percent,
        ("sar_memory" | "sar_swap_space" | "sar_hugepages", f) if f.starts_with("kb") => Unit::KiB,
        ("sar_psi_cpu" | "sar_psi_io" | "sar_psi_mem", _) => Unit::Percent,
        // sar counts paging in and out in kilobytes, not pages.
        ("sar_paging", "pgpgin_s" | "pgpgout_s") => Unit::KiBPerSecond,
        ("sar_paging", "vmeff") => Unit::Percent,
        ("sar_io", "rtps" | "wtps" | "dtps") => Unit::PerSecond,
        ("pidstat", "vsz" | "rss" | "stksize" | "stkref") => Unit::KiB,
        ("pidstat", "kb_rd_s" | "kb_wr_s" | "kb_ccwr_s") => Unit::KiBPerSecond,
        // Socket counts and pages of socket memory, whatever a name ends with.
        ("sockstat", _) => Unit::Count,
        (_, f) if f.ends_with("await") || f == "svctm" || f.ends_with("_ms") => Unit::Milliseconds,
        (_, f) if f.ends_with("_pct") => Unit::Percent,
        (_, f) if f.ends_with("kb_s") => Unit::KiBPerSecond,
        (_, f) if f.ends_with("_s") || f == "tps" || f == "cswch" || f == "nvcswch" => {
            Unit::PerSecond
        }
        (_, f)
            if f == "util"
                || f.ends_with("util")
                || f == "busy"
                || f.starts_with("pct_")
                || matches!(f, "usr" | "system" | "guest" | "wait" | "cpu" | "mem") =>
        {
            Unit::Percent
        }
        _ => Unit::Count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_convert_within_a_dimension_only() {
        assert_eq!(Unit::Seconds.convert(0.02, Unit::Milliseconds), Some(20.0));
        assert_eq!(
            Unit::KiBPerSecond.convert(1.0, Unit::BytesPerSecond),
            Some(1024.0)
        );
        assert_eq!(Unit::Seconds.convert(1.0, Unit::KiB), None);
    }

    #[test]
    fn sysstat_fields_have_their_units() {
        assert_eq!(unit_of("iostat", "r_await"), Unit::Milliseconds);
        assert_eq!(unit_of("iostat", "util"), Unit::Percent);
        assert_eq!(unit_of("sar_dev", "rxkb_s"), Unit::KiBPerSecond);
        assert_eq!(unit_of("vmstat", "r"), Unit::Count);
        assert_eq!(unit_of("mpstat", "usr"), Unit::Percent);
    }
}

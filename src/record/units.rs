//! Units of the canonical fields, so a rule can write `20ms` or `90%` and be compared
//! with the series in the series' own unit. What a field's name implies is here; each parser
//! declares what differs for its own tables.

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
pub(crate) enum Dimension {
    Count,
    Percent,
    Time,
    Size,
    Rate,
    Throughput,
}

impl Unit {
    pub(crate) fn dimension(self) -> Dimension {
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
    pub(crate) fn convert(self, value: f64, to: Unit) -> Option<f64> {
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

    /// The unit a canonical field's name implies (`*_ms` milliseconds, `*_pct` a percent,
    /// `*kb_s` KiB/s, `*_s` per second; anything else a count): the rule for every field
    /// whose parser declares nothing more of it (`parse::unit_of`).
    pub(crate) fn from_field_name(field: &str) -> Unit {
        match field {
            f if f.ends_with("await") || f == "svctm" || f.ends_with("_ms") => Unit::Milliseconds,
            f if f.ends_with("_pct") => Unit::Percent,
            f if f.ends_with("kb_s") => Unit::KiBPerSecond,
            f if f.ends_with("_s") || f == "tps" || f == "cswch" || f == "nvcswch" => {
                Unit::PerSecond
            }
            f if f == "util"
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
    fn field_names_imply_their_units() {
        assert_eq!(Unit::from_field_name("r_await"), Unit::Milliseconds);
        assert_eq!(Unit::from_field_name("retrans_pct"), Unit::Percent);
        assert_eq!(Unit::from_field_name("rxkb_s"), Unit::KiBPerSecond);
        assert_eq!(Unit::from_field_name("cswch_s"), Unit::PerSecond);
        assert_eq!(Unit::from_field_name("util"), Unit::Percent);
        assert_eq!(Unit::from_field_name("r"), Unit::Count);
    }
}

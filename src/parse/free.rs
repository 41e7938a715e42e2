//! Parser for procps `free`: `-k` (the default), `-m`, `-g`, `-b`, `-h` and `--si -h`, with or
//! without `-w` (buffers and cache apart), `-t` (a `Total:` row), `-l` (`Low:` and `High:`)
//! and `-s N -c M` (a table every N seconds). Table `free` {kind: Mem, Swap, Low, High, Total}
//! with the header's columns under canonical names (`total used free shared buff_cache
//! available`, or `buffers cache` with `-w`), always in KiB; a row may stop early (`Swap:`).
//!
//! `-h` prints each number with its unit (`23Gi`, `870Mi`, `0B`; `25G` with `--si`). The other
//! options print bare numbers and no unit, so the unit is taken from the file's name when it
//! says it (`free-m.txt`, `free_g`, `free.bytes`: a `k`, `m`, `g` or `b` word, or `kib`, `mib`,
//! `gib`, `bytes`), else from the size of the Mem row's total: under 2^10 it is read as GiB,
//! under 2^16 as MiB (no Linux host has less than 64 MiB of RAM, and a MiB count under 2^16
//! is under 64 GiB), from 2^31 as bytes (a KiB count that large is over 2 TiB), and KiB
//! otherwise, free's default. A guess other than KiB is said in a warning.
//!
//! Time: free prints none; the n-th table (from 0) is at n seconds, as for `free -s 1`.
//!
//! perf_manual read `free -k` and `free -w` before through the `free` parser spec
//! (parsers/free.toml), which reads the same table under the same names; this parser,
//! recognized first, also reads the other units.

use super::sniff::Sign;
use super::{Format, Parser, Table};
use crate::record::{
    Feed, Labels, ParseWarning, Parsed, Rank, Record, SourceRef, Unit, canonical_field,
    metric::Convert, swap_used_pct_of_totals, used_pct_of_totals,
};

/// `free`, told by its column header: `total used free shared buff/cache available`.
pub struct Free;

impl Parser for Free {
    fn format(&self) -> Format {
        Format::Free
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        header_columns(line).map(|_| Sign::Header)
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }

    fn unit(&self, table: &str, _field: &str) -> Option<Unit> {
        (table == "free").then_some(Unit::KiB)
    }

    fn tables(&self) -> Vec<Table> {
        vec![Table::known(
            "free",
            &[
                "total",
                "used",
                "free",
                "shared",
                "buff_cache",
                "buffers",
                "cache",
                "available",
            ],
        )]
    }

    fn feeds(&self) -> Vec<Feed> {
        memory_feeds("free", "free")
    }
}

/// The memory metrics of a table of `Mem` and `Swap` rows in KiB with `total`, `used` and
/// (on `Mem`) `available`, as free and top print them: a summary, below /proc/meminfo and sar.
pub(crate) fn memory_feeds(tool: &str, table: &str) -> Vec<Feed> {
    let feed = |field: &str, metric: &str, kind: &str| {
        Feed::new(Rank::Summary, tool, &format!("{table}.{field}"), metric).only(&[("kind", kind)])
    };
    vec![
        feed("total,available", "memory.used_pct", "Mem")
            .convert(Convert::Derive(used_pct_of_totals)),
        feed("available", "memory.available", "Mem"),
        feed("total,used", "memory.swap_used_pct", "Swap")
            .convert(Convert::Derive(swap_used_pct_of_totals)),
    ]
}

/// The columns of free's header, canonical, when `line` is one.
fn header_columns(line: &str) -> Option<Vec<String>> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let known = [
        "total",
        "used",
        "free",
        "shared",
        "buff/cache",
        "buffers",
        "cache",
        "available",
    ];
    let is_header = words.len() >= 6
        && words.starts_with(&["total", "used", "free", "shared"])
        && words.last() == Some(&"available")
        && words.iter().all(|word| known.contains(word))
        && line.starts_with(' ');
    is_header.then(|| words.iter().map(|word| canonical_field(word)).collect())
}

/// The unit bare numbers are in, as KiB per unit.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scale {
    kib: f64,
    name: &'static str,
}

const BYTES: Scale = Scale {
    kib: 1.0 / 1024.0,
    name: "bytes (-b)",
};
const KIB: Scale = Scale {
    kib: 1.0,
    name: "KiB (-k)",
};
const MIB: Scale = Scale {
    kib: 1024.0,
    name: "MiB (-m)",
};
const GIB: Scale = Scale {
    kib: 1024.0 * 1024.0,
    name: "GiB (-g)",
};

/// The unit the file's name says, if it says one.
fn scale_in_name(file: &str) -> Option<Scale> {
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    base.split(['.', '_', '-'])
        .find_map(|word| match word.to_ascii_lowercase().as_str() {
            "b" | "bytes" => Some(BYTES),
            "k" | "kib" | "kibi" => Some(KIB),
            "m" | "mib" | "mebi" => Some(MIB),
            "g" | "gib" | "gibi" => Some(GIB),
            _ => None,
        })
}

/// The unit a bare Mem total most likely is in (see the module doc).
fn scale_of_total(total: f64) -> Scale {
    if total < 1024.0 {
        GIB
    } else if total < 65_536.0 {
        MIB
    } else if total >= 2_147_483_648.0 {
        BYTES
    } else {
        KIB
    }
}

/// A cell in KiB: a bare number in `scale`, or a number with free -h's unit.
fn kib_of(cell: &str, scale: Scale) -> Option<f64> {
    let split = cell
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(cell.len());
    let (number, unit) = cell.split_at(split);
    let number: f64 = number.replace(',', ".").parse().ok()?;
    let kib = match unit {
        "" => scale.kib,
        "B" => 1.0 / 1024.0,
        "Ki" => 1.0,
        "Mi" => 1024.0,
        "Gi" => 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0,
        "Pi" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "K" => 1e3 / 1024.0,
        "M" => 1e6 / 1024.0,
        "G" => 1e9 / 1024.0,
        "T" => 1e12 / 1024.0,
        "P" => 1e15 / 1024.0,
        _ => return None,
    };
    Some(number * kib)
}

pub fn parse(file: &str, text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let warn = |parsed: &mut Parsed, line: usize, message: String| {
        parsed.warnings.push(ParseWarning {
            file: file.to_string(),
            line,
            message,
        })
    };
    let scale = scale_in_name(file).unwrap_or_else(|| {
        let total = text
            .lines()
            .find_map(|line| line.strip_prefix("Mem:"))
            .and_then(|rest| rest.split_whitespace().next())
            .filter(|cell| cell.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|cell| cell.parse::<f64>().ok());
        let scale = total.map_or(KIB, scale_of_total);
        if scale != KIB {
            let line = text
                .lines()
                .position(|l| l.starts_with("Mem:"))
                .unwrap_or(0)
                + 1;
            warn(
                &mut parsed,
                line,
                format!(
                    "free prints no unit: read as {} from the size of the Mem total; name the \
                     file free-k, free-m, free-g or free-b to say which it was",
                    scale.name
                ),
            );
        }
        scale
    });
    let mut columns: Option<Vec<String>> = None;
    let mut table = 0usize;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        if let Some(header) = header_columns(line) {
            if columns.is_some() {
                table += 1;
            }
            columns = Some(header);
            continue;
        }
        let Some(columns) = &columns else {
            warn(
                &mut parsed,
                number,
                "expected free's header `total used free shared ...` first".into(),
            );
            continue;
        };
        let Some((kind, rest)) = line.split_once(':') else {
            warn(
                &mut parsed,
                number,
                "expected a row `Mem:`, `Swap:`, ...".into(),
            );
            continue;
        };
        let cells: Vec<&str> = rest.split_whitespace().collect();
        let values: Option<Vec<f64>> = cells.iter().map(|cell| kib_of(cell, scale)).collect();
        match values {
            Some(values)
                if !values.is_empty()
                    && values.len() <= columns.len()
                    && !kind.trim().is_empty()
                    && !kind.contains(char::is_whitespace) =>
            {
                let mut labels = Labels::new();
                labels.insert("kind".into(), kind.trim().into());
                parsed.records.push(Record {
                    table: "free".into(),
                    time: table as f64,
                    labels,
                    fields: columns
                        .iter()
                        .zip(values)
                        .map(|(column, value)| (column.as_str().into(), value))
                        .collect(),
                    source: SourceRef {
                        file: file.into(),
                        line: number,
                    },
                });
            }
            _ => warn(
                &mut parsed,
                number,
                format!(
                    "expected `Kind:` and at most {} numbers (a unit like Gi only with -h)",
                    columns.len()
                ),
            ),
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: &str =
        "               total        used        free      shared  buff/cache   available
Mem:        24683792      899720     4188596        9756    20018800    23784072
Swap:              0           0           0
";

    fn mem_total(parsed: &Parsed) -> f64 {
        parsed.records[0].fields["total"]
    }

    #[test]
    fn every_unit_gives_kib() {
        let m = K.replace("24683792", "24105");
        let h = K.replace("24683792", "23Gi");
        let si = K.replace("24683792", "25G");
        assert_eq!(mem_total(&parse("free.txt", K)), 24_683_792.0);
        assert_eq!(mem_total(&parse("free.txt", &m)), 24_105.0 * 1024.0);
        assert_eq!(mem_total(&parse("free-m.txt", &m)), 24_105.0 * 1024.0);
        assert_eq!(mem_total(&parse("free_k", &m)), 24_105.0);
        assert_eq!(mem_total(&parse("free.txt", &h)), 23.0 * 1024.0 * 1024.0);
        assert_eq!(mem_total(&parse("free.txt", &si)), 25e9 / 1024.0);
        assert!(parse("free.txt", K).warnings.is_empty());
        let guessed = parse("free.txt", &m);
        assert_eq!(guessed.warnings.len(), 1);
        assert!(guessed.warnings[0].message.contains("MiB"));
    }

    #[test]
    fn rows_that_do_not_fit_are_warned_about_and_the_rest_is_read() {
        let text = "Mem: 100000 2 3\n               total        used        free      shared  buff/cache   available\nMem: 1 2 3 4 5 6 7\nSwap: 1x 2 3\nLow: 10 20 30\n";
        let parsed = parse("free.txt", text);
        let lines: Vec<usize> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [1, 3, 4]);
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.records[0].labels["kind"], "Low");
    }
}

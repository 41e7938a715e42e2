//! `perf script` output: recognized here, folded into a profile by `profile/` rather than
//! read into records.

use super::sniff::Sign;
use super::{Format, Parser};
use crate::record::Parsed;

/// `perf script`, told by a sample line: `comm  pid [cpu] 12345.678901:  period event:`.
pub(crate) struct PerfScript;

impl Parser for PerfScript {
    fn format(&self) -> Format {
        Format::PerfScript
    }

    /// A sample line, or the first line of the header `perf script --header` prints (28
    /// comment lines, more than the head sniffing reads, come before the first sample).
    fn sign(&self, line: &str) -> Option<Sign> {
        (is_sample(line) || is_header_start(line)).then_some(Sign::Sample)
    }

    /// No records: the samples' stacks become a profile.
    fn parse(&self, _file: &str, _text: &str) -> Parsed {
        Parsed::default()
    }
}

/// `# captured on    : Fri Dec  4 18:25:17 2026`, perf's header's first field.
fn is_header_start(line: &str) -> bool {
    line.strip_prefix('#')
        .and_then(|rest| rest.trim_start().strip_prefix("captured on"))
        .is_some_and(|rest| rest.trim_start().starts_with(':'))
}

/// A sample line: a time stamp cell ending in `:`, at least the third cell, followed later by
/// an event name ending in `:`.
fn is_sample(line: &str) -> bool {
    if line.starts_with(char::is_whitespace) {
        return false;
    }
    let cells: Vec<&str> = line.split_ascii_whitespace().collect();
    cells.iter().enumerate().any(|(index, cell)| {
        cell.strip_suffix(':')
            .is_some_and(|stamp| stamp.contains('.') && stamp.parse::<f64>().is_ok())
            && index >= 2
            && cells
                .get(index + 1..)
                .is_some_and(|after| after.iter().any(|c| c.len() > 1 && c.ends_with(':')))
    })
}

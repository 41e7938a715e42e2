//! Parser for sar reports. Today: `sar -n DEV` → table `sar_dev`, label `iface`.
//!
//! Each sar report is one header-keyed table, so adding one (`-u`, `-q`, `-r`, `-n EDEV`,
//! `-n TCP`) is one more [`TableSpec`] in [`REPORTS`]: its first column, a marker column that
//! tells it from reports sharing that first column, and its label columns. A file holding
//! several reports (`sar -n DEV,EDEV`) yields each known one; unknown ones are skipped with
//! a warning at their header.

use super::sysstat::{TableSpec, read_tables};
use crate::record::Parsed;

/// `sar -n DEV`: per-interface packets, kilobytes and utilization per second.
const DEV: TableSpec = TableSpec {
    table: "sar_dev",
    first: &["IFACE"],
    marker: Some("rxpck/s"),
    labels: &[("IFACE", "iface")],
    renames: &[],
    skip: &[],
};

const REPORTS: &[TableSpec] = &[DEV];

pub fn parse(file: &str, text: &str) -> Parsed {
    read_tables(file, text, REPORTS)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn unknown_reports_are_skipped_with_one_warning() {
        let text = "Linux 6.1 (h) \t2026-11-25 \t_x86_64_\t(1 CPU)\n\n\
                    19:11:23 IFACE rxpck/s %ifutil\n19:11:24 lo 1.00 0.00\n\n\
                    19:11:23 IFACE rxerr/s txerr/s\n19:11:24 lo 0.00 0.00\n19:11:24 eth0 0.00 0.00\n";
        let parsed = parse("s", text);
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.records[0].fields["rxpck_s"], 1.0);
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(parsed.warnings[0].line, 6);
    }
}

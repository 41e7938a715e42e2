//! `/sys/block/DEV/device/{iodone_cnt,ioerr_cnt}` (SCSI disks only; hexadecimal), one
//! snapshot per file → `disk_errors` {device}: iodone_s, ioerr_s, and `ioerr_delta`, errors
//! since the first snapshot.

use std::collections::BTreeMap;

use super::rate::Counters;
use super::snapshot::{Rounds, single_value};
use super::{Output, labels};
use crate::parse::Table;

pub(super) fn table() -> Table {
    Table::known("disk_errors", &["ioerr_s", "iodone_s", "ioerr_delta"])
}

/// A SCSI device's counters under `/sys/block/DEV/device/`, hexadecimal: commands completed,
/// and completed with an error.
pub(crate) const DISK_ERROR_COUNTERS: [&str; 2] = ["iodone_cnt", "ioerr_cnt"];

/// `0x1f` (the SCSI counters) or `31`.
fn hex_or_decimal(text: &str) -> Option<u64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

pub(super) fn disk_errors(rounds: &Rounds, out: &mut Output) {
    for (device, times) in rounds {
        let mut counters = Counters::default();
        for (&time_us, files) in times {
            let mut values = BTreeMap::new();
            for &(file, snapshot) in files {
                let Some(text) = single_value(snapshot, out, "a counter") else {
                    continue;
                };
                let line = snapshot.first_line();
                let Some(now) = hex_or_decimal(text) else {
                    out.warn(line, "expected a counter such as 0x1f");
                    continue;
                };
                let (name, rate) = if file == "ioerr_cnt" {
                    ("ioerr_cnt", "ioerr_s")
                } else {
                    ("iodone_cnt", "iodone_s")
                };
                if let Some((per_second, since_first)) =
                    counters.update(out, name, now, time_us, line)
                {
                    values.insert(rate.into(), per_second);
                    if name == "ioerr_cnt" {
                        values.insert("ioerr_delta".into(), since_first);
                    }
                }
            }
            let line = files
                .first()
                .map_or(1, |(_, snapshot)| snapshot.first_line());
            out.push(
                "disk_errors",
                time_us,
                line,
                labels(&[("device", device)]),
                values,
            );
        }
    }
}

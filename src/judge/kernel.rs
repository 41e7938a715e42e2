//! Kernel log events placed against the capture's window, so that an OOM kill from last week
//! in a dmesg copied today is shown as earlier history, never as a finding of the window.
//!
//! The window is the span of every other record with a wall-clock time (the sampler's
//! snapshots, sysstat's dated rows, hand-taken /proc copies dated by their names or files).
//! Log times given in seconds since boot (dmesg) are placed with the host's boot time
//! (/proc/stat's `btime`, or the running host's for `run`); times given without a year
//! (journalctl -k) take the window's year. Then an event before the window's start (less a
//! second: logs print whole seconds) moves to `kernel_earlier`, and one that cannot be placed
//! while the window is known moves to `kernel_unplaced`, each with an `event` label naming
//! its table; the rules read neither. Without a window the log is all the data, and every
//! event is judged.

use std::collections::BTreeSet;

use super::copies::epoch_as_record_time;
use crate::parse::kernel_log::{NO_YEAR, is_event_table};
use crate::record::{HostFacts, ParseWarning, Record};

/// Where events logged before the window go.
pub(crate) const EARLIER: &str = "kernel_earlier";
/// Where events that could not be placed against the window go.
pub(crate) const UNPLACED: &str = "kernel_unplaced";

/// Times from 2001 on are wall-clock times; smaller ones count from a start (a boot, a first
/// sample) or were read without their year.
const WALL_CLOCK_FROM: f64 = 1e9;

/// How much earlier than the window's start an event may be logged and still be in it: log
/// times are whole seconds, file times are not.
const SLACK_S: f64 = 1.0;

/// Place the kernel log events of `records` against the window of the others (see the module
/// doc), saying in `warnings` what could not be placed and what was earlier.
pub(crate) fn place_events(
    records: &mut Vec<Record>,
    host: &HostFacts,
    warnings: &mut Vec<ParseWarning>,
) {
    if !records.iter().any(|record| is_event_table(&record.table)) {
        return;
    }
    let window = window_of(records);
    let boot = host
        .boot_time
        .and_then(|seconds| i64::try_from(seconds).ok())
        .and_then(|seconds| epoch_as_record_time(seconds.saturating_mul(1_000_000)))
        .map(|micros| micros as f64 / 1e6);
    let mut unplaced: BTreeSet<(String, String)> = BTreeSet::new();
    let mut moved: Vec<(String, &'static str)> = Vec::new();
    for record in records.iter_mut().filter(|r| is_event_table(&r.table)) {
        let placed = match record.labels.get("clock").map(|clock| clock.as_str()) {
            None => Some(record.time),
            Some("boot") => boot.map(|boot| boot + record.time),
            Some(_) => window.and_then(|(_, end)| with_year_of(record.time, end)),
        };
        if let Some(time) = placed {
            record.time = time;
            record.labels.remove("clock");
        }
        let is_event = record.labels.get("line").is_some();
        let Some((start, _)) = window.filter(|_| is_event) else {
            continue;
        };
        let to = match placed {
            None => {
                unplaced.insert((record.source.file.to_string(), record.table.to_string()));
                UNPLACED
            }
            Some(time) if time < start - SLACK_S => EARLIER,
            Some(_) => continue,
        };
        record
            .labels
            .insert("event".into(), record.table.as_str().into());
        record.table = to.into();
        moved.push((record.source.file.to_string(), to));
    }
    // A log whose events of a kind could not be placed says nothing of that kind in the
    // window: its "log read" row goes too, so the rule is not evaluated rather than quiet.
    records.retain(|record| {
        !unplaced.contains(&(record.source.file.to_string(), record.table.to_string()))
    });
    let files: BTreeSet<&String> = moved.iter().map(|(file, _)| file).collect();
    for file in files {
        let count = |table: &str| {
            moved
                .iter()
                .filter(|(f, to)| f == file && *to == table)
                .count()
        };
        let (earlier, not_placed) = (count(EARLIER), count(UNPLACED));
        if not_placed > 0 {
            warnings.push(ParseWarning {
                file: file.clone(),
                line: 0,
                message: format!(
                    "{not_placed} kernel event(s) not placed in the capture's window and not \
                     judged: the log counts seconds since boot and the data hold no boot time \
                     (copy /proc/stat, whose btime gives it, or capture dmesg -T); they are \
                     listed under Kernel log"
                ),
            });
        }
        if earlier > 0 {
            warnings.push(ParseWarning {
                file: file.clone(),
                line: 0,
                message: format!(
                    "{earlier} kernel event(s) logged before the capture's window, listed under \
                     Kernel log as earlier history and not judged"
                ),
            });
        }
    }
}

/// The span of the wall-clock times of every record but the kernel log's.
fn window_of(records: &[Record]) -> Option<(f64, f64)> {
    records
        .iter()
        .filter(|record| !is_event_table(&record.table) && record.time >= WALL_CLOCK_FROM)
        .map(|record| record.time)
        .fold(None, |span, time| match span {
            None => Some((time, time)),
            Some((start, end)) => Some((f64::min(start, time), f64::max(end, time))),
        })
}

/// A time read in [`NO_YEAR`] moved to the year of `end` (a wall-clock time), or the year
/// before when that would put it more than a day after `end`.
fn with_year_of(time: f64, end: f64) -> Option<f64> {
    let to_civil = |seconds: f64| {
        let instant = jiff::Timestamp::from_microsecond((seconds * 1e6) as i64).ok()?;
        Some(jiff::tz::TimeZone::UTC.to_datetime(instant))
    };
    let civil = to_civil(time)?;
    if civil.year() != NO_YEAR {
        return None;
    }
    let end_year = to_civil(end)?.year();
    [end_year, end_year - 1].into_iter().find_map(|year| {
        let moved = civil.with().year(year).build().ok()?;
        let micros = crate::parse::clock::civil_micros(moved)?;
        let seconds = micros as f64 / 1e6;
        (seconds <= end + 86_400.0).then_some(seconds)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-04T16:04:10 as record time.
    const AT: f64 = 1_796_400_250.0;

    fn event(table: &str, time: f64, clock: Option<&str>, line: Option<&str>) -> Record {
        let mut labels: Vec<(&str, &str)> = Vec::new();
        labels.extend(clock.map(|clock| ("clock", clock)));
        labels.extend(line.map(|line| ("line", line)));
        Record::from_pairs(table, time, &labels, &[("count", 1.0)], "dmesg.log", 1)
    }

    fn sample(time: f64) -> Record {
        Record::from_pairs("proc_vmstat", time, &[], &[("oom_kill_delta", 0.0)], "v", 1)
    }

    fn tables(records: &[Record]) -> Vec<(&str, f64)> {
        records
            .iter()
            .map(|record| (record.table.as_str(), record.time))
            .collect()
    }

    #[test]
    fn events_before_the_window_are_history_and_the_rest_are_judged() {
        let mut records = vec![
            sample(AT),
            sample(AT + 10.0),
            event("kernel_oom_kill", AT - 3600.0, None, Some("1")),
            event("kernel_oom_kill", AT - 0.5, None, Some("2")),
            event("kernel_oom_kill", AT + 20.0, None, None),
        ];
        let mut warnings = Vec::new();
        place_events(&mut records, &HostFacts::default(), &mut warnings);
        assert_eq!(
            tables(&records),
            [
                ("proc_vmstat", AT),
                ("proc_vmstat", AT + 10.0),
                (EARLIER, AT - 3600.0),
                ("kernel_oom_kill", AT - 0.5),
                ("kernel_oom_kill", AT + 20.0),
            ]
        );
        assert_eq!(records[2].labels["event"], "kernel_oom_kill");
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn times_since_boot_need_the_boot_time_and_year_less_times_take_the_windows_year() {
        let since_boot = || event("kernel_io_error", 100.0, Some("boot"), Some("7"));
        let read_row = || event("kernel_io_error", 100.0, Some("boot"), None);
        let mut records = vec![sample(AT), since_boot(), read_row()];
        let mut warnings = Vec::new();
        place_events(&mut records, &HostFacts::default(), &mut warnings);
        assert_eq!(tables(&records), [("proc_vmstat", AT), (UNPLACED, 100.0)]);
        assert!(warnings[0].message.contains("no boot time"));

        let host = HostFacts {
            // Booted 10 s before the window (UTC here: the tests' host has the time zone of
            // the one that captured, as the judge assumes).
            boot_time: Some(AT as u64 - 10),
            ..HostFacts::default()
        };
        let mut records = vec![sample(AT), since_boot(), read_row()];
        place_events(&mut records, &host, &mut Vec::new());
        let placed = &records[1];
        let offset = placed.time - (AT + 90.0);
        assert_eq!(
            offset.rem_euclid(1800.0),
            0.0,
            "a whole number of half hours"
        );
        assert!(placed.labels.get("clock").is_none());

        // Dec 04 16:04:10 read in 2000, with a window in December 2026.
        let mut records = vec![
            sample(AT),
            event("kernel_link", 975_945_850.0, Some("no_year"), Some("3")),
        ];
        place_events(&mut records, &HostFacts::default(), &mut Vec::new());
        assert_eq!(tables(&records)[1], ("kernel_link", AT));
        assert_eq!(
            with_year_of(975_945_850.0, 1_767_225_600.0),
            Some(AT - 31_536_000.0)
        );
    }

    #[test]
    fn without_a_window_every_event_is_judged() {
        let mut records = vec![event("kernel_oom_kill", 5.0, Some("boot"), Some("1"))];
        place_events(&mut records, &HostFacts::default(), &mut Vec::new());
        assert_eq!(tables(&records), [("kernel_oom_kill", 5.0)]);
        assert_eq!(records[0].labels["clock"], "boot");
    }
}

//! Copies of one /proc file taken by hand at different times (`cat /proc/vmstat >
//! vmstat.before` ... `vmstat.after`), found by their names and read together, so that their
//! counters become counts over the time between them, and rates where that time is known.
//!
//! Names pair when they differ only in one mark: `before`/`after`, `start`/`end`,
//! `begin`/`end`, `pre`/`post`, a small number (`.1`, `.2`), or a time
//! (`vmstat.2026-12-04T16:00:34`, `vmstat-20261204-160034`, `vmstat.1796400034`), in the file
//! name (`vmstat.before.txt`, `vmstat_after`) or as a folder (`before/vmstat`). A time comes
//! from a line in the copy (`date` output), else from its name, else from the files'
//! modification times when those follow the names' order; otherwise the copies give counts
//! and no rate. A warning on the last copy says which.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::read::FileOutcome;
use crate::parse::{
    Format, clock,
    procfs::{self, Copy},
};
use crate::record::ParseWarning;

/// A plain copy of a /proc file, kept after it was read alone, to be read again with the
/// other copies of its file.
pub(super) struct HandCopy {
    pub(super) text: String,
    /// The file's modification time as record time (civil local time read as UTC).
    pub(super) modified_us: Option<i64>,
}

/// Where one copy stands among the copies of its file.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Mark {
    /// A word or a number: the order only.
    Order(u32),
    /// A time in the name, as record time in microseconds.
    Time(i64),
}

/// Words that mark the first and the last copy.
const FIRST_WORDS: [&str; 4] = ["before", "start", "begin", "pre"];
const LAST_WORDS: [&str; 3] = ["after", "end", "post"];

/// `2026-12-04T16:00:34`, `20261204-160034`, `2026-12-04_16-00-34`: a civil time in a name.
static CIVIL_IN_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{4})-?(\d{2})-?(\d{2})[T_ .-]?(\d{2})[:.-]?(\d{2})[:.-]?(\d{2})")
        .expect("a valid pattern")
});

/// Epoch seconds in a name (`vmstat.1796400034`): ten digits from 2001 to 2033.
static EPOCH_IN_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|\D)(1\d{9})(?:\D|$)").expect("a valid pattern"));

/// The name with its mark taken out (what the copies of one file share), and the mark.
fn mark_of(path: &str) -> Option<(String, Mark)> {
    let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
    if let Some((key, mark)) = mark_in(name) {
        return Some((format!("{folder}/{key}"), mark));
    }
    // A folder per copy: `before/vmstat`, `1/vmstat`, `2026-12-04T16:00:34/vmstat`.
    let parts: Vec<&str> = folder.split('/').collect();
    parts.iter().enumerate().rev().find_map(|(index, part)| {
        let mark = whole_mark(part)?;
        let mut key: Vec<&str> = parts.clone();
        key[index] = "*";
        Some((format!("{}/{name}", key.join("/")), mark))
    })
}

/// The mark in a file name: a time anywhere in it, or one of its `.`, `_` or `-` separated
/// words that is a mark.
fn mark_in(name: &str) -> Option<(String, Mark)> {
    if let Some((range, time)) = time_in(name) {
        return Some((
            format!("{}*{}", &name[..range.start], &name[range.end..]),
            Mark::Time(time),
        ));
    }
    let mut start = 0;
    for word in name.split(['.', '_', '-']) {
        let end = start + word.len();
        if let Some(mark) = word_mark(word) {
            return Some((format!("{}*{}", &name[..start], &name[end..]), mark));
        }
        start = end + 1;
    }
    None
}

/// A folder name that is a mark as a whole.
fn whole_mark(part: &str) -> Option<Mark> {
    match time_in(part) {
        Some((range, time)) if range.len() == part.len() => Some(Mark::Time(time)),
        _ => word_mark(part),
    }
}

fn word_mark(word: &str) -> Option<Mark> {
    let lower = word.to_ascii_lowercase();
    if FIRST_WORDS.contains(&lower.as_str()) {
        Some(Mark::Order(0))
    } else if LAST_WORDS.contains(&lower.as_str()) {
        Some(Mark::Order(1))
    } else if (1..=4).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_digit()) {
        word.parse().ok().map(Mark::Order)
    } else {
        None
    }
}

/// Where a time is in `name`, and that time as record time.
fn time_in(name: &str) -> Option<(std::ops::Range<usize>, i64)> {
    if let Some(found) = CIVIL_IN_NAME.captures(name) {
        let number = |index: usize| found.get(index)?.as_str().parse::<i64>().ok();
        let civil = jiff::civil::DateTime::new(
            i16::try_from(number(1)?).ok()?,
            i8::try_from(number(2)?).ok()?,
            i8::try_from(number(3)?).ok()?,
            i8::try_from(number(4)?).ok()?,
            i8::try_from(number(5)?).ok()?,
            i8::try_from(number(6)?).ok()?,
            0,
        )
        .ok()?;
        let whole = found.get(0)?;
        return Some((whole.range(), crate::parse::clock::civil_micros(civil)?));
    }
    let epoch = EPOCH_IN_NAME.captures(name)?.get(1)?;
    let seconds: i64 = epoch.as_str().parse().ok()?;
    Some((epoch.range(), epoch_as_record_time(seconds * 1_000_000)?))
}

/// Epoch microseconds as record time: the civil time they are here, read as UTC, as the
/// sampler stamps its snapshots and sysstat prints its times. The local time zone is the one
/// of the host judging, taken to be the one of the host that captured.
pub(super) fn epoch_as_record_time(epoch_us: i64) -> Option<i64> {
    let instant = jiff::Timestamp::from_microsecond(epoch_us).ok()?;
    let civil = jiff::tz::TimeZone::system().to_datetime(instant);
    crate::parse::clock::civil_micros(civil)
}

/// Read every group of hand-taken copies of one /proc file together, replacing what each
/// copy gave alone.
pub(super) fn join_copies(outcomes: &mut [FileOutcome]) {
    let mut groups: BTreeMap<String, Vec<(Mark, usize)>> = BTreeMap::new();
    for (index, outcome) in outcomes.iter().enumerate() {
        if outcome.copy.is_none() || outcome.report.format != Some(Format::Procfs) {
            continue;
        }
        if let Some((key, mark)) = mark_of(&outcome.report.path) {
            groups.entry(key).or_default().push((mark, index));
        }
    }
    for mut members in groups.into_values().filter(|members| members.len() > 1) {
        members.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
        let distinct = members.windows(2).all(|pair| pair[0].0 != pair[1].0);
        if distinct {
            join(outcomes, &members);
        }
    }
}

/// Read the copies `members` (in order) together.
fn join(outcomes: &mut [FileOutcome], members: &[(Mark, usize)]) {
    let from_names: Option<Vec<i64>> = members
        .iter()
        .map(|(mark, _)| match mark {
            Mark::Time(time) => Some(*time),
            Mark::Order(_) => None,
        })
        .collect();
    let modified: Option<Vec<i64>> = members
        .iter()
        .map(|&(_, index)| outcomes[index].copy.as_ref()?.modified_us)
        .collect();
    // Modification times count only when they follow the names' order by at least a second:
    // files copied without keeping their times all have nearly the same one.
    let modified =
        modified.filter(|times| times.windows(2).all(|pair| pair[1] - pair[0] >= 1_000_000));
    let inside: Option<Vec<i64>> = members
        .iter()
        .map(|&(_, index)| {
            let copy = outcomes[index].copy.as_ref()?;
            copy.text.lines().find_map(clock::time_line_micros)
        })
        .collect();
    let dated_inside = inside.is_some();
    let (times, how) = match (from_names, modified) {
        _ if dated_inside => (None, "the `date` line in each copy"),
        (Some(times), _) => (Some(times), "the times in their names"),
        (None, Some(times)) => (Some(times), "the files' modification times"),
        (None, None) => (
            None,
            "no time: neither their names nor their modification times say when each was \
             taken, so counts between them are given and rates are not",
        ),
    };
    let span = match times.as_deref().or(inside.as_deref()) {
        Some([first, .., last]) => format!(" ({:.1} s apart)", (last - first) as f64 / 1e6),
        _ => String::new(),
    };
    let parsed = {
        let copies: Vec<Copy> = members
            .iter()
            .enumerate()
            .filter_map(|(position, &(_, index))| {
                let outcome = &outcomes[index];
                Some(Copy {
                    file: &outcome.report.path,
                    text: &outcome.copy.as_ref()?.text,
                    time_us: times
                        .as_ref()
                        .and_then(|times| times.get(position).copied()),
                })
            })
            .collect();
        procfs::parse_copies(&copies)
    };
    let names: Vec<String> = members
        .iter()
        .map(|&(_, index)| outcomes[index].report.path.clone())
        .collect();
    for &(_, index) in members {
        let outcome = &mut outcomes[index];
        let path = outcome.report.path.as_str();
        let records: Vec<_> = parsed
            .records
            .iter()
            .filter(|record| record.source.file == path)
            .cloned()
            .collect();
        let warnings: Vec<_> = parsed
            .warnings
            .iter()
            .filter(|warning| warning.file == path)
            .cloned()
            .collect();
        outcome.report.records = records.len();
        outcome.report.warnings = warnings.len();
        outcome.parsed.records = records;
        outcome.parsed.warnings = warnings;
        outcome.parsed.host = parsed.host.clone();
        outcome.copy = None;
    }
    if let Some(&(_, last)) = members.last() {
        let outcome = &mut outcomes[last];
        outcome.parsed.warnings.push(ParseWarning {
            file: outcome.report.path.clone(),
            line: 0,
            message: format!(
                "read with {} as copies of one /proc file taken in that order; times from \
                 {how}{span}{}",
                names[..names.len() - 1].join(", "),
                if dated_inside {
                    ""
                } else {
                    " unless a `date` line in a copy gives its own"
                }
            ),
        });
        outcome.report.warnings += 1;
    }
}

/// A copy of a pressure file read alone has the kernel's running averages and no stall share
/// measured over the capture: say so, on the file, where a reader of its numbers looks.
pub(super) fn caveat_lone_pressure(outcomes: &mut [FileOutcome]) {
    for outcome in outcomes.iter_mut().filter(|outcome| outcome.copy.is_some()) {
        let pressure: Vec<_> = outcome
            .parsed
            .records
            .iter()
            .filter(|record| record.table == "pressure")
            .collect();
        let Some(first) = pressure.first() else {
            continue;
        };
        if pressure
            .iter()
            .any(|record| record.fields.contains_key("stall"))
        {
            continue;
        }
        let warning = ParseWarning {
            file: outcome.report.path.clone(),
            line: first.source.line,
            message: "one copy of a /proc/pressure file: avg10, avg60 and avg300 are the \
                      kernel's own running averages when it was read, not measured over the \
                      capture; two copies (before and after) give `stall` over the time between"
                .into(),
        };
        outcome.parsed.warnings.push(warning);
        outcome.report.warnings += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str) -> Option<(String, Mark)> {
        mark_of(path)
    }

    #[test]
    fn names_that_differ_in_one_mark_share_a_key() {
        let same = |a: &str, b: &str| {
            let (key_a, mark_a) = key(a).unwrap_or_else(|| panic!("{a}"));
            let (key_b, mark_b) = key(b).unwrap_or_else(|| panic!("{b}"));
            assert_eq!(key_a, key_b, "{a} {b}");
            assert!(mark_a < mark_b, "{a} before {b}");
        };
        same("vmstat.before", "vmstat.after");
        same("h/vmstat.start", "h/vmstat.end");
        same("net_netstat_before.txt", "net_netstat_after.txt");
        same("pressure-io.1", "pressure-io.2");
        same("before/proc/vmstat", "after/proc/vmstat");
        same("vmstat.2026-12-04T16:00:34", "vmstat.2026-12-04T16:00:44");
        same("vmstat-20261204-160034.txt", "vmstat-20261204-160044.txt");
        same("vmstat.1796400034", "vmstat.1796400044");
        assert_ne!(
            key("pressure_io.1").map(|k| k.0),
            key("pressure_cpu.1").map(|k| k.0)
        );
        for unmarked in ["vmstat", "proc/vmstat.txt", "sda1/stat", "mpstat-P-ALL.txt"] {
            assert_eq!(key(unmarked), None, "{unmarked}");
        }
    }

    #[test]
    fn a_time_in_a_name_is_record_time() {
        let (_, mark) = key("vmstat.2026-12-04T16:00:34").unwrap();
        assert_eq!(mark, Mark::Time(1_796_400_034_000_000));
    }
}

//! Times as logs and hand-taken copies print them, read the way perf_manual reads every time:
//! civil time taken as UTC (an offset, when printed, is dropped, as sysstat's local times are
//! read), in microseconds since the epoch. A time printed as epoch seconds is already UTC.

use jiff::civil::DateTime;

/// Microseconds since the epoch of civil time `civil` read as UTC.
pub(crate) fn civil_micros(civil: DateTime) -> Option<i64> {
    let instant = jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()?;
    Some(instant.as_microsecond())
}

/// An ISO 8601 date and time: `2026-12-04T16:00:34`, `2026-12-04 16:00:34.5`,
/// `2026-12-04T16:00:34,123456+00:00` (dmesg's iso format), `...+0000` (journalctl's
/// short-iso), `...Z`.
pub(crate) fn iso_micros(text: &str) -> Option<i64> {
    let text = text.trim();
    let text = text.strip_suffix('Z').unwrap_or(text);
    // The offset starts after the seconds: `YYYY-MM-DDTHH:MM:SS` is 19 characters.
    let civil = match text.get(19..).and_then(|rest| rest.find(['+', '-'])) {
        Some(offset) => text.get(..19 + offset)?,
        None => text,
    };
    if civil.len() < 19
        || !civil
            .as_bytes()
            .get(10)
            .is_some_and(|&b| b == b'T' || b == b' ')
    {
        return None;
    }
    let civil: DateTime = civil
        .replacen(',', ".", 1)
        .replacen(' ', "T", 1)
        .parse()
        .ok()?;
    civil_micros(civil)
}

/// The month `Jan` ... `Dec` as 1 ... 12.
fn month_number(name: &str) -> Option<i8> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let index = MONTHS.iter().position(|month| *month == name)?;
    i8::try_from(index + 1).ok()
}

/// `Dec`, `4` (or `04`) and `16:00:34` (or `16:00:34.123456`) in `year`: how ctime and
/// syslog write a day and time.
pub(crate) fn month_day_micros(month: &str, day: &str, time: &str, year: i16) -> Option<i64> {
    let date = jiff::civil::Date::new(year, month_number(month)?, day.parse().ok()?).ok()?;
    let time: jiff::civil::Time = time.parse().ok()?;
    civil_micros(date.to_datetime(time))
}

/// `Fri Dec  4 16:00:34 2026` (ctime, dmesg -T) or `Fri Dec  4 16:00:34 UTC 2026` (date's
/// default output): the zone's name, when printed, is dropped like any offset.
pub(crate) fn ctime_micros(text: &str) -> Option<i64> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let (weekday, month, day, time, year) = match words.as_slice() {
        [weekday, month, day, time, year] | [weekday, month, day, time, _, year] => {
            (weekday, month, day, time, year)
        }
        _ => return None,
    };
    let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    if !weekdays.contains(weekday) {
        return None;
    }
    month_day_micros(month, day, time, year.parse().ok()?)
}

/// A line that holds only a time, as `date` prints one between copies of a file: its default
/// output, `date -Is` / `-Ins` / `-R`-less ISO forms, `date '+%F %T'`, or epoch seconds
/// (`date +%s`, `date +%s.%N`; at least nine digits, so a small count is never taken for one).
pub(crate) fn time_line_micros(line: &str) -> Option<i64> {
    let line = line.trim();
    let (whole, fraction) = line.split_once('.').unwrap_or((line, ""));
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if whole.len() >= 9 && digits(whole) && (fraction.is_empty() || digits(fraction)) {
        let seconds: f64 = line.parse().ok()?;
        return Some((seconds * 1e6).round() as i64);
    }
    iso_micros(line).or_else(|| ctime_micros(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-04T16:00:34 UTC.
    const AT: i64 = 1_796_400_034_000_000;

    #[test]
    fn every_printed_form_gives_the_same_civil_time() {
        for text in [
            "2026-12-04T16:00:34",
            "2026-12-04 16:00:34",
            "2026-12-04T16:00:34+00:00",
            "2026-12-04T16:00:34+0100",
            "2026-12-04T16:00:34-05:00",
            "2026-12-04T16:00:34Z",
        ] {
            assert_eq!(iso_micros(text), Some(AT), "{text}");
        }
        assert_eq!(
            iso_micros("2026-12-04T16:00:34,250000+00:00"),
            Some(AT + 250_000)
        );
        assert_eq!(ctime_micros("Fri Dec  4 16:00:34 2026"), Some(AT));
        assert_eq!(ctime_micros("Fri Dec  4 16:00:34 UTC 2026"), Some(AT));
        assert_eq!(
            month_day_micros("Dec", "04", "16:00:34.5", 2026),
            Some(AT + 500_000)
        );
        for line in [
            "1796400034",
            "Fri Dec  4 16:00:34 CET 2026",
            "2026-12-04 16:00:34",
        ] {
            assert_eq!(time_line_micros(line), Some(AT), "{line}");
        }
        assert_eq!(time_line_micros("1796400034.5"), Some(AT + 500_000));
    }

    #[test]
    fn what_is_not_a_time_is_not_taken_for_one() {
        for text in [
            "",
            "12345",
            "nr_free_pages 4606871",
            "0.12 0.34 0.56 1/234 5678",
            "2026-12-04",
            "Fri Dec 34 16:00:34 2026",
            "Xyz Dec  4 16:00:34 2026",
            "2026-12-04X16:00:34",
        ] {
            assert_eq!(time_line_micros(text), None, "{text}");
        }
    }
}

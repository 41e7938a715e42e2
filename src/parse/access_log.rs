//! Web server access logs in the combined format (nginx's `combined`, Apache's
//! `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`), or the common format without the
//! two quoted fields, with the request time after them: read into the RED tables of `red.rs`
//! (`red_interval`, `red`), the same the HTTP probe makes, so one rule judges both.
//!
//! The request time is found after the status and size: a `rt=`, `request_time=` or
//! `rtime=` field, else the last bare number of the line. A number with a decimal point is
//! seconds (nginx `$request_time`, `0.012`); a whole number is microseconds (Apache `%D`).
//! Lines without one count in rate and errors, not in duration. Status 400–499 is an
//! `http_4xx` error (nginx's 499, a client that went away, too), 500 and up `http_5xx`.
//!
//! Time: the bracketed `[04/Dec/2026:18:00:01 +0000]`, when the server logged the request.
//! Windows are one second long, longer for logs that span more than an hour (at most 3,600
//! windows), from the earliest line; a second without a request is a window with none.

use std::sync::LazyLock;

use regex::Regex;

use super::red::{self, Outcome, Window};
use super::sniff::Sign;
use super::{Format, Parser, Table};
use crate::record::{ParseWarning, Parsed, Unit};

/// The most windows one log makes: longer logs get longer windows.
const MOST_WINDOWS: f64 = 3600.0;

/// Address, identity, user, [time], "request", status, size, then the rest of the line.
static LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^\S+ \S+ .*?\[(\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "(?:[^"\\]|\\.)*" (\d{3}) (?:\d+|-)(.*)$"#,
    )
    .unwrap_or_else(|err| unreachable!("a fixed pattern: {err}"))
});

/// Quoted fields (referer, user agent), skipped when looking for the request time.
static QUOTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""(?:[^"\\]|\\.)*""#).unwrap_or_else(|err| unreachable!("a fixed pattern: {err}"))
});

/// An access log, told by a line of its shape.
pub struct AccessLog;

impl Parser for AccessLog {
    fn format(&self) -> Format {
        Format::AccessLog
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        LINE.is_match(line).then_some(Sign::Header)
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }

    fn unit(&self, table: &str, field: &str) -> Option<Unit> {
        red::unit(table, field)
    }

    fn tables(&self) -> Vec<Table> {
        red::tables()
    }
}

/// One request as a line tells it.
struct Request {
    time: f64,
    outcome: Outcome,
    /// µs.
    duration: Option<u64>,
    line: usize,
}

pub fn parse(file: &str, text: &str) -> Parsed {
    let mut requests = Vec::new();
    let mut warnings = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match read_line(line) {
            Ok((time, outcome, duration)) => requests.push(Request {
                time,
                outcome,
                duration,
                line: index + 1,
            }),
            Err(message) => warnings.push(ParseWarning {
                file: file.to_string(),
                line: index + 1,
                message,
            }),
        }
    }
    let (windows, lines) = windows(&requests);
    Parsed {
        records: red::records("", &windows, file, &lines),
        warnings,
        ..Parsed::default()
    }
}

fn read_line(line: &str) -> Result<(f64, Outcome, Option<u64>), String> {
    let captures = LINE
        .captures(line)
        .ok_or("expected a combined or common access log line")?;
    let time = jiff::fmt::strtime::parse("%d/%b/%Y:%H:%M:%S %z", &captures[1])
        .and_then(|parsed| parsed.to_timestamp())
        .map_err(|err| format!("time `{}`: {err}", &captures[1]))?;
    let status: u16 = captures[2]
        .parse()
        .map_err(|_| format!("status `{}`", &captures[2]))?;
    let duration = request_time(&captures[3])?;
    Ok((
        time.as_millisecond() as f64 / 1000.0,
        Outcome::of_status(status),
        duration,
    ))
}

/// The request time in µs from what follows the size, if the line has one.
fn request_time(rest: &str) -> Result<Option<u64>, String> {
    let unquoted = QUOTED.replace_all(rest, " ");
    let words: Vec<&str> = unquoted.split_whitespace().collect();
    let named = words.iter().find_map(|word| {
        let (key, value) = word.split_once('=')?;
        matches!(key, "rt" | "request_time" | "rtime").then_some(value)
    });
    let Some(text) = named.or_else(|| {
        words
            .iter()
            .rev()
            .copied()
            .find(|word| word.parse::<f64>().is_ok())
    }) else {
        return Ok(None);
    };
    let value: f64 = text
        .parse()
        .map_err(|_| format!("request time `{text}` is not a number"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("request time `{text}` is not a duration"));
    }
    let micros = if text.contains('.') {
        value * 1e6
    } else {
        value
    };
    Ok(Some(micros.round() as u64))
}

/// The requests cut into windows from the earliest, and the first line of each window.
fn windows(requests: &[Request]) -> (Vec<Window>, Vec<usize>) {
    let Some(first) = requests.iter().map(|r| r.time).reduce(f64::min) else {
        return (Vec::new(), Vec::new());
    };
    let last = requests.iter().map(|r| r.time).fold(first, f64::max);
    let width = ((last - first + 1.0) / MOST_WINDOWS).ceil().max(1.0);
    let count = ((last - first) / width).floor() as usize + 1;
    let mut windows: Vec<Window> = (0..count)
        .map(|index| Window::new(first + index as f64 * width, width))
        .collect();
    let mut lines = vec![0; count];
    for request in requests {
        let index = (((request.time - first) / width).floor() as usize).min(count - 1);
        windows[index].record(request.outcome, request.duration.map(|d| (d, d)));
        if lines[index] == 0 {
            lines[index] = request.line;
        }
    }
    (windows, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NGINX: &str = r#"127.0.0.1 - - [04/Dec/2026:18:00:01 +0000] "GET / HTTP/1.1" 200 615 "-" "curl/8.5.0" 0.012
127.0.0.1 - - [04/Dec/2026:18:00:01 +0000] "GET /missing HTTP/1.1" 404 153 "-" "curl/8.5.0" 0.001
127.0.0.1 - - [04/Dec/2026:18:00:03 +0000] "POST /api HTTP/1.1" 502 157 "-" "a \"quoted\" agent 7.0" 1.500
"#;

    #[test]
    fn a_combined_log_with_request_time_makes_red_tables() {
        let parsed = parse("access.log", NGINX);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let intervals: Vec<_> = parsed
            .records
            .iter()
            .filter(|r| r.table == "red_interval")
            .collect();
        assert_eq!(intervals.len(), 3, "seconds 01, 02 (empty) and 03");
        assert_eq!(intervals[1].fields.get("requests"), Some(&0.0));
        let run = parsed.records.iter().find(|r| r.table == "red").unwrap();
        assert_eq!(run.fields.get("requests"), Some(&3.0));
        assert_eq!(run.fields.get("errors_http_4xx"), Some(&1.0));
        assert_eq!(run.fields.get("errors_http_5xx"), Some(&1.0));
        let max = run.fields.get("duration_max").copied().unwrap();
        assert!((max - 1500.0).abs() < 2.0, "{max}");
        assert_eq!(
            run.time,
            1_796_407_201.0 + 3.0,
            "18:00:01 UTC and three windows"
        );
    }

    #[test]
    fn apache_microseconds_and_named_fields_are_read() {
        assert_eq!(request_time(r#" "-" "ua" 1234"#), Ok(Some(1234)));
        assert_eq!(
            request_time(r#" "-" "ua" rt=0.250 uct=0.001"#),
            Ok(Some(250_000))
        );
        assert_eq!(request_time(r#" "-" "ua 5.0""#), Ok(None));
    }

    #[test]
    fn other_lines_are_warned_about() {
        let parsed = parse("a.log", "garbage\n\n127.0.0.1 - - [bad] \"GET /\" 200 1\n");
        assert_eq!(parsed.warnings.len(), 2);
        assert!(parsed.records.is_empty());
    }
}

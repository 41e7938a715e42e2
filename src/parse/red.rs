//! RED (rate, errors, duration) of a request-driven service: the tables every RED source makes,
//! and the text perf_manual's own HTTP probe writes (`src/red/`), read back here.
//!
//! Two sources make the same tables, so one rule judges both: the probe, and access logs
//! (`access_log.rs`). Each cuts time into windows; a window holds how many requests ended in
//! it by outcome, and two HDR histograms of their durations in microseconds: from the time
//! each request was meant to be sent (what a user waits: corrected for coordinated omission)
//! and from the time it was sent (raw). In the closed model, and in access logs, the two are
//! the same.
//!
//! Tables (label `endpoint`):
//!
//! - `red_interval`, one row per window, stamped at its end: `requests`, `rate` (requests/s),
//!   `errors` and `errors_<class>` for each error class ([`Outcome`]), `duration_p50`, `_p90`,
//!   `_p99`, `_p999`, `_max`, `_mean` (ms) and the same `raw_duration_*`.
//! - `red`, one row for the whole run or log, from the merged histograms: the same fields,
//!   `missed` (open model: requests the schedule meant to send that were not sent by the
//!   end) and `in_flight` (requests sent that had not ended by the end: not counted in
//!   `requests`, though the server may have answered them). `red.duration_p99` is the run's 99th percentile, not a percentile of per-window
//!   ones, which is why it is a table of its own rather than `p99(...)` over windows.
//!
//! Durations are those of requests that got an answer (any status); a request that failed
//! without one (refused, timed out) is counted in its error class only.
//!
//! The probe's file: a title line, a line of what was run, one line per window:
//!
//! ```text
//! # perf_manual red probe 1
//! # endpoint=http://127.0.0.1:8080/ model=open connections=4 rate=1000 seconds=10 timeout=5
//! window 1764871200.000 1.000 ok=998 http_5xx=2 duration=812:3,1003:40 raw_duration=same
//! ```
//!
//! A histogram is written as `value:count` pairs of its recorded buckets (µs): read back into a
//! histogram of the same precision, every percentile comes out as the probe computed it.

use hdrhistogram::Histogram;

use super::sniff::Sign;
use super::{Format, Parser, Table};
use crate::record::{Labels, ParseWarning, Parsed, Record, SourceRef, Unit};

/// The first line of the probe's file.
pub const TITLE: &str = "# perf_manual red probe";
/// The version of the probe's file format, after the title.
const VERSION: &str = "1";
/// Significant decimal digits the histograms keep: 0.1 % of any value.
pub const PRECISION: u8 = 3;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// An answer with a status below 400.
    Ok,
    /// The connection was refused.
    Refused,
    /// No whole answer within the timeout (connecting included).
    Timeout,
    /// The host name did not resolve.
    Dns,
    /// The TLS handshake failed (a certificate not trusted or not for the host, a clear-text
    /// server on an https URL).
    Tls,
    Http4xx,
    Http5xx,
    /// More redirects than the probe follows.
    RedirectLoop,
    /// A body larger than the probe reads.
    BodyTooBig,
    /// The connection broke (reset, closed mid-answer, any other socket error).
    Connection,
    /// The answer was not HTTP/1.1.
    Protocol,
}

impl Outcome {
    pub const ALL: [Outcome; 11] = [
        Outcome::Ok,
        Outcome::Refused,
        Outcome::Timeout,
        Outcome::Dns,
        Outcome::Tls,
        Outcome::Http4xx,
        Outcome::Http5xx,
        Outcome::RedirectLoop,
        Outcome::BodyTooBig,
        Outcome::Connection,
        Outcome::Protocol,
    ];

    /// The outcome's name: in the probe's file, in `errors_<name>` fields and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Timeout => "timeout",
            Outcome::Dns => "dns",
            Outcome::Tls => "tls",
            Outcome::Http4xx => "http_4xx",
            Outcome::Http5xx => "http_5xx",
            Outcome::RedirectLoop => "redirect_loop",
            Outcome::BodyTooBig => "body_too_big",
            Outcome::Connection => "connection",
            Outcome::Protocol => "protocol",
        }
    }

    pub fn from_name(name: &str) -> Option<Outcome> {
        Outcome::ALL
            .into_iter()
            .find(|outcome| outcome.name() == name)
    }

    /// The outcome of an answer with `status`.
    pub fn of_status(status: u16) -> Outcome {
        match status {
            400..=499 => Outcome::Http4xx,
            500.. => Outcome::Http5xx,
            _ => Outcome::Ok,
        }
    }

    pub fn is_error(self) -> bool {
        self != Outcome::Ok
    }

    /// Whether a request that ended so got an answer, so that its duration is recorded.
    pub fn answered(self) -> bool {
        matches!(self, Outcome::Ok | Outcome::Http4xx | Outcome::Http5xx)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A histogram of durations in microseconds, at [`PRECISION`], growing as values need.
pub fn histogram() -> Histogram<u64> {
    Histogram::new(PRECISION).unwrap_or_else(|_| unreachable!("3 significant digits are valid"))
}

/// What ended in one stretch of time.
#[derive(Debug, Clone)]
pub struct Window {
    /// Seconds since the epoch at its start.
    pub start: f64,
    pub seconds: f64,
    counts: [u64; Outcome::ALL.len()],
    /// Open model: requests meant to be sent in it that were never sent (the run ended first).
    pub missed: u64,
    /// Requests sent that had not ended when the run did (the last window only): not counted.
    pub in_flight: u64,
    /// From the intended send time, µs.
    pub duration: Histogram<u64>,
    /// From the actual send time, µs.
    pub raw_duration: Histogram<u64>,
}

impl Window {
    pub fn new(start: f64, seconds: f64) -> Window {
        Window {
            start,
            seconds,
            counts: [0; Outcome::ALL.len()],
            missed: 0,
            in_flight: 0,
            duration: histogram(),
            raw_duration: histogram(),
        }
    }

    /// One request that ended with `outcome`, `duration` µs after it was meant to be sent and
    /// `raw` µs after it was (both `None` where the source does not say).
    pub fn record(&mut self, outcome: Outcome, durations: Option<(u64, u64)>) {
        self.counts[outcome.index()] += 1;
        if let Some((duration, raw)) = durations
            && outcome.answered()
        {
            // Auto-resizing histograms take any value: an error here cannot happen.
            let _ = self.duration.record(duration.max(1));
            let _ = self.raw_duration.record(raw.max(1));
        }
    }

    /// Empty it again, keeping its time and what its histograms allocated.
    pub fn clear(&mut self) {
        self.counts = [0; Outcome::ALL.len()];
        self.missed = 0;
        self.in_flight = 0;
        self.duration.reset();
        self.raw_duration.reset();
    }

    pub fn count(&self, outcome: Outcome) -> u64 {
        self.counts[outcome.index()]
    }

    pub fn requests(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn errors(&self) -> u64 {
        self.requests() - self.count(Outcome::Ok)
    }

    /// Add `other` into `self` (its time stays `self`'s).
    pub fn merge(&mut self, other: &Window) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        self.missed += other.missed;
        self.in_flight += other.in_flight;
        let _ = self.duration.add(&other.duration);
        let _ = self.raw_duration.add(&other.raw_duration);
    }

    pub fn end(&self) -> f64 {
        self.start + self.seconds
    }
}

/// The windows merged into one that spans them all; `None` when there are none.
pub fn whole(windows: &[Window]) -> Option<Window> {
    let first = windows.first()?;
    let end = windows.iter().map(Window::end).fold(first.end(), f64::max);
    let mut all = Window::new(first.start, end - first.start);
    for window in windows {
        all.merge(window);
    }
    Some(all)
}

/// Percentiles of one histogram, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl Percentiles {
    /// `None` for an empty histogram.
    pub fn of(histogram: &Histogram<u64>) -> Option<Percentiles> {
        if histogram.is_empty() {
            return None;
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        Some(Percentiles {
            p50: ms(histogram.value_at_quantile(0.50)),
            p90: ms(histogram.value_at_quantile(0.90)),
            p99: ms(histogram.value_at_quantile(0.99)),
            p999: ms(histogram.value_at_quantile(0.999)),
            max: ms(histogram.max()),
            mean: histogram.mean() / 1000.0,
        })
    }

    /// Each percentile with its field suffix (`p999`) and its name for people (`p99.9`).
    pub fn named(&self) -> [(&'static str, &'static str, f64); 6] {
        [
            ("p50", "p50", self.p50),
            ("p90", "p90", self.p90),
            ("p99", "p99", self.p99),
            ("p999", "p99.9", self.p999),
            ("max", "max", self.max),
            ("mean", "mean", self.mean),
        ]
    }

    fn fields(&self, prefix: &str) -> impl Iterator<Item = (String, f64)> {
        self.named()
            .into_iter()
            .map(move |(suffix, _, value)| (format!("{prefix}_{suffix}"), value))
    }
}

/// Every field a RED table can have: what `check` lets a rule read.
pub fn fields() -> Vec<String> {
    let mut fields: Vec<String> = ["requests", "rate", "errors", "missed", "in_flight"]
        .into_iter()
        .map(String::from)
        .collect();
    fields.extend(
        Outcome::ALL
            .into_iter()
            .filter(|outcome| outcome.is_error())
            .map(|outcome| format!("errors_{}", outcome.name())),
    );
    let any = Percentiles {
        p50: 0.0,
        p90: 0.0,
        p99: 0.0,
        p999: 0.0,
        max: 0.0,
        mean: 0.0,
    };
    for prefix in ["duration", "raw_duration"] {
        fields.extend(any.fields(prefix).map(|(name, _)| name));
    }
    fields
}

/// The RED tables' declarations, for a parser's `tables()`.
pub fn tables() -> Vec<Table> {
    let fields = fields();
    vec![
        Table::known("red", &fields),
        Table::known("red_interval", &fields),
    ]
}

/// The unit of a RED table's field.
pub fn unit(table: &str, field: &str) -> Option<Unit> {
    if table != "red" && table != "red_interval" {
        return None;
    }
    Some(if field.contains("duration") {
        Unit::Milliseconds
    } else if field == "rate" {
        Unit::PerSecond
    } else {
        Unit::Count
    })
}

/// The records of `windows`: a `red_interval` row per window and one `red` row for them all,
/// labelled `endpoint` (when not empty), each read from `file` at the window's line in `lines`.
pub fn records(endpoint: &str, windows: &[Window], file: &str, lines: &[usize]) -> Vec<Record> {
    let mut labels = Labels::default();
    if !endpoint.is_empty() {
        labels.insert("endpoint".into(), endpoint.into());
    }
    let row = |table: &str, window: &Window, line: usize| Record {
        table: table.into(),
        time: window.end(),
        labels: labels.clone(),
        fields: window_fields(window, table == "red")
            .into_iter()
            .map(|(name, value)| (name.as_str().into(), value))
            .collect(),
        source: SourceRef {
            file: file.into(),
            line,
        },
    };
    let mut records: Vec<Record> = windows
        .iter()
        .zip(lines.iter().copied().chain(std::iter::repeat(0)))
        .map(|(window, line)| row("red_interval", window, line))
        .collect();
    if let Some(all) = whole(windows) {
        records.push(row("red", &all, lines.first().copied().unwrap_or(0)));
    }
    records
}

fn window_fields(window: &Window, whole_run: bool) -> Vec<(String, f64)> {
    let requests = window.requests() as f64;
    let mut fields = vec![
        ("requests".to_string(), requests),
        (
            "rate".to_string(),
            if window.seconds > 0.0 {
                requests / window.seconds
            } else {
                0.0
            },
        ),
        ("errors".to_string(), window.errors() as f64),
    ];
    if whole_run {
        fields.push(("missed".to_string(), window.missed as f64));
        fields.push(("in_flight".to_string(), window.in_flight as f64));
    }
    for outcome in Outcome::ALL.into_iter().filter(|o| o.is_error()) {
        fields.push((
            format!("errors_{}", outcome.name()),
            window.count(outcome) as f64,
        ));
    }
    for (prefix, histogram) in [
        ("duration", &window.duration),
        ("raw_duration", &window.raw_duration),
    ] {
        if let Some(percentiles) = Percentiles::of(histogram) {
            fields.extend(percentiles.fields(prefix));
        }
    }
    fields
}

/// What the probe was asked to do, as its file's second line says it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSetting {
    pub endpoint: String,
    /// `closed` or `open`.
    pub model: String,
    pub connections: u32,
    /// Open model: requests per second asked; 0 in the closed model.
    pub rate: f64,
    pub seconds: f64,
    pub timeout: f64,
}

/// The probe file's head: its title and setting.
pub fn format_head(setting: &ProbeSetting) -> String {
    format!(
        "{TITLE} {VERSION}\n# endpoint={} model={} connections={} rate={} seconds={} timeout={}\n",
        setting.endpoint,
        setting.model,
        setting.connections,
        setting.rate,
        setting.seconds,
        setting.timeout
    )
}

/// One window as a line of the probe's file (with its newline).
pub fn format_window(window: &Window) -> String {
    use std::fmt::Write as _;
    let mut line = format!("window {:.3} {:.3}", window.start, window.seconds);
    for outcome in Outcome::ALL {
        let count = window.count(outcome);
        if count > 0 {
            let _ = write!(line, " {}={count}", outcome.name());
        }
    }
    if window.missed > 0 {
        let _ = write!(line, " missed={}", window.missed);
    }
    if window.in_flight > 0 {
        let _ = write!(line, " in_flight={}", window.in_flight);
    }
    let _ = write!(line, " duration={}", format_histogram(&window.duration));
    if window.raw_duration == window.duration {
        line.push_str(" raw_duration=same");
    } else {
        let _ = write!(
            line,
            " raw_duration={}",
            format_histogram(&window.raw_duration)
        );
    }
    line.push('\n');
    line
}

fn format_histogram(histogram: &Histogram<u64>) -> String {
    let pairs: Vec<String> = histogram
        .iter_recorded()
        .map(|bucket| format!("{}:{}", bucket.value_iterated_to(), bucket.count_at_value()))
        .collect();
    if pairs.is_empty() {
        "-".to_string()
    } else {
        pairs.join(",")
    }
}

fn parse_histogram(text: &str) -> Result<Histogram<u64>, String> {
    let mut histogram = histogram();
    if text == "-" {
        return Ok(histogram);
    }
    for pair in text.split(',') {
        let (value, count) = pair
            .split_once(':')
            .and_then(|(value, count)| Some((value.parse().ok()?, count.parse().ok()?)))
            .ok_or_else(|| format!("`{pair}` is not a value:count pair"))?;
        histogram
            .record_n(value, count)
            .map_err(|err| format!("`{pair}`: {err:?}"))?;
    }
    Ok(histogram)
}

/// Read the probe's setting line (`# endpoint=... model=...`).
fn parse_setting(line: &str) -> Option<ProbeSetting> {
    let rest = line.strip_prefix("# endpoint=")?;
    let mut words = rest.split_whitespace();
    let endpoint = words.next()?.to_string();
    let mut setting = ProbeSetting {
        endpoint,
        model: String::new(),
        connections: 0,
        rate: 0.0,
        seconds: 0.0,
        timeout: 0.0,
    };
    for word in words {
        let (key, value) = word.split_once('=')?;
        match key {
            "model" => setting.model = value.to_string(),
            "connections" => setting.connections = value.parse().ok()?,
            "rate" => setting.rate = value.parse().ok()?,
            "seconds" => setting.seconds = value.parse().ok()?,
            "timeout" => setting.timeout = value.parse().ok()?,
            _ => {}
        }
    }
    Some(setting)
}

fn parse_window(line: &str) -> Result<Window, String> {
    let mut words = line.split_whitespace().skip(1);
    let mut number = |what: &str| -> Result<f64, String> {
        words
            .next()
            .and_then(|word| word.parse::<f64>().ok())
            .filter(|value| value.is_finite() && *value >= 0.0)
            .ok_or_else(|| format!("expected the window's {what}"))
    };
    let start = number("start (seconds since the epoch)")?;
    let seconds = number("length in seconds")?;
    let mut window = Window::new(start, seconds);
    let mut raw_same = false;
    for word in line.split_whitespace().skip(3) {
        let (key, value) = word
            .split_once('=')
            .ok_or_else(|| format!("`{word}` is not key=value"))?;
        match key {
            "duration" => window.duration = parse_histogram(value)?,
            "raw_duration" if value == "same" => raw_same = true,
            "raw_duration" => window.raw_duration = parse_histogram(value)?,
            "missed" => {
                window.missed = value
                    .parse()
                    .map_err(|_| format!("missed={value} is not a count"))?;
            }
            "in_flight" => {
                window.in_flight = value
                    .parse()
                    .map_err(|_| format!("in_flight={value} is not a count"))?;
            }
            name => {
                let outcome =
                    Outcome::from_name(name).ok_or_else(|| format!("unknown outcome `{name}`"))?;
                window.counts[outcome.index()] = value
                    .parse()
                    .map_err(|_| format!("{name}={value} is not a count"))?;
            }
        }
    }
    if raw_same {
        window.raw_duration = window.duration.clone();
    }
    Ok(window)
}

/// The probe's windows and setting read back from its file.
pub struct ProbeFile {
    pub setting: Option<ProbeSetting>,
    pub windows: Vec<Window>,
    /// The 1-based line of each window.
    pub lines: Vec<usize>,
    pub warnings: Vec<ParseWarning>,
}

pub fn read(file: &str, text: &str) -> ProbeFile {
    let mut read = ProbeFile {
        setting: None,
        windows: Vec::new(),
        lines: Vec::new(),
        warnings: Vec::new(),
    };
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        if line.starts_with("window ") {
            match parse_window(line) {
                Ok(window) => {
                    read.windows.push(window);
                    read.lines.push(line_number);
                }
                Err(message) => read.warnings.push(ParseWarning {
                    file: file.to_string(),
                    line: line_number,
                    message,
                }),
            }
        } else if let Some(setting) = parse_setting(line) {
            read.setting = Some(setting);
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            read.warnings.push(ParseWarning {
                file: file.to_string(),
                line: line_number,
                message: "expected a `window` line".to_string(),
            });
        }
    }
    read
}

/// perf_manual's HTTP probe, told by its title line.
pub struct RedProbe;

impl Parser for RedProbe {
    fn format(&self) -> Format {
        Format::RedProbe
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        line.starts_with(TITLE).then_some(Sign::Title)
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        let probe = read(file, text);
        let endpoint = probe
            .setting
            .as_ref()
            .map_or("", |setting| setting.endpoint.as_str());
        Parsed {
            records: records(endpoint, &probe.windows, file, &probe.lines),
            warnings: probe.warnings,
            ..Parsed::default()
        }
    }

    fn unit(&self, table: &str, field: &str) -> Option<Unit> {
        unit(table, field)
    }

    fn tables(&self) -> Vec<Table> {
        tables()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_window() -> Window {
        let mut window = Window::new(1_764_871_200.0, 1.0);
        for micros in 1..=1000 {
            window.record(Outcome::Ok, Some((micros * 1000, micros * 10)));
        }
        window.record(Outcome::Http5xx, Some((5000, 5000)));
        window.record(Outcome::Refused, None);
        window.missed = 3;
        window
    }

    #[test]
    fn a_window_reads_back_as_it_was_written() {
        let window = sample_window();
        let text = format!(
            "{}{}",
            format_head(&ProbeSetting {
                endpoint: "http://127.0.0.1:8080/".into(),
                model: "open".into(),
                connections: 4,
                rate: 1000.0,
                seconds: 1.0,
                timeout: 5.0,
            }),
            format_window(&window)
        );
        let probe = read("probe.txt", &text);
        assert!(probe.warnings.is_empty(), "{:?}", probe.warnings);
        let back = &probe.windows[0];
        assert_eq!(back.requests(), 1002);
        assert_eq!(back.errors(), 2);
        assert_eq!(back.missed, 3);
        assert_eq!(back.duration, window.duration);
        assert_eq!(back.raw_duration, window.raw_duration);
        assert_eq!(probe.setting.unwrap().connections, 4);
    }

    #[test]
    fn the_run_row_holds_the_percentiles_of_every_request() {
        let window = sample_window();
        let mut later = Window::new(window.end(), 1.0);
        later.record(Outcome::Ok, Some((2_000_000, 2_000_000)));
        let records = records("e", &[window, later], "probe.txt", &[3, 4]);
        let run = records.iter().find(|r| r.table == "red").unwrap();
        assert_eq!(run.fields.get("requests"), Some(&1003.0));
        assert_eq!(run.fields.get("errors_http_5xx"), Some(&1.0));
        assert_eq!(run.fields.get("rate"), Some(&(1003.0 / 2.0)));
        let p50 = run.fields.get("duration_p50").copied().unwrap();
        assert!((p50 - 501.0).abs() < 1.0, "{p50}");
        let max = run.fields.get("duration_max").copied().unwrap();
        assert!((max - 2000.0).abs() < 2.0, "{max}");
        let intervals = records.iter().filter(|r| r.table == "red_interval").count();
        assert_eq!(intervals, 2);
    }

    #[test]
    fn garbled_lines_are_warned_about_and_skipped() {
        let text = format!("{TITLE} 1\nwindow x 1\nwindow 1 1 ok=2 duration=10:2\nnoise\n");
        let probe = read("p", &text);
        assert_eq!(probe.windows.len(), 1);
        assert_eq!(probe.warnings.len(), 2);
        assert_eq!(probe.warnings[0].line, 2);
    }
}

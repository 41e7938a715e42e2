//! The rows of the report's drill-down tables, read from the records: the syscalls that took
//! the most time (perf trace -s), the threads that spent the most time blocked
//! (sched_switch), and the events of kernel logs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::judge::{EARLIER, UNPLACED};
use crate::parse::kernel_log::is_event_table;
use crate::record::Record;

/// One row of the syscall table: a process's syscall, summed over the trace.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub(crate) struct SyscallRow {
    pub process: String,
    pub pid: String,
    pub syscall: String,
    pub calls: f64,
    pub errors: f64,
    pub total_ms: f64,
    pub max_ms: f64,
}

/// One row of the off-CPU table: a thread's time blocked in one kind of wait (sched_switch).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub(crate) struct OffCpuRow {
    pub process: String,
    /// The thread id.
    pub pid: String,
    /// Where it blocked: the system call (`futex`), `preempted` or `kernel`.
    pub wait: String,
    /// The kernel function it slept in (`futex_do_wait`).
    pub frame: String,
    pub offcpu_ms: f64,
    /// Percent of the traced window the thread spent off CPU in this wait.
    pub offcpu_pct: f64,
    pub blocks_s: f64,
    pub avg_ms: f64,
}

/// A label of a row of the syscall or off-CPU table, empty where the parser had none.
fn label_of(record: &Record, name: &str) -> String {
    record
        .labels
        .get(name)
        .map_or_else(String::new, |value| value.to_string())
}

/// A field of a row of the syscall or off-CPU table, 0 where the parser had none.
fn field_of(record: &Record, name: &str) -> f64 {
    record.fields.get(name).copied().unwrap_or(0.0)
}

/// The syscalls that took the most time in `perf trace -s` summaries, most first.
pub(crate) fn top_syscalls(records: &[Record], top: usize) -> Vec<SyscallRow> {
    let mut rows: Vec<SyscallRow> = records
        .iter()
        .filter(|record| record.table == "syscalls")
        .map(|record| SyscallRow {
            process: label_of(record, "comm"),
            pid: label_of(record, "pid"),
            syscall: label_of(record, "syscall"),
            calls: field_of(record, "calls"),
            errors: field_of(record, "errors"),
            total_ms: field_of(record, "total_ms"),
            max_ms: field_of(record, "max_ms"),
        })
        .collect();
    most_first(&mut rows, |row| row.total_ms, top);
    rows
}

/// The threads that spent the most time off CPU (blocked, not preempted) in sched_switch
/// traces, most first.
pub(crate) fn top_off_cpu(records: &[Record], top: usize) -> Vec<OffCpuRow> {
    let mut rows: Vec<OffCpuRow> = records
        .iter()
        .filter(|record| record.table == "offcpu")
        .map(|record| OffCpuRow {
            process: label_of(record, "comm"),
            pid: label_of(record, "pid"),
            wait: label_of(record, "wait"),
            frame: label_of(record, "frame"),
            offcpu_ms: field_of(record, "offcpu_ms"),
            offcpu_pct: field_of(record, "offcpu_pct"),
            blocks_s: field_of(record, "blocks_s"),
            avg_ms: field_of(record, "avg_ms"),
        })
        .filter(|row| row.wait != "preempted")
        .collect();
    most_first(&mut rows, |row| row.offcpu_ms, top);
    rows
}

/// Keep the `top` rows with the most `key`, most first.
fn most_first<T>(rows: &mut Vec<T>, key: impl Fn(&T) -> f64, top: usize) {
    rows.sort_by(|a, b| key(b).total_cmp(&key(a)));
    rows.truncate(top);
}

/// One event of a kernel log (dmesg, journalctl -k).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct KernelEventRow {
    /// When it was logged: `2026-12-04 16:04:10`, or as the log said it where it could not be
    /// placed (`5068.53 s after boot`, `Dec 04 16:04:10`).
    pub when: String,
    /// What happened: `oom_kill`, `io_error`, `link`, ... (its table without `kernel_`).
    pub event: String,
    /// Its labels: `comm=tail pid=32629 memcg=/x`.
    pub details: String,
    /// `file:line`.
    pub source: String,
    /// `in the window` (judged), `before the window` (earlier history), `not placed`.
    pub window: String,
}

/// The events of the kernel logs read, at most `most` of them, and how many were left out:
/// those in the capture's window in the order logged, then those not placed in the log's
/// order, then the earlier history, latest first (what is left out is the oldest history).
pub fn kernel_events(records: &[Record], most: usize) -> (Vec<KernelEventRow>, usize) {
    let mut events: Vec<&Record> = records
        .iter()
        .filter(|record| record.labels.get("line").is_some())
        .filter(|record| {
            is_event_table(&record.table) || [EARLIER, UNPLACED].contains(&record.table.as_str())
        })
        .collect();
    let rank = |record: &Record| match record.table.as_str() {
        EARLIER => 2,
        UNPLACED => 1,
        _ => 0,
    };
    events.sort_by(|a, b| {
        let by_time = match rank(a) {
            2 => b.time.total_cmp(&a.time),
            _ => a.time.total_cmp(&b.time),
        };
        rank(a)
            .cmp(&rank(b))
            .then(by_time)
            .then_with(|| a.source.cmp(&b.source))
    });
    let omitted = events.len().saturating_sub(most);
    let rows = events
        .into_iter()
        .take(most)
        .map(|record| {
            let table = record
                .labels
                .get("event")
                .map_or(record.table.as_str(), |event| event.as_str());
            let details: Vec<String> = record
                .labels
                .iter()
                .filter(|(name, _)| !["line", "clock", "event"].contains(&name.as_str()))
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            KernelEventRow {
                when: when_logged(record),
                event: table.trim_start_matches("kernel_").to_string(),
                details: details.join(" "),
                source: format!("{}:{}", record.source.file, record.source.line),
                window: match record.table.as_str() {
                    EARLIER => "before the window",
                    UNPLACED => "not placed",
                    _ => "in the window",
                }
                .to_string(),
            }
        })
        .collect();
    (rows, omitted)
}

/// A record's time as a reader wants it: civil time, or what the log gave where it was not
/// placed on a calendar.
fn when_logged(record: &Record) -> String {
    let civil = jiff::Timestamp::from_microsecond((record.time * 1e6) as i64)
        .map(|instant| jiff::tz::TimeZone::UTC.to_datetime(instant));
    match (record.labels.get("clock").map(|c| c.as_str()), civil) {
        (Some("boot"), _) => format!("{:.2} s after boot", record.time),
        (Some(_), Ok(civil)) => civil.strftime("%b %d %H:%M:%S").to_string(),
        (None, Ok(civil)) if record.time >= 1e9 => civil.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        _ => format!("{:.2} s", record.time),
    }
}

/// One row of the RED table: a service's rate, errors and durations over a whole probe run or
/// access log (a `red` record).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub(crate) struct RedRow {
    /// The endpoint the probe loaded; empty for an access log.
    pub endpoint: String,
    /// The file it was read from.
    pub source: String,
    pub requests: f64,
    /// Requests per second.
    pub rate: f64,
    pub errors: f64,
    /// Errors per 100 requests.
    pub error_pct: f64,
    /// Errors by class (`http_5xx 3, timeout 1`), only the classes that occurred.
    pub error_classes: Vec<RedErrorClass>,
    /// Open model: requests due that were never sent.
    pub missed: f64,
    /// Requests in flight at the end, not counted.
    pub in_flight: f64,
    /// Milliseconds from when each request was due (corrected for coordinated omission);
    /// absent when nothing was answered.
    pub duration: Option<RedPercentiles>,
    /// Milliseconds from when each was sent, when that differs from `duration` (the open
    /// model); absent when the same.
    pub raw_duration: Option<RedPercentiles>,
}

/// Requests that failed in one way.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub(crate) struct RedErrorClass {
    /// `refused`, `timeout`, `dns`, `tls`, `http_4xx`, `http_5xx`, ...
    pub class: String,
    pub count: f64,
}

/// Percentiles of a RED duration, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct RedPercentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

/// The RED table's rows: one per `red` record (probe run or access log), in the order read.
pub(crate) fn red_rows(records: &[Record]) -> Vec<RedRow> {
    records
        .iter()
        .filter(|record| record.table == "red")
        .map(|record| {
            let field = |name: &str| field_of(record, name);
            let percentiles = |prefix: &str| {
                record
                    .fields
                    .get(format!("{prefix}_p50").as_str())
                    .map(|&p50| RedPercentiles {
                        p50,
                        p90: field(&format!("{prefix}_p90")),
                        p99: field(&format!("{prefix}_p99")),
                        p999: field(&format!("{prefix}_p999")),
                        max: field(&format!("{prefix}_max")),
                    })
            };
            let duration = percentiles("duration");
            let raw_duration =
                percentiles("raw_duration").filter(|raw| Some(raw) != duration.as_ref());
            let requests = field("requests");
            let errors = field("errors");
            RedRow {
                endpoint: label_of(record, "endpoint"),
                source: record.source.file.to_string(),
                requests,
                rate: field("rate"),
                errors,
                error_pct: if requests > 0.0 {
                    100.0 * errors / requests
                } else {
                    0.0
                },
                error_classes: crate::parse::red::Outcome::ALL
                    .into_iter()
                    .filter(|outcome| outcome.is_error())
                    .map(|outcome| RedErrorClass {
                        class: outcome.name().to_string(),
                        count: field(&format!("errors_{}", outcome.name())),
                    })
                    .filter(|class| class.count > 0.0)
                    .collect(),
                missed: field("missed"),
                in_flight: field("in_flight"),
                duration,
                raw_duration,
            }
        })
        .collect()
}

/// A RED row in one line, for a terminal: `RED http://h/: 812.5 req/s, errors 3 (0.4%: http_5xx
/// 3), p50 1.2 p90 2 p99 9.8 p99.9 12 max 15 ms (raw p99 3.1 ms)`.
pub(crate) fn red_line(row: &RedRow) -> String {
    let number = crate::rules::eval::format_number;
    let what = if row.endpoint.is_empty() {
        row.source.as_str()
    } else {
        row.endpoint.as_str()
    };
    let mut line = format!("RED {what}: {} req/s", number(row.rate));
    if row.errors > 0.0 {
        let classes: Vec<String> = row
            .error_classes
            .iter()
            .map(|class| format!("{} {}", class.class, number(class.count)))
            .collect();
        line.push_str(&format!(
            ", errors {} ({}%: {})",
            number(row.errors),
            number(row.error_pct),
            classes.join(", ")
        ));
    } else {
        line.push_str(", no errors");
    }
    match &row.duration {
        Some(d) => line.push_str(&format!(
            ", p50 {} p90 {} p99 {} p99.9 {} max {} ms",
            number(d.p50),
            number(d.p90),
            number(d.p99),
            number(d.p999),
            number(d.max)
        )),
        None => line.push_str(", nothing answered"),
    }
    if let Some(raw) = &row.raw_duration {
        line.push_str(&format!(
            " (corrected for coordinated omission; raw p99 {} max {} ms)",
            number(raw.p99),
            number(raw.max)
        ));
    }
    line
}

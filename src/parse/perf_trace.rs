//! Parser for `perf trace -s` summaries (perf 6.1), into three tables.
//!
//! ```text
//!  Summary of events:
//!
//!  stress-ng-get (8960), 1325 events, 76.2%, 6 minfaults, 473.980 msec
//!
//!    syscall            calls  errors  total       min       avg       max       stddev
//!                                      (msec)    (msec)    (msec)    (msec)        (%)
//!    --------------- --------  ------ -------- --------- --------- ---------     ------
//!    prlimit64          12797   2941   303.031     0.012     0.024     0.708      0.55%
//! ```
//!
//! - `syscall_process` {comm, pid}: `events`, `events_pct` (the thread's share of all
//!   events), and where perf printed them `fault_maj`, `fault_min` (with `--pf`/`-F`) and
//!   `runtime_ms` (with `--sched`). perf leaves a fault count out when it is zero or was not
//!   traced, so an absent field means "not reported", not 0.
//! - `syscalls` {comm, pid, syscall}: `calls`, `errors`, `total_ms`, `min_ms`, `avg_ms`,
//!   `max_ms`, `stddev_pct` (the standard deviation as a percentage of the mean). Columns
//!   are read from the table's header, so a perf without the `errors` column parses too.
//!
//! - `syscalls_comm` {comm, syscall}: `calls`, `errors`, `total_ms` summed over the threads of
//!   one command name, and `threads`, how many there were ([`by_command`]): threads contending
//!   for one lock share it, each with a modest count, where a rule per thread sees none.
//!
//! perf summarizes per thread: `pid` is the thread id, as perf prints it. The summary covers
//! the whole traced interval and has no timestamp, so every record has time 0.0; the
//! collector knows when the trace ran. Lines before `Summary of events:` (the event log of
//! `perf trace -S`) are skipped.

use std::collections::BTreeMap;

use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::u64 as decimal;
use nom::combinator::{all_consuming, map};
use nom::multi::many0;
use nom::number::complete::double;
use nom::sequence::{preceded, terminated};
use nom::{IResult, Parser as _};

use super::sniff::Sign;
use super::{Format, Parser, Table};
use crate::record::{Labels, ParseWarning, Parsed, Record, SourceRef, canonical_field};

const SUMMARY_MARK: &str = "Summary of events:";

/// The thread a table belongs to, from its header line.
struct Thread {
    comm: String,
    pid: String,
}

/// `perf trace -s`, told by its title (` Summary of events:`) or a per-thread table's header
/// (`syscall            calls  errors  total ...`).
pub(crate) struct PerfTrace;

impl Parser for PerfTrace {
    fn format(&self) -> Format {
        Format::PerfTraceSummary
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        let trimmed = line.trim_start();
        let is_summary = trimmed.starts_with(SUMMARY_MARK)
            || (trimmed.starts_with("syscall")
                && line.contains("calls")
                && line.contains("errors")
                && line.contains("total"));
        is_summary.then_some(Sign::Title)
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }

    fn tables(&self) -> Vec<Table> {
        tables()
    }
}

pub fn parse(file: &str, text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let warn = |parsed: &mut Parsed, line: usize, message: String| {
        parsed.warnings.push(ParseWarning {
            file: file.to_owned(),
            line,
            message,
        });
    };
    let mut in_summary = false;
    let mut thread: Option<Thread> = None;
    let mut columns: Option<Vec<String>> = None;

    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim();
        if !in_summary {
            in_summary = trimmed == SUMMARY_MARK;
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with("---") {
            continue;
        }
        if let Some((header, record)) = thread_header(file, number, line) {
            parsed.records.push(record);
            thread = Some(header);
            columns = None;
            continue;
        }
        if trimmed.starts_with('(') {
            // The units line under the table header: `(msec) ... (%)`.
            continue;
        }
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        if words.first() == Some(&"syscall") {
            columns = Some(words.iter().map(|word| column_field(word)).collect());
            continue;
        }
        let (Some(current), Some(columns)) = (&thread, &columns) else {
            let expected = match thread {
                None => "a thread header like `comm (pid), N events, P%`",
                Some(_) => "the table header `syscall calls errors total ...`",
            };
            warn(
                &mut parsed,
                number,
                format!("expected {expected}, found {trimmed:?}"),
            );
            continue;
        };
        match syscall_row(&words, columns) {
            Ok((syscall, fields)) => parsed.records.push(Record {
                table: "syscalls".into(),
                time: 0.0,
                labels: labels(current, Some(syscall)),
                fields: fields.into(),
                source: source(file, number),
            }),
            Err(message) => warn(&mut parsed, number, message),
        }
    }
    if !in_summary && !text.trim().is_empty() {
        warn(
            &mut parsed,
            1,
            format!("no `{SUMMARY_MARK}` line: not a `perf trace -s` summary"),
        );
    }
    let by_command = by_command(&parsed.records);
    parsed.records.extend(by_command);
    parsed
}

/// The `syscalls` rows of `records` summed per command name and syscall (`syscalls_comm`):
/// calls, errors and time, and the number of threads. perf prints thread ids only, so the
/// threads of one process are told by their shared name (a traced `-p PID` is one process;
/// in a system-wide trace, processes of one name count together). Each row is read where the
/// first of its threads' rows was.
pub(crate) fn by_command(records: &[Record]) -> Vec<Record> {
    let mut sums: BTreeMap<(&str, &str), ([f64; 3], usize, SourceRef)> = BTreeMap::new();
    for record in records.iter().filter(|record| record.table == "syscalls") {
        let (Some(comm), Some(syscall)) = (record.labels.get("comm"), record.labels.get("syscall"))
        else {
            continue;
        };
        let (totals, threads, _) = sums
            .entry((comm.as_str(), syscall.as_str()))
            .or_insert_with(|| ([0.0; 3], 0, record.source.clone()));
        for (total, field) in totals.iter_mut().zip(["calls", "errors", "total_ms"]) {
            *total += record.fields.get(field).copied().unwrap_or(0.0);
        }
        *threads += 1;
    }
    sums.into_iter()
        .map(
            |((comm, syscall), ([calls, errors, total_ms], threads, source))| {
                let mut labels = Labels::new();
                labels.insert("comm".into(), comm.into());
                labels.insert("syscall".into(), syscall.into());
                Record {
                    table: "syscalls_comm".into(),
                    time: 0.0,
                    labels,
                    fields: [
                        ("calls", calls),
                        ("errors", errors),
                        ("total_ms", total_ms),
                        ("threads", threads as f64),
                    ]
                    .into_iter()
                    .map(|(name, value)| (name.into(), value))
                    .collect(),
                    source,
                }
            },
        )
        .collect()
}

/// The two tables of a syscall summary, as `perf trace -s` prints it or as its per-call lines
/// are summed.
pub(crate) fn tables() -> Vec<Table> {
    vec![
        Table::known(
            "syscall_process",
            &[
                "events",
                "events_pct",
                "fault_maj",
                "fault_min",
                "runtime_ms",
            ],
        ),
        Table::known(
            "syscalls",
            &[
                "calls",
                "errors",
                "total_ms",
                "min_ms",
                "avg_ms",
                "max_ms",
                "stddev_pct",
            ],
        ),
        Table::known("syscalls_comm", &["calls", "errors", "total_ms", "threads"]),
    ]
}

/// The field a column of the syscall table becomes; perf's units are fixed (msec, %).
fn column_field(header: &str) -> String {
    match header {
        "total" | "min" | "avg" | "max" => format!("{header}_ms"),
        "stddev" => "stddev_pct".to_owned(),
        other => canonical_field(other),
    }
}

/// One row of a syscall table: the syscall's name and its fields, or why it does not fit.
fn syscall_row<'a>(
    words: &[&'a str],
    columns: &[String],
) -> Result<(&'a str, BTreeMap<String, f64>), String> {
    if words.len() != columns.len() {
        return Err(format!(
            "expected {} columns ({}), found {}",
            columns.len(),
            columns.join(" "),
            words.len()
        ));
    }
    let mut words = words.iter();
    let syscall = words.next().copied().unwrap_or_default();
    let mut fields = BTreeMap::new();
    for (word, column) in words.zip(columns.iter().skip(1)) {
        let number = word.strip_suffix('%').unwrap_or(word);
        let value = number
            .parse::<f64>()
            .ok()
            .filter(|value| value.is_finite())
            .ok_or_else(|| format!("{column} of {syscall} is not a number: {word:?}"))?;
        fields.insert(column.clone(), value);
    }
    Ok((syscall, fields))
}

/// A thread's header line ` comm (pid), N events, P%[, N majfaults][, N minfaults][, T msec]`
/// and the `syscall_process` record it makes. The comm may hold spaces and parentheses, so
/// each `), ` is tried until the rest parses.
fn thread_header(file: &str, number: usize, line: &str) -> Option<(Thread, Record)> {
    line.match_indices("), ").find_map(|(close, _)| {
        let (comm, pid) = line.get(..close)?.rsplit_once(" (")?;
        let comm = comm.trim_start();
        if comm.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let rest = line.get(close + 3..)?.trim_end();
        let (_, fields) = all_consuming(header_counts).parse(rest).ok()?;
        let thread = Thread {
            comm: comm.to_owned(),
            pid: pid.to_owned(),
        };
        let record = Record {
            table: "syscall_process".into(),
            time: 0.0,
            labels: labels(&thread, None),
            fields: fields
                .into_iter()
                .map(|(name, value)| (name.into(), value))
                .collect(),
            source: source(file, number),
        };
        Some((thread, record))
    })
}

/// `1325 events, 76.2%, 6 minfaults, 473.980 msec` as (field, value) pairs.
fn header_counts(input: &str) -> IResult<&str, Vec<(String, f64)>> {
    let (input, events) = terminated(decimal, tag(" events, ")).parse(input)?;
    let (input, share) = terminated(double, tag("%")).parse(input)?;
    let extra = alt((
        map(terminated(decimal, tag(" majfaults")), |n| {
            ("fault_maj", n as f64)
        }),
        map(terminated(decimal, tag(" minfaults")), |n| {
            ("fault_min", n as f64)
        }),
        map(terminated(double, tag(" msec")), |ms| ("runtime_ms", ms)),
    ));
    let (input, extras) = many0(preceded(tag(", "), extra)).parse(input)?;
    let mut fields = vec![
        ("events".to_owned(), events as f64),
        ("events_pct".to_owned(), share),
    ];
    fields.extend(
        extras
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value)),
    );
    Ok((input, fields))
}

fn labels(thread: &Thread, syscall: Option<&str>) -> Labels {
    let mut labels = Labels::new();
    labels.insert("comm".into(), thread.comm.as_str().into());
    labels.insert("pid".into(), thread.pid.as_str().into());
    if let Some(syscall) = syscall {
        labels.insert("syscall".into(), syscall.into());
    }
    labels
}

fn source(file: &str, line: usize) -> SourceRef {
    SourceRef {
        file: file.into(),
        line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "
 Summary of events:

 opt 0tunt3oq5pi (8972), 45 events, 0.0%

   syscall            calls  errors  total       min       avg       max       stddev
                                     (msec)    (msec)    (msec)    (msec)        (%)
   --------------- --------  ------ -------- --------- --------- ---------     ------
   futex                 59     59  2926.947     0.000    49.609    56.622      1.74%

 (sd-pam) (1234), 2 events, 0.1%, 3 majfaults, 6 minfaults, 473.980 msec

";

    #[test]
    fn headers_and_rows_become_records() {
        let parsed = parse("trace/syscalls.txt", SAMPLE);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert_eq!(parsed.records.len(), 4);
        let thread = &parsed.records[0];
        assert_eq!(thread.table, "syscall_process");
        assert_eq!(thread.labels["comm"], "opt 0tunt3oq5pi");
        assert_eq!(thread.labels["pid"], "8972");
        assert_eq!(thread.fields["events"], 45.0);
        let futex = &parsed.records[1];
        assert_eq!(futex.table, "syscalls");
        assert_eq!(futex.labels["syscall"], "futex");
        assert_eq!(futex.fields["errors"], 59.0);
        assert_eq!(futex.fields["total_ms"], 2926.947);
        assert_eq!(futex.fields["stddev_pct"], 1.74);
        assert_eq!(futex.source.line, 9);
        let pam = &parsed.records[2];
        assert_eq!(pam.labels["comm"], "(sd-pam)");
        assert_eq!(pam.fields["fault_maj"], 3.0);
        assert_eq!(pam.fields["fault_min"], 6.0);
        assert_eq!(pam.fields["runtime_ms"], 473.98);
        let command = &parsed.records[3];
        assert_eq!(command.table, "syscalls_comm");
        assert_eq!(command.labels["comm"], "opt 0tunt3oq5pi");
        assert!(!command.labels.contains_key("pid"));
        assert_eq!(command.fields["threads"], 1.0);
        assert_eq!(command.source.line, 9);
    }

    /// Threads of one name are summed per syscall, each count once.
    #[test]
    fn threads_of_one_command_are_summed() {
        let text = " Summary of events:

 lock (10), 9 events, 50.0%

   syscall calls errors total min avg max stddev
   futex 400 1 300.0 0 1 2 0%
   read 5 0 1.0 0 1 2 0%

 lock (11), 9 events, 50.0%

   syscall calls errors total min avg max stddev
   futex 600 0 450.5 0 1 2 0%
";
        let parsed = parse("t", text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let futex = parsed
            .records
            .iter()
            .find(|r| r.table == "syscalls_comm" && r.labels["syscall"] == "futex")
            .unwrap();
        assert_eq!(futex.fields["calls"], 1000.0);
        assert_eq!(futex.fields["errors"], 1.0);
        assert_eq!(futex.fields["total_ms"], 750.5);
        assert_eq!(futex.fields["threads"], 2.0);
        assert_eq!(futex.source.line, 6);
    }

    #[test]
    fn a_table_without_the_errors_column_still_parses() {
        let text = " Summary of events:\n a (1), 2 events, 100.0%\n\n   syscall calls total min avg max stddev\n   read 2 0.5 0.1 0.25 0.4 10.00%\n";
        let parsed = parse("t", text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert_eq!(parsed.records[1].fields.len(), 6);
        assert!(!parsed.records[1].fields.contains_key("errors"));
    }

    #[test]
    fn rows_that_do_not_fit_are_warned_about_by_line() {
        let text = " Summary of events:\n   read 1 0 1 1 1 1 0%\n a (1), 2 events, 100.0%\n   syscall calls errors total min avg max stddev\n   read 1 0 x 1 1 1 0%\n   write 1\n   ok 1 0 1 1 1 1 0%\n";
        let parsed = parse("raw/t.txt", text);
        let lines: Vec<usize> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![2, 5, 6]);
        assert!(parsed.warnings.iter().all(|w| w.file == "raw/t.txt"));
        assert!(parsed.warnings[0].message.contains("thread header"));
        assert!(parsed.warnings[1].message.contains("total_ms of read"));
        let no_table = parse(
            "t",
            " Summary of events:\n a (1), 2 events, 100.0%\n   read 1\n",
        );
        assert!(no_table.warnings[0].message.contains("table header"));
        assert_eq!(parsed.records.len(), 3);
    }

    #[test]
    fn text_without_a_summary_is_one_warning() {
        let parsed = parse("t", "     0.000 ( 0.003 ms): sleep/1 brk() = 0x1\n");
        assert_eq!(parsed.warnings.len(), 1);
        assert!(parsed.records.is_empty());
        assert!(parse("t", "").warnings.is_empty());
        assert!(parse("t", " Summary of events:\n\n").records.is_empty());
    }

    #[test]
    fn any_input_parses_without_panicking() {
        let mut text = String::from(" Summary of events:\n");
        for piece in [
            " (1), 2 events, 1%\n",
            " x (), 2 events\n",
            " x (1), \n",
            " x (1), 2 events, 1%, 3 minfaults, \n",
            "   syscall\n",
            "   \u{e9}\u{e9} 1 2 3 4 5 6 NaN%\n",
            "   a 1 2 3 4 5 6 inf%\n",
            "),  ), (9), \n",
        ] {
            text.push_str(piece);
            let _ = parse("t", &text);
        }
    }
}

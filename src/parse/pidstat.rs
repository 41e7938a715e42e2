//! Parser for pidstat, one block per report option each with its header (`pidstat -u -r -d
//! -w 1 N`), or one line per process under a single `# Time` header (`pidstat -u -r -d -w -h
//! 1 N`; old versions print epoch seconds there). Table `pidstat`, labels `pid`, `comm`, and
//! `tid` with `-t`.
//!
//! Fields are named after their headers:
//!
//! | option | fields |
//! |---|---|
//! | `-u` | `usr system guest wait cpu last_cpu` |
//! | `-r` | `minflt_s majflt_s vsz rss mem` (`VSZ`, `RSS` in KiB; `%MEM` → `mem`) |
//! | `-d` | `kb_rd_s kb_wr_s kb_ccwr_s iodelay` (`iodelay` in clock ticks) |
//! | `-w` | `cswch_s nvcswch_s` |
//! | `-s` | `stksize stkref` (KiB) |
//! | `-v` | `threads fd_nr` |
//! | `-R` | `prio` (the `policy` word is left out) |
//!
//! The `CPU` column (the processor the task last ran on) becomes `last_cpu`, since `cpu` is
//! taken by `%CPU`. Without `-h`, the blocks of one interval give one record each, with the
//! same time and labels and different fields; series do not care which record a point came
//! from.

use super::sniff::Sign;
use super::sysstat::{TableSpec, read_tables};
use super::{Format, Parser, Table};
use crate::record::{Feed, Name, Parsed, Rank, Unit};

/// pidstat, told by its header: `PID` (or `TGID`) and `Command`.
pub struct Pidstat;

impl Parser for Pidstat {
    fn format(&self) -> Format {
        Format::Pidstat
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        let cells: Vec<&str> = line.split_ascii_whitespace().collect();
        let has = |name: &str| cells.contains(&name);
        ((has("PID") || has("TGID")) && has("Command")).then_some(Sign::Header)
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }

    fn unit(&self, table: &str, field: &str) -> Option<Unit> {
        match (table, field) {
            ("pidstat", "vsz" | "rss" | "stksize" | "stkref") => Some(Unit::KiB),
            ("pidstat", "kb_rd_s" | "kb_wr_s" | "kb_ccwr_s") => Some(Unit::KiBPerSecond),
            _ => None,
        }
    }

    fn tables(&self) -> Vec<Table> {
        vec![TASKS.declared()]
    }

    /// Per process: its rows without a `tid`; per thread (`-t`): the rows with one.
    fn feeds(&self) -> Vec<Feed> {
        vec![
            Feed::new(Rank::Primary, "pidstat", "pidstat.cpu", "process.cpu"),
            Feed::new(Rank::Primary, "pidstat", "pidstat.rss", "process.rss"),
            Feed::new(Rank::Primary, "pidstat -t", "pidstat.cpu", "thread.cpu"),
            Feed::new(Rank::Primary, "pidstat -t", "pidstat.wait", "thread.wait"),
        ]
    }
}

const TASKS: TableSpec = TableSpec {
    table: "pidstat",
    first: &["UID", "USER", "PID"],
    marker: None,
    labels: &[
        ("PID", "pid"),
        ("TGID", "pid"),
        ("TID", "tid"),
        ("Command", "comm"),
    ],
    renames: &[("CPU", "last_cpu")],
    // The scheduling policy (`NORMAL`, `FIFO`) is a word, not a measure.
    skip: &["UID", "USER", "policy"],
    instances: None,
    busy: false,
    fields: &[
        "usr",
        "system",
        "guest",
        "wait",
        "cpu",
        "last_cpu",
        "minflt_s",
        "majflt_s",
        "vsz",
        "rss",
        "mem",
        "kb_rd_s",
        "kb_wr_s",
        "kb_ccwr_s",
        "iodelay",
        "cswch_s",
        "nvcswch_s",
        "stksize",
        "stkref",
        "threads",
        "fd_nr",
        "prio",
    ],
};

/// How `pidstat -t` marks a thread under its process in the `Command` column.
const THREAD_MARK: &str = "|__";

pub fn parse(file: &str, text: &str) -> Parsed {
    let mut parsed = read_tables(file, text, &[TASKS]);
    // With -t, a thread row prints `-` for TGID: it belongs to the row above it that named
    // its process, a process row or a thread row printed with its TGID (`1 76
    // (process_api)__tokio-rt-worker`, whose process row pidstat left out), in the same
    // block: rows of a block are on consecutive lines.
    let mut process: Option<Name> = None;
    let mut previous_line = 0;
    for record in &mut parsed.records {
        if record.source.line != previous_line + 1 {
            process = None;
        }
        previous_line = record.source.line;
        if let Some(comm) = record.labels.get_mut("comm")
            && let Some(name) = comm.strip_prefix(THREAD_MARK)
        {
            *comm = name.into();
        }
        match (record.labels.get("pid"), record.labels.contains_key("tid")) {
            (Some(pid), _) => process = Some(pid.clone()),
            (None, true) => {
                if let Some(pid) = &process {
                    record.labels.insert("pid".into(), pid.clone());
                }
            }
            _ => {}
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn threads_take_their_process_pid_and_commands_keep_spaces() {
        let text = "Linux 6.1 (h) \t11/25/26 \t_x86_64_\t(2 CPU)\n\n\
                    19:11:46 UID TGID TID %usr %CPU CPU Command\n\
                    19:11:47 0 1 - 0.00 0.99 1 init\n\
                    19:11:47 0 - 59 0.00 0.00 1 |__vsock console\n";
        let parsed = parse("p", text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let thread = &parsed.records[1];
        assert_eq!(thread.labels["pid"], "1");
        assert_eq!(thread.labels["tid"], "59");
        assert_eq!(thread.labels["comm"], "vsock console");
        assert_eq!(thread.fields["cpu"], 0.0);
        assert_eq!(thread.fields["last_cpu"], 1.0);
        assert!(!parsed.records[0].labels.contains_key("tid"));
    }
}

//! The rows of the report's drill-down tables, read from the records: the syscalls that took
//! the most time (perf trace -s) and the threads that spent the most time blocked
//! (sched_switch).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::record::Record;

/// One row of the syscall table: a process's syscall, summed over the trace.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SyscallRow {
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
pub struct OffCpuRow {
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
pub fn top_syscalls(records: &[Record], top: usize) -> Vec<SyscallRow> {
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
    rows.sort_by(|a, b| b.total_ms.total_cmp(&a.total_ms));
    rows.truncate(top);
    rows
}

/// The threads that spent the most time off CPU (blocked, not preempted) in sched_switch
/// traces, most first.
pub fn top_off_cpu(records: &[Record], top: usize) -> Vec<OffCpuRow> {
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
    rows.sort_by(|a, b| b.offcpu_ms.total_cmp(&a.offcpu_ms));
    rows.truncate(top);
    rows
}

//! What `profile` and `profile-diff` show: the report (Markdown), the terminal summary and
//! the JSON, from what `profile/` decided.

use std::fmt::Write;

use serde::Serialize;

use crate::profile::{
    Caption, DepthCap, Digest, FrameKind, HotFunction, OffCpu, Shift, ThreadShare, WaitShare,
    thousands,
};

/// One profile, as its report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileReport {
    pub title: String,
    pub subtitle: String,
    /// What a count is when not a sample (`µs off-CPU`: a sched_switch recording read back).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// What was profiled and how (`perf record -e cpu-clock -F 99 ... -p 4242`), when
    /// perf_manual recorded it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// perf's own CPU seconds and the bytes it wrote, when perf_manual recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
    #[serde(flatten)]
    pub digest: Digest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth_cap: Option<DepthCap>,
    /// Files written, relative to the report: (what, path).
    pub files: Vec<(String, String)>,
    /// What the reader must know about how it was made (interrupted, partial script).
    pub notes: Vec<String>,
    /// Where the threads waited, with `--off-cpu`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off_cpu: Option<OffCpuReport>,
    /// Where memory was faulted in and who grew, with `--memory`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryReport>,
}

/// One process's memory growth over the recording.
#[derive(Debug, Clone, Serialize)]
pub struct Growth {
    pub pid: u32,
    pub process: String,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub rss_change_kib: i64,
    pub swap_change_kib: i64,
}

/// Page faults and memory growth, as the report shows them.
#[derive(Debug, Clone, Serialize)]
pub struct MemoryReport {
    pub title: String,
    pub subtitle: String,
    /// Functions where the sampled faults were taken.
    pub top: Vec<HotFunction>,
    /// Largest growth (RSS + swap) first, at most 10.
    pub growth: Vec<Growth>,
    pub files: Vec<(String, String)>,
    pub notes: Vec<String>,
    /// The major faults (pages read from disk: a file, or swap), recorded beside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub major_faults: Option<MajorFaultsReport>,
}

/// Major faults: where pages were read from disk, as the report shows them.
#[derive(Debug, Clone, Serialize)]
pub struct MajorFaultsReport {
    pub title: String,
    pub subtitle: String,
    /// How many major faults were sampled (each is one: the period is 1).
    pub samples: u64,
    /// Functions where the major faults were taken.
    pub top: Vec<HotFunction>,
    pub files: Vec<(String, String)>,
    /// Why there is no flamegraph (no major fault; perf could not record the event).
    pub notes: Vec<String>,
}

fn faults_table(out: &mut String, top: &[HotFunction]) {
    if top.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "| Function | Process | Self % of faults | Total % |\n|---|---|---:|---:|"
    );
    for hot in top {
        let _ = writeln!(
            out,
            "| `{}` | {} | {:.2} | {:.2} |",
            hot.function.replace('|', "\\|"),
            hot.process,
            hot.self_percent,
            hot.total_percent
        );
    }
}

fn major_faults_markdown(out: &mut String, major: &MajorFaultsReport) {
    let _ = writeln!(out, "\n### {}\n\n_{}_\n", major.title, major.subtitle);
    for note in &major.notes {
        let _ = writeln!(out, "- **Note:** {note}");
    }
    faults_table(out, &major.top);
    for (what, path) in &major.files {
        let _ = writeln!(out, "\n- {what}: [{path}]({path})");
    }
}

fn major_faults_text(out: &mut String, major: &MajorFaultsReport) {
    let _ = writeln!(out, "\n{}\n{}", major.title, major.subtitle);
    for note in &major.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    for hot in major.top.iter().take(5) {
        let _ = writeln!(
            out,
            "  {:>7.2}% of major faults in {} ({})",
            hot.self_percent, hot.function, hot.process
        );
    }
    for (what, path) in &major.files {
        let _ = writeln!(out, "  {what}: {path}");
    }
}

fn memory_markdown(out: &mut String, memory: &MemoryReport) {
    let _ = writeln!(out, "\n## {}\n\n_{}_\n", memory.title, memory.subtitle);
    for note in &memory.notes {
        let _ = writeln!(out, "- **Note:** {note}");
    }
    faults_table(out, &memory.top);
    let _ = writeln!(
        out,
        "\n| Process | PID | RSS before KiB | RSS after KiB | RSS change KiB | Swap change KiB |\n|---|---:|---:|---:|---:|---:|"
    );
    for grown in &memory.growth {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:+} | {:+} |",
            grown.process,
            grown.pid,
            grown.rss_before_kib,
            grown.rss_after_kib,
            grown.rss_change_kib,
            grown.swap_change_kib
        );
    }
    for (what, path) in &memory.files {
        let _ = writeln!(out, "\n- {what}: [{path}]({path})");
    }
    if let Some(major) = &memory.major_faults {
        major_faults_markdown(out, major);
    }
}

fn memory_text(out: &mut String, memory: &MemoryReport) {
    let _ = writeln!(out, "\n{}\n{}", memory.title, memory.subtitle);
    for note in &memory.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    for hot in memory.top.iter().take(5) {
        let _ = writeln!(
            out,
            "  {:>7.2}% of faults in {} ({})",
            hot.self_percent, hot.function, hot.process
        );
    }
    for grown in memory.growth.iter().take(5) {
        let _ = writeln!(
            out,
            "  {} (PID {}): RSS {:+} KiB to {} KiB, swap {:+} KiB",
            grown.process,
            grown.pid,
            grown.rss_change_kib,
            grown.rss_after_kib,
            grown.swap_change_kib
        );
    }
    for (what, path) in &memory.files {
        let _ = writeln!(out, "  {what}: {path}");
    }
    if let Some(major) = &memory.major_faults {
        major_faults_text(out, major);
    }
}

/// Off-CPU time, as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OffCpuReport {
    pub title: String,
    pub subtitle: String,
    pub window_ms: f64,
    pub blocked_ms: f64,
    /// By process, wait and where it blocked, most time first (at most 15).
    pub by_wait: Vec<WaitShare>,
    pub files: Vec<(String, String)>,
    pub notes: Vec<String>,
}

impl OffCpuReport {
    pub fn new(caption: &Caption, off: &OffCpu) -> OffCpuReport {
        OffCpuReport {
            title: caption.title(),
            subtitle: caption.subtitle(),
            window_ms: off.window_ms,
            blocked_ms: off.blocked_ms,
            by_wait: off.by_wait.iter().take(15).cloned().collect(),
            files: Vec::new(),
            notes: Vec::new(),
        }
    }
}

fn off_cpu_markdown(out: &mut String, off: &OffCpuReport) {
    let _ = writeln!(out, "\n## {}\n\n_{}_\n", off.title, off.subtitle);
    let _ = writeln!(
        out,
        "Threads were off the CPU {:.0} ms in all over a {:.0} ms window (several threads add up).\n",
        off.blocked_ms, off.window_ms
    );
    for note in &off.notes {
        let _ = writeln!(out, "- **Note:** {note}");
    }
    let _ = writeln!(
        out,
        "| Process | Waited for | Where | Blocked ms | % of off-CPU | Blocks |\n|---|---|---|---:|---:|---:|"
    );
    for wait in &off.by_wait {
        let _ = writeln!(
            out,
            "| {} | {} | `{}` | {:.1} | {:.1} | {} |",
            wait.process,
            wait.wait,
            wait.frame.replace('|', "\\|"),
            wait.blocked_ms,
            wait.percent,
            wait.blocks
        );
    }
    for (what, path) in &off.files {
        let _ = writeln!(out, "\n- {what}: [{path}]({path})");
    }
}

fn off_cpu_text(out: &mut String, off: &OffCpuReport) {
    let _ = writeln!(out, "\n{}\n{}", off.title, off.subtitle);
    for note in &off.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    let _ = writeln!(
        out,
        "\n  {:>10} {:>6}  {:<10} {:<40} process",
        "blocked ms", "%", "wait", "where"
    );
    for wait in off.by_wait.iter().take(8) {
        let _ = writeln!(
            out,
            "  {:>10.1} {:>6.1}  {:<10} {:<40} {}",
            wait.blocked_ms, wait.percent, wait.wait, wait.frame, wait.process
        );
    }
    for (what, path) in &off.files {
        let _ = writeln!(out, "  {what}: {path}");
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Cost {
    pub perf_cpu_seconds: f64,
    pub data_bytes: u64,
    pub seconds: f64,
}

impl ProfileReport {
    pub fn new(caption: &Caption, digest: Digest) -> ProfileReport {
        ProfileReport {
            title: caption.title(),
            subtitle: caption.subtitle(),
            unit: caption.unit.clone(),
            command: Vec::new(),
            cost: None,
            digest,
            depth_cap: None,
            files: Vec::new(),
            notes: Vec::new(),
            off_cpu: None,
            memory: None,
        }
    }
}

fn kind_label(kind: FrameKind) -> &'static str {
    match kind {
        FrameKind::Code => "",
        FrameKind::Jit => "JIT",
        FrameKind::Unsymbolized => "no symbols",
        FrameKind::Overhead => "perf overhead",
        FrameKind::Idle => "idle",
    }
}

/// The sentences a reader needs first: the hottest function, and what is not the workload.
fn headline(report: &ProfileReport) -> Vec<String> {
    let digest = &report.digest;
    let mut lines = Vec::new();
    let waited = report
        .off_cpu
        .as_ref()
        .filter(|_| digest.top.is_empty())
        .and_then(|off| off.by_wait.first());
    match (waited, &digest.hottest) {
        // An off-CPU profile read back: where the most time was spent waiting, and for what.
        (Some(wait), _) => lines.push(format!(
            "Counts are {}: {} waited most for {} in `{}` ({:.1}% of the time off the CPU, {} blocks).",
            report.unit, wait.process, wait.wait, wait.frame, wait.percent, wait.blocks
        )),
        // Off-CPU time ends in the scheduler: the widest towers, not the leaf, say where.
        (None, Some(hot)) if !report.unit.is_empty() => lines.push(format!(
            "Counts are {}: the widest towers of the flamegraph are where threads waited; {} of {} blocked the most ({:.1}%).",
            report.unit, hot.process, hot.function, hot.total_percent
        )),
        (None, Some(hot)) => lines.push(format!(
            "Hottest function: `{}` in {} — {:.1}% of samples in itself, {:.1}% with what it calls.",
            hot.function, hot.process, hot.self_percent, hot.total_percent
        )),
        (None, None) => lines.push("No sample was in the workload's own code.".into()),
    }
    if digest.overhead_samples > 0 && report.unit.contains("off-CPU") {
        lines.push(format!(
            "{:.1}% of the time off the CPU ({} µs) was perf's own, waiting to write what it recorded: the cost of measuring, not the workload's.",
            digest.overhead_percent, digest.overhead_samples
        ));
    } else if digest.overhead_samples > 0 {
        lines.push(format!(
            "{:.1}% of samples ({}) were perf's own sampling code or the perf process: the cost of measuring (cpu-clock on a VM), not the workload's hot spot.",
            digest.overhead_percent, digest.overhead_samples
        ));
    }
    let busiest: Vec<String> = digest
        .threads
        .iter()
        .filter(|thread| thread.kind == FrameKind::Code)
        .take(3)
        .map(|thread| format!("{} {:.1}%", thread_name(thread), thread.percent))
        .collect();
    if !busiest.is_empty() && report.unit.is_empty() {
        lines.push(format!(
            "Threads with the most samples: {} (of {} thread{} with samples).",
            busiest.join(", "),
            digest.thread_count,
            if digest.thread_count == 1 { "" } else { "s" }
        ));
    }
    if digest.idle_samples > 0 {
        lines.push(format!(
            "{:.1}% of samples ({}) were a CPU idling.",
            digest.idle_percent, digest.idle_samples
        ));
    }
    if digest.jit_samples > 0 {
        lines.push(format!(
            "{} samples ran JIT code named from a perf map (/tmp/perf-PID.map), marked `_[j]`.",
            digest.jit_samples
        ));
    }
    if let Some(cap) = &report.depth_cap {
        lines.push(format!(
            "{} rare stack(s) ({:.1}% of samples, up to {} frames deep) are drawn cut to {} frames so the flamegraph stays readable (their middle frames shown as one `[… frames cut …]`); the folded file has them whole.",
            cap.stacks_cut, cap.percent_cut, cap.deepest, cap.max_frames
        ));
    }
    lines
}

/// `comm (PID p)` for a process's main thread, `comm (PID p, TID t)` for another, `comm
/// (TID t)` when perf did not print the process.
fn thread_name(thread: &ThreadShare) -> String {
    match thread.pid {
        Some(pid) if pid == thread.tid => format!("{} (PID {pid})", thread.comm),
        Some(pid) => format!("{} (PID {pid}, TID {})", thread.comm, thread.tid),
        None => format!("{} (TID {})", thread.comm, thread.tid),
    }
}

/// The Markdown report of one profile.
pub fn profile_markdown(report: &ProfileReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n\n_{}_\n", report.title, report.subtitle);
    for line in headline(report) {
        let _ = writeln!(out, "- {line}");
    }
    for note in &report.notes {
        let _ = writeln!(out, "- **Note:** {note}");
    }
    if !report.command.is_empty() {
        let _ = writeln!(
            out,
            "\n## How it was recorded\n\n`{}`\n",
            report.command.join(" ")
        );
        if let Some(cost) = &report.cost {
            let _ = writeln!(
                out,
                "perf used {:.2} CPU seconds over {:.1} s and wrote {} bytes.",
                cost.perf_cpu_seconds,
                cost.seconds,
                thousands(cost.data_bytes)
            );
        }
    }
    let _ = writeln!(
        out,
        "\n## Processes\n\n| Process | Samples | % |\n|---|---:|---:|"
    );
    for process in &report.digest.processes {
        let label = match process.kind {
            FrameKind::Code => String::new(),
            kind => format!(" ({})", kind_label(kind)),
        };
        let _ = writeln!(
            out,
            "| {}{label} | {} | {:.2} |",
            process.process, process.samples, process.percent
        );
    }
    if !report.digest.threads.is_empty() {
        let _ = writeln!(
            out,
            "\n## Threads\n\n| Thread | PID | TID | Samples | % |\n|---|---:|---:|---:|---:|"
        );
        for thread in &report.digest.threads {
            let label = match thread.kind {
                FrameKind::Code => String::new(),
                kind => format!(" ({})", kind_label(kind)),
            };
            let pid = thread.pid.map(|pid| pid.to_string()).unwrap_or_default();
            let _ = writeln!(
                out,
                "| {}{label} | {pid} | {} | {} | {:.2} |",
                thread.comm, thread.tid, thread.samples, thread.percent
            );
        }
        let more = report.digest.thread_count - report.digest.threads.len();
        if more > 0 {
            let _ = writeln!(out, "\n{more} more thread(s) had fewer samples.");
        }
    }
    if !report.digest.top.is_empty() {
        let _ = writeln!(
            out,
            "\n## Top functions\n\n| Function | Process | Self % | Total % | Self samples | Kind |\n|---|---|---:|---:|---:|---|"
        );
    }
    for hot in &report.digest.top {
        let _ = writeln!(
            out,
            "| `{}` | {} | {:.2} | {:.2} | {} | {} |",
            hot.function.replace('|', "\\|"),
            hot.process,
            hot.self_percent,
            hot.total_percent,
            hot.self_samples,
            kind_label(hot.kind)
        );
    }
    if !report.digest.missing_symbols.is_empty() {
        let _ = writeln!(
            out,
            "\n## Frames without symbols\n\nShown as `[binary]` (or `[unknown]`), never dropped.\n\n| Binary | Samples through it | % | As the leaf | How to get its symbols |\n|---|---:|---:|---:|---|"
        );
        for missing in &report.digest.missing_symbols {
            let _ = writeln!(
                out,
                "| `{}` | {} | {:.2} | {} | {} |",
                missing.binary,
                missing.samples,
                missing.percent,
                missing.leaf_samples,
                missing.hint
            );
        }
    }
    if let Some(off) = &report.off_cpu {
        off_cpu_markdown(&mut out, off);
    }
    if let Some(memory) = &report.memory {
        memory_markdown(&mut out, memory);
    }
    let _ = writeln!(out, "\n## Files\n");
    for (what, path) in &report.files {
        let _ = writeln!(out, "- {what}: [{path}]({path})");
    }
    out
}

/// The terminal summary of one profile.
pub fn profile_text(report: &ProfileReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n{}", report.title, report.subtitle);
    for line in headline(report) {
        let _ = writeln!(out, "  {}", line.replace('`', ""));
    }
    for note in &report.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    if !report.digest.top.is_empty() {
        let _ = writeln!(
            out,
            "\n  {:>7} {:>7}  {:<40} process",
            "self %", "total %", "function"
        );
    }
    for hot in report.digest.top.iter().take(10) {
        let kind = match hot.kind {
            FrameKind::Code => String::new(),
            kind => format!("  [{}]", kind_label(kind)),
        };
        let _ = writeln!(
            out,
            "  {:>7.2} {:>7.2}  {:<40} {}{kind}",
            hot.self_percent, hot.total_percent, hot.function, hot.process
        );
    }
    if !report.digest.missing_symbols.is_empty() {
        let binaries: Vec<String> = report
            .digest
            .missing_symbols
            .iter()
            .map(|missing| format!("{} ({:.1}%)", missing.binary, missing.percent))
            .collect();
        let _ = writeln!(
            out,
            "\n  Without symbols: {} — the report says how to get them.",
            binaries.join(", ")
        );
    }
    if let Some(off) = &report.off_cpu {
        off_cpu_text(&mut out, off);
    }
    if let Some(memory) = &report.memory {
        memory_text(&mut out, memory);
    }
    let _ = writeln!(out);
    for (what, path) in &report.files {
        let _ = writeln!(out, "  {what}: {path}");
    }
    out
}

/// What `profile-diff` shows.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    pub before: String,
    pub after: String,
    pub before_samples: u64,
    pub after_samples: u64,
    pub shifts: Vec<Shift>,
    pub files: Vec<(String, String)>,
}

fn ceiling(ceiling: Option<f64>) -> String {
    ceiling.map_or_else(|| "unbounded".into(), |x| format!("{x:.2}x"))
}

const DIFF_EXPLAINED: &str = "Shares are each function's own samples (not its callees') as a \
    share of its process's samples, perf's overhead and idle left out, so recordings of different \
    length compare. The ceiling is Amdahl's: the whole program's speed-up if the function's own \
    time went to zero, 1 / (1 - share after). The differential flamegraph has the shape of AFTER; \
    red frames grew and blue shrank, BEFORE scaled to AFTER's sample count first.";

/// The Markdown report of a comparison.
pub fn diff_markdown(report: &DiffReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# What changed: `{}` → `{}`\n\n{} samples before, {} after.\n\n{DIFF_EXPLAINED}\n",
        report.before,
        report.after,
        thousands(report.before_samples),
        thousands(report.after_samples)
    );
    let _ = writeln!(
        out,
        "| Function | Process | Before % | After % | Change | Ceiling after | Ceiling before |\n|---|---|---:|---:|---:|---:|---:|"
    );
    for shift in &report.shifts {
        let _ = writeln!(
            out,
            "| `{}` | {} | {:.1} | {:.1} | {:+.1} | {} | {} |",
            shift.function.replace('|', "\\|"),
            shift.process,
            shift.before_percent,
            shift.after_percent,
            shift.change,
            ceiling(shift.ceiling_after),
            ceiling(shift.ceiling_before)
        );
    }
    let _ = writeln!(out, "\n## Files\n");
    for (what, path) in &report.files {
        let _ = writeln!(out, "- {what}: [{path}]({path})");
    }
    out
}

/// The terminal summary of a comparison.
pub fn diff_text(report: &DiffReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({} samples) → {} ({} samples); shares of each process's own samples",
        report.before,
        thousands(report.before_samples),
        report.after,
        thousands(report.after_samples)
    );
    let _ = writeln!(
        out,
        "\n  {:<40} {:>8} {:>8} {:>8} {:>10}",
        "function", "before%", "after%", "change", "ceiling"
    );
    for shift in report.shifts.iter().take(15) {
        let _ = writeln!(
            out,
            "  {:<40} {:>8.1} {:>8.1} {:>+8.1} {:>10}",
            format!("{}()", shift.function),
            shift.before_percent,
            shift.after_percent,
            shift.change,
            ceiling(shift.ceiling_after)
        );
    }
    let _ = writeln!(out);
    for (what, path) in &report.files {
        let _ = writeln!(out, "  {what}: {path}");
    }
    out
}

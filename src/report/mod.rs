//! Reporting only: the report data is assembled from what the other layers decided, then
//! written by an exporter (`export/`, one file per format). Nothing here judges.

pub(crate) mod export;
pub mod profile;
pub mod red_check;
pub mod rows;
pub(crate) mod terminal;
pub mod trace;
pub mod use_check;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    collect::manifest::{Manifest, StepRecord, StepStatus, TargetProcess},
    judge::{Analysis, NotAnalysed},
    profile::{Digest, FrameKind, HotFunction},
    record::{HostFacts, MetricSource, Record},
    rules::{CompiledRule, Finding, VerdictKind, use_table::UseRow, use_table::use_table, verdict},
    store::redact::redact,
};
use rows::{
    KernelEventRow, OffCpuRow, RedRow, SyscallRow, kernel_events, red_rows, top_off_cpu,
    top_syscalls,
};

/// Everything a report shows. Printed by `--format json` (as [`ReportJson`]); its shape is
/// published in schemas/report.schema.json: extend it, never break it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub(crate) struct ReportData {
    pub playbook: String,
    pub summary: String,
    /// complete, interrupted, failed, or analyzed (judged from data captured earlier); for
    /// an investigation whose metadata still says running, analyzed as `abandoned` (its run was
    /// killed) or `running` (a run holds it still).
    pub status: String,
    pub started: String,
    pub ended: String,
    /// The investigation or data directory.
    pub directory: String,
    /// Where the raw files are, relative to `directory` (`raw_data/` in an investigation);
    /// file paths in `files` and evidence are relative to it.
    #[serde(default)]
    pub raw_prefix: String,
    pub host: HostFacts,
    /// One line: the top finding; or that nothing was found, naming what was judged; or that
    /// the verdict is inconclusive, naming what could not be judged and why.
    pub verdict: String,
    /// What `verdict` says: `healthy`, `bottleneck` (findings about one resource), `several`
    /// (about more than one) or `inconclusive` (no finding, and something not judged).
    #[serde(default)]
    pub verdict_kind: VerdictKind,
    /// The rules whose lack of data (or error) leaves the verdict open: without findings it is
    /// inconclusive, and `--fail-on` exits 4 when no finding reaches it. Rules whose data a
    /// host may lack, as their note says, are not listed while their resource was judged.
    #[serde(default)]
    pub not_judged: Vec<String>,
    /// Ranked, most important first.
    pub findings: Vec<Finding>,
    pub use_table: Vec<UseRow>,
    /// RED of each service measured (a red-probe step's run, an access log): rate, errors by
    /// class, duration percentiles, corrected beside raw where they differ (open model).
    #[serde(default)]
    pub red: Vec<RedRow>,
    pub not_collected: Vec<NotCollected>,
    pub not_evaluated: Vec<NotEvaluated>,
    /// Files found but not judged (a perf.data without perf to read it), and how to fix that.
    #[serde(default)]
    pub not_analysed: Vec<NotAnalysed>,
    /// sysstat tables computed from /proc because the tool's output was missing.
    pub stand_ins: Vec<String>,
    /// Tables computed from another tool's summary of the same facts because neither their
    /// tool nor /proc gave them: `mpstat from top_cpu`.
    #[serde(default)]
    pub stand_ins_from_tools: Vec<String>,
    /// Where each canonical metric the rules read (`cpu.busy`) came from: the tools it was
    /// taken from, best first, and those that measured it too.
    #[serde(default)]
    pub metric_sources: Vec<MetricChoice>,
    pub profiles: Vec<ProfileData>,
    /// Each perf drill-down step: whom it aimed at and whom it left out, and what it cost.
    #[serde(default)]
    pub drill_downs: Vec<DrillDown>,
    /// The syscalls that took the most time (perf trace -s), most first.
    #[serde(default)]
    pub syscalls: Vec<SyscallRow>,
    /// The threads that spent the most time blocked (sched_switch), most first.
    #[serde(default)]
    pub off_cpu: Vec<OffCpuRow>,
    /// The events of the kernel logs read (dmesg, journalctl -k), in the order logged, each
    /// saying whether it fell in the capture's window (judged) or before it (history).
    #[serde(default)]
    pub kernel_events: Vec<KernelEventRow>,
    /// How many kernel events the list above leaves out (all are in the records).
    #[serde(default)]
    pub kernel_events_omitted: usize,
    /// Files no parser or parser spec recognized (and not empty), so not judged: the first
    /// few; the raw files at the end list them all.
    #[serde(default)]
    pub not_recognized: Vec<String>,
    /// How many files were not recognized in all.
    #[serde(default)]
    pub not_recognized_total: usize,
    /// How many of them `not_recognized` leaves out.
    #[serde(default)]
    pub not_recognized_more: usize,
    pub files: Vec<FileData>,
    pub warnings: Vec<String>,
}

impl ReportData {
    /// Whether something could not be judged (see [`crate::rules::verdict::is_open`]).
    pub(crate) fn is_open(&self) -> bool {
        crate::rules::verdict::is_open(self.verdict_kind, &self.not_judged)
    }
}

/// What `--format json` prints: the report's fields and, with `analyze`, every record read
/// (`records`, streamed from the analysis without a copy). `run` prints the report alone: its
/// records are in analysis/records.json. Published in schemas/report.schema.json.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ReportData")]
pub(crate) struct ReportJson<'a> {
    #[serde(flatten)]
    pub report: &'a ReportData,
    /// Every record read, file by file, each naming its source file and line (`analyze`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<&'a [Record]>,
}

/// One canonical metric the rules read, and the sources that had it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub(crate) struct MetricChoice {
    pub metric: String,
    /// `cpu.busy from mpstat; sar -u also had it`.
    pub line: String,
    /// The tools its series were taken from (one per instance), best first.
    pub taken: Vec<String>,
    /// The files those series were read from.
    pub files: Vec<String>,
    /// The other tools that measured it, not used.
    pub also: Vec<String>,
    /// Every source, best first; `chosen` says for how many of its instances each one's
    /// series was taken.
    pub sources: Vec<MetricSource>,
}

impl MetricChoice {
    fn new(metric: &str, sources: &[MetricSource]) -> MetricChoice {
        let (used, unused): (Vec<&MetricSource>, Vec<&MetricSource>) =
            sources.iter().partition(|source| source.chosen > 0);
        // One entry per tool: sar -q ALL feeds pressure.stall from three reports.
        let mut by_tool: Vec<(String, usize)> = Vec::new();
        for source in &used {
            match by_tool
                .iter_mut()
                .find(|(tool, _)| *tool == source.taken.tool)
            {
                Some((_, chosen)) => *chosen += source.chosen,
                None => by_tool.push((source.taken.tool.clone(), source.chosen)),
            }
        }
        let several = by_tool.len() > 1;
        let taken: Vec<String> = by_tool
            .into_iter()
            .map(|(tool, chosen)| match (several, chosen) {
                (false, _) => tool,
                (true, 1) => format!("{tool} (1 instance)"),
                (true, n) => format!("{tool} ({n} instances)"),
            })
            .collect();
        let mut also: Vec<String> = Vec::new();
        for source in &unused {
            if !also.contains(&source.taken.tool) {
                also.push(source.taken.tool.clone());
            }
        }
        let mut line = format!("{metric} from {}", taken.join(" and "));
        if !also.is_empty() {
            line.push_str(&format!("; {} also had it", also.join(", ")));
        }
        let files: Vec<String> = used
            .iter()
            .flat_map(|source| source.files.iter().cloned())
            .collect::<std::collections::BTreeSet<String>>()
            .into_iter()
            .collect();
        MetricChoice {
            metric: metric.to_string(),
            line,
            taken,
            files,
            also,
            sources: sources.to_vec(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub(crate) struct NotCollected {
    pub step: String,
    pub collector: String,
    pub status: String,
    pub why: String,
    /// How to install what was missing.
    pub hint: String,
}

/// A perf drill-down step: which processes used the CPU before it, which it profiled and why
/// the others were left out, how perf was aimed, and what it cost.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub(crate) struct DrillDown {
    pub phase: String,
    pub step: String,
    pub collector: String,
    /// `-p 12,34` (those processes) or `-a` (every CPU).
    pub scope: String,
    /// Busiest first: the profiled, and the first of those left out.
    pub processes: Vec<TargetProcess>,
    /// CPU seconds perf (record and script) used: the cost of looking.
    pub perf_cpu_seconds: f64,
    /// Bytes it wrote (perf.data and perf script's text).
    pub bytes: u64,
    /// Samples in its profile (µs blocked for an off-CPU one), when one was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<u64>,
    /// One sentence: whom it profiled, whom it left out and why, at what cost.
    pub summary: String,
}

impl DrillDown {
    fn of(step: &StepRecord, analysis: &Analysis) -> Option<DrillDown> {
        let targets = step.targets.as_ref()?;
        let perf_cpu_seconds: f64 = step
            .commands
            .iter()
            .filter_map(|command| command.exit.as_ref())
            .map(|exit| exit.cpu_seconds)
            .sum();
        let profile = analysis
            .profiles
            .iter()
            .find(|profile| step.outputs.contains(&profile.source));
        let samples = profile.map(|profile| profile.total_samples);
        let profiled: Vec<String> = targets
            .processes
            .iter()
            .filter(|process| process.profiled)
            .map(|process| {
                format!(
                    "{} (PID {}, {}% of the processes' CPU)",
                    process.command,
                    process.pid,
                    crate::rules::eval::format_number(process.share_pct)
                )
            })
            .collect();
        let left_out = targets
            .processes
            .iter()
            .filter(|process| !process.profiled)
            .count();
        let whom = match (targets.scope.as_str(), profiled.is_empty()) {
            ("-a", true) => "every CPU (`-a`): no per-process CPU data came before it".to_string(),
            ("-a", false) => format!("every CPU (`-a`), so {}", profiled.join(", ")),
            (scope, true) => format!("`{scope}`"),
            (scope, false) => format!("`{scope}`: {}", profiled.join(", ")),
        };
        let left = match left_out {
            0 => String::new(),
            n => format!("; {n} left out (the table says why)"),
        };
        let mut cost = format!(
            "perf used {:.2} CPU s and wrote {}",
            perf_cpu_seconds,
            human_bytes(step.bytes)
        );
        if let Some(profile) = profile {
            let unit = match profile.kind.unit() {
                "" => "samples",
                unit => unit,
            };
            cost.push_str(&format!(
                ", {} {unit} in its {} profile",
                crate::profile::thousands(profile.total_samples),
                profile.kind.label()
            ));
        }
        Some(DrillDown {
            phase: step.phase.clone(),
            step: step.step.clone(),
            collector: step.collector.clone(),
            scope: targets.scope.clone(),
            processes: targets.processes.clone(),
            perf_cpu_seconds,
            bytes: step.bytes,
            samples,
            summary: format!("{} aimed perf at {whom}{left}; {cost}.", step.step),
        })
    }
}

/// `12.3 MB`, `456 KB`, `78 bytes`.
fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.0} KB", b as f64 / 1e3),
        b => format!("{b} bytes"),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NotEvaluated {
    pub rule: String,
    pub why: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub(crate) struct ProfileData {
    pub source: String,
    /// What the profile measures, from its recording's event: `On-CPU`, `Off-CPU` (counts
    /// are µs blocked), `Page faults`, `Major faults`, `Tracepoint`.
    #[serde(default)]
    pub kind: String,
    /// Samples; microseconds for an off-CPU profile.
    pub total_samples: u64,
    /// The flamegraph, relative to the investigation directory, when one was drawn.
    pub flamegraph: Option<String>,
    /// Empty for an off-CPU profile, whose stacks all end in the scheduler: see `waits`.
    pub top: Vec<HotFunctionData>,
    /// For an off-CPU profile: blocked time by process, what it waited for and where.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waits: Vec<crate::profile::WaitShare>,
    /// The threads with most samples (name, process and thread id, share), busiest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threads: Vec<crate::profile::ThreadShare>,
    /// What is not the workload and what could not be named, one sentence each: perf's own
    /// overhead, idle, binaries without symbols and how to get them.
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub(crate) struct HotFunctionData {
    pub function: String,
    pub process: String,
    pub self_samples: u64,
    pub self_percent: f64,
    pub total_percent: f64,
    /// `code`, `jit`, `unsymbolized`, `overhead` (perf's own sampling) or `idle`.
    #[serde(default)]
    pub kind: String,
}

impl From<&HotFunction> for HotFunctionData {
    fn from(hot: &HotFunction) -> Self {
        HotFunctionData {
            function: hot.function.clone(),
            process: hot.process.clone(),
            self_samples: hot.self_samples,
            self_percent: hot.self_percent,
            total_percent: hot.total_percent,
            kind: match hot.kind {
                FrameKind::Code => "",
                FrameKind::Jit => "JIT",
                FrameKind::Unsymbolized => "no symbols",
                FrameKind::Overhead => "perf overhead",
                FrameKind::Idle => "idle",
            }
            .to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub(crate) struct FileData {
    pub path: String,
    /// The format it was recognized as, or what it is instead: `not recognized`, `empty`,
    /// `binary`, `tar archive (N files)`, `perf-data (...)`, `too large: skipped`; a file
    /// longer than `--max-file-size` says so: `sar, cut after 1073741760 bytes`.
    pub format: String,
    pub records: usize,
    pub warnings: usize,
    pub bytes: u64,
}

/// Where the report's inputs come from.
pub(crate) struct Inputs<'a> {
    pub playbook: &'a str,
    pub summary: &'a str,
    pub status: &'a str,
    pub directory: &'a str,
    /// The raw files' folder relative to `directory`, with a trailing slash, or empty.
    pub raw_prefix: &'a str,
    pub analysis: &'a Analysis,
    pub rules: &'a [CompiledRule],
    pub manifest: Option<&'a Manifest>,
    pub host: &'a HostFacts,
    /// Flamegraph paths by profile source, relative to the directory.
    pub flamegraphs: &'a [(String, String)],
}

/// How many rows the syscall and off-CPU tables list.
const TRACE_ROWS_SHOWN: usize = 15;

/// How many parse warnings a report lists before it says "and N more".
const WARNINGS_SHOWN: usize = 20;

/// How many kernel log events a report lists.
const KERNEL_EVENTS_SHOWN: usize = 40;

/// How many of the files not recognized the summary names.
const NOT_RECOGNIZED_SHOWN: usize = 10;

pub(crate) fn assemble(inputs: &Inputs<'_>) -> ReportData {
    let judgement = &inputs.analysis.judgement;
    let mut host = inputs.analysis.host.clone();
    host.merge(inputs.host);
    let verdict = verdict(inputs.rules, judgement);
    let not_collected = inputs
        .manifest
        .map(|manifest| {
            manifest
                .steps
                .iter()
                .filter(|step| step.status != StepStatus::Ok)
                .map(|step| NotCollected {
                    step: step.step.clone(),
                    collector: step.collector.clone(),
                    status: serde_json::to_value(step.status)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                    // A manifest from elsewhere may not have been redacted.
                    why: redact(&step.note),
                    hint: step.hint.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut warnings: Vec<String> = inputs
        .analysis
        .warnings
        .iter()
        .take(WARNINGS_SHOWN)
        .map(ToString::to_string)
        .collect();
    if inputs.analysis.warnings.len() > WARNINGS_SHOWN {
        warnings.push(format!(
            "... and {} more",
            inputs.analysis.warnings.len() - WARNINGS_SHOWN
        ));
    }
    let (kernel_events, kernel_events_omitted) =
        kernel_events(&inputs.analysis.records, KERNEL_EVENTS_SHOWN);
    let not_recognized: Vec<String> = inputs
        .analysis
        .files
        .iter()
        .filter(|file| file.format.is_none() && file.records == 0)
        .filter(|file| matches!(file.note.as_deref(), Some("not recognized" | "binary")))
        .map(|file| file.path.clone())
        .collect();
    ReportData {
        playbook: inputs.playbook.to_string(),
        summary: inputs.summary.to_string(),
        status: inputs.status.to_string(),
        started: inputs
            .manifest
            .map(|m| m.started.clone())
            .unwrap_or_default(),
        ended: inputs.manifest.map(|m| m.ended.clone()).unwrap_or_default(),
        directory: inputs.directory.to_string(),
        raw_prefix: inputs.raw_prefix.to_string(),
        host,
        verdict: verdict.line,
        verdict_kind: verdict.kind,
        not_judged: verdict.not_judged,
        findings: judgement
            .findings
            .iter()
            .map(|finding| Finding {
                next: advice_within(&finding.next, inputs.playbook),
                ..finding.clone()
            })
            .collect(),
        use_table: use_table(inputs.rules, judgement),
        red: red_rows(&inputs.analysis.records),
        not_collected,
        not_evaluated: judgement
            .not_evaluated
            .iter()
            .chain(&judgement.errors)
            .map(|(rule, why)| NotEvaluated {
                rule: rule.clone(),
                why: why.clone(),
            })
            .collect(),
        not_analysed: inputs.analysis.not_analysed.clone(),
        stand_ins: inputs.analysis.stand_ins.clone(),
        stand_ins_from_tools: inputs
            .analysis
            .summary_stand_ins
            .iter()
            .map(|(table, from)| format!("{table} from {from}"))
            .collect(),
        metric_sources: inputs
            .analysis
            .metrics
            .iter()
            .map(|(metric, sources)| MetricChoice::new(metric, sources))
            .collect(),
        profiles: inputs
            .analysis
            .profiles
            .iter()
            .map(|profile| ProfileData {
                source: profile.source.clone(),
                kind: profile.kind.label().into(),
                total_samples: profile.total_samples,
                flamegraph: inputs
                    .flamegraphs
                    .iter()
                    .find(|(source, _)| source == &profile.source)
                    .map(|(_, svg)| svg.clone()),
                top: match &profile.off_cpu {
                    Some(_) => Vec::new(),
                    None => profile.top.iter().map(HotFunctionData::from).collect(),
                },
                threads: profile.digest.threads.clone(),
                waits: profile
                    .off_cpu
                    .iter()
                    .flat_map(|off| off.by_wait.iter().take(15))
                    .cloned()
                    .collect(),
                notes: profile_notes(&profile.digest),
            })
            .collect(),
        drill_downs: inputs
            .manifest
            .map(|manifest| {
                manifest
                    .steps
                    .iter()
                    .filter(|step| step.status != StepStatus::Skipped)
                    .filter_map(|step| DrillDown::of(step, inputs.analysis))
                    .collect()
            })
            .unwrap_or_default(),
        syscalls: top_syscalls(&inputs.analysis.records, TRACE_ROWS_SHOWN),
        off_cpu: top_off_cpu(&inputs.analysis.records, TRACE_ROWS_SHOWN),
        kernel_events,
        kernel_events_omitted,
        not_recognized: not_recognized
            .iter()
            .take(NOT_RECOGNIZED_SHOWN)
            .cloned()
            .collect(),
        not_recognized_total: not_recognized.len(),
        not_recognized_more: not_recognized.len().saturating_sub(NOT_RECOGNIZED_SHOWN),
        files: inputs
            .analysis
            .files
            .iter()
            .map(|file| FileData {
                path: file.path.clone(),
                format: match (file.format, file.cut_after) {
                    (Some(format), Some(read)) => {
                        format!("{}, cut after {read} bytes", format.name())
                    }
                    (Some(format), None) => format.name().to_string(),
                    (None, _) => file.note.clone().unwrap_or_else(|| "not recognized".into()),
                },
                records: file.records,
                warnings: file.warnings,
                bytes: file.bytes,
            })
            .collect(),
        warnings,
    }
}

/// What a reader of a profile must know beside its table: perf's overhead, idle CPUs, and
/// each binary without symbols with how to get them.
/// A rule's advice as a reader of `playbook`'s report should take it: advice to run the
/// playbook they are reading points at its drill-down in this report instead.
fn advice_within(next: &str, playbook: &str) -> String {
    let file = format!("playbooks/{playbook}.toml");
    if playbook.is_empty() || !next.contains(&file) {
        return next.to_string();
    }
    const HERE: &str = "this investigation's drill-down (below)";
    next.replace(
        &format!("Run {file} to see"),
        "This investigation's drill-down (below) shows",
    )
    .replace(&format!("Run {file}"), &format!("See {HERE}"))
    .replace(&format!("run {file}"), &format!("see {HERE}"))
    .replace(
        &format!("({file})"),
        "(this investigation's drill-down, below)",
    )
    .replace(&file, HERE)
}

fn profile_notes(digest: &Digest) -> Vec<String> {
    let mut notes = Vec::new();
    if digest.overhead_samples > 0 {
        notes.push(format!(
            "{:.1}% of samples were perf's own sampling code or the perf process: the cost of measuring, not the workload's hot spot",
            digest.overhead_percent
        ));
    }
    if digest.idle_samples > 0 {
        notes.push(format!(
            "{:.1}% of samples were a CPU idling",
            digest.idle_percent
        ));
    }
    // Binaries under 1% of the samples are counted, not explained one by one.
    let (large, small): (Vec<_>, Vec<_>) = digest
        .missing_symbols
        .iter()
        .partition(|missing| missing.percent >= 1.0);
    for missing in large {
        notes.push(format!(
            "`{}` has no symbols in {:.1}% of samples: {}",
            missing.binary, missing.percent, missing.hint
        ));
    }
    if !small.is_empty() {
        let names: Vec<String> = small.iter().map(|m| format!("`{}`", m.binary)).collect();
        notes.push(format!(
            "without symbols in under 1% of samples each: {}",
            names.join(", ")
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::advice_within;

    #[test]
    fn advice_to_run_the_playbook_being_read_points_at_its_drill_down() {
        let next = "Run playbooks/cpu-bottleneck.toml: its profile shows who is on CPU.";
        assert_eq!(
            advice_within(next, "cpu-bottleneck"),
            "See this investigation's drill-down (below): its profile shows who is on CPU."
        );
        assert_eq!(
            advice_within(
                "Check PSI; run playbooks/cpu-bottleneck.toml.",
                "cpu-bottleneck"
            ),
            "Check PSI; see this investigation's drill-down (below)."
        );
        assert_eq!(
            advice_within(
                "Profile it (playbooks/cpu-bottleneck.toml) now.",
                "cpu-bottleneck"
            ),
            "Profile it (this investigation's drill-down, below) now."
        );
        // Another playbook's report keeps the advice to run this one.
        assert_eq!(advice_within(next, "triage"), next);
        assert_eq!(advice_within(next, ""), next);
    }
}

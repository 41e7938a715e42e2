//! What reading a data directory gave, and its judgement: the records, the files and how each
//! was read, the profiles folded from perf scripts, what could not be analysed and why, and the
//! findings of the rules.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::collect::manifest::TargetProcess;
use crate::{
    parse::{self, Format},
    profile::{
        self, Caption, Digest, Folded, HotFunction, OffCpu, ProfileError, ProfileKind, ScriptHeader,
    },
    record::{
        Columns, Dataset, Feed, HostFacts, MetricSource, Origin, ParseWarning, Rank, Record, Rows,
        Unit,
    },
    rules::CompiledRule,
    rules::eval::{Judgement, evaluate_all, format_number},
    rules::{Finding, Neighbour, Severity, Window, link},
};

/// The collectors themselves and perf_manual: never a neighbour, never the busiest process.
const OBSERVERS: [&str; 7] = [
    "perf_manual",
    "pidstat",
    "mpstat",
    "iostat",
    "sar",
    "sadc",
    "perf",
];

/// How many times the target's CPU the other processes must use for a CPU finding to be
/// theirs: below that the target is a large part of the load (a single busy thread beside a
/// build uses a third of the CPU time: its own finding), above it the target a bystander
/// (fsync writers use a tenth, a contended lock a quarter, beside builds here).
const NEIGHBOUR_FACTOR: f64 = 2.0;

/// The most processes a `target = "busiest"` drill-down aims perf at.
const MOST_PROFILED: usize = 16;

/// How many of the processes a drill-down left out its report lists.
const LEFT_OUT_LISTED: usize = 10;

/// How much over the host's CPUs but one (in % of one CPU) a target may use and still leave a
/// whole CPU to others: pidstat rounds, and a thread pinned to a CPU reads 100.5 % at times.
const ROUNDING_PCT: f64 = 10.0;

/// How many neighbours a finding names.
const NEIGHBOURS_SHOWN: usize = 3;

/// The least the other processes must read and write (KiB/s) for a disk finding to be theirs:
/// below it the bytes say nothing of who loads the device (a log line a second).
const NEIGHBOUR_IO_KIB_S: f64 = 1024.0;

/// The fields of pidstat's rows the judgement reads itself ([`by_process`], [`thread_share`]).
const PER_PROCESS_FIELDS: [&str; 4] = ["cpu", "wait", "kb_rd_s", "kb_wr_s"];

/// What rules read: the series they name, and through the canonical metrics among them, the
/// tool fields that feed those. Only these are made into series, and only these fields of a
/// streamed file's rows are kept.
#[derive(Debug, Default)]
pub struct Wanted {
    /// Series named by a rule (`mpstat.busy`, `cpu.busy`), by table then field.
    series: BTreeMap<String, std::collections::BTreeSet<String>>,
    /// Fields read by a feed of a metric a rule names, by table then field.
    fields: BTreeMap<String, std::collections::BTreeSet<String>>,
}

impl Wanted {
    pub fn of(rules: &[CompiledRule], feeds: &[Feed]) -> Wanted {
        let mut wanted = Wanted::default();
        for name in rules.iter().flat_map(CompiledRule::series_names) {
            let (table, field) = name.split_once('.').unwrap_or((name, ""));
            wanted
                .series
                .entry(table.to_string())
                .or_default()
                .insert(field.to_string());
        }
        let read: Vec<&Feed> = feeds
            .iter()
            .filter(|feed| wanted.reads_series(&feed.metric))
            .collect();
        for feed in read {
            // A derived feed names every field it reads (`id,wa`).
            for field in feed.field.split(',') {
                wanted
                    .fields
                    .entry(feed.table.to_string())
                    .or_default()
                    .insert(field.to_string());
            }
        }
        wanted
    }

    /// Whether a rule names the series `name` (`cpu.busy`).
    fn reads_series(&self, name: &str) -> bool {
        let (table, field) = name.split_once('.').unwrap_or((name, ""));
        self.names(table, field)
    }

    /// Whether a rule names the series `table.field`.
    fn names(&self, table: &str, field: &str) -> bool {
        self.series
            .get(table)
            .is_some_and(|fields| fields.contains(field))
    }

    /// Whether a rule reads `field` of `table`, as a series or through a metric, or the
    /// judgement itself does (pidstat's per-process CPU, wait and I/O, by which findings are
    /// told from a neighbour's and drill-downs aimed).
    pub fn reads(&self, table: &str, field: &str) -> bool {
        if table == "pidstat" && PER_PROCESS_FIELDS.contains(&field) {
            return true;
        }
        [&self.series, &self.fields].iter().any(|by_table| {
            by_table
                .get(table)
                .is_some_and(|fields| fields.contains(field))
        })
    }
}

/// How one file was read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileReport {
    /// Relative to the data directory; an archive member is `archive.tgz!/path/in/archive`.
    pub path: String,
    pub format: Option<Format>,
    pub records: usize,
    pub warnings: usize,
    pub bytes: u64,
    /// How many bytes were read of a file longer than `--max-file-size`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut_after: Option<u64>,
    /// Why it was not recognized, when it was not; `spec:<name>` when a parser spec read it;
    /// what kind of container it is (`tar archive`, `perf-data`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A file that was found but could not be judged, and how to fix that.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct NotAnalysed {
    pub file: String,
    pub why: String,
    /// What to install or do so that it can be judged; empty when nothing would help.
    pub hint: String,
}

/// A profile built from `perf script` output.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileSummary {
    pub source: String,
    /// What the counts are, from the recording's event: on-CPU samples, µs off-CPU, faults.
    pub kind: ProfileKind,
    /// Samples; microseconds for an off-CPU profile.
    pub total_samples: u64,
    pub top: Vec<HotFunction>,
    /// Processes, perf's overhead, idle, binaries without symbols.
    #[serde(skip)]
    pub digest: Digest,
    /// What the script's header says of the recording (host, time, command line).
    #[serde(skip)]
    pub header: ScriptHeader,
    #[serde(skip)]
    pub folded: Folded,
    /// For an off-CPU profile: its time by process, wait and where it blocked (its stacks are
    /// `folded`, not repeated here).
    #[serde(skip)]
    pub off_cpu: Option<OffCpu>,
}

/// How many functions a profile's table lists.
pub(crate) const TOP_FUNCTIONS: usize = 15;

impl ProfileSummary {
    /// Fold `perf script` text read from `source`.
    pub(super) fn fold(source: &str, script: &[u8]) -> Result<ProfileSummary, String> {
        let mut summary = ProfileSummary::of(source, profile::fold_perf_script(script))?;
        summary.header = ScriptHeader::parse(script);
        summary.kind = profile::script_event(script)
            .map_or(ProfileKind::OnCpu, |event| ProfileKind::of_event(&event));
        Ok(summary)
    }

    /// The off-CPU profile of a sched_switch script: stacks weighted by the time blocked.
    /// `None` when no thread came back to a CPU within it (nothing to weigh).
    pub(super) fn off_cpu(source: &str, script: &[u8]) -> Option<ProfileSummary> {
        let mut off = profile::fold_switches(script);
        if off.folded.total_samples == 0 {
            return None;
        }
        let folded = std::mem::take(&mut off.folded);
        let mut summary = ProfileSummary::of(source, Ok(folded)).ok()?;
        summary.header = ScriptHeader::parse(script);
        summary.kind = ProfileKind::OffCpu;
        summary.off_cpu = Some(off);
        Some(summary)
    }

    pub(super) fn of(
        source: &str,
        folded: Result<Folded, ProfileError>,
    ) -> Result<ProfileSummary, String> {
        let folded = folded.map_err(|err| format!("perf script could not be folded: {err}"))?;
        let digest = profile::digest(&folded, TOP_FUNCTIONS);
        Ok(ProfileSummary {
            source: source.to_string(),
            kind: ProfileKind::OnCpu,
            total_samples: folded.total_samples,
            top: digest.top.clone(),
            digest,
            header: ScriptHeader::default(),
            folded,
            off_cpu: None,
        })
    }

    /// The flamegraph's title and subtitle.
    pub fn caption(&self) -> Caption {
        let mut caption = Caption::of_file(
            self.kind.label(),
            &self.source,
            &self.header,
            self.total_samples,
        );
        caption.unit = self.kind.unit().into();
        caption
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Analysis {
    pub files: Vec<FileReport>,
    pub warnings: Vec<ParseWarning>,
    pub host: HostFacts,
    /// sysstat tables that were computed from /proc snapshots because the tool's own output was
    /// absent; once judged, only those the rules read.
    pub stand_ins: Vec<String>,
    /// Tables computed from another tool's summary of the same facts (`mpstat` from top's
    /// `top_cpu`), each with the table it came from; once judged, only those the rules read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub summary_stand_ins: Vec<(String, String)>,
    pub profiles: Vec<ProfileSummary>,
    pub not_analysed: Vec<NotAnalysed>,
    /// perf.data files on disk with no perf script beside them, relative to the data
    /// directory: the caller has `perf script` read them (only `collect/` spawns) and hands
    /// the text to [`Analysis::add_perf_script`].
    #[serde(skip)]
    pub perf_data: Vec<String>,
    /// Each perf.data found inside an archive or a compressed file (bounded by
    /// `MEMBER_LIMIT`), by its label: perf script reads only a file, so it is given a private
    /// copy.
    #[serde(skip)]
    pub perf_data_members: Vec<(String, Vec<u8>)>,
    #[serde(skip)]
    pub records: Vec<Record>,
    /// The rows of big mpstat and sar files, read in parts: only the fields the rules read
    /// are kept, and they are not among `records` (nor in records.json).
    #[serde(skip)]
    pub columns: Columns,
    /// Units of the series of tables read by parser specs (`free.total` → KiB).
    #[serde(skip)]
    pub units: BTreeMap<String, Unit>,
    /// The metrics the parser specs' `[[feed]]`s declare, beside the built-in parsers'.
    #[serde(skip)]
    pub spec_feeds: Vec<Feed>,
    /// Tables of stand-in rows (`record::fallback`), whole: their sources feed the canonical
    /// metrics themselves.
    #[serde(skip)]
    pub filled: Vec<String>,
    /// Once judged: each canonical metric the rules read, with every source that had it, best
    /// first.
    #[serde(skip)]
    pub metrics: Vec<(String, Vec<MetricSource>)>,
    #[serde(skip)]
    pub judgement: Judgement,
}

impl Analysis {
    /// Fold what `perf script` printed for the perf.data `file` into a profile, as a captured
    /// script would be. `partial` says why the text may be incomplete (perf was ended at its
    /// time box, say): a warning, and the profile is kept.
    pub(crate) fn add_perf_script(&mut self, file: &str, script: &[u8], partial: Option<String>) {
        if let Some(why) = partial {
            self.warnings.push(ParseWarning {
                file: file.to_string(),
                line: 0,
                message: format!("perf script may be incomplete: {why}"),
            });
        }
        // A sched_switch recording is weighed by the time each thread stayed away.
        let folded = match super::read::is_off_cpu(script) {
            true => ProfileSummary::off_cpu(file, script).ok_or_else(|| {
                "no thread came back to a CPU in its sched_switch events: no off-CPU time to \
                 weigh (a recording of some processes needs --switch-events)"
                    .to_string()
            }),
            false => ProfileSummary::fold(file, script),
        };
        match folded {
            Ok(profile) if profile.total_samples > 0 => {
                if let Some(report) = self.files.iter_mut().find(|report| report.path == file) {
                    report.note = Some("perf-data (profiled with perf script)".into());
                }
                self.profiles.push(profile);
            }
            Ok(_) => self.add_not_analysed(file, "perf script printed no samples".into(), ""),
            Err(why) => self.add_not_analysed(file, why, ""),
        }
    }

    /// `file` could not be judged: the report says why, and `hint` how to fix that.
    pub(crate) fn add_not_analysed(&mut self, file: &str, why: String, hint: &str) {
        if let Some(report) = self.files.iter_mut().find(|report| report.path == file) {
            let kind = report.note.take().unwrap_or_else(|| "file".into());
            report.note = Some(format!("{kind}: not analysed"));
        }
        self.not_analysed.push(NotAnalysed {
            file: file.to_string(),
            why,
            hint: hint.to_string(),
        });
    }

    /// Whether the records hold a service's requests (the RED tables a probe's file or an
    /// access log makes).
    pub fn has_red(&self) -> bool {
        self.records.iter().any(|record| record.table == "red")
    }

    /// Evaluate `rules` over the records. `host` fills what the files did not reveal;
    /// `origin` says whether a series missing from them is missing from this host. Kernel log
    /// events are placed against the capture's window first (`kernel.rs`).
    pub fn judge(&mut self, rules: &[CompiledRule], host: &HostFacts, origin: Origin) {
        let mut facts = self.host.clone();
        facts.merge(host);
        super::kernel::place_events(&mut self.records, &facts, &mut self.warnings);
        let feeds: Vec<Feed> = parse::feeds()
            .iter()
            .chain(&self.spec_feeds)
            .cloned()
            .collect();
        let filled = &self.filled;
        let wanted = Wanted::of(rules, &feeds);
        let rows = self.rows();
        let read_feeds: Vec<Feed> = feeds
            .iter()
            .filter(|feed| wanted.reads_series(&feed.metric))
            .cloned()
            .collect();
        let data = Dataset::from_rows(rows, facts, parse::unit_of, &|table, field| {
            wanted.names(table, field)
        })
        .with_units(&self.units)
        .with_metrics_of(rows, &read_feeds, |table| {
            !filled.iter().any(|stand_in| stand_in == table)
        })
        .with_origin(origin);
        self.judgement = evaluate_all(rules, &data);
        // A stand-in matters to the reader only where a rule judged with it.
        let mut read: Vec<&String> = rules.iter().flat_map(CompiledRule::series_names).collect();
        let is_read = |table: &str| {
            read.iter()
                .any(|series| series.split('.').next() == Some(table))
        };
        self.stand_ins.retain(|table| is_read(table));
        self.summary_stand_ins.retain(|(table, _)| is_read(table));
        let mut seen = std::collections::BTreeSet::new();
        read.retain(|series| seen.insert(*series));
        self.metrics = read
            .into_iter()
            .map(|metric| (metric.clone(), data.sources_of(metric).to_vec()))
            .filter(|(_, sources)| !sources.is_empty())
            .collect();
        self.note_stand_ins(&feeds);
    }

    /// The tools whose place perf_manual's /proc readings (stand-ins) or another tool's summary
    /// took for a metric the rules read: the table of the tool made for the metric, as the
    /// report's stand-ins name it (`mpstat`; `memory from free`).
    fn note_stand_ins(&mut self, feeds: &[Feed]) {
        for (metric, sources) in &self.metrics {
            let Some(made_for) = feeds
                .iter()
                .find(|feed| feed.metric == metric.as_str() && feed.rank == Rank::Primary)
            else {
                continue;
            };
            let table = made_for.table.to_string();
            for source in sources.iter().filter(|source| source.chosen > 0) {
                let from = source.taken.series.split('.').next().unwrap_or_default();
                match source.taken.rank {
                    Rank::StandIn if !self.stand_ins.contains(&table) => {
                        self.stand_ins.push(table.clone());
                    }
                    Rank::Summary => {
                        let pair = (table.clone(), from.to_string());
                        if !self.summary_stand_ins.contains(&pair) {
                            self.summary_stand_ins.push(pair);
                        }
                    }
                    _ => {}
                }
            }
        }
        self.stand_ins.sort();
    }

    /// Every row read: the records held whole and the rows of streamed files.
    fn rows(&self) -> Rows<'_> {
        Rows::with_columns(&self.records, &self.columns)
    }

    /// The processes that used the most CPU in pidstat's data, busiest first, leaving out the
    /// observers themselves, each marked profiled or not and why: what a drill-down with
    /// `target = "busiest"` aims at. A process's use is averaged over every interval pidstat
    /// printed (it prints nothing for an idle one), and only those that used at least a tenth
    /// of what the busiest used, and 1 % of a CPU, are profiled: a drill-down aimed at a
    /// daemon that woke once is wasted, and perf refuses the whole list for one process it
    /// cannot read. Where the top `top` would split processes of one command (2 of 4 equal
    /// workers), every one of that command above the floor is taken, up to
    /// [`MOST_PROFILED`] in all. The list holds the profiled and up to [`LEFT_OUT_LISTED`]
    /// of the others.
    pub(crate) fn drill_down_targets(&self, top: usize) -> Vec<TargetProcess> {
        let usage = cpu_by_process(self.rows(), None);
        let total: f64 = usage.iter().map(|process| process.cpu_pct).sum();
        let floor = usage
            .first()
            .map_or(0.0, |busiest| busiest.cpu_pct / 10.0)
            .max(1.0);
        let eligible: Vec<&Neighbour> = usage
            .iter()
            .filter(|process| process.cpu_pct >= floor)
            .collect();
        let mut chosen: Vec<u32> = eligible.iter().take(top).map(|p| p.pid).collect();
        let cut_commands: Vec<&str> = eligible
            .iter()
            .take(top)
            .map(|process| process.command.as_str())
            .collect();
        let mut capped = false;
        for process in eligible.iter().skip(top) {
            if cut_commands.contains(&process.command.as_str()) {
                if chosen.len() < MOST_PROFILED {
                    chosen.push(process.pid);
                } else {
                    capped = true;
                }
            }
        }
        let mut left_out_listed = 0;
        usage
            .iter()
            .enumerate()
            .filter_map(|(rank, process)| {
                let profiled = chosen.contains(&process.pid);
                let why = if profiled {
                    if rank < top {
                        String::new()
                    } else {
                        format!(
                            "beyond the top {top}, taken with the other {} processes: the \
                             cut would have split them",
                            process.command
                        )
                    }
                } else {
                    left_out_listed += 1;
                    if left_out_listed > LEFT_OUT_LISTED {
                        return None;
                    }
                    if process.cpu_pct < floor {
                        format!(
                            "used {}% CPU, under the floor of {}% (a tenth of the busiest's, \
                             at least 1%)",
                            format_number(process.cpu_pct),
                            format_number(floor)
                        )
                    } else if capped && cut_commands.contains(&process.command.as_str()) {
                        format!("beyond the {MOST_PROFILED} processes one recording is aimed at")
                    } else {
                        format!("beyond the top {top} (`top` in the step's args)")
                    }
                };
                Some(TargetProcess {
                    pid: process.pid,
                    command: process.command.clone(),
                    cpu_pct: process.cpu_pct,
                    share_pct: if total > 0.0 {
                        process.cpu_pct * 100.0 / total
                    } else {
                        0.0
                    },
                    profiled,
                    why,
                })
            })
            .collect()
    }

    /// With a target, the per-thread series (pidstat -t) are its threads only: judged before
    /// [`Analysis::attribute`], a per-thread rule names the target's busiest thread, not a
    /// neighbour's busier one. Call before [`Analysis::judge`].
    pub(crate) fn keep_threads_of(&mut self, pid: u32) {
        let target = pid.to_string();
        let of_target = |labels: &crate::record::Labels| {
            !labels.contains_key("tid") || labels.get("pid").is_some_and(|of| *of == *target)
        };
        self.records
            .retain(|record| record.table != "pidstat" || of_target(&record.labels));
        self.columns.retain_instances("pidstat", of_target);
    }

    /// Tell the target's findings from a neighbour's. The target is process `pid` and every
    /// process with its command name (the workers of a pool, as stress-ng's); pidstat says how
    /// much CPU each process used over the window (a process it never printed used none).
    /// Where the other processes, the collectors left out, used more than
    /// [`NEIGHBOUR_FACTOR`] times the target's CPU, the CPU findings are theirs: each names
    /// the busiest of them and ranks after the target's own findings, and the verdict is drawn
    /// from the target's. Without pidstat's data nothing is told apart, and a warning says so.
    ///
    /// A finding about one process or thread (its instance has a `pid`) is the target's when
    /// that is the target; the target's thread finding says how much of the time its thread
    /// was on a CPU and how much it waited for one. When one is a CPU finding about a thread of
    /// the target (one thread wanting a whole CPU), the target is that one process, whatever
    /// other processes are called (a neighbour may run the same program), and a host-wide CPU
    /// finding is the others' when the target left at least one of the host's CPUs to them: a
    /// single thread needs one CPU, so on two or more the host's CPUs were full or queued
    /// because of the load beside it; on one CPU, or when the target itself used all but one,
    /// the finding stays its own (without the CPU count: the others' when they used more).
    pub(crate) fn attribute(&mut self, pid: u32, rules: &[CompiledRule]) {
        let usage = cpu_by_process(self.rows(), None);
        if usage.is_empty() {
            self.warnings.push(ParseWarning {
                file: String::new(),
                line: 0,
                message: format!(
                    "no per-process CPU data (pidstat): the findings of target PID {pid} cannot \
                     be told from a neighbour's"
                ),
            });
            return;
        }
        let command = usage
            .iter()
            .find(|process| process.pid == pid)
            .map_or_else(|| format!("PID {pid}"), |process| process.command.clone());
        let of_a_process = |finding: &Finding| finding.evidence.instance.get("pid").cloned();
        let target = pid.to_string();
        let thread_bound = self.judgement.findings.iter().any(|finding| {
            finding.resource == "cpu"
                && finding.severity > Severity::Info
                && finding.evidence.instance.contains_key("tid")
                && of_a_process(finding).is_some_and(|of| *of == *target)
        });
        let cpus = self.host.cpus.map(f64::from);
        let theirs = |own_pct: f64, others_pct: f64| {
            if thread_bound {
                others_pct > 0.0
                    && cpus.map_or(others_pct > own_pct, |cpus| {
                        own_pct < 100.0 * (cpus - 1.0) + ROUNDING_PCT
                    })
            } else {
                others_pct > NEIGHBOUR_FACTOR * own_pct
            }
        };
        let rows = Rows::with_columns(&self.records, &self.columns);
        for finding in self
            .judgement
            .findings
            .iter_mut()
            .filter(|finding| finding.resource == "cpu")
        {
            if let Some(of) = of_a_process(finding) {
                // About one process or thread: the target's, or the one it names.
                if *of == *target {
                    finding.about_target = true;
                    if let Some(tid) = finding.evidence.instance.get("tid")
                        && let Some((on, waiting)) =
                            thread_share(rows, tid, finding.evidence.window)
                    {
                        finding.message.push_str(&format!(
                            " (on a CPU {}% of the time, waiting for one {}%)",
                            format_number(on),
                            format_number(waiting)
                        ));
                    }
                    continue;
                }
                let named = usage.iter().find(|process| process.pid.to_string() == *of);
                if let Some(process) = named
                    && (thread_bound || process.command != command)
                {
                    finding.message.push_str(&format!(
                        " (a neighbour's: PID {} {}, not the target {command})",
                        process.pid, process.command
                    ));
                    finding.neighbours = vec![process.clone()];
                }
                continue;
            }
            // Whose load it was while the condition held, where the finding says when.
            let during = finding
                .evidence
                .window
                .map(|window| cpu_by_process(rows, Some(window)))
                .filter(|during| !during.is_empty())
                .unwrap_or_else(|| usage.clone());
            let (own, others): (Vec<Neighbour>, Vec<Neighbour>) =
                during.into_iter().partition(|process| {
                    process.pid == pid || (!thread_bound && process.command == command)
                });
            let own_pct: f64 = own.iter().map(|process| process.cpu_pct).sum();
            let others_pct: f64 = others.iter().map(|process| process.cpu_pct).sum();
            if !theirs(own_pct, others_pct) {
                continue;
            }
            let others_same_program: Vec<u32> = others
                .iter()
                .filter(|process| process.command == command)
                .map(|process| process.pid)
                .collect();
            let shown: Vec<Neighbour> = others.into_iter().take(NEIGHBOURS_SHOWN).collect();
            let named: Vec<String> = shown
                .iter()
                .map(|process| {
                    format!(
                        "PID {} {} {}%",
                        process.pid,
                        process.command,
                        format_number(process.cpu_pct)
                    )
                })
                .collect();
            // pidstat does not say whose child a process is: one running the target's program
            // may be a worker of its pool as well as a neighbour; the reader is told so.
            let same_program: Vec<String> = others_same_program
                .iter()
                .map(|pid| format!("PID {pid}"))
                .collect();
            let caveat = if same_program.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} run(s) the target's program {command}: if a worker of its pool, this \
                     is the pool's own load",
                    same_program.join(", ")
                )
            };
            finding.message.push_str(&format!(
                " (a neighbour's load: other processes used {}% CPU, the target {} {}%; busiest {}{caveat})",
                format_number(others_pct),
                command,
                format_number(own_pct),
                named.join(", ")
            ));
            finding.neighbours = shown;
        }
        self.attribute_io(pid, &command);
        // Linked again: a neighbour's finding ranks after the target's, which then explain
        // first what they explain (a lock's context switches, not the neighbour's CPU load).
        link(rules, &mut self.judgement.findings);
    }

    /// The disk findings (host-wide: a device's queue, the I/O stall share) are a neighbour's
    /// where the other processes read and wrote more than [`NEIGHBOUR_FACTOR`] times the
    /// target's bytes while the finding held, and at least [`NEIGHBOUR_IO_KIB_S`]: pidstat -d
    /// says who moved the bytes. Without `-d` in the data, a warning says the disk findings
    /// could not be told apart.
    fn attribute_io(&mut self, pid: u32, command: &str) {
        let usage = io_by_process(self.rows(), None);
        let disk = |finding: &Finding| {
            finding.resource == "disk"
                && finding.severity > Severity::Info
                && !finding.evidence.instance.contains_key("pid")
        };
        if !self.judgement.findings.iter().any(disk) {
            return;
        }
        if usage.is_empty() {
            self.warnings.push(ParseWarning {
                file: String::new(),
                line: 0,
                message: format!(
                    "no per-process I/O data (pidstat -d): the disk findings of target PID {pid} \
                     cannot be told from a neighbour's"
                ),
            });
            return;
        }
        let rows = Rows::with_columns(&self.records, &self.columns);
        for finding in self.judgement.findings.iter_mut().filter(|f| disk(f)) {
            let during = finding
                .evidence
                .window
                .map(|window| io_by_process(rows, Some(window)))
                .filter(|during| !during.is_empty())
                .unwrap_or_else(|| usage.clone());
            let (own, others): (Vec<Neighbour>, Vec<Neighbour>) = during
                .into_iter()
                .partition(|process| process.pid == pid || process.command == command);
            let io = |processes: &[Neighbour]| -> f64 {
                processes
                    .iter()
                    .filter_map(|process| process.io_kib_s)
                    .sum()
            };
            let (own_io, others_io) = (io(&own), io(&others));
            if others_io < NEIGHBOUR_IO_KIB_S || others_io <= NEIGHBOUR_FACTOR * own_io {
                continue;
            }
            let shown: Vec<Neighbour> = others.into_iter().take(NEIGHBOURS_SHOWN).collect();
            let named: Vec<String> = shown
                .iter()
                .map(|process| {
                    format!(
                        "PID {} {} {} KiB/s",
                        process.pid,
                        process.command,
                        format_number(process.io_kib_s.unwrap_or(0.0))
                    )
                })
                .collect();
            finding.message.push_str(&format!(
                " (a neighbour's I/O: other processes read and wrote {} KiB/s, the target {command} \
                 {} KiB/s; busiest {})",
                format_number(others_io),
                format_number(own_io),
                named.join(", ")
            ));
            finding.neighbours = shown;
        }
    }
}

/// Each process's use of the CPUs in pidstat's data (100 is one CPU), averaged over every
/// interval pidstat printed (it prints nothing for an idle one) in `window` (all of them
/// without one), busiest first; the observers left out.
fn cpu_by_process(rows: Rows<'_>, window: Option<Window>) -> Vec<Neighbour> {
    by_process(rows, window, &["cpu"])
        .into_iter()
        .map(|(pid, command, cpu_pct)| Neighbour {
            pid,
            command,
            cpu_pct,
            io_kib_s: None,
        })
        .collect()
}

/// Each process's disk reads and writes in pidstat -d's data (`kB_rd/s` + `kB_wr/s`, KiB/s),
/// averaged as [`cpu_by_process`] averages CPU, with its CPU beside; busiest first, the
/// observers and kernel threads (writeback works for the process that dirtied the pages,
/// which pidstat counts) left out. Empty where pidstat ran without `-d`.
fn io_by_process(rows: Rows<'_>, window: Option<Window>) -> Vec<Neighbour> {
    let cpu: BTreeMap<u32, f64> = by_process(rows, window, &["cpu"])
        .into_iter()
        .map(|(pid, _, cpu)| (pid, cpu))
        .collect();
    by_process(rows, window, &["kb_rd_s", "kb_wr_s"])
        .into_iter()
        .map(|(pid, command, io)| Neighbour {
            pid,
            cpu_pct: cpu.get(&pid).copied().unwrap_or(0.0),
            command,
            io_kib_s: Some(io),
        })
        .collect()
}

/// Each process's sum of `fields` in pidstat's process rows, averaged over every interval
/// pidstat printed in `window` (all of them without one): (pid, command, average), largest
/// first; the observers and kernel threads left out, and processes with none of the fields.
fn by_process(rows: Rows<'_>, window: Option<Window>, fields: &[&str]) -> Vec<(u32, String, f64)> {
    let mut usage: BTreeMap<u32, (String, f64)> = BTreeMap::new();
    let mut intervals: std::collections::BTreeSet<u64> = Default::default();
    // pidstat stamps whole seconds, the window's ends come from other tools' samples.
    let slack = 0.5;
    let inside = |time: f64| {
        window.is_none_or(|window| time > window.start - slack && time <= window.end + slack)
    };
    rows.each_unordered(&mut |record| {
        // With `-t`, a thread's row repeats part of its process's: processes only.
        if record.table != "pidstat" || record.labels.contains_key("tid") || !inside(record.time) {
            return;
        }
        intervals.insert(record.time.to_bits());
        let comm = record.labels.get("comm").map_or("", |comm| comm.as_str());
        let Some(pid) = record
            .labels
            .get("pid")
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            return;
        };
        if OBSERVERS.contains(&comm) || is_kernel_thread(comm) || pid == std::process::id() {
            return;
        }
        let (present, sum) = fields
            .iter()
            .filter_map(|field| record.fields.get(field))
            .filter(|value| !value.is_nan())
            .fold((false, 0.0), |(_, sum), value| (true, sum + value));
        if present {
            let entry = usage.entry(pid).or_insert_with(|| (comm.to_string(), 0.0));
            entry.1 += sum;
        }
    });
    let intervals = intervals.len().max(1) as f64;
    let mut ranked: Vec<(u32, String, f64)> = usage
        .into_iter()
        .map(|(pid, (command, sum))| (pid, command, sum / intervals))
        .collect();
    ranked.sort_by(|a, b| b.2.total_cmp(&a.2));
    ranked
}

/// Thread `tid`'s average share of one CPU on it and waiting for it (pidstat -t's `%CPU` and
/// `%wait`) over `window` (the whole run without one).
fn thread_share(rows: Rows<'_>, tid: &str, window: Option<Window>) -> Option<(f64, f64)> {
    let slack = 0.5;
    let (mut count, mut on, mut waiting) = (0_usize, 0.0, 0.0);
    rows.each_unordered(&mut |r| {
        let picked = r.table == "pidstat"
            && r.labels.get("tid").is_some_and(|t| *t == *tid)
            && r.fields.get("cpu").is_some_and(|cpu| !cpu.is_nan())
            && window.is_none_or(|w| r.time > w.start - slack && r.time <= w.end + slack);
        if picked {
            count += 1;
            let value = |field: &str| r.fields.get(field).copied().filter(|v| !v.is_nan());
            on += value("cpu").unwrap_or(0.0);
            waiting += value("wait").unwrap_or(0.0);
        }
    });
    (count > 0).then(|| (on / count as f64, waiting / count as f64))
}

/// Whether `command` names a kernel thread (`kworker/0:1H`, `ksoftirqd/1`, `jbd2/vda-8`,
/// `kswapd0`): work the kernel does for whoever asked, often the target's own I/O or memory,
/// so neither the target's nor a neighbour's.
fn is_kernel_thread(command: &str) -> bool {
    const NAMED: [&str; 6] = [
        "kswapd",
        "kcompactd",
        "khugepaged",
        "kdamond",
        "rcu_preempt",
        "rcu_sched",
    ];
    command.contains('/') || NAMED.iter().any(|name| command.starts_with(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// pidstat's rows read as columns (a file over the streaming size) tell processes and
    /// threads apart as records do: the busiest, each one's I/O, a thread's share, and with a
    /// target only its threads kept.
    #[test]
    fn per_process_data_read_from_columns_is_that_of_records() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/pidstat/12.6.1-iso/pidstat-u-w-d-t.txt"
        );
        let capture = std::fs::read_to_string(path).unwrap();
        let (banner, body) = capture.split_once('\n').unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pidstat.txt"),
            format!("{banner}\n{}", body.repeat(8)),
        )
        .unwrap();
        let whole = crate::judge::read_dir(dir.path(), &[]).unwrap();
        let reading = crate::judge::Reading {
            stream_from: 0,
            part: 4096,
            ..crate::judge::Reading::default()
        };
        let mut streamed = crate::judge::read_dir_with(dir.path(), &[], &reading).unwrap();
        assert!(streamed.records.is_empty() && !streamed.columns.is_empty());
        assert!(!whole.drill_down_targets(3).is_empty());
        assert_eq!(streamed.drill_down_targets(3), whole.drill_down_targets(3));
        // Summed in another order: equal but for the last bits.
        let io = |analysis: &Analysis| -> Vec<(u32, String, String)> {
            io_by_process(analysis.rows(), None)
                .into_iter()
                .map(|n| {
                    (
                        n.pid,
                        n.command,
                        format!("{:.6}", n.io_kib_s.unwrap_or(-1.0)),
                    )
                })
                .collect()
        };
        assert!(!io(&whole).is_empty());
        assert_eq!(io(&streamed), io(&whole));
        let share = |analysis: &Analysis| {
            thread_share(analysis.rows(), "22842", None)
                .map(|(on, wait)| format!("{on:.9} {wait:.9}"))
        };
        assert!(share(&whole).is_some());
        assert_eq!(share(&streamed), share(&whole));
        streamed.keep_threads_of(22842);
        let mut threads = std::collections::BTreeSet::new();
        streamed.rows().each_unordered(&mut |record| {
            if let Some(tid) = record.labels.get("tid") {
                threads.insert(tid.to_string());
            }
        });
        // Thread 81 is PID 1's, printed under a thread row that named its process.
        assert_eq!(
            threads,
            std::collections::BTreeSet::from(["22842".to_string()])
        );
    }

    fn pidstat(time: f64, pid: &str, comm: &str, cpu: f64) -> Record {
        Record::from_pairs(
            "pidstat",
            time,
            &[("pid", pid), ("comm", comm)],
            &[("cpu", cpu)],
            "cpu/pidstat.txt",
            1,
        )
    }

    fn pidstat_io(time: f64, pid: &str, comm: &str, written: f64) -> Record {
        Record::from_pairs(
            "pidstat",
            time,
            &[("pid", pid), ("comm", comm)],
            &[("kb_rd_s", 0.0), ("kb_wr_s", written)],
            "cpu/pidstat.txt",
            1,
        )
    }

    /// The disk findings are a neighbour's where the others wrote more than twice the target's
    /// bytes and at least 1 MiB/s; otherwise the target's own, and a kernel thread's writeback
    /// is no one's.
    #[test]
    fn disk_findings_go_to_the_neighbour_that_moved_the_bytes() {
        let judged = |target_kib: f64, writer_kib: f64| -> Finding {
            let mut records = Vec::new();
            for time in 1..=5 {
                let time = f64::from(time);
                records.push(pidstat(time, "100", "service", 5.0));
                records.push(pidstat_io(time, "100", "service", target_kib));
                records.push(pidstat_io(time, "200", "dd", writer_kib));
                records.push(pidstat_io(time, "7", "kworker/u8:0-writeback", 90_000.0));
            }
            let mut analysis = Analysis {
                records,
                ..Analysis::default()
            };
            analysis.judgement.findings = vec![Finding::bare(
                "io-pressure",
                "disk",
                crate::rules::Signal::Saturation,
                Severity::Medium,
            )];
            analysis.attribute(100, &[]);
            analysis.judgement.findings.remove(0)
        };
        let theirs = judged(10.0, 50_000.0);
        assert_eq!(theirs.neighbours.len(), 1, "{theirs:?}");
        assert_eq!(theirs.neighbours[0].pid, 200);
        assert_eq!(theirs.neighbours[0].io_kib_s, Some(50_000.0));
        assert!(
            theirs.message.contains("a neighbour's I/O"),
            "{}",
            theirs.message
        );
        // The target wrote most: its own.
        assert!(judged(40_000.0, 50_000.0).neighbours.is_empty());
        // Too little to say whose: its own.
        assert!(judged(0.0, 500.0).neighbours.is_empty());
    }

    #[test]
    fn the_busiest_are_averaged_over_every_interval_and_the_idle_left_out() {
        let mut records = Vec::new();
        for time in 1..=5 {
            let time = f64::from(time);
            records.push(pidstat(time, "100", "lock", 80.0));
            records.push(pidstat(time, "200", "worker", 20.0));
            records.push(pidstat(time, "300", "perf", 90.0));
        }
        // Woke once: 30 % in one interval of five is 6 % on average, under a tenth of 80 %.
        records.push(pidstat(3.0, "78", "kdamond", 30.0));
        records.push(pidstat(4.0, "1", "init", 0.5));
        let analysis = Analysis {
            records,
            ..Analysis::default()
        };
        let profiled = |top| -> Vec<u32> {
            analysis
                .drill_down_targets(top)
                .iter()
                .filter(|target| target.profiled)
                .map(|target| target.pid)
                .collect()
        };
        assert_eq!(profiled(5), [100, 200]);
        assert_eq!(profiled(1), [100]);
        let targets = analysis.drill_down_targets(1);
        let worker = targets.iter().find(|target| target.pid == 200).unwrap();
        assert!(worker.why.starts_with("beyond the top 1"), "{worker:?}");
        let init = targets.iter().find(|target| target.pid == 1).unwrap();
        assert!(init.why.contains("under the floor of 8%"), "{init:?}");
        assert_eq!(targets[0].share_pct.round(), 80.0);
    }

    #[test]
    fn a_top_n_that_would_split_equal_workers_takes_them_all() {
        let mut records = Vec::new();
        for time in 1..=5 {
            let time = f64::from(time);
            for pid in ["11", "12", "13", "14"] {
                records.push(pidstat(time, pid, "stress-ng-cpu", 50.0));
            }
            records.push(pidstat(time, "20", "sshd", 2.0));
        }
        let analysis = Analysis {
            records,
            ..Analysis::default()
        };
        let targets = analysis.drill_down_targets(3);
        let profiled: Vec<u32> = targets
            .iter()
            .filter(|t| t.profiled)
            .map(|t| t.pid)
            .collect();
        assert_eq!(profiled, [11, 12, 13, 14]);
        assert!(
            targets[3].why.contains("would have split them"),
            "{targets:?}"
        );
        let sshd = targets.iter().find(|t| t.pid == 20).unwrap();
        assert!(
            !sshd.profiled && sshd.why.contains("under the floor"),
            "{sshd:?}"
        );
    }

    /// One busy thread beside a neighbour running the same program (both `stress-ng-cpu`):
    /// the target's thread finding stays its own and first; the host's saturation is the
    /// load beside it, named by PID, though the neighbour has the target's command name.
    #[test]
    fn a_thread_bound_target_beside_a_same_named_neighbour_keeps_its_own_finding_first() {
        use crate::rules::{Finding, Severity, Signal};
        let mut records = Vec::new();
        for time in 1..=5 {
            let time = f64::from(time);
            records.push(pidstat(time, "100", "stress-ng-cpu", 60.0));
            let mut thread = pidstat(time, "100", "stress-ng-cpu", 60.0);
            thread.labels.insert("tid".into(), "100".into());
            thread.fields.insert("wait".into(), 40.0);
            records.push(thread);
            records.push(pidstat(time, "200", "stress-ng-cpu", 70.0));
            records.push(pidstat(time, "300", "rustc", 60.0));
        }
        let mut thread = Finding::bare(
            "cpu-thread-bound",
            "cpu",
            Signal::Utilization,
            Severity::Medium,
        );
        for (label, value) in [("pid", "100"), ("tid", "100"), ("comm", "stress-ng-cpu")] {
            thread.evidence.instance.insert(label.into(), value.into());
        }
        let judgement = Judgement {
            findings: vec![
                Finding::bare("cpu-saturation", "cpu", Signal::Saturation, Severity::High),
                thread,
            ],
            ..Judgement::default()
        };
        let mut analysis = Analysis {
            records,
            judgement,
            host: HostFacts {
                cpus: Some(2),
                ..HostFacts::default()
            },
            ..Analysis::default()
        };
        let mut alone_on_one_cpu = analysis.clone();
        analysis.attribute(100, &[]);
        let findings = &analysis.judgement.findings;
        assert_eq!(findings[0].id, "cpu-thread-bound");
        assert!(
            findings[0]
                .message
                .ends_with("(on a CPU 60% of the time, waiting for one 40%)"),
            "{}",
            findings[0].message
        );
        assert!(findings[0].neighbours.is_empty());
        assert_eq!(findings[1].id, "cpu-saturation");
        let named: Vec<u32> = findings[1].neighbours.iter().map(|n| n.pid).collect();
        assert_eq!(named, [200, 300]);
        assert!(
            findings[1]
                .message
                .contains("PID 200 run(s) the target's program stress-ng-cpu"),
            "{}",
            findings[1].message
        );
        // On one CPU, one busy thread fills the host by itself: the saturation is its own.
        alone_on_one_cpu.host.cpus = Some(1);
        alone_on_one_cpu.attribute(100, &[]);
        let findings = &alone_on_one_cpu.judgement.findings;
        assert_eq!(findings[0].id, "cpu-saturation");
        assert!(findings[0].neighbours.is_empty());
    }

    /// With a target, only its threads' rows are judged; its processes' rows all stay.
    #[test]
    fn only_the_target_s_threads_are_kept() {
        let mut thread = pidstat(1.0, "200", "stress-ng-cpu", 99.0);
        thread.labels.insert("tid".into(), "200".into());
        let mut own = pidstat(1.0, "100", "stress-ng-cpu", 99.0);
        own.labels.insert("tid".into(), "101".into());
        let mut analysis = Analysis {
            records: vec![pidstat(1.0, "200", "stress-ng-cpu", 99.0), thread, own],
            ..Analysis::default()
        };
        analysis.keep_threads_of(100);
        let kept: Vec<(Option<&str>, &str)> = analysis
            .records
            .iter()
            .map(|r| {
                (
                    r.labels.get("tid").map(|t| t.as_str()),
                    r.labels["pid"].as_str(),
                )
            })
            .collect();
        assert_eq!(kept, [(None, "200"), (Some("101"), "100")]);
    }

    /// A lock with a busy neighbour: the CPU finding is the neighbour's (named, ranked after
    /// the target's own), the lock's stays first; the target's workers count as the target.
    #[test]
    fn cpu_findings_a_neighbour_explains_are_named_as_its_and_ranked_after_the_targets() {
        use crate::rules::{Finding, Severity, Signal};
        let mut records = Vec::new();
        for time in 1..=5 {
            let time = f64::from(time);
            records.push(pidstat(time, "100", "lock", 30.0));
            records.push(pidstat(time, "101", "lock", 20.0));
            records.push(pidstat(time, "200", "rustc", 150.0));
            records.push(pidstat(time, "300", "perf", 90.0));
        }
        let judgement = Judgement {
            findings: vec![
                Finding::bare("cpu-saturation", "cpu", Signal::Saturation, Severity::High),
                Finding::bare("futex", "mutex", Signal::Saturation, Severity::Medium),
            ],
            ..Judgement::default()
        };
        let mut analysis = Analysis {
            records,
            judgement,
            ..Analysis::default()
        };
        let mut alone = analysis.clone();
        analysis.attribute(100, &[]);
        let findings = &analysis.judgement.findings;
        assert_eq!(findings[0].id, "futex");
        assert_eq!(findings[1].id, "cpu-saturation");
        assert_eq!(findings[1].neighbours.len(), 1);
        assert_eq!(findings[1].neighbours[0].command, "rustc");
        // The target used more than the others: the CPU finding is its own.
        alone
            .records
            .retain(|record| record.labels.get("pid").is_none_or(|pid| pid != "200"));
        alone.attribute(100, &[]);
        assert!(alone.judgement.findings[0].neighbours.is_empty());
        // A target pidstat never printed used no CPU: the CPU finding is the others'.
        let mut unseen = alone.clone();
        unseen.attribute(999, &[]);
        assert_eq!(unseen.judgement.findings[1].id, "cpu-saturation");
        assert_eq!(unseen.judgement.findings[1].neighbours.len(), 2);
        // Without pidstat's data: a warning, nothing moved.
        let mut blind = alone.clone();
        blind.records.clear();
        blind.attribute(100, &[]);
        assert_eq!(blind.warnings.len(), 1);
        assert!(blind.judgement.findings[0].neighbours.is_empty());
    }
}

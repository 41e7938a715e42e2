//! `perf_manual profile --pid PID | --all | --cgroup PATH [--duration 10s] [--frequency 99]`:
//! record an on-CPU profile with perf (cpu-clock, which works on VMs without hardware
//! counters), or read one recorded earlier (`--data`), and write the investigation: perf.data,
//! perf script's text, folded stacks, a flamegraph, the top functions and a report.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::{
    cli::ProfileArgs,
    collect::{
        host::host_facts,
        manifest::{CommandRecord, Manifest, StepRecord, StepStatus, now_stamp},
        process::interrupt_flag,
        profiler::{self, MemoryReading, Plan, Scope},
    },
    exit::{self, Failure},
    profile::{self, Caption, Folded, OffCpu},
    report::{
        export::{OutputFormat, pretty_json},
        profile::{
            Cost, Growth, MajorFaultsReport, MemoryReport, OffCpuReport, ProfileReport,
            profile_markdown, profile_text,
        },
    },
    store::{
        self, AnalysisFiles, Investigation, MAJOR_FAULTS_DATA, MAJOR_FAULTS_SCRIPT, MEMORY_DATA,
        MEMORY_SCRIPT, OFFCPU_DATA, OFFCPU_SCRIPT, PROFILE_DATA, PROFILE_SCRIPT,
    },
};

use super::LoadedProfile;

/// The shortest and longest recording `--duration` allows.
const SHORTEST: Duration = Duration::from_millis(500);
const LONGEST: Duration = Duration::from_secs(600);
/// How many functions the table lists.
const TOP: usize = 25;

pub fn profile(args: &ProfileArgs) -> Result<i32, Failure> {
    match &args.data {
        Some(data) => from_data(args, data),
        None => record(args),
    }
}

/// Record, script, fold, draw, report.
fn record(args: &ProfileArgs) -> Result<i32, Failure> {
    let duration = super::parse_duration_flag(Some(&args.duration))?.unwrap_or_default();
    if !(SHORTEST..=LONGEST).contains(&duration) {
        return Err(Failure::bad_input(format!(
            "--duration {}: give at least {} ms and at most {} s",
            args.duration,
            SHORTEST.as_millis(),
            LONGEST.as_secs()
        )));
    }
    if !(1..=10_000).contains(&args.frequency) {
        return Err(Failure::bad_input(format!(
            "--frequency {}: give 1 to 10000 samples a second (99 is usual)",
            args.frequency
        )));
    }
    let scope = match (&args.pid, args.all, &args.cgroup) {
        (Some(pids), _, _) => profiler::resolve_pids(pids)?,
        (_, _, Some(cgroup)) => profiler::resolve_cgroup(cgroup)?,
        _ => Scope::All,
    };
    profiler::preflight(&scope)?;
    let interrupted = interrupt_flag()?;
    store::private_umask();
    let claimed = store::create(&args.dir, "profile", args.output.as_deref(), args.force)?;
    for note in &claimed.notes {
        eprintln!("perf_manual: {note}");
    }
    let investigation = claimed.investigation;
    let raw_dir = investigation.raw_dir();
    let plan = Plan {
        scope: scope.clone(),
        duration,
        frequency: args.frequency,
        dwarf: !args.frame_pointers,
        off_cpu: false,
        page_faults: false,
        major_faults: false,
        data: PROFILE_DATA.into(),
        script: PROFILE_SCRIPT.into(),
    };
    // Every sched_switch with its stack: about 5 MB of perf.data a second under a lock storm.
    let off_plan = args.off_cpu.then(|| Plan {
        off_cpu: true,
        duration: duration.min(crate::collect::tools::OFF_CPU_PROFILE_LONGEST),
        data: OFFCPU_DATA.into(),
        script: OFFCPU_SCRIPT.into(),
        ..plan.clone()
    });
    let memory_plan = args.memory.then(|| Plan {
        page_faults: true,
        data: MEMORY_DATA.into(),
        script: MEMORY_SCRIPT.into(),
        ..plan.clone()
    });
    // Beside every fault, the major ones alone: where pages were read from disk.
    let major_plan = args.memory.then(|| Plan {
        major_faults: true,
        data: MAJOR_FAULTS_DATA.into(),
        script: MAJOR_FAULTS_SCRIPT.into(),
        ..plan.clone()
    });
    let memory_before = args.memory.then(|| profiler::read_memory(&scope));
    eprintln!(
        "perf_manual: profiling {} for {} s at {} Hz into {}",
        scope.describe(),
        duration.as_secs_f64(),
        args.frequency,
        investigation.root.display()
    );
    let started = now_stamp();
    let when = jiff::Timestamp::now()
        .strftime("%Y-%m-%d %H:%M:%S UTC")
        .to_string();
    let clock = Instant::now();
    // Both recordings at once, each waited for by the thread that started it.
    let spawned =
        |extra: &Option<Plan>| extra.as_ref().map(|extra| (extra.clone(), raw_dir.clone()));
    let (off_job, memory_job, major_job) = (
        spawned(&off_plan),
        spawned(&memory_plan),
        spawned(&major_plan),
    );
    let (recorded, off_recorded, memory_recorded, major_recorded) = std::thread::scope(|threads| {
        let interrupted = &interrupted;
        let start = |job: Option<(Plan, std::path::PathBuf)>| {
            job.map(|(extra, raw)| {
                threads.spawn(move || profiler::record(&extra, &raw, interrupted))
            })
        };
        let off = start(off_job);
        let memory = start(memory_job);
        let major = start(major_job);
        let on = profiler::record(&plan, &raw_dir, interrupted);
        let join = |handle: Option<std::thread::ScopedJoinHandle<'_, _>>| {
            handle.map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err((
                        Failure::environment("a recording's thread panicked"),
                        Vec::new(),
                    ))
                })
            })
        };
        (on, join(off), join(memory), join(major))
    });
    let memory_after = args.memory.then(|| profiler::read_memory(&scope));
    let seconds = clock.elapsed().as_secs_f64();
    let (mut commands, outcome) = match recorded {
        Ok(recorded) => (recorded.commands.clone(), Ok(recorded)),
        Err((failure, commands)) => (commands, Err(failure)),
    };
    let off_outcome = off_recorded.map(|off| match off {
        Ok(off) => {
            commands.extend(off.commands.iter().cloned());
            Ok(off)
        }
        Err((failure, off_commands)) => {
            commands.extend(off_commands);
            Err(failure)
        }
    });
    let memory_outcome = memory_recorded.map(|memory| match memory {
        Ok(memory) => {
            commands.extend(memory.commands.iter().cloned());
            Ok(memory)
        }
        Err((failure, memory_commands)) => {
            commands.extend(memory_commands);
            Err(failure)
        }
    });
    let major_outcome = major_recorded.map(|major| match major {
        Ok(major) => {
            commands.extend(major.commands.iter().cloned());
            Ok(major)
        }
        Err((failure, major_commands)) => {
            commands.extend(major_commands);
            Err(failure)
        }
    });
    write_manifest(&investigation, &started, &commands, outcome.as_ref().err())?;
    let recorded = outcome?;

    let script = std::fs::read(raw_dir.join(PROFILE_SCRIPT))
        .map_err(|err| Failure::environment(format!("cannot read perf script's text: {err}")))?;
    let folded = profile::fold_perf_script(&script).map_err(|err| {
        Failure::environment(format!("perf script's text could not be folded: {err}"))
    })?;
    let host = host_facts().hostname.unwrap_or_default();
    let caption = Caption {
        kind: "On-CPU".into(),
        what: scope.describe(),
        host,
        when,
        how: format!(
            "{} s at {} Hz, {} stacks",
            duration.as_secs_f64(),
            args.frequency,
            if plan.dwarf { "DWARF" } else { "frame-pointer" }
        ),
        samples: folded.total_samples,
        unit: String::new(),
        notes: Vec::new(),
    };
    let mut notes = recorded.notes.clone();
    if recorded.interrupted {
        notes.push("interrupted (Ctrl-C): the profile covers the time until then".to_string());
    }
    if !recorded.perf_maps.is_empty() {
        notes.push(format!(
            "JIT frames were named from perf map files, copied beside the data: {}",
            recorded
                .perf_maps
                .iter()
                .map(|map| format!("raw_data/{map}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Scope::CgroupMembers { dir, .. } = &scope {
        notes.push(format!(
            "{} is on a cgroup v1 hierarchy perf cannot filter by: the processes in it when the \
             recording started were profiled, not those that joined later",
            dir.display()
        ));
    }
    let data_bytes = std::fs::metadata(raw_dir.join(PROFILE_DATA)).map_or(0, |meta| meta.len());
    let cost = Cost {
        perf_cpu_seconds: commands
            .iter()
            .filter_map(|command| command.exit.as_ref())
            .map(|exit| exit.cpu_seconds)
            .sum(),
        data_bytes,
        seconds,
    };
    let off_cpu = match (off_outcome, &off_plan) {
        (Some(Ok(_)), Some(off_plan)) => {
            let text = std::fs::read(raw_dir.join(OFFCPU_SCRIPT)).unwrap_or_default();
            let off = profile::fold_switches(&text);
            let caption = Caption {
                kind: "Off-CPU".into(),
                what: scope.describe(),
                host: caption.host.clone(),
                when: caption.when.clone(),
                how: format!(
                    "{} s of sched_switch; widths are time blocked",
                    off_plan.duration.as_secs_f64()
                ),
                samples: off.folded.total_samples,
                unit: "µs off-CPU".into(),
                notes: Vec::new(),
            };
            let mut off_notes = Vec::new();
            if off_plan.duration < duration {
                off_notes.push(format!(
                    "off-CPU was recorded for the first {} s only: every context switch is an \
                     event, a lock storm writes megabytes a second",
                    off_plan.duration.as_secs_f64()
                ));
            }
            Some(OffCpuSource {
                off,
                caption,
                notes: off_notes,
            })
        }
        (Some(Err(failure)), _) => {
            notes.push(format!(
                "off-CPU could not be recorded: {}",
                failure.message
            ));
            None
        }
        _ => None,
    };
    let memory = match memory_outcome {
        Some(Ok(_)) => {
            let text = std::fs::read(raw_dir.join(MEMORY_SCRIPT)).unwrap_or_default();
            match profile::fold_perf_script(&text) {
                Ok(faults) => Some(MemorySource {
                    caption: Caption {
                        kind: "Page faults".into(),
                        what: scope.describe(),
                        host: caption.host.clone(),
                        when: caption.when.clone(),
                        how: format!(
                            "{} s, one sample every {} faults",
                            duration.as_secs_f64(),
                            crate::collect::tools::FAULTS_PER_SAMPLE
                        ),
                        samples: faults.total_samples,
                        unit: String::new(),
                        notes: Vec::new(),
                    },
                    faults,
                    major: major_faults(major_outcome, &raw_dir, &caption, duration),
                    growth: growth(
                        memory_before.as_deref().unwrap_or_default(),
                        memory_after.as_deref().unwrap_or_default(),
                    ),
                }),
                Err(err) => {
                    notes.push(format!("the page faults could not be folded: {err}"));
                    None
                }
            }
        }
        Some(Err(failure)) => {
            notes.push(format!(
                "page faults could not be recorded: {}",
                failure.message
            ));
            None
        }
        None => None,
    };
    let source = Source {
        folded: &folded,
        off_cpu,
        waits: None,
        memory,
        caption,
        command: commands.first().map(|c| c.argv.clone()).unwrap_or_default(),
        cost: Some(cost),
        notes,
        raw_files: vec![
            (
                "perf record's data".into(),
                format!("raw_data/{PROFILE_DATA}"),
            ),
            (
                "perf script's text".into(),
                format!("raw_data/{PROFILE_SCRIPT}"),
            ),
        ],
    };
    let code = write_outputs(&investigation, &[source], args.format)?;
    Ok(if recorded.interrupted {
        exit::INTERRUPTED
    } else {
        code
    })
}

/// `--data`: the same outputs from a profile recorded earlier.
fn from_data(args: &ProfileArgs, data: &Path) -> Result<i32, Failure> {
    let loaded = super::load_profiles(data)?;
    store::private_umask();
    let claimed = store::create(&args.dir, "profile", args.output.as_deref(), args.force)?;
    let investigation = claimed.investigation;
    let sources: Vec<Source<'_>> = loaded
        .iter()
        .map(
            |LoadedProfile {
                 source,
                 folded,
                 kind,
                 header,
                 warnings,
                 off_cpu,
             }| Source {
                folded,
                off_cpu: None,
                waits: off_cpu.as_ref(),
                memory: None,
                caption: Caption {
                    unit: kind.unit().into(),
                    ..Caption::of_file(kind.label(), source, header, folded.total_samples)
                },
                command: Vec::new(),
                cost: None,
                notes: warnings.clone(),
                raw_files: vec![("read from".into(), source.clone())],
            },
        )
        .collect();
    write_outputs(&investigation, &sources, args.format)
}

/// An off-CPU recording to write out beside its on-CPU profile.
struct OffCpuSource {
    off: OffCpu,
    caption: Caption,
    notes: Vec<String>,
}

/// A page-fault recording, and how each process's memory grew meanwhile.
struct MemorySource {
    faults: Folded,
    caption: Caption,
    /// The major faults' stacks and caption, or why there are none.
    major: Result<(Folded, Caption), String>,
    growth: Vec<Growth>,
}

/// The major faults recorded beside the page faults, or why there are none to draw: perf
/// could not record the event, or no page was read from disk while it watched.
fn major_faults(
    outcome: Option<Result<profiler::Recorded, Failure>>,
    raw_dir: &Path,
    on_cpu: &Caption,
    duration: Duration,
) -> Result<(Folded, Caption), String> {
    match outcome {
        None => Err("major faults were not recorded".into()),
        Some(Err(failure)) => Err(format!(
            "major faults could not be recorded (perf's major-faults event): {}",
            failure.message
        )),
        Some(Ok(_)) => {
            let text = std::fs::read(raw_dir.join(MAJOR_FAULTS_SCRIPT)).unwrap_or_default();
            let folded = profile::fold_perf_script(&text)
                .map_err(|err| format!("the major faults could not be folded: {err}"))?;
            if folded.total_samples == 0 {
                return Err(format!(
                    "no major fault in {} s: every page touched was already in memory (page \
                     cache or RAM), none was read from disk or swap",
                    duration.as_secs_f64()
                ));
            }
            let caption = Caption {
                kind: "Major faults".into(),
                how: format!(
                    "{} s, every major fault (a page read from disk)",
                    duration.as_secs_f64()
                ),
                samples: folded.total_samples,
                ..on_cpu.clone()
            };
            Ok((folded, caption))
        }
    }
}

/// One profile to write out.
struct Source<'a> {
    folded: &'a Folded,
    off_cpu: Option<OffCpuSource>,
    /// When `folded` is itself off-CPU time (a sched_switch recording given to `--data`):
    /// its time by process, wait and place, shown instead of the top functions, which all
    /// end in the scheduler.
    waits: Option<&'a OffCpu>,
    memory: Option<MemorySource>,
    caption: Caption,
    command: Vec<String>,
    cost: Option<Cost>,
    notes: Vec<String>,
    raw_files: Vec<(String, String)>,
}

/// Write each profile's folded stacks, flamegraph and JSON into analysis/, the report beside
/// them, and print the summary. A profile without samples gets no flamegraph and exits
/// [`exit::INCONCLUSIVE`]: nothing ran on a CPU, which the report says, rather than an empty
/// picture presented as a result.
fn write_outputs(
    investigation: &Investigation,
    sources: &[Source<'_>],
    format: OutputFormat,
) -> Result<i32, Failure> {
    let files = investigation.analysis();
    store::private_dir(&files.dir).map_err(cannot_write)?;
    let relative = |path: &Path| {
        path.strip_prefix(&investigation.root)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let mut reports = Vec::new();
    let mut empty = false;
    for (index, source) in sources.iter().enumerate() {
        let digest = profile::digest(source.folded, TOP);
        let mut report = ProfileReport::new(&source.caption, digest);
        report.command.clone_from(&source.command);
        report.cost.clone_from(&source.cost);
        report.notes.clone_from(&source.notes);
        report.files.extend(source.raw_files.iter().cloned());
        let folded_path = files.folded(index);
        store::write_atomic(&folded_path, source.folded.to_text().as_bytes())
            .map_err(cannot_write)?;
        report
            .files
            .push(("folded stacks".into(), relative(&folded_path)));
        match profile::flamegraph_svg(source.folded, &source.caption) {
            Ok((svg, cap)) => {
                let path = files.flamegraph(index);
                store::write_atomic(&path, &svg).map_err(cannot_write)?;
                report.files.push(("flamegraph".into(), relative(&path)));
                report.depth_cap = cap;
            }
            Err(profile::ProfileError::NoSamples) => {
                empty = true;
                report.notes.push(
                    "perf recorded no samples: the target never ran on a CPU while it was \
                     watched (idle, blocked, or exited), so no flamegraph was drawn. Where it \
                     waits is an off-CPU question."
                        .into(),
                );
            }
            Err(err) => {
                return Err(Failure::environment(format!(
                    "cannot draw the flamegraph: {err}"
                )));
            }
        }
        if let Some(off) = &source.off_cpu {
            report.off_cpu = Some(write_off_cpu(off, &files, &relative)?);
        }
        if let Some(waits) = source.waits {
            let mut table = OffCpuReport::new(&source.caption, waits);
            table.title = "Where threads waited".into();
            table.subtitle = "by process, what they waited for and where they blocked".into();
            report.off_cpu = Some(table);
            report.digest.top.clear();
        }
        if let Some(memory) = &source.memory {
            report.memory = Some(write_memory(memory, &files, &relative)?);
        }
        let json_path = files.profile_json(index);
        report
            .files
            .push(("this report as JSON".into(), relative(&json_path)));
        store::write_json(&json_path, &report).map_err(cannot_write)?;
        reports.push(report);
    }
    let markdown: String = reports
        .iter()
        .map(profile_markdown)
        .collect::<Vec<_>>()
        .join("\n");
    store::write_atomic(&investigation.report_path("md"), markdown.as_bytes())
        .map_err(cannot_write)?;
    match format {
        OutputFormat::Json => println!("{}", pretty_json(&reports)),
        OutputFormat::Text => {
            for report in &reports {
                print!("{}", profile_text(report));
            }
            println!("  report: {}", investigation.report_path("md").display());
        }
    }
    Ok(if empty {
        exit::INCONCLUSIVE
    } else {
        exit::SUCCESS
    })
}

/// The off-CPU stacks and their flamegraph, and what the report says of them.
fn write_off_cpu(
    source: &OffCpuSource,
    files: &AnalysisFiles,
    relative: &dyn Fn(&Path) -> String,
) -> Result<OffCpuReport, Failure> {
    let off = &source.off;
    let folded_path = files.offcpu_folded();
    store::write_atomic(&folded_path, off.folded.to_text().as_bytes()).map_err(cannot_write)?;
    let mut report = OffCpuReport::new(&source.caption, off);
    report.notes.clone_from(&source.notes);
    report
        .files
        .push(("off-CPU folded stacks (µs)".into(), relative(&folded_path)));
    match profile::flamegraph_svg(&off.folded, &source.caption) {
        Ok((svg, _)) => {
            let path = files.offcpu_flamegraph();
            store::write_atomic(&path, &svg).map_err(cannot_write)?;
            report
                .files
                .push(("off-CPU flamegraph".into(), relative(&path)));
        }
        Err(_) => report
            .notes
            .push("no thread left the CPU while it was watched: nothing to draw".into()),
    }
    Ok(report)
}

/// The page-fault stacks and their flamegraph, and the growers.
fn write_memory(
    source: &MemorySource,
    files: &AnalysisFiles,
    relative: &dyn Fn(&Path) -> String,
) -> Result<MemoryReport, Failure> {
    let folded_path = files.faults_folded();
    store::write_atomic(&folded_path, source.faults.to_text().as_bytes()).map_err(cannot_write)?;
    let mut report = MemoryReport {
        title: source.caption.title(),
        subtitle: source.caption.subtitle(),
        top: profile::top_functions(&source.faults, 10)
            .into_iter()
            .filter(|hot| hot.self_samples > 0)
            .collect(),
        growth: source.growth.iter().take(10).cloned().collect(),
        files: vec![("page-fault folded stacks".into(), relative(&folded_path))],
        notes: Vec::new(),
        major_faults: Some(write_major_faults(&source.major, files, relative)?),
    };
    match profile::flamegraph_svg(&source.faults, &source.caption) {
        Ok((svg, _)) => {
            let path = files.faults_flamegraph();
            store::write_atomic(&path, &svg).map_err(cannot_write)?;
            report
                .files
                .push(("page-fault flamegraph".into(), relative(&path)));
        }
        Err(_) => report
            .notes
            .push("no page fault was sampled: the memory it touched was already mapped".into()),
    }
    Ok(report)
}

/// The major-fault stacks and their flamegraph; without major faults, why, and no picture.
fn write_major_faults(
    major: &Result<(Folded, Caption), String>,
    files: &AnalysisFiles,
    relative: &dyn Fn(&Path) -> String,
) -> Result<MajorFaultsReport, Failure> {
    let (folded, caption) = match major {
        Ok(major) => major,
        Err(why) => {
            return Ok(MajorFaultsReport {
                title: "Major faults".into(),
                subtitle: String::new(),
                samples: 0,
                top: Vec::new(),
                files: Vec::new(),
                notes: vec![why.clone()],
            });
        }
    };
    let folded_path = files.major_faults_folded();
    store::write_atomic(&folded_path, folded.to_text().as_bytes()).map_err(cannot_write)?;
    let (svg, _) = profile::flamegraph_svg(folded, caption)
        .map_err(|err| Failure::environment(format!("cannot draw the flamegraph: {err}")))?;
    let svg_path = files.major_faults_flamegraph();
    store::write_atomic(&svg_path, &svg).map_err(cannot_write)?;
    Ok(MajorFaultsReport {
        title: caption.title(),
        subtitle: caption.subtitle(),
        samples: folded.total_samples,
        top: profile::top_functions(folded, 10)
            .into_iter()
            .filter(|hot| hot.self_samples > 0)
            .collect(),
        files: vec![
            ("major-fault folded stacks".into(), relative(&folded_path)),
            ("major-fault flamegraph".into(), relative(&svg_path)),
        ],
        notes: Vec::new(),
    })
}

/// How each process's resident and swapped memory changed between two readings, largest
/// growth first; a process in only one reading (started or ended meanwhile) is left out.
fn growth(before: &[MemoryReading], after: &[MemoryReading]) -> Vec<Growth> {
    let mut grown: Vec<Growth> = after
        .iter()
        .filter_map(|now| {
            let was = before.iter().find(|was| was.pid == now.pid)?;
            Some(Growth {
                pid: now.pid,
                process: now.name.clone(),
                rss_before_kib: was.rss_kib,
                rss_after_kib: now.rss_kib,
                rss_change_kib: now.rss_kib as i64 - was.rss_kib as i64,
                swap_change_kib: now.swap_kib as i64 - was.swap_kib as i64,
            })
        })
        .collect();
    grown.sort_by_key(|growth| std::cmp::Reverse(growth.rss_change_kib + growth.swap_change_kib));
    grown
}

/// The manifest of the recording, so `analyze` and whoever reads it later know how it was
/// made (argv, times, exit, perf's CPU seconds).
fn write_manifest(
    investigation: &Investigation,
    started: &str,
    commands: &[CommandRecord],
    failure: Option<&Failure>,
) -> Result<(), Failure> {
    let status = match (failure, commands.last().and_then(|c| c.exit.as_ref())) {
        (Some(_), _) => StepStatus::Failed,
        (None, Some(exit)) if exit.ending == crate::collect::process::Ending::Interrupted => {
            StepStatus::Interrupted
        }
        _ => StepStatus::Ok,
    };
    let step = StepRecord {
        phase: "profile".into(),
        step: "profile".into(),
        collector: "perf-record".into(),
        status,
        outputs: vec![PROFILE_DATA.into(), PROFILE_SCRIPT.into()],
        bytes: commands.iter().map(|c| c.bytes).sum(),
        start: started.into(),
        end: now_stamp(),
        commands: commands.to_vec(),
        note: failure.map(|f| f.message.clone()).unwrap_or_default(),
        hint: String::new(),
        targets: None,
    };
    let manifest = Manifest {
        playbook: "profile".into(),
        started: started.into(),
        ended: now_stamp(),
        interrupted: status == StepStatus::Interrupted,
        steps: vec![step],
    };
    let path = investigation.manifest_path();
    store::write_json(&path, &manifest).map_err(cannot_write)
}

fn cannot_write(err: std::io::Error) -> Failure {
    Failure::environment(format!("cannot write the profile: {err}"))
}

//! `perf_manual run PLAYBOOK` and `perf_manual collect`: load → check → schedule → collect
//! (phase by phase, judging between phases where a phase has a condition) → parse → judge →
//! report.

use std::{
    path::Path,
    sync::atomic::{AtomicBool, Ordering},
};

use crate::{
    cli::{CollectArgs, RunArgs, progress::Progress},
    collect::{
        self, PhaseRun,
        host::{cpu_seconds, host_facts},
        manifest::{Manifest, StepStatus, TargetProcess, now_stamp},
        process::interrupt_flag,
    },
    exit::{self, Failure},
    judge::{self, Analysis, Request},
    playbook::Checked,
    record::{HostFacts, Origin},
    report::{
        self, Inputs,
        export::{self, Document, Exporter, Markdown, ReportFormat},
    },
    rules::Condition,
    schedule::{self, Plan, PlannedPhase},
    store::{
        self, Cost, Event, Metadata, ScratchDir,
        redact::{redact, redact_argv},
    },
};

/// What the collection loop needs besides the plan.
struct Collection<'a> {
    plan: &'a Plan,
    checked: &'a Checked,
    raw_dir: &'a Path,
    manifest_path: &'a Path,
    allow_commands: bool,
    /// Whether phase conditions are judged (`run`) or every phase runs (`collect`).
    judge_conditions: bool,
    host: &'a HostFacts,
    progress: &'a Progress,
    interrupted: &'a AtomicBool,
    /// `--pid`: a phase condition weighs the target's findings, not a neighbour's.
    target: Option<u32>,
}

/// Run the phases in order; the manifest is rewritten after each, so an interrupted run
/// still says what it collected.
fn collect_phases(
    collection: &Collection<'_>,
    timeline: &mut Vec<Event>,
) -> Result<Manifest, Failure> {
    let mut manifest = Manifest {
        playbook: collection.checked.playbook.name.clone(),
        started: now_stamp(),
        ..Manifest::default()
    };
    // Spec load errors are listed once, by the judgement at the end of the run.
    let (specs, _) = judge::load_specs(Path::new(judge::PARSERS_DIR));
    for phase in &collection.plan.phases {
        if collection.interrupted.load(Ordering::Relaxed) {
            break;
        }
        let earlier = needs_earlier_data(phase).then(|| {
            let mut data = judge::read_dir(collection.raw_dir, &specs).ok()?;
            if let Some(pid) = collection.target {
                data.keep_threads_of(pid);
            }
            data.judge(&collection.checked.rules, collection.host, Origin::ThisHost);
            if let Some(pid) = collection.target {
                data.attribute(pid, &collection.checked.rules);
            }
            Some(data)
        });
        let earlier = earlier.flatten();
        if collection.judge_conditions
            && let Some(reason) = skip_reason(
                phase,
                collection.checked.conditions.get(&phase.name),
                earlier.as_ref(),
            )
        {
            collection.progress.event_skipped(&phase.name, &reason);
            timeline.push(Event {
                time: now_stamp(),
                what: format!("phase {} skipped: {reason}", phase.name),
            });
            let run = phase_run(collection, phase, &[]);
            manifest.steps.extend(
                phase
                    .steps
                    .iter()
                    .map(|step| collect::skipped(&run, step, StepStatus::Skipped, &reason)),
            );
            continue;
        }
        let top = phase
            .steps
            .iter()
            .filter_map(|step| step.args.top)
            .max()
            .unwrap_or(3) as usize;
        let busiest = earlier
            .as_ref()
            .map(|data| data.drill_down_targets(top))
            .unwrap_or_default();
        timeline.push(Event {
            time: now_stamp(),
            what: format!("phase {} started", phase.name),
        });
        let records = collect::run_phase(&phase_run(collection, phase, &busiest));
        manifest.steps.extend(records);
        manifest.interrupted = collection.interrupted.load(Ordering::Relaxed);
        manifest.ended = now_stamp();
        write_manifest(collection.manifest_path, &manifest)?;
    }
    manifest.interrupted = collection.interrupted.load(Ordering::Relaxed);
    manifest.ended = now_stamp();
    write_manifest(collection.manifest_path, &manifest)?;
    Ok(manifest)
}

fn phase_run<'a>(
    collection: &'a Collection<'a>,
    phase: &'a PlannedPhase,
    busiest: &'a [TargetProcess],
) -> PhaseRun<'a> {
    PhaseRun {
        phase,
        interval: collection.plan.interval,
        raw_dir: collection.raw_dir,
        allow_commands: collection.allow_commands,
        busiest,
        interrupted: collection.interrupted,
        observer: collection.progress,
    }
}

/// A phase looks at earlier data when it has a condition or profiles the busiest processes.
fn needs_earlier_data(phase: &PlannedPhase) -> bool {
    phase.when.is_some()
        || phase
            .steps
            .iter()
            .any(|step| step.args.target.as_deref() == Some("busiest"))
}

/// Why a phase should not run, judged on the findings so far by its compiled `condition`.
fn skip_reason(
    phase: &PlannedPhase,
    condition: Option<&Condition>,
    earlier: Option<&Analysis>,
) -> Option<String> {
    let when = phase.when.as_ref()?;
    let condition = condition?;
    let findings = earlier
        .map(|data| data.judgement.findings.as_slice())
        .unwrap_or(&[]);
    (!condition.holds(findings)).then(|| format!("its condition `{when}` did not hold"))
}

/// The manifest (collect took the secrets out of every argv and note).
fn write_manifest(path: &Path, manifest: &Manifest) -> Result<(), Failure> {
    store::write_json(path, manifest)
        .map_err(|err| Failure::environment(format!("cannot write the manifest: {err}")))
}

impl Progress {
    fn event_skipped(&self, phase: &str, reason: &str) {
        collect::Observer::event(self, collect::Event::PhaseSkipped { phase, reason });
    }
}

pub fn run(args: &RunArgs) -> Result<i32, Failure> {
    let loaded = super::load_checked(&args.playbook)?;
    let observe = super::parse_duration_flag(args.duration.as_deref())?;
    let mut plan = schedule::plan(&loaded.playbook, observe).map_err(Failure::bad_input)?;
    if let Some(pid) = args.pid {
        // perf would fail only once the phase that aims at it starts, after the whole USE phase.
        if pid == 0 || !Path::new(&format!("/proc/{pid}")).is_dir() {
            return Err(Failure::bad_input(format!(
                "--pid {pid}: no such process (it may have exited); `ps -e` lists the running ones"
            )));
        }
        plan.target_pid(pid);
    }
    if args.dry_run {
        return print_plan(&plan, args.format);
    }
    let playbook = &loaded.playbook;
    let wall = std::time::Instant::now();
    // What this process ran before it was perf_manual (a shell, before exec) is not ours.
    let (engine_before, _) = cpu_seconds();
    let interrupted = interrupt_flag()?;
    store::private_umask();
    let progress = Progress::new();
    let store::Claimed {
        investigation,
        lock: _held_until_the_end,
        notes,
    } = store::create(
        &args.dir,
        &playbook.name,
        args.output.as_deref(),
        args.force,
    )?;
    notes.iter().for_each(|note| progress.note(note));
    let host = host_facts();
    let playbook_text = loaded
        .sources
        .first()
        .map(|s| s.text.as_bytes())
        .unwrap_or_default();
    let mut metadata = Metadata {
        name: playbook.name.clone(),
        summary: playbook.summary.clone(),
        status: "running".into(),
        started: now_stamp(),
        playbook: redact(&args.playbook.display().to_string()),
        playbook_sha256: store::sha256_hex(playbook_text),
        workload: redact(&args.workload),
        symptom: redact(&args.symptom),
        target_pid: args.pid,
        host: host.clone(),
        tools: tool_versions(),
        ..Metadata::default()
    };
    let write_error =
        |err: std::io::Error| Failure::environment(format!("cannot write metadata: {err}"));
    let mut saved = playbook.clone();
    saved.include.clear();
    for argv in saved
        .steps
        .values_mut()
        .filter_map(|step| step.args.argv.as_mut())
    {
        *argv = redact_argv(argv);
    }
    store::write_toml(&investigation.playbook_path(), &saved).map_err(write_error)?;
    store::write_toml(&investigation.metadata_path(), &metadata).map_err(write_error)?;

    progress.note(&format!(
        "investigation {} ({} phase(s), at most {:?})",
        investigation.root.display(),
        plan.phases.len(),
        plan.longest()
    ));
    let raw_dir = investigation.raw_dir();
    let manifest_path = investigation.manifest_path();
    let manifest = collect_phases(
        &Collection {
            plan: &plan,
            checked: &loaded,
            raw_dir: &raw_dir,
            manifest_path: &manifest_path,
            allow_commands: args.allow_commands,
            judge_conditions: true,
            host: &host,
            progress: &progress,
            interrupted: &interrupted,
            target: args.pid,
        },
        &mut metadata.timeline,
    )?;
    progress.finish();
    let status = if manifest.interrupted {
        "interrupted"
    } else {
        "complete"
    };
    let analysis_files = investigation.analysis();
    let judged = judge::judge(&Request {
        raw_dir: &raw_dir,
        rules: &loaded.rules,
        host: &host,
        origin: if manifest.sampled_this_host() {
            Origin::ThisHost
        } else {
            Origin::Captured
        },
        analysis: Some(&analysis_files),
        interrupted: Some(&interrupted),
        target: args.pid,
        max_file_size: None,
    })?;
    let analysis = &judged.analysis;
    let flamegraphs = judge::write_artefacts(analysis, &analysis_files, &investigation.root)?;
    let data = report::assemble(&Inputs {
        playbook: &playbook.name,
        summary: &playbook.summary,
        status,
        directory: &investigation.root.display().to_string(),
        raw_prefix: &judge::raw_prefix(&investigation.root, &raw_dir),
        analysis,
        rules: &loaded.rules,
        manifest: Some(&manifest),
        host: &host,
        flamegraphs: &flamegraphs,
    });
    let markdown = Markdown::new(super::read_template(args.template.as_deref())?);
    let report_path = investigation.report_path(markdown.extension());
    let mut document = Document {
        report: &data,
        rules: &loaded.rules,
        judgement: &analysis.judgement,
        records: None,
        fail_on: args.fail_on.map(Into::into),
        report_path: None,
    };
    let report_text = export::to_string(&markdown, &document).map_err(super::export_failure)?;
    let write_analysis =
        |err: std::io::Error| Failure::environment(format!("cannot write the analysis: {err}"));
    store::write_json(&analysis_files.findings(), &data.findings).map_err(write_analysis)?;
    store::write_json(&analysis_files.report(), &data).map_err(write_analysis)?;
    store::write_atomic(&report_path, report_text.as_bytes()).map_err(write_error)?;
    let (engine, _) = cpu_seconds();
    metadata.cost = Cost {
        wall_seconds: wall.elapsed().as_secs_f64(),
        engine_cpu_seconds: engine - engine_before,
        collectors_cpu_seconds: manifest.cpu_seconds(),
    };
    metadata.status = status.into();
    metadata.ended = now_stamp();
    metadata.timeline.push(Event {
        time: metadata.ended.clone(),
        what: format!("judged: {}", data.verdict),
    });
    store::write_toml(&investigation.metadata_path(), &metadata).map_err(write_error)?;
    document.report_path = Some(&report_path);
    super::print(args.format, &document)?;
    if manifest.interrupted {
        return Ok(exit::INTERRUPTED);
    }
    Ok(super::exit_code(&data, args.fail_on))
}

/// `run --dry-run`: the plan, for a person or (`--format json`) a script.
fn print_plan(plan: &Plan, format: ReportFormat) -> Result<i32, Failure> {
    match format {
        ReportFormat::Text => print!("{}", crate::report::terminal::plan(plan)),
        ReportFormat::Json => println!("{}", export::pretty_json(&plan.json())),
        ReportFormat::Junit => {
            return Err(Failure::bad_input(
                "--dry-run prints the plan as text or JSON, not JUnit",
            ));
        }
    }
    Ok(exit::SUCCESS)
}

/// The version each installed collector tool prints, for metadata.toml.
fn tool_versions() -> std::collections::BTreeMap<String, String> {
    match ScratchDir::new("versions") {
        Ok(scratch) => collect::doctor::tool_versions(scratch.path()),
        Err(_) => Default::default(),
    }
}

/// Run every phase's steps (conditions are not judged: nothing is judged) into `output`.
pub fn collect_only(args: &CollectArgs) -> Result<i32, Failure> {
    let path = super::find_playbook(&args.suite);
    let loaded = super::load_checked(&path)?;
    let observe = super::parse_duration_flag(args.duration.as_deref())?;
    let plan = schedule::plan(&loaded.playbook, observe).map_err(Failure::bad_input)?;
    let interrupted = interrupt_flag()?;
    store::private_umask();
    store::private_dir(&args.output)
        .map_err(|err| Failure::environment(format!("cannot create {err}")))?;
    // Two collects into one folder would write the same files at once.
    let _lock = store::RunLock::take(&args.output)?;
    let host = host_facts();
    let progress = Progress::new();
    let manifest_path = args.output.join(store::MANIFEST);
    let mut timeline = Vec::new();
    let manifest = collect_phases(
        &Collection {
            plan: &plan,
            checked: &loaded,
            raw_dir: &args.output,
            manifest_path: &manifest_path,
            allow_commands: args.allow_commands,
            judge_conditions: false,
            host: &host,
            progress: &progress,
            interrupted: &interrupted,
            target: None,
        },
        &mut timeline,
    )?;
    progress.finish();
    println!("collected into {}", args.output.display());
    Ok(if manifest.interrupted {
        exit::INTERRUPTED
    } else {
        exit::SUCCESS
    })
}

//! `perf_manual regress RECIPE.toml`: load and check the recipe → build and measure the
//! current tree and, for a baseline revision, a worktree of it (repetitions interleaved) →
//! or read a stored baseline → run the playbook under load → compare each threshold →
//! change points over the history → print and write the outputs → exit 1 on a regression.

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use crate::{
    cli::{RegressArgs, progress::Progress},
    collect::{
        bench::{self, BenchError, Plan, Tree, Worktree},
        manifest::now_stamp,
        process::interrupt_flag,
    },
    exit::{self, Failure},
    regress::{
        self, BaselineSource, BenchmarkResult, Checked, RunResult,
        judge::{self, RegressReport},
        result::{append_history, read_history, read_result},
    },
    report::export::regression::{RegressFormat, print_regression, write_regression},
    stats::Decision,
    store::ScratchDir,
};

/// How long the playbook may run past its own `--duration` before it is ended.
const PLAYBOOK_GRACE: Duration = Duration::from_secs(10 * 60);

pub fn regress(args: &RegressArgs) -> Result<i32, Failure> {
    let checked = regress::load(&args.recipe).map_err(|errors| {
        Failure::bad_input(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    if let Some(step) = &checked.playbook {
        super::load_checked(&step.path)?;
    }
    let history = match &checked.history {
        Some(path) => read_history(path).map_err(Failure::bad_input)?,
        None => Vec::new(),
    };
    if args.history_only {
        if checked.history.is_none() {
            return Err(Failure::bad_input(format!(
                "{}: --history-only needs `history = \"FILE\"` in the recipe",
                args.recipe.display()
            )));
        }
        let report = history_report(&checked, &history);
        return finish(args, &report);
    }

    let interrupted = interrupt_flag()?;
    let progress = Progress::new();
    let note = |message: &str| progress.note(message);
    let scratch = ScratchDir::new("regress")
        .map_err(|err| Failure::environment(format!("cannot make a scratch folder: {err}")))?;
    let measured = measure(&checked, args, scratch.path(), &interrupted, &note);
    let (baseline, baseline_source, current) = match measured {
        Ok(runs) => runs,
        Err(Stop::Failure(failure)) => return Err(failure),
        Err(Stop::Interrupted) => return Ok(exit::INTERRUPTED),
    };
    let playbook = match &checked.playbook {
        Some(step) if !args.measure_only => {
            match run_playbook(&checked, step, scratch.path(), &interrupted, &note) {
                Ok(outcome) => Some(outcome),
                Err(Stop::Failure(failure)) => return Err(failure),
                Err(Stop::Interrupted) => return Ok(exit::INTERRUPTED),
            }
        }
        _ => None,
    };
    if let Some(path) = &checked.history {
        append_history(path, &current).map_err(|err| {
            Failure::environment(format!(
                "cannot add to the history {}: {err}",
                path.display()
            ))
        })?;
    }
    let mut history = history;
    history.push(current.clone());
    let checks = match &baseline {
        Some(baseline) => judge::checks(&checked, baseline, &current),
        None => Vec::new(),
    };
    let (verdict, mut summary) = judge::verdict(&checks, playbook.as_ref());
    if args.measure_only {
        summary = "measured only: nothing compared".into();
    }
    let report = RegressReport {
        recipe: checked.recipe.name.clone(),
        recipe_path: checked.path.display().to_string(),
        verdict,
        summary,
        baseline_source,
        baseline,
        current: Some(current),
        checks,
        changes: match &checked.history {
            Some(_) => judge::changes(&checked, &history),
            None => Vec::new(),
        },
        playbook,
    };
    progress.finish();
    finish(args, &report)
}

/// Why measuring stopped.
enum Stop {
    Failure(Failure),
    Interrupted,
}

impl From<BenchError> for Stop {
    fn from(err: BenchError) -> Self {
        match err {
            BenchError::Failed(why) => Stop::Failure(Failure::environment(why)),
            BenchError::Interrupted => Stop::Interrupted,
        }
    }
}

impl From<Failure> for Stop {
    fn from(failure: Failure) -> Self {
        Stop::Failure(failure)
    }
}

/// The baseline (read, or measured in a worktree of its revision; none with
/// `--measure-only`), where it came from, and the current run.
fn measure(
    checked: &Checked,
    args: &RegressArgs,
    scratch: &Path,
    interrupted: &AtomicBool,
    note: &dyn Fn(&str),
) -> Result<(Option<RunResult>, String, RunResult), Stop> {
    let recipe = &checked.recipe;
    let mut plan = Plan {
        benchmarks: recipe
            .benchmarks
            .iter()
            .map(|b| (b.name.as_str(), b.command.as_slice()))
            .collect(),
        which: (0..recipe.benchmarks.len()).collect(),
        warmup: recipe.warmup,
        repetitions: recipe.repetitions,
        timeout: checked.timeout,
        keep_output: !checked.metrics.is_empty(),
    };
    let current_tree = Tree {
        label: "current",
        cwd: None,
    };
    let current_revision = current_commit(scratch);
    let baseline_file = match (&args.baseline, &checked.baseline) {
        (Some(file), _) => Some(file.clone()),
        (None, BaselineSource::File(file)) => Some(file.clone()),
        (None, BaselineSource::Revision(_)) => None,
    };
    if args.measure_only || baseline_file.is_some() {
        let baseline = match &baseline_file {
            Some(file) if !args.measure_only => Some(read_result(file).map_err(|why| {
                Failure::bad_input(format!(
                    "{why} (a first baseline is made with --measure-only --save FILE)"
                ))
            })?),
            _ => None,
        };
        bench::build(&recipe.build, current_tree, scratch, interrupted, note)?;
        let mut runs = measure_trees(
            checked,
            &mut plan,
            &[current_tree],
            baseline.as_ref(),
            scratch,
            interrupted,
            note,
        )?;
        let mut current = runs.remove(0);
        current.revision = current_revision;
        let source = match (&baseline, baseline_file) {
            (Some(_), Some(file)) => format!("file {}", file.display()),
            _ => "none (--measure-only)".into(),
        };
        return Ok((baseline, source, current));
    }
    let BaselineSource::Revision(revision) = &checked.baseline else {
        unreachable!("a recipe's baseline is a file or a revision");
    };
    let not_git = |why: String| {
        Failure::environment(format!(
            "the baseline is git revision {revision:?}, but git cannot be asked here: {why}"
        ))
    };
    let top = bench::git(&["rev-parse", "--show-toplevel"], None, scratch).map_err(not_git)?;
    let commit = bench::git(
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{revision}^{{commit}}"),
        ],
        None,
        scratch,
    )
    .map_err(|_| {
        Failure::bad_input(format!(
            "{}: the baseline revision {revision:?} is not a commit of {top}",
            checked.path.display()
        ))
    })?;
    let top = PathBuf::from(top);
    let worktree = Worktree::add(&top, &commit, &scratch.join("baseline"), scratch)
        .map_err(|why| Failure::environment(format!("cannot check out {revision}: {why}")))?;
    // The benchmarks run at the same place within the baseline's tree as here within ours.
    let here = std::env::current_dir()
        .and_then(|dir| dir.canonicalize())
        .map_err(|err| Failure::environment(format!("cannot read the current directory: {err}")))?;
    let within = here.strip_prefix(&top).unwrap_or(Path::new(""));
    let baseline_dir = worktree.path().join(within);
    let baseline_tree = Tree {
        label: "baseline",
        cwd: Some(&baseline_dir),
    };
    bench::build(&recipe.build, baseline_tree, scratch, interrupted, note)?;
    bench::build(&recipe.build, current_tree, scratch, interrupted, note)?;
    let mut runs = measure_trees(
        checked,
        &mut plan,
        &[baseline_tree, current_tree],
        None,
        scratch,
        interrupted,
        note,
    )?;
    let mut current = runs.remove(1);
    current.revision = current_revision;
    let mut baseline = runs.remove(0);
    baseline.revision = Some(commit.clone());
    drop(worktree);
    let short = &commit[..commit.len().min(12)];
    Ok((
        Some(baseline),
        format!("revision {revision} ({short})"),
        current,
    ))
}

/// The commit checked out here, asked of git only inside a git work tree (a `.git` here or
/// above, or `GIT_DIR` set): outside one, a git start-up (~10 ms) would only fail.
fn current_commit(scratch: &Path) -> Option<String> {
    let inside = std::env::var_os("GIT_DIR").is_some()
        || std::env::current_dir()
            .is_ok_and(|dir| dir.ancestors().any(|above| above.join(".git").exists()));
    inside
        .then(|| bench::git(&["rev-parse", "HEAD"], None, scratch).ok())
        .flatten()
}

/// One run per tree, each repetition's numbers taken as it ends, in the rounds of the
/// recipe's looks: after each round but the last, the benchmarks another round could help
/// (`judge::undecided`, against the `stored` baseline, or the first tree's run when two
/// trees are measured) are measured again, as many repetitions again as so far.
fn measure_trees(
    checked: &Checked,
    plan: &mut Plan<'_>,
    trees: &[Tree<'_>],
    stored: Option<&RunResult>,
    scratch: &Path,
    interrupted: &AtomicBool,
    note: &dyn Fn(&str),
) -> Result<Vec<RunResult>, Stop> {
    let recipe = &checked.recipe;
    let mut runs: Vec<RunResult> = trees
        .iter()
        .map(|_| RunResult {
            recipe: recipe.name.clone(),
            time: String::new(),
            revision: None,
            benchmarks: recipe
                .benchmarks
                .iter()
                .map(|b| BenchmarkResult::new(&b.name, &b.command))
                .collect(),
        })
        .collect();
    let mut measured_so_far = 0;
    for (look, &total) in checked.looks.iter().enumerate() {
        if look > 0 {
            let current = &runs[trees.len() - 1];
            let baseline = if trees.len() > 1 {
                Some(&runs[0])
            } else {
                stored
            };
            plan.which = judge::undecided(checked, baseline, current);
            if plan.which.is_empty() {
                break;
            }
            plan.warmup = 0;
            note(&format!(
                "{} undecided after {measured_so_far} repetition(s): {} more",
                plan.which
                    .iter()
                    .map(|&index| recipe.benchmarks[index].name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                total - measured_so_far
            ));
        }
        plan.repetitions = total - measured_so_far;
        measure_round(checked, plan, trees, &mut runs, scratch, interrupted, note)?;
        measured_so_far = total;
    }
    let time = now_stamp();
    for run in &mut runs {
        run.time.clone_from(&time);
    }
    Ok(runs)
}

/// One round of the plan, its repetitions added to `runs`.
fn measure_round(
    checked: &Checked,
    plan: &Plan<'_>,
    trees: &[Tree<'_>],
    runs: &mut [RunResult],
    scratch: &Path,
    interrupted: &AtomicBool,
    note: &dyn Fn(&str),
) -> Result<(), Stop> {
    let mut bad_metric = None;
    let measured = bench::measure(
        plan,
        trees,
        scratch,
        interrupted,
        note,
        &mut |tree, index, repetition| {
            let result = runs[tree].benchmarks[index].add(
                repetition.measured,
                &repetition.stdout,
                &repetition.stderr,
                &checked.metrics,
            );
            result.map_err(|why| {
                bad_metric = Some(why.clone());
                BenchError::Failed(why)
            })
        },
    );
    if let Some(why) = bad_metric {
        return Err(Stop::Failure(Failure::bad_input(format!(
            "{}: {why}",
            checked.path.display()
        ))));
    }
    Ok(measured?)
}

/// The playbook, run by this same binary while the load benchmark runs over and over.
fn run_playbook(
    checked: &Checked,
    step: &regress::check::CheckedPlaybook,
    scratch: &Path,
    interrupted: &AtomicBool,
    note: &dyn Fn(&str),
) -> Result<judge::PlaybookOutcome, Stop> {
    let program = std::env::current_exe()
        .map_err(|err| Failure::environment(format!("cannot find perf_manual itself: {err}")))?;
    let duration = format!("{}ms", step.duration.as_millis());
    let argv: Vec<String> = vec![
        program.display().to_string(),
        "run".into(),
        step.path.display().to_string(),
        "--format".into(),
        "json".into(),
        "--duration".into(),
        duration,
    ];
    let load = &checked.recipe.benchmarks[step.load];
    note(&format!(
        "playbook {} under the load of benchmark {}",
        step.path.display(),
        load.name
    ));
    let tree = Tree {
        label: "current",
        cwd: None,
    };
    let (code, printed) = bench::under_load(
        &argv,
        &load.command,
        tree,
        scratch,
        step.duration + PLAYBOOK_GRACE,
        interrupted,
    )?;
    if interrupted.load(Ordering::Relaxed) {
        return Err(Stop::Interrupted);
    }
    Ok(judge::playbook_outcome(
        &step.path.display().to_string(),
        &printed,
        code,
        step.fail_on,
    ))
}

/// What `--history-only` reports: the change points of the stored runs, nothing compared.
fn history_report(checked: &Checked, history: &[RunResult]) -> RegressReport {
    let changes = judge::changes(checked, history);
    let found: usize = changes.iter().map(|m| m.points.len()).sum();
    RegressReport {
        recipe: checked.recipe.name.clone(),
        recipe_path: checked.path.display().to_string(),
        verdict: Decision::Pass,
        summary: format!(
            "history only: {} run(s), {found} change point(s); nothing run or compared",
            history.len()
        ),
        baseline_source: "none (--history-only)".into(),
        baseline: None,
        current: None,
        checks: Vec::new(),
        changes,
        playbook: None,
    }
}

/// Save (the current run, when there is one), write and print the outputs; the exit code of
/// the verdict.
fn finish(args: &RegressArgs, report: &RegressReport) -> Result<i32, Failure> {
    let cannot = |path: &Path, err: &dyn std::fmt::Display| {
        Failure::environment(format!("cannot write {}: {err}", path.display()))
    };
    if let (Some(path), Some(current)) = (&args.save, &report.current) {
        let json = serde_json::to_string_pretty(current).map_err(|err| cannot(path, &err))?;
        std::fs::write(path, json + "\n").map_err(|err| cannot(path, &err))?;
    }
    for (path, format) in [
        (&args.junit, RegressFormat::Junit),
        (&args.markdown, RegressFormat::Markdown),
    ] {
        if let Some(path) = path {
            write_regression(format, report, path).map_err(|err| cannot(path, &err))?;
        }
    }
    print_regression(args.format, report).map_err(super::export_failure)?;
    Ok(match report.verdict {
        Decision::Regression => exit::FINDING,
        Decision::Inconclusive if args.fail_inconclusive => exit::INCONCLUSIVE,
        Decision::Inconclusive | Decision::Pass => exit::SUCCESS,
    })
}

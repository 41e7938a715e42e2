//! Benchmarks of a regression recipe: each command run over and over under one supervisor
//! per benchmark and tree (`process::Repeated`), which clones each repetition in a process
//! group of its own and measures the program alone: wall time from just before its clone to
//! its exit, user and system CPU, and its maximum resident set.
//! Also what a recipe needs around them: build commands, git for a baseline revision's
//! worktree, and a playbook run while a benchmark loads the host.

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

use super::process::{Ending, Exit, Redirect, Repeated, Usage, run_measured, run_owned};
use crate::regress::result::Measured;

/// How long one build command may take.
const BUILD_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// How long a git command may take.
const GIT_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// At most this much of a repetition's output is kept for its metrics (the end of it).
const OUTPUT_LIMIT: u64 = 1 << 20;

/// Why benchmarks could not be measured.
#[derive(Debug)]
pub enum BenchError {
    /// A command could not run, failed, or overran its time box: the environment cannot run
    /// the recipe.
    Failed(String),
    /// Ctrl-C or SIGTERM.
    Interrupted,
}

/// One measured repetition: the numbers, and its output when metrics read it.
#[derive(Debug, Clone)]
pub struct Repetition {
    pub measured: Measured,
    pub stdout: String,
    pub stderr: String,
}

/// Where a set of benchmarks runs: the current tree or a baseline revision's worktree.
#[derive(Debug, Clone, Copy)]
pub struct Tree<'a> {
    /// `current`, `baseline`: for progress and messages.
    pub label: &'a str,
    /// The working directory; perf_manual's own when `None`.
    pub cwd: Option<&'a Path>,
}

/// What to measure and how often, in one round.
pub struct Plan<'a> {
    /// Each benchmark's name and argv.
    pub benchmarks: Vec<(&'a str, &'a [String])>,
    /// Which of them this round measures, by index.
    pub which: Vec<usize>,
    /// Warm-up runs per tree before the round's repetitions (none in later rounds).
    pub warmup: u32,
    pub repetitions: u32,
    pub timeout: Duration,
    /// Whether repetitions' output is read back (the recipe has `[[metric]]`s).
    pub keep_output: bool,
}

/// Measure every benchmark of the plan in every tree. Per benchmark: one supervisor per
/// tree, the warm-up runs in each tree, then the repetitions interleaved across the trees
/// (baseline, current, baseline, current, ...), so that a machine that drifts (a neighbour
/// starting, a CPU warming) weighs on both alike. `record(tree, benchmark, repetition)`
/// takes each measured repetition.
pub fn measure(
    plan: &Plan<'_>,
    trees: &[Tree<'_>],
    scratch: &Path,
    interrupted: &AtomicBool,
    progress: &dyn Fn(&str),
    record: &mut dyn FnMut(usize, usize, Repetition) -> Result<(), BenchError>,
) -> Result<(), BenchError> {
    for &index in &plan.which {
        let (name, argv) = plan.benchmarks[index];
        let mut runners = Vec::with_capacity(trees.len());
        for (tree_index, tree) in trees.iter().enumerate() {
            runners.push(Runner::start(argv, *tree, scratch, tree_index)?);
        }
        for runner in &mut runners {
            runner.start_runs(plan.warmup)?;
            for _ in 0..plan.warmup {
                runner.next(plan.timeout, interrupted, false)?;
            }
        }
        progress(&format!(
            "benchmark {name}: {} repetition(s) in {}",
            plan.repetitions,
            trees
                .iter()
                .map(|tree| tree.label)
                .collect::<Vec<_>>()
                .join(" and ")
        ));
        // One tree whose output is not read: every repetition asked for at once, run back
        // to back by the supervisor (no round trip through perf_manual between two).
        // Otherwise one at a time: interleaved across trees, each output read before the
        // next run replaces it.
        let back_to_back = runners.len() == 1 && !plan.keep_output;
        if back_to_back {
            for runner in &mut runners {
                runner.start_runs(plan.repetitions)?;
            }
        }
        for _ in 0..plan.repetitions {
            for (tree_index, runner) in runners.iter_mut().enumerate() {
                if !back_to_back {
                    runner.start_runs(1)?;
                }
                let repetition = runner.next(plan.timeout, interrupted, plan.keep_output)?;
                record(tree_index, index, repetition)?;
            }
        }
    }
    Ok(())
}

/// One benchmark's command in one tree, repeated under one supervisor.
struct Runner<'a> {
    argv: &'a [String],
    tree: Tree<'a>,
    stdout: PathBuf,
    stderr: PathBuf,
    repeated: Repeated,
}

impl<'a> Runner<'a> {
    fn start(
        argv: &'a [String],
        tree: Tree<'a>,
        scratch: &Path,
        tree_index: usize,
    ) -> Result<Runner<'a>, BenchError> {
        let stdout = scratch.join(format!("tree{tree_index}.stdout"));
        let stderr = scratch.join(format!("tree{tree_index}.stderr"));
        let redirect = Redirect {
            stdout: &stdout,
            stderr: &stderr,
        };
        let repeated = Repeated::start(argv, tree.cwd, redirect).map_err(|err| {
            BenchError::Failed(format!(
                "cannot run `{}` in {}: {err}",
                argv.join(" "),
                where_(tree)
            ))
        })?;
        Ok(Runner {
            argv,
            tree,
            stdout,
            stderr,
            repeated,
        })
    }

    fn start_runs(&mut self, runs: u32) -> Result<(), BenchError> {
        if runs == 0 {
            return Ok(());
        }
        self.repeated.start_runs(runs).map_err(|err| {
            BenchError::Failed(format!(
                "cannot run `{}` in {}: {err}",
                self.argv.join(" "),
                where_(self.tree)
            ))
        })
    }

    /// The next run asked for; its deadline counts from now, when the one before ended.
    fn next(
        &mut self,
        timeout: Duration,
        interrupted: &AtomicBool,
        keep_output: bool,
    ) -> Result<Repetition, BenchError> {
        let measured = self.repeated.next(Instant::now() + timeout, interrupted);
        judge_run(
            self.argv,
            self.tree,
            measured,
            timeout,
            (&self.stdout, &self.stderr),
            keep_output,
        )
    }
}

/// Run `argv` once in `tree`, its output into `scratch`, within `timeout`; a failure to
/// start, a non-zero exit or an overrun is an error naming the command.
pub fn run_once(
    argv: &[String],
    tree: Tree<'_>,
    scratch: &Path,
    timeout: Duration,
    interrupted: &AtomicBool,
    keep_output: bool,
) -> Result<Repetition, BenchError> {
    let stdout = scratch.join("stdout");
    let stderr = scratch.join("stderr");
    let measured = run_measured(
        argv,
        tree.cwd,
        Redirect {
            stdout: &stdout,
            stderr: &stderr,
        },
        Instant::now() + timeout,
        interrupted,
    );
    judge_run(
        argv,
        tree,
        measured,
        timeout,
        (&stdout, &stderr),
        keep_output,
    )
}

/// One run's repetition, or the error that says what went wrong with it.
fn judge_run(
    argv: &[String],
    tree: Tree<'_>,
    measured: std::io::Result<(Exit, Usage)>,
    timeout: Duration,
    (stdout, stderr): (&Path, &Path),
    keep_output: bool,
) -> Result<Repetition, BenchError> {
    let command = argv.join(" ");
    let (exit, usage) = measured.map_err(|err| {
        BenchError::Failed(format!("cannot run `{command}` in {}: {err}", where_(tree)))
    })?;
    match exit.ending {
        Ending::Interrupted => return Err(BenchError::Interrupted),
        Ending::TimedOut => {
            return Err(BenchError::Failed(format!(
                "`{command}` did not finish within the recipe's timeout of {timeout:?} (in {})",
                where_(tree)
            )));
        }
        Ending::Exited => {}
    }
    if exit.code != Some(0) {
        let how = exit.code.map_or_else(
            || format!("was killed by signal {}", exit.signal.unwrap_or(0)),
            |code| format!("exited with {code}"),
        );
        let said = first_line(stderr);
        return Err(BenchError::Failed(format!(
            "`{command}` {how} in {}{}{said}",
            where_(tree),
            if said.is_empty() { "" } else { ": " }
        )));
    }
    let (stdout, stderr) = if keep_output {
        (tail(stdout), tail(stderr))
    } else {
        (String::new(), String::new())
    };
    Ok(Repetition {
        measured: Measured {
            wall_seconds: usage.wall.as_secs_f64(),
            user_seconds: usage.user_seconds,
            system_seconds: usage.system_seconds,
            max_rss_kib: usage.max_rss_kib as f64,
        },
        stdout,
        stderr,
    })
}

fn where_(tree: Tree<'_>) -> String {
    match tree.cwd {
        Some(dir) => format!("the {} tree {}", tree.label, dir.display()),
        None => format!("the {} tree", tree.label),
    }
}

/// The end of a file (at most [`OUTPUT_LIMIT`] bytes), as text.
fn tail(path: &Path) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let length = file.metadata().map_or(0, |meta| meta.len());
    let _ = file.seek(SeekFrom::Start(length.saturating_sub(OUTPUT_LIMIT)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

fn first_line(path: &Path) -> String {
    tail(path)
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect()
}

/// Run the build commands in order in `tree`; the first that fails is an error.
pub fn build(
    commands: &[Vec<String>],
    tree: Tree<'_>,
    scratch: &Path,
    interrupted: &AtomicBool,
    progress: &dyn Fn(&str),
) -> Result<(), BenchError> {
    for command in commands {
        progress(&format!(
            "build in the {} tree: {}",
            tree.label,
            command.join(" ")
        ));
        run_once(command, tree, scratch, BUILD_TIMEOUT, interrupted, false)?;
    }
    Ok(())
}

/// What a git command printed, trimmed; an error with git's own complaint.
pub fn git(args: &[&str], cwd: Option<&Path>, scratch: &Path) -> Result<String, String> {
    let argv: Vec<String> = std::iter::once("git")
        .chain(args.iter().copied())
        .map(String::from)
        .collect();
    let never = AtomicBool::new(false);
    let tree = Tree { label: "git", cwd };
    match run_once(&argv, tree, scratch, GIT_TIMEOUT, &never, true) {
        Ok(repetition) => Ok(repetition.stdout.trim().to_string()),
        Err(BenchError::Failed(why)) => Err(why),
        Err(BenchError::Interrupted) => Err("interrupted".into()),
    }
}

/// A detached git worktree of one commit, removed (with `git worktree remove --force`) when
/// dropped, whatever happened in it.
pub struct Worktree {
    repository: PathBuf,
    path: PathBuf,
    scratch: PathBuf,
}

impl Worktree {
    /// Check `commit` out at `path` (which must not exist), from the repository whose top
    /// level is `repository`.
    pub fn add(
        repository: &Path,
        commit: &str,
        path: &Path,
        scratch: &Path,
    ) -> Result<Worktree, String> {
        let target = path.to_string_lossy();
        git(
            &["worktree", "add", "--detach", "--quiet", &target, commit],
            Some(repository),
            scratch,
        )?;
        Ok(Worktree {
            repository: repository.to_path_buf(),
            path: path.to_path_buf(),
            scratch: scratch.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let target = self.path.to_string_lossy().into_owned();
        let _ = git(
            &["worktree", "remove", "--force", &target],
            Some(&self.repository),
            &self.scratch,
        );
    }
}

/// Run `playbook` (a `perf_manual run ... --format json` argv) while `load` runs over and
/// over in `tree`, unmeasured: the host judged under the benchmark's load. Returns the
/// playbook's exit code and what it printed. A load that fails stops the loop and is the
/// error, once the playbook has ended.
pub fn under_load(
    playbook: &[String],
    load: &[String],
    tree: Tree<'_>,
    scratch: &Path,
    timeout: Duration,
    interrupted: &AtomicBool,
) -> Result<(Option<i32>, String), BenchError> {
    let report = scratch.join("playbook.json");
    let log = scratch.join("playbook.stderr");
    let load_dir = scratch.join("load");
    std::fs::create_dir_all(&load_dir)
        .map_err(|err| BenchError::Failed(format!("cannot make {}: {err}", load_dir.display())))?;
    let done = AtomicBool::new(false);
    let (playbook_result, load_result) = std::thread::scope(|scope| {
        let running = scope.spawn(|| {
            let result = run_owned(
                playbook,
                Redirect {
                    stdout: &report,
                    stderr: &log,
                },
                Instant::now() + timeout,
                interrupted,
            );
            done.store(true, Ordering::SeqCst);
            result
        });
        let mut load_result = Ok(());
        while !done.load(Ordering::SeqCst) {
            if let Err(err) = run_once(load, tree, &load_dir, timeout, interrupted, false) {
                load_result = Err(err);
                break;
            }
        }
        let playbook_result = running
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the playbook's thread panicked")));
        (playbook_result, load_result)
    });
    load_result?;
    let exit = playbook_result.map_err(|err| {
        BenchError::Failed(format!(
            "cannot run the playbook ({}): {err}",
            playbook.join(" ")
        ))
    })?;
    if exit.ending == Ending::Interrupted {
        return Err(BenchError::Interrupted);
    }
    let printed = std::fs::read_to_string(&report).unwrap_or_default();
    if printed.trim().is_empty() {
        let said = first_line(&log);
        return Err(BenchError::Failed(format!(
            "the playbook printed no report (exit {:?}){}{said}",
            exit.code,
            if said.is_empty() { "" } else { ": " }
        )));
    }
    Ok((exit.code, printed))
}

//! `perf_manual regress` for real: examples/spin_work measured by the binary, with an
//! injected slowdown, injected noise, a git revision as the baseline, a stored history with
//! a planted step, a playbook under load, and every kind of bad recipe.
//!
//! Timings are asserted only as decisions the statistics make (regression, pass, never a
//! regression on noise), never as durations. The tests that measure take turns
//! ([`one_at_a_time`]): two benchmarks spinning at once on a small machine would be each
//! other's noise.

mod common;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");

static MEASURING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Held by every test that measures, for its whole length.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    MEASURING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn regress(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("regress")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("perf_manual runs")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("an exit code")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "JSON on stdout ({err}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The check of every recipe here.
const CHECK: &str = "median(wall) may not rise more than 10% at p < 0.01";

fn spin() -> String {
    common::example("spin_work").display().to_string()
}

/// A recipe measuring spin_work with `extra` arguments, against `baseline` (TOML lines).
///
/// Its check is made to hold beside a busy neighbour: the median (Mann–Whitney), which a few
/// scheduling stalls do not move; a limit of 10%, half-way between "the same" and the 20%
/// slowdown, so both are as far from it as they can be; and up to 160 repetitions when 20
/// cannot decide (each look at p < 0.01 / 4). On a quiet machine 20 decide.
fn recipe(dir: &Path, name: &str, extra: &[&str], baseline: &str) -> PathBuf {
    let mut command = vec![spin(), "--millis".into(), "20".into()];
    command.extend(extra.iter().map(|s| s.to_string()));
    let text = format!(
        r#"name = "spin"
warmup = 1
repetitions = 20
max_repetitions = 160

[baseline]
{baseline}

[[benchmark]]
name = "spin"
command = {command:?}

[[metric]]
name = "throughput"
pattern = 'ops/s: ([0-9.]+)'
unit = "ops/s"

[[threshold]]
check = "{CHECK}"
"#
    );
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A stored baseline of spin_work with `extra` arguments, at dir/base.json.
fn stored_baseline(dir: &Path, extra: &[&str]) {
    recipe(dir, "measure.toml", extra, r#"file = "base.json""#);
    let output = regress(
        dir,
        &["measure.toml", "--measure-only", "--save", "base.json"],
    );
    assert_eq!(
        code(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.join("base.json").is_file());
}

#[test]
fn a_twenty_percent_slowdown_fails_with_exit_1() {
    let _turn = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    stored_baseline(dir.path(), &[]);
    recipe(
        dir.path(),
        "slow.toml",
        &["--slowdown", "20"],
        r#"file = "base.json""#,
    );
    let output = regress(dir.path(), &["slow.toml", "--format", "json"]);
    let report = json(&output);
    assert_eq!(code(&output), 1, "{report:#}");
    assert_eq!(report["verdict"], "regression");
    let check = &report["checks"][0];
    assert_eq!(check["comparison"]["decision"], "regression");
    let change = check["comparison"]["change"].as_f64().unwrap();
    assert!(
        (0.1..0.3).contains(&change),
        "a 20% slowdown measured as {change}"
    );
}

#[test]
fn the_same_program_against_itself_passes() {
    let _turn = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    stored_baseline(dir.path(), &[]);
    recipe(dir.path(), "same.toml", &[], r#"file = "base.json""#);
    let output = regress(dir.path(), &["same.toml", "--format", "json"]);
    let report = json(&output);
    assert_eq!(code(&output), 0, "{report:#}");
    assert_eq!(report["verdict"], "pass", "{report:#}");
}

#[test]
fn thirty_percent_noise_without_a_slowdown_is_never_a_regression() {
    let _turn = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    stored_baseline(dir.path(), &["--noise", "30"]);
    recipe(
        dir.path(),
        "noisy.toml",
        &["--noise", "30"],
        r#"file = "base.json""#,
    );
    let output = regress(dir.path(), &["noisy.toml", "--format", "json"]);
    let report = json(&output);
    assert_eq!(code(&output), 0, "{report:#}");
    assert_ne!(report["verdict"], "regression", "{report:#}");
    // With --fail-inconclusive, an inconclusive verdict is exit 4, a pass still 0.
    let strict = regress(
        dir.path(),
        &["noisy.toml", "--format", "json", "--fail-inconclusive"],
    );
    let expected = match json(&strict)["verdict"].as_str() {
        Some("inconclusive") => 4,
        Some("pass") => 0,
        other => panic!("noise judged {other:?}"),
    };
    assert_eq!(code(&strict), expected);
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn a_git_revision_is_measured_in_a_worktree_of_its_own() {
    let _turn = one_at_a_time();
    if !common::have("git") {
        return;
    }
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git(dir, &["init", "--quiet"]);
    std::fs::write(dir.join("slowdown.txt"), "0\n").unwrap();
    git(dir, &["add", "slowdown.txt"]);
    git(dir, &["commit", "--quiet", "-m", "fast"]);
    std::fs::write(dir.join("slowdown.txt"), "20\n").unwrap();
    git(dir, &["commit", "--quiet", "-am", "slow"]);

    recipe(
        dir,
        "previous.toml",
        &["--slowdown-from", "slowdown.txt"],
        r#"revision = "HEAD~1""#,
    );
    let output = regress(dir, &["previous.toml", "--format", "json"]);
    let report = json(&output);
    assert_eq!(code(&output), 1, "{report:#}");
    assert!(
        report["baseline_source"]
            .as_str()
            .unwrap()
            .starts_with("revision HEAD~1 ("),
        "{report:#}"
    );
    assert_ne!(
        report["baseline"]["revision"],
        report["current"]["revision"]
    );

    recipe(
        dir,
        "itself.toml",
        &["--slowdown-from", "slowdown.txt"],
        r#"revision = "HEAD""#,
    );
    let output = regress(dir, &["itself.toml", "--format", "json"]);
    assert_eq!(code(&output), 0, "{:#}", json(&output));

    // The temporary worktrees are gone.
    let list = Command::new("git")
        .args(["worktree", "list", "--porcelain"])
        .current_dir(dir)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert_eq!(listed.matches("worktree ").count(), 1, "{listed}");

    recipe(dir, "nowhere.toml", &[], r#"revision = "no-such-branch""#);
    let output = regress(dir, &["nowhere.toml"]);
    assert_eq!(
        code(&output),
        2,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A history of 30 runs whose wall time steps up 20% at run 19.
fn planted_history(path: &Path) {
    let mut lines = String::new();
    for run in 1..=30 {
        let centre = if run < 19 { 0.020 } else { 0.024 };
        let samples: Vec<f64> = (0..10)
            .map(|i| centre * (1.0 + 0.02 * (((run * 7 + i * 13) % 11) as f64 / 5.0 - 1.0)))
            .collect();
        let line = serde_json::json!({
            "recipe": "spin",
            "time": format!("2026-11-{run:02}T00:00:00Z"),
            "revision": format!("rev{run}"),
            "benchmarks": [{ "name": "spin", "command": ["spin"], "samples": { "wall": samples } }],
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    std::fs::write(path, lines).unwrap();
}

#[test]
fn a_planted_step_in_the_history_is_found_at_its_run() {
    let _turn = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    planted_history(&dir.path().join("history.jsonl"));
    let path = recipe(dir.path(), "history.toml", &[], r#"file = "base.json""#);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("history = \"history.jsonl\"\n{text}")).unwrap();
    let output = regress(
        dir.path(),
        &["history.toml", "--history-only", "--format", "json"],
    );
    let report = json(&output);
    assert_eq!(code(&output), 0, "{report:#}");
    let points = report["changes"][0]["points"].as_array().unwrap();
    assert_eq!(points.len(), 1, "{report:#}");
    assert_eq!(points[0]["run"], 19);
    assert_eq!(points[0]["revision"], "rev19");
    let change = points[0]["change"].as_f64().unwrap();
    assert!((change - 0.2).abs() < 0.02, "{change}");

    // A real run is added to the history, one line.
    stored_baseline(dir.path(), &[]);
    let output = regress(dir.path(), &["history.toml", "--format", "json"]);
    assert_eq!(code(&output), 0, "{:#}", json(&output));
    let lines = std::fs::read_to_string(dir.path().join("history.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 31);
}

#[test]
fn junit_and_markdown_are_written_beside_the_json() {
    let _turn = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    stored_baseline(dir.path(), &[]);
    recipe(
        dir.path(),
        "slow.toml",
        &["--slowdown", "20"],
        r#"file = "base.json""#,
    );
    let output = regress(
        dir.path(),
        &[
            "slow.toml",
            "--format",
            "json",
            "--junit",
            "junit.xml",
            "--markdown",
            "pr.md",
            "--save",
            "run.json",
        ],
    );
    assert_eq!(code(&output), 1);
    let xml = std::fs::read(dir.path().join("junit.xml")).unwrap();
    let suites = junit_parser::from_reader(std::io::Cursor::new(xml)).unwrap();
    let suite = &suites.suites[0];
    assert_eq!(suite.name, "spin");
    assert_eq!(suite.cases.len(), 1);
    assert!(suite.cases[0].status.is_failure(), "{:?}", suite.cases[0]);
    let markdown = std::fs::read_to_string(dir.path().join("pr.md")).unwrap();
    assert!(
        markdown.contains(&format!("| ❌ | spin | `{CHECK}` |")),
        "{markdown}"
    );
    // The saved run is the report's current run, and a baseline in turn.
    let saved: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("run.json")).unwrap()).unwrap();
    assert_eq!(saved, json(&output)["current"]);
}

#[test]
fn a_playbook_under_the_benchmarks_load_fails_the_recipe_on_its_findings() {
    let _turn = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    stored_baseline(dir.path(), &[]);
    let playbook = root().join("tests/data/playbooks/busy-cpu.toml");
    for (fail_on, expected) in [("high", 1), ("critical", 0)] {
        let path = recipe(dir.path(), "load.toml", &[], r#"file = "base.json""#);
        let text = std::fs::read_to_string(&path).unwrap();
        let step = format!(
            "\n[playbook]\npath = {:?}\nduration = \"2s\"\nfail_on = \"{fail_on}\"\n",
            playbook.display().to_string()
        );
        std::fs::write(&path, text + &step).unwrap();
        let output = regress(dir.path(), &["load.toml", "--format", "json"]);
        let report = json(&output);
        assert_eq!(code(&output), expected, "{report:#}");
        let outcome = &report["playbook"];
        assert_eq!(
            outcome["findings"][0]["id"], "cpu-busy-at-all",
            "{report:#}"
        );
        assert_eq!(outcome["failed"], expected == 1);
        assert!(
            Path::new(outcome["directory"].as_str().unwrap()).is_dir()
                || dir
                    .path()
                    .join(outcome["directory"].as_str().unwrap())
                    .is_dir()
        );
    }
}

#[test]
fn bad_recipes_exit_2_and_point_at_the_mistake() {
    let _turn = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let path = recipe(dir.path(), "typo.toml", &[], r#"file = "base.json""#);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\nrepetitions", "\nrepetitons");
    std::fs::write(&path, text).unwrap();
    let output = regress(dir.path(), &["typo.toml"]);
    assert_eq!(code(&output), 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("typo.toml:3:1: unknown field `repetitons`"),
        "{stderr}"
    );

    // No stored baseline yet: bad data, with how to make one.
    recipe(dir.path(), "first.toml", &[], r#"file = "missing.json""#);
    let output = regress(dir.path(), &["first.toml"]);
    assert_eq!(code(&output), 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("--measure-only --save"));

    // A pattern the output never matches.
    stored_baseline(dir.path(), &[]);
    let path = recipe(dir.path(), "pattern.toml", &[], r#"file = "base.json""#);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("ops/s: ", "nothing like this: ");
    std::fs::write(&path, text).unwrap();
    let output = regress(dir.path(), &["pattern.toml"]);
    assert_eq!(
        code(&output),
        2,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("metric \"throughput\""));
}

#[test]
fn a_benchmark_that_cannot_run_is_the_environment_exit_3() {
    let _turn = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    stored_baseline(dir.path(), &[]);
    for (argv, says) in [
        (r#"["/nonexistent/program"]"#, "cannot run"),
        (r#"["false"]"#, "exited with 1"),
    ] {
        let text = format!(
            "name = \"x\"\n[baseline]\nfile = \"base.json\"\n[[benchmark]]\nname = \"spin\"\ncommand = {argv}\n[[threshold]]\ncheck = \"mean(wall) may not rise more than 5%\"\n"
        );
        std::fs::write(dir.path().join("env.toml"), text).unwrap();
        let output = regress(dir.path(), &["env.toml"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(code(&output), 3, "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }
}

#[test]
fn the_shipped_recipes_are_valid() {
    let dir = root().join("playbooks/recipes");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            perf_manual::regress::load(&path)
                .unwrap_or_else(|errors| panic!("{}: {errors:#?}", path.display()));
            checked += 1;
        }
    }
    assert!(checked >= 2, "the example recipes in playbooks/recipes");
}

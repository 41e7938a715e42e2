//! The engine owns its children: a hanging step ends at its time box with its output kept,
//! and Ctrl-C ends every child, keeps what was collected and exits 130.
//! These run real processes (sh and sleep), nothing mocked.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");

/// A playbook whose only step prints a line, then sleeps for `marker` seconds: a sleep with an
/// odd length nobody else runs, so the test can look for leftovers by command line.
fn hanging_playbook(dir: &Path, marker: &str, time_box: &str) -> std::path::PathBuf {
    command_playbook(
        dir,
        "hang",
        time_box,
        &format!("echo started; exec sleep {marker}"),
    )
}

/// A playbook of one `command` step named `name` that runs `sh -c SCRIPT`.
fn command_playbook(dir: &Path, name: &str, time_box: &str, script: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            r#"name = "{name}"
interval = "1s"

[[phase]]
name = "use"
time_box = "{time_box}"
steps = ["{name}"]

[step.{name}]
collector = "command"
args = {{ argv = ["sh", "-c", "{script}"] }}
"#
        ),
    )
    .unwrap();
    path
}

/// Processes whose command line is `sleep MARKER`.
fn leftovers(marker: &str) -> usize {
    let wanted = format!("sleep\0{marker}\0");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .filter(|cmdline| cmdline == wanted.as_bytes())
        .count()
}

fn unique_marker() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("600.{}{}", std::process::id(), nanos % 100_000)
}

/// `perf_manual run EXTRA --output OUT PLAYBOOK` to its end, which must be a success.
fn run_quietly(extra: &[&str], out: &Path, playbook: &Path) {
    let status = Command::new(BIN)
        .arg("run")
        .args(extra)
        .arg("--output")
        .arg(out)
        .arg(playbook)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

fn manifest(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("raw_data/manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_hanging_step_is_ended_at_its_time_box_and_its_output_kept() {
    let work = tempfile::tempdir().unwrap();
    let marker = unique_marker();
    let playbook = hanging_playbook(work.path(), &marker, "3s");
    let out = work.path().join("inv");
    let started = Instant::now();
    run_quietly(&["--allow-commands"], &out, &playbook);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the time box did not hold"
    );
    let manifest = manifest(&out);
    let step = &manifest["steps"][0];
    assert_eq!(step["status"], "timed_out");
    assert_eq!(step["commands"][0]["exit"]["signals_sent"][0], "SIGINT");
    let kept = std::fs::read_to_string(out.join("raw_data/custom/hang.txt")).unwrap();
    assert_eq!(kept, "started\n");
    assert_eq!(leftovers(&marker), 0, "a child outlived its time box");
}

#[test]
fn commands_do_not_run_without_allow_commands() {
    let work = tempfile::tempdir().unwrap();
    let marker = unique_marker();
    let playbook = hanging_playbook(work.path(), &marker, "2s");
    let out = work.path().join("inv");
    run_quietly(&[], &out, &playbook);
    assert_eq!(manifest(&out)["steps"][0]["status"], "skipped");
    assert!(!out.join("raw_data/custom/hang.txt").exists());
}

#[test]
fn ctrl_c_ends_every_child_keeps_the_data_and_exits_130() {
    let work = tempfile::tempdir().unwrap();
    let marker = unique_marker();
    let playbook = hanging_playbook(work.path(), &marker, "120s");
    let out = work.path().join("inv");
    let mut child = Command::new(BIN)
        .args(["run", "--allow-commands", "--output"])
        .arg(&out)
        .arg(&playbook)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while leftovers(&marker) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(leftovers(&marker), 1, "the step never started");
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(leftovers(&marker), 0, "a child outlived Ctrl-C");
    let manifest = manifest(&out);
    assert_eq!(manifest["interrupted"], true);
    assert_eq!(manifest["steps"][0]["status"], "interrupted");
    let kept = std::fs::read_to_string(out.join("raw_data/custom/hang.txt")).unwrap();
    assert_eq!(kept, "started\n");
    let metadata = std::fs::read_to_string(out.join("metadata.toml")).unwrap();
    assert!(metadata.contains("status = \"interrupted\""), "{metadata}");
    assert!(out.join("report.md").exists());
}

/// A step that fails says why in the manifest (and so in the report), in the tool's own words,
/// even when the tool wrote its complaint to its output rather than to stderr (perf trace
/// writes errors into its `-o` file).
#[test]
fn a_failed_step_keeps_the_tools_complaint_as_its_note() {
    let work = tempfile::tempdir().unwrap();
    let playbook = command_playbook(
        work.path(),
        "complain",
        "3s",
        "echo; echo 'Problems parsing the target'; exit 255",
    );
    let out = work.path().join("inv");
    run_quietly(&["--allow-commands"], &out, &playbook);
    let step = &manifest(&out)["steps"][0];
    assert_eq!(step["status"], "failed");
    assert_eq!(step["note"], "Problems parsing the target");
}

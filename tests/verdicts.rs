//! Honest verdicts: "healthy" only where the rules were judged. `analyze` of data that cannot
//! show a resource's health (nothing, a perf script, random bytes, a few tables) is inconclusive,
//! says so to machines (`verdict_kind`) and, with `--fail-on`, in its exit status (4); a
//! short run under real CPU load names the CPU.
//!
//! The real-load test needs stress-ng and sysstat: it skips on a developer's machine without
//! them and fails in CI (when `CI` is set).

mod common;

use common::have;

use std::{
    path::Path,
    process::{Child, Command, Stdio},
};

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");

fn data(relative: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(relative)
}

/// `perf_manual ARGS` from the repository root: its exit code and what it printed as JSON.
fn json_of(args: &[&str]) -> (i32, serde_json::Value) {
    let output = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .arg("--format")
        .arg("json")
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    let json = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    (output.status.code().unwrap_or(-1), json)
}

fn analyze(data: &Path, fail_on: Option<&str>) -> (i32, serde_json::Value) {
    let data = data.to_str().unwrap();
    let mut args = vec!["analyze", "--data", data];
    if let Some(level) = fail_on {
        args.extend(["--fail-on", level]);
    }
    json_of(&args)
}

/// Data that cannot show the resources' health: inconclusive, never healthy; exit 0 without
/// `--fail-on`, 4 with it.
fn assert_inconclusive(dir: &Path) -> serde_json::Value {
    let (code, json) = analyze(dir, None);
    assert_eq!(code, 0, "{}", dir.display());
    assert_eq!(json["verdict_kind"], "inconclusive", "{}", json["verdict"]);
    let verdict = json["verdict"].as_str().unwrap();
    assert!(verdict.starts_with("Inconclusive: "), "{verdict}");
    assert!(!verdict.contains("healthy"), "{verdict}");
    assert!(!json["not_judged"].as_array().unwrap().is_empty());
    let (code, _) = analyze(dir, Some("medium"));
    assert_eq!(code, 4, "--fail-on medium on {}: {verdict}", dir.display());
    json
}

#[test]
fn nothing_to_judge_is_inconclusive_never_healthy() {
    let work = tempfile::tempdir().unwrap();
    let empty = work.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let json = assert_inconclusive(&empty);
    assert!(
        json["verdict"]
            .as_str()
            .unwrap()
            .starts_with("Inconclusive: nothing was judged: no data for "),
        "{}",
        json["verdict"]
    );

    let script = work.path().join("script");
    std::fs::create_dir(&script).unwrap();
    std::fs::copy(data("perf/6.1/fp/perf.script"), script.join("perf.script")).unwrap();
    let json = assert_inconclusive(&script);
    assert_eq!(
        json["profiles"].as_array().unwrap().len(),
        1,
        "the script is read"
    );

    let random = work.path().join("random");
    std::fs::create_dir(&random).unwrap();
    // Bytes no parser knows (a fixed pseudo-random sequence: the test is the same every run).
    let mut state: u32 = 0x9e37_79b9;
    let bytes: Vec<u8> = (0..8192)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect();
    std::fs::write(random.join("capture.bin"), &bytes).unwrap();
    assert_inconclusive(&random);
    assert_inconclusive(&random.join("capture.bin"));
}

/// Parts of tests/data: tables the built-in rules do not read (pidstat's per-process ones:
/// sar's, read now, judge the CPU, tests/canonical.rs), too short to judge (an iostat capture
/// of two reports: below the three samples a shorter window is judged over), or one plain copy
/// of each /proc file, which judges memory utilization and nothing else. The resources missing
/// are named, never called healthy, and the verdict agrees with the USE table.
#[test]
fn a_partial_capture_names_what_it_could_not_judge() {
    assert_inconclusive(&data("pidstat"));
    assert_inconclusive(&data("spec"));
    let two_reports = tempfile::tempdir().unwrap();
    std::fs::copy(
        data("iostat/12.6.1-iso/iostat-x-t.txt"),
        two_reports.path().join("iostat-x-t.txt"),
    )
    .unwrap();
    let short = assert_inconclusive(two_reports.path());
    assert!(
        short["verdict"]
            .as_str()
            .unwrap()
            .split_once("too little data for ")
            .is_some_and(|(_, short)| short
                .split(", ")
                .any(|name| name.trim_end_matches('.') == "disk.util")),
        "{}",
        short["verdict"]
    );
    let json = assert_inconclusive(&data("procfs/6.18/plain"));
    let verdict = json["verdict"].as_str().unwrap();
    assert!(
        verdict.starts_with(
            "Inconclusive: no finding above info, but cpu, disk, network, mutex, rule \
             memory-swapping"
        ),
        "{verdict}"
    );
    let cell = |resource: &str, signal: &str| -> String {
        let row = json["use_table"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["resource"] == resource)
            .unwrap();
        row[signal]["status"].as_str().unwrap().to_string()
    };
    assert_eq!(cell("memory", "utilization"), "ok");
    assert_eq!(cell("cpu", "utilization"), "no_data");
    assert_eq!(cell("cpu", "saturation"), "no_data");
}

/// A finding below `--fail-on` does not show that nothing reaches it when other resources
/// could not be judged: exit 4; at or above it, 1 wins.
#[test]
fn a_finding_with_unjudged_resources_keeps_fail_on_open() {
    let trace = data("perf_trace/6.1/contended-lock");
    let (code, json) = analyze(&trace, None);
    assert_eq!(code, 0);
    assert_eq!(json["verdict_kind"], "bottleneck", "{}", json["verdict"]);
    assert_eq!(json["findings"][0]["resource"], "mutex");
    assert!(
        json["not_judged"]
            .as_array()
            .unwrap()
            .iter()
            .any(|rule| rule == "cpu-utilization")
    );
    assert_eq!(analyze(&trace, Some("medium")).0, 1);
    assert_eq!(analyze(&trace, Some("high")).0, 4);
}

/// Offline, a series missing is missing from the data: the rules' notes about hosts (a kernel
/// without PSI, a virtual NIC) are not claimed of a host nobody looked at.
#[test]
fn analyze_says_the_data_lack_it_not_the_kernel() {
    let (_, json) = analyze(&data("procfs/6.18/plain"), None);
    let reasons: Vec<&str> = json["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["why"].as_str().unwrap())
        .collect();
    assert!(
        // Series names may say kernel (`kernel_oom_kill.count`); the host notes say "the kernel".
        reasons.iter().all(|why| !why.contains("the kernel")),
        "{reasons:#?}"
    );
    let psi = json["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|rule| rule["rule"] == "cpu-pressure")
        .unwrap();
    assert_eq!(
        psi["why"],
        "no data for pressure.stall: not in the data given"
    );
}

/// The plan shows what `--duration` buys: the USE phase observes it, the drill-down keeps its
/// own box, and the longest run counts it.
#[test]
fn the_plan_gives_the_use_phase_the_duration() {
    let (code, plan) = json_of(&[
        "run",
        "playbooks/cpu-bottleneck.toml",
        "--dry-run",
        "--duration",
        "5s",
    ]);
    assert_eq!(code, 0);
    assert_eq!(plan["phases"][0]["observe_seconds"], 5.0);
    assert_eq!(plan["phases"][0]["time_box_seconds"], 6.0);
    assert_eq!(plan["phases"][1]["time_box_seconds"], 15.0);
    assert_eq!(plan["shortest_seconds"], 6.0);
    assert_eq!(plan["longest_seconds"], 21.0);
}

/// A background load, ended (with its process group) when dropped.
struct Load(Child);

impl Drop for Load {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the process group of our own child.
        unsafe {
            libc::kill(-(self.0.id() as libc::pid_t), libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

/// The case: `stress-ng --cpu 4` on this 2-CPU machine and a 5 s run. It once said
/// "healthy" (a 2 s USE phase, every CPU rule "too little data"); it must name the CPU.
#[test]
fn a_five_second_run_under_cpu_load_names_the_cpu() {
    if !(have("stress-ng") && have("mpstat") && have("vmstat")) {
        return;
    }
    use std::os::unix::process::CommandExt;
    let _load = Load(
        Command::new("stress-ng")
            .args(["--cpu", "4", "--timeout", "20s"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("stress-ng starts"),
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("inv");
    let (code, json) = json_of(&[
        "run",
        "playbooks/cpu-bottleneck.toml",
        "--duration",
        "5s",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_ne!(json["verdict_kind"], "healthy", "{}", json["verdict"]);
    assert_ne!(json["verdict_kind"], "inconclusive", "{}", json["verdict"]);
    assert_eq!(
        json["findings"][0]["resource"], "cpu",
        "{:#}",
        json["findings"]
    );
}

/// The ids of the findings, most important first.
fn finding_ids(json: &serde_json::Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["id"].as_str().unwrap().to_string())
        .collect()
}

/// Where each canonical metric came from: `cpu.busy from sar -u`.
fn metric_lines(json: &serde_json::Value) -> Vec<String> {
    json["metric_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|metric| metric["line"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn sar_all_alone_judges_the_cpu_it_saw_saturated() {
    // Real `sar -A 1 5` under `stress-ng --cpu 4` on 2 CPUs: no mpstat, vmstat or /proc.
    let (_, json) = analyze(&data("sar/12.6.1-A-cpu-stress"), None);
    assert_eq!(json["verdict_kind"], "bottleneck", "{}", json["verdict"]);
    let ids = finding_ids(&json);
    assert_eq!(ids[0], "cpu-saturation", "{ids:?}");
    assert!(ids.contains(&"cpu-utilization".to_string()), "{ids:?}");
    let lines = metric_lines(&json);
    for expected in [
        "cpu.busy from sar -u",
        "procs.runnable from sar -q",
        "pressure.stall from sar -q ALL",
        "disk.util from sar -d",
    ] {
        assert!(
            lines.iter().any(|line| line == expected),
            "{expected}: {lines:?}"
        );
    }
}

#[test]
fn vmstat_alone_judges_the_cpu_and_names_what_it_lacks() {
    // Real `vmstat 1 7` under the same load: the CPU columns are judged; the run queue per CPU
    // is not, since vmstat does not say how many CPUs there are, and the report says so.
    let (_, json) = analyze(&data("vmstat/procps-ng-4.0.2-cpu-stress"), None);
    assert_eq!(
        finding_ids(&json),
        ["cpu-utilization"],
        "{}",
        json["verdict"]
    );
    assert!(metric_lines(&json).contains(&"cpu.busy from vmstat".to_string()));
    let run_queue = json["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|rule| rule["rule"] == "cpu-run-queue")
        .expect("cpu-run-queue not judged");
    let why = run_queue["why"].as_str().unwrap();
    assert!(
        why.contains("host.cpus") && why.contains("not in the data"),
        "{why}"
    );
}

#[test]
fn when_two_tools_measured_one_fact_the_tool_made_for_it_is_read() {
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(
        data("sar/12.6.1-A-cpu-stress/sar-A.txt"),
        work.path().join("sar.txt"),
    )
    .unwrap();
    std::fs::copy(
        data("vmstat/procps-ng-4.0.2-cpu-stress/vmstat.txt"),
        work.path().join("vmstat.txt"),
    )
    .unwrap();
    let (_, json) = analyze(work.path(), None);
    let lines = metric_lines(&json);
    assert!(
        lines.contains(&"cpu.busy from sar -u; vmstat also had it".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"procs.runnable from vmstat; sar -q also had it".to_string()),
        "{lines:?}"
    );
}

/// A temporary directory holding only `files` (paths under tests/data), each under its name.
fn only(files: &[&str]) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    for file in files {
        let path = data(file);
        std::fs::copy(&path, work.path().join(path.file_name().unwrap())).unwrap();
    }
    work
}

/// One capture under `stress-ng --cpu 4` on 2 CPUs in sysstat's machine-readable forms
/// (mpstat and iostat `-o JSON`, `sadf -j`, `sadf -d`, `sadf -p` of the data file `sar -o`
/// wrote) is judged as its text is: the same verdict and the same top finding, with evidence
/// naming the file it was read from.
#[test]
fn json_and_sadf_captures_get_the_verdict_of_their_text() {
    let sar_text = "sar/12.6.1-A-cpu-stress-twin/sar-A.txt";
    let text = [
        "mpstat/12.6.1-cpu-stress/mpstat-P-ALL.txt",
        "iostat/12.6.1-cpu-stress/iostat-x-y-t.txt",
        sar_text,
    ];
    let json = [
        "sysstat-json/12.6.1-cpu-stress/mpstat-P-ALL-o-JSON.txt",
        "sysstat-json/12.6.1-cpu-stress/iostat-x-y-t-o-JSON.txt",
        "sysstat-json/12.6.1-cpu-stress/sadf-j-A.txt",
    ];
    let pairs: [(&[&str], &[&str]); 4] = [
        (&text, &json),
        (
            &[sar_text],
            &["sysstat-json/12.6.1-cpu-stress/sadf-j-A.txt"],
        ),
        (&[sar_text], &["sadf/12.6.1-cpu-stress/sadf-d-A.txt"]),
        (&[sar_text], &["sadf/12.6.1-cpu-stress/sadf-p-A.txt"]),
    ];
    for (text, other) in pairs {
        let (_, expected) = analyze(only(text).path(), None);
        assert_eq!(
            expected["verdict_kind"], "bottleneck",
            "{}",
            expected["verdict"]
        );
        assert_eq!(expected["findings"][0]["resource"], "cpu");
        let (code, json) = analyze(only(other).path(), None);
        assert_eq!(code, 0);
        assert_eq!(json["verdict_kind"], expected["verdict_kind"], "{other:?}");
        assert_eq!(finding_ids(&json), finding_ids(&expected), "{other:?}");
        let files = json["findings"][0]["evidence"]["files"].as_array().unwrap();
        let names: Vec<String> = other
            .iter()
            .map(|f| data(f).file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(
            files
                .iter()
                .all(|f| names.contains(&f.as_str().unwrap().to_string())),
            "{files:?}"
        );
        assert!(
            json["not_recognized"].as_array().unwrap().is_empty(),
            "{other:?}"
        );
    }
}

//! `profile` and `profile-diff` for real: perf recording examples/hot_shift (a program whose
//! hot function is known, and made 2x slower in its `after` mode), then the same outputs from
//! the perf.data, the script and the folded file, and perf's refusals explained.
//!
//! These start load: run them alone, `flock /work/load.lock cargo test --test profile_command`.
//! perf missing skips them on a developer's machine and fails them in CI.

mod common;

use common::{example, have};

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");

fn perf_manual(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("perf_manual runs")
}

/// One test at a time: each counts samples of a load it starts, which the loads of the
/// others (lock storms, perf recording every sched_switch) would starve on a small host.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether perf can record here (root, or perf_event_paranoid ≤ 1): the tests need it.
fn can_profile() -> bool {
    if !have("perf") {
        return false;
    }
    // SAFETY: geteuid(2) has no failure mode.
    let root = unsafe { libc::geteuid() } == 0;
    let paranoid: i32 = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(3);
    let able = root || paranoid <= 1;
    assert!(
        able || std::env::var_os("CI").is_none(),
        "CI must run these as root"
    );
    able
}

/// examples/hot_shift in `mode` for `seconds`, ended when dropped.
struct Load(Child);

impl Load {
    fn start(mode: &str, seconds: u32) -> Load {
        let child = Command::new(example("hot_shift"))
            .args([mode, &seconds.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .expect("hot_shift starts");
        std::thread::sleep(std::time::Duration::from_millis(200));
        Load(child)
    }
    fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

/// Record `mode` of hot_shift for 3 s into `dir`; its JSON report.
fn record(mode: &str, dir: &Path) -> serde_json::Value {
    let load = Load::start(mode, 8);
    let output = perf_manual(&[
        "profile",
        "--pid",
        &load.pid(),
        "--duration",
        "3s",
        "--output",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    json(&output)[0].clone()
}

fn hottest(report: &serde_json::Value) -> (String, f64) {
    let hot = &report["hottest"];
    (
        hot["function"].as_str().unwrap().to_string(),
        hot["self_percent"].as_f64().unwrap(),
    )
}

#[test]
fn a_known_hot_function_tops_the_profile_and_every_input_form_gives_the_same() {
    let _serial = serial();
    if !can_profile() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("after");
    let report = record("after", &dir);
    // transform does two thirds of the work.
    let (function, share) = hottest(&report);
    assert_eq!(function, "hot_shift::transform");
    assert!((55.0..80.0).contains(&share), "{share}% of samples");
    // One thread did the work: named, with its process and thread id, nearly every sample.
    let thread = &report["threads"][0];
    assert_eq!(thread["comm"], "hot_shift", "{:#}", report["threads"]);
    assert_eq!(thread["pid"], thread["tid"]);
    assert!(thread["percent"].as_f64().unwrap() > 90.0, "{thread}");
    assert!(report["total_samples"].as_u64().unwrap() > 100);
    for file in [
        "raw_data/profile/perf.data",
        "raw_data/profile/perf.script",
        "raw_data/manifest.json",
        "analysis/profile.folded",
        "analysis/flamegraph.svg",
        "analysis/profile.json",
        "report.md",
    ] {
        assert!(dir.join(file).is_file(), "{file} is written");
    }
    let svg = std::fs::read_to_string(dir.join("analysis/flamegraph.svg")).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert!(
        svg.contains("On-CPU: PID "),
        "the title says what was profiled"
    );
    assert!(svg.contains("(hot_shift)"));
    assert!(svg.contains(&format!("host {}", host.trim())));
    assert!(svg.contains(" samples"));
    assert!(svg.contains("hot_shift::transform"));
    let markdown = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(markdown.contains("Hottest function: `hot_shift::transform`"));
    assert!(markdown.contains("perf record -e cpu-clock"));

    // The same profile from the perf.data, perf script's text, the folded file, the folder.
    for (name, input) in [
        ("data", "raw_data/profile/perf.data"),
        ("script", "raw_data/profile/perf.script"),
        ("folded", "analysis/profile.folded"),
        ("dir", ""),
    ] {
        let out = scratch.path().join(name);
        let output = perf_manual(&[
            "profile",
            "--data",
            dir.join(input).to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
            "--format",
            "json",
        ]);
        let again = json(&output);
        assert_eq!(again.as_array().unwrap().len(), 1, "{name}: one profile");
        assert_eq!(hottest(&again[0]).0, "hot_shift::transform", "{name}");
        assert_eq!(
            again[0]["total_samples"], report["total_samples"],
            "{name}: every sample"
        );
        assert!(out.join("analysis/flamegraph.svg").is_file(), "{name}");
        if name == "data" {
            // perf script --header: the recording's host is in the title.
            let svg = std::fs::read_to_string(out.join("analysis/flamegraph.svg")).unwrap();
            assert!(svg.contains(&format!("host {}", host.trim())), "{name}");
            assert!(svg.contains("On-CPU: PID "), "{name}");
        }
    }

    // analyze draws the flamegraph beside the report it writes.
    let report_path = scratch.path().join("analyzed/report.md");
    std::fs::create_dir_all(report_path.parent().unwrap()).unwrap();
    let output = perf_manual(&[
        "analyze",
        "--data",
        dir.to_str().unwrap(),
        "--output",
        report_path.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let beside = scratch.path().join("analyzed/report.flamegraph.svg");
    assert!(
        beside.is_file(),
        "analyze writes the flamegraph beside its report"
    );
    let analyzed = std::fs::read_to_string(&report_path).unwrap();
    assert!(
        analyzed.contains("(report.flamegraph.svg)"),
        "the report links it"
    );
}

#[test]
fn the_function_made_twice_as_slow_shifts_most_with_its_amdahl_ceiling() {
    let _serial = serial();
    if !can_profile() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let before = scratch.path().join("before");
    let after = scratch.path().join("after");
    record("before", &before);
    record("after", &after);
    let output = perf_manual(&[
        "profile-diff",
        before.to_str().unwrap(),
        after.to_str().unwrap(),
        "--output",
        scratch.path().join("diff").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let diff = json(&output);
    let shifts = diff["shifts"].as_array().unwrap();
    let grew = shifts
        .iter()
        .max_by(|a, b| {
            a["change"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["change"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!(grew["function"], "hot_shift::transform");
    let (was, is) = (
        grew["before_percent"].as_f64().unwrap(),
        grew["after_percent"].as_f64().unwrap(),
    );
    // Equal halves before; two thirds after (scheduling noise aside).
    assert!((40.0..60.0).contains(&was), "before {was}%");
    assert!((58.0..78.0).contains(&is), "after {is}%");
    assert!(grew["change"].as_f64().unwrap() > 8.0);
    let ceiling = grew["ceiling_after"].as_f64().unwrap();
    assert!(
        (ceiling - 1.0 / (1.0 - is / 100.0)).abs() < 1e-9,
        "ceiling {ceiling}"
    );
    // The other function shrank by about as much.
    let shrank = shifts
        .iter()
        .find(|shift| shift["function"] == "hot_shift::checksum")
        .unwrap();
    assert!(shrank["change"].as_f64().unwrap() < -8.0);
    let dir = scratch.path().join("diff");
    let svg = std::fs::read_to_string(dir.join("analysis/diff-flamegraph.svg")).unwrap();
    assert!(svg.contains("Differential: "));
    assert!(svg.contains("hot_shift::transform"));
    let markdown = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(markdown.contains("| `hot_shift::transform` |"));
}

#[test]
fn a_process_that_never_runs_gets_no_flamegraph_and_exit_4() {
    let _serial = serial();
    if !can_profile() {
        return;
    }
    let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("idle");
    let output = perf_manual(&[
        "profile",
        "--pid",
        &sleeper.id().to_string(),
        "--duration",
        "1s",
        "--output",
        dir.to_str().unwrap(),
    ]);
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!dir.join("analysis/flamegraph.svg").exists());
    let markdown = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(markdown.contains("perf recorded no samples"));
}

#[test]
fn what_stops_perf_is_said_with_its_fix_and_exit_code() {
    let _serial = serial();
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("x");
    let out = out.to_str().unwrap();
    // No such process: bad input.
    let output = perf_manual(&["profile", "--pid", "999999999", "--output", out]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no process has this PID"));
    // A duration of nothing: bad input.
    let output = perf_manual(&["profile", "--all", "--duration", "0s", "--output", out]);
    assert_eq!(output.status.code(), Some(2));
    // perf not installed: the environment's, with what to install.
    let output = Command::new(BIN)
        .args(["profile", "--all", "--duration", "1s", "--output", out])
        .env("PATH", scratch.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("perf is not installed"), "{stderr}");
    assert!(stderr.contains("linux-perf"), "{stderr}");
    assert!(
        !Path::new(out).exists(),
        "nothing is made when nothing can run"
    );
    // Garbage given as a profile.
    let garbage = scratch.path().join("garbage.txt");
    std::fs::write(&garbage, "hello\nworld\n").unwrap();
    let output = perf_manual(&[
        "profile",
        "--data",
        garbage.to_str().unwrap(),
        "--output",
        out,
    ]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("no profile found"));
    let output = perf_manual(&["profile-diff", "/no/such/before", garbage.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
}

/// A user without CAP_PERFMON under perf_event_paranoid 2 may not profile every CPU: said
/// before perf runs, with the sysctl that changes it.
#[test]
fn a_user_perf_may_not_serve_is_told_the_sysctl() {
    let _serial = serial();
    // SAFETY: geteuid(2) has no failure mode.
    let root = unsafe { libc::geteuid() } == 0;
    let paranoid =
        std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid").unwrap_or_default();
    if !root || paranoid.trim().parse::<i32>().unwrap_or(0) < 1 || !have("setpriv") || !have("perf")
    {
        eprintln!("skipping: needs root (to become nobody) and perf_event_paranoid >= 1");
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let output = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(BIN)
        .args(["profile", "--all", "--duration", "1s", "--dir"])
        .arg(scratch.path().join("nobody"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("perf_event_paranoid"), "{stderr}");
    assert!(stderr.contains("CAP_PERFMON"), "{stderr}");
}

/// JIT code is named through the perf map the JIT writes (/tmp/perf-PID.map), marked as JIT,
/// and the map is kept with the data.
#[test]
fn jit_frames_are_named_from_the_perf_map() {
    let _serial = serial();
    if !can_profile() || !cfg!(target_arch = "x86_64") {
        return;
    }
    let mut jit = Command::new(example("jit_map"))
        .arg("6")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("jit");
    let output = perf_manual(&[
        "profile",
        "--pid",
        &jit.id().to_string(),
        "--duration",
        "2s",
        "--output",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let _ = jit.kill();
    let _ = jit.wait();
    let report = json(&output)[0].clone();
    assert_eq!(report["hottest"]["function"], "jit_hot_loop_[j]");
    assert_eq!(report["hottest"]["kind"], "jit");
    assert!(report["jit_samples"].as_u64().unwrap() > 50);
    assert!(
        dir.join(format!("raw_data/profile/perf-{}.map", jit.id()))
            .is_file()
    );
}

/// A contended lock is where its threads wait: off-CPU time in futex, under Mutex::lock,
/// drawn as a flamegraph weighted by time blocked.
#[test]
fn a_contended_lock_is_the_widest_off_cpu_tower() {
    let _serial = serial();
    if !can_profile() {
        return;
    }
    let mut lock = Command::new(example("contended_lock"))
        .args(["6", "4"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("lock");
    let output = perf_manual(&[
        "profile",
        "--pid",
        &lock.id().to_string(),
        "--duration",
        "2s",
        "--off-cpu",
        "--output",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let _ = lock.kill();
    let _ = lock.wait();
    let report = json(&output)[0].clone();
    let off = &report["off_cpu"];
    let top = &off["by_wait"][0];
    assert_eq!(top["wait"], "futex", "{off:#}");
    assert!(top["frame"].as_str().unwrap().contains("Mutex"), "{top}");
    assert!(top["percent"].as_f64().unwrap() > 40.0, "{top}");
    // Four threads blocked most of 2 s: several seconds of off-CPU time in all.
    assert!(off["blocked_ms"].as_f64().unwrap() > 2000.0, "{off:#}");
    let svg = std::fs::read_to_string(dir.join("analysis/offcpu-flamegraph.svg")).unwrap();
    assert!(svg.contains("Off-CPU: PID "));
    assert!(svg.contains("futex"));
    let folded = std::fs::read_to_string(dir.join("analysis/offcpu.folded")).unwrap();
    assert!(
        folded
            .lines()
            .any(|line| line.starts_with("contended_lock;futex;"))
    );
    // The sched_switch perf.data read again is told by its events: off-CPU time, weighted
    // as the recording was, never On-CPU samples.
    let again = scratch.path().join("again");
    let output = perf_manual(&[
        "profile",
        "--data",
        dir.join("raw_data/offcpu/perf.data").to_str().unwrap(),
        "--output",
        again.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let reread = json(&output)[0].clone();
    assert!(
        reread["title"].as_str().unwrap().starts_with("Off-CPU: "),
        "{reread:#}"
    );
    assert!(
        reread["subtitle"].as_str().unwrap().ends_with("µs off-CPU"),
        "{reread:#}"
    );
    // The same microseconds blocked as the recording's own report.
    let reread_ms = reread["total_samples"].as_f64().unwrap() / 1000.0;
    let recorded_ms = report["off_cpu"]["blocked_ms"].as_f64().unwrap();
    assert!(
        (reread_ms - recorded_ms).abs() < 1.0,
        "{reread_ms} ms, {recorded_ms} ms"
    );
    let svg = std::fs::read_to_string(again.join("analysis/flamegraph.svg")).unwrap();
    assert!(svg.contains("Off-CPU: ") && svg.contains("futex"));
    // Read back, it says where the threads waited, as the recording did, instead of top
    // functions that all end in the scheduler.
    assert_eq!(
        reread["off_cpu"]["by_wait"][0],
        report["off_cpu"]["by_wait"][0]
    );
    assert!(
        reread["top"].as_array().is_some_and(Vec::is_empty),
        "{reread:#}"
    );
}

/// `trace`: the lock's futex calls counted with their latencies in a histogram, the
/// tracepoint asked for counted, and an event perf does not know refused as bad input.
#[test]
fn trace_counts_calls_latencies_and_tracepoints() {
    let _serial = serial();
    if !can_profile() {
        return;
    }
    let mut lock = Command::new(example("contended_lock"))
        .args(["5", "4"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let scratch = tempfile::tempdir().unwrap();
    let pid = lock.id().to_string();
    let output = perf_manual(&[
        "trace",
        "--pid",
        &pid,
        "--events",
        "futex,clock_nanosleep,sched:sched_wakeup",
        "--duration",
        "1s",
        "--max-events",
        "20000",
        "--output",
        scratch.path().join("t").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let bad = perf_manual(&[
        "trace",
        "--pid",
        &pid,
        "--events",
        "no_such_call",
        "--duration",
        "1s",
        "--output",
        scratch.path().join("bad").to_str().unwrap(),
    ]);
    let _ = lock.kill();
    let _ = lock.wait();
    let report = json(&output);
    let futex = report["syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|call| call["syscall"] == "futex")
        .expect("futex calls");
    let calls = futex["calls"].as_u64().unwrap();
    assert!(calls > 100, "{futex}");
    let histogram: u64 = futex["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(histogram, calls);
    let (mean, max) = (
        futex["mean_ms"].as_f64().unwrap(),
        futex["max_ms"].as_f64().unwrap(),
    );
    assert!(mean > 0.0 && mean <= max, "{futex}");
    assert_eq!(report["tracepoints"][0][0], "sched:sched_wakeup");
    assert!(scratch.path().join("t/raw_data/trace/events.txt").is_file());
    assert_eq!(
        bad.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("perf does not know"));
}

/// `--memory`: a program that writes into a big buffer faults it in from its own loop, and
/// is named as the process that grew.
#[test]
fn a_memory_hog_is_where_pages_fault_and_who_grows() {
    let _serial = serial();
    if !can_profile() {
        return;
    }
    let mut hog = Command::new(example("memory_hog"))
        .args(["200", "6", "200"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("memory");
    let output = perf_manual(&[
        "profile",
        "--pid",
        &hog.id().to_string(),
        "--duration",
        "2s",
        "--memory",
        "--output",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let _ = hog.kill();
    let _ = hog.wait();
    let report = json(&output)[0].clone();
    let memory = &report["memory"];
    assert_eq!(
        memory["top"][0]["function"], "memory_hog::main",
        "{memory:#}"
    );
    assert!(memory["top"][0]["self_percent"].as_f64().unwrap() > 80.0);
    let grown = &memory["growth"][0];
    assert_eq!(grown["process"], "memory_hog");
    // 200 MiB written at 200 MiB/s: most of it faulted in within the 2 s.
    assert!(
        grown["rss_change_kib"].as_i64().unwrap() > 50 * 1024,
        "{grown}"
    );
    assert!(dir.join("analysis/faults-flamegraph.svg").is_file());
    // Anonymous memory faults no page in from disk unless it swaps: either major faults were
    // drawn, or the report says there were none and draws nothing.
    let major = &memory["major_faults"];
    match major["samples"].as_u64().unwrap() {
        0 => {
            assert!(
                major["notes"][0].as_str().unwrap().contains("major fault"),
                "{major:#}"
            );
            assert!(!dir.join("analysis/major-faults-flamegraph.svg").exists());
        }
        _ => assert!(dir.join("analysis/major-faults-flamegraph.svg").is_file()),
    }
}

/// A program that reads a mapped file after dropping it from the page cache takes major
/// faults in its read path: the major-fault flamegraph is that function, on a host without
/// swap too.
#[test]
fn a_file_read_from_disk_is_where_the_major_faults_are() {
    let _serial = serial();
    if !can_profile() {
        return;
    }
    // On the target's disk, not a tmpfs: a tmpfs page cannot be dropped, so never faults in.
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("file_faults.bin");
    let mut reader = Command::new(example("file_faults"))
        .args([file.to_str().unwrap(), "32", "8"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Time to write the file the first time.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("major");
    let output = perf_manual(&[
        "profile",
        "--pid",
        &reader.id().to_string(),
        "--duration",
        "2s",
        "--memory",
        "--output",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let _ = reader.kill();
    let _ = reader.wait();
    let report = json(&output)[0].clone();
    let major = &report["memory"]["major_faults"];
    assert!(major["samples"].as_u64().unwrap() > 5, "{major:#}");
    assert_eq!(
        major["top"][0]["function"], "file_faults::read_mapped_file",
        "{major:#}"
    );
    assert!(major["top"][0]["self_percent"].as_f64().unwrap() > 80.0);
    let svg = std::fs::read_to_string(dir.join("analysis/major-faults-flamegraph.svg")).unwrap();
    assert!(svg.contains("Major faults: PID "));
    assert!(svg.contains("read_mapped_file"));
    assert!(
        std::fs::read_to_string(dir.join("report.md"))
            .unwrap()
            .contains("### Major faults: PID ")
    );
}

/// A playbook's perf-record step with `event = "off-cpu"` draws the off-CPU flamegraph of
/// the busiest process, and the report (and terminal) say whom it profiled, whom it left out
/// and why, how perf was aimed and what it cost.
#[test]
fn a_playbooks_off_cpu_step_draws_the_flamegraph_and_names_who_was_left_out() {
    let _serial = serial();
    if !can_profile() || !have("pidstat") {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    // Two different commands: `top = 1` profiles the busier and leaves the other out. Two
    // threads each: enough of a lock to wait on, little load beside the other tests.
    let copy = scratch.path().join("lock_copy");
    std::fs::copy(example("contended_lock"), &copy).unwrap();
    let start = |program: &Path| {
        Command::new(program)
            .args(["14", "2"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut loads = [start(&example("contended_lock")), start(&copy)];
    let pids: Vec<u32> = loads.iter().map(Child::id).collect();
    let playbook = scratch.path().join("drill.toml");
    std::fs::write(
        &playbook,
        r#"name = "off-cpu-drill"
summary = "Where do the busiest process's threads wait?"
interval = "1s"

[[phase]]
name = "use"
time_box = "4s"
steps = ["pidstat"]

[[phase]]
name = "drill-down"
time_box = "5s"
steps = ["waits"]

[step.waits]
collector = "perf-record"
output = "offcpu/waits.script"
args = { event = "off-cpu", target = "busiest", top = 1 }
"#,
    )
    .unwrap();
    let dir = scratch.path().join("run");
    let output = perf_manual(&[
        "run",
        playbook.to_str().unwrap(),
        "--output",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    for load in &mut loads {
        let _ = load.kill();
        let _ = load.wait();
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "JSON on stdout; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let drill = &report["drill_downs"][0];
    assert_eq!(drill["step"], "waits", "{report:#}");
    let processes = drill["processes"].as_array().unwrap();
    let ours: Vec<&serde_json::Value> = processes
        .iter()
        .filter(|process| pids.contains(&(process["pid"].as_u64().unwrap() as u32)))
        .collect();
    assert_eq!(ours.len(), 2, "{drill:#}");
    let (profiled, left_out): (Vec<&serde_json::Value>, Vec<&serde_json::Value>) =
        ours.iter().partition(|process| process["profiled"] == true);
    assert_eq!((profiled.len(), left_out.len()), (1, 1), "{drill:#}");
    assert!(
        left_out[0]["why"]
            .as_str()
            .unwrap()
            .contains("beyond the top 1"),
        "{drill:#}"
    );
    assert_eq!(
        drill["scope"].as_str().unwrap(),
        format!("-p {}", profiled[0]["pid"]),
        "{drill:#}"
    );
    assert!(
        drill["perf_cpu_seconds"].as_f64().unwrap() > 0.0,
        "{drill:#}"
    );
    assert!(drill["bytes"].as_u64().unwrap() > 0, "{drill:#}");
    let profile = report["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|profile| profile["source"] == "offcpu/waits.script")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(profile["kind"], "Off-CPU", "{profile:#}");
    let svg = profile["flamegraph"].as_str().unwrap();
    let svg = std::fs::read_to_string(dir.join(svg)).unwrap();
    assert!(svg.contains("Off-CPU: ") && svg.contains("futex"));
    let markdown = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(markdown.contains("## Drill-down: who was profiled"));
    let row = format!(
        "| {} | {} |",
        left_out[0]["command"].as_str().unwrap(),
        left_out[0]["pid"]
    );
    assert!(markdown.contains(&row), "{markdown}");
    // The terminal says it too.
    let again = scratch.path().join("again.md");
    let text = perf_manual(&[
        "analyze",
        "--data",
        dir.to_str().unwrap(),
        "--output",
        again.to_str().unwrap(),
        "--format",
        "text",
    ]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("drill-down: waits aimed perf at `-p "),
        "{text}"
    );
    assert!(text.contains("left out "), "{text}");
}

/// `--cgroup`: perf filters every CPU to the group (`-G`), so only its processes are sampled.
#[test]
fn a_cgroup_is_profiled_alone() {
    let _serial = serial();
    if !can_profile() {
        return;
    }
    let unified = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]
        .into_iter()
        .map(Path::new)
        .find(|root| {
            root.join("cgroup.procs").is_file() && root.join("cgroup.controllers").is_file()
        });
    let Some(unified) = unified else {
        eprintln!("skipping: no cgroup v2 hierarchy");
        return;
    };
    let group = unified.join(format!("perf_manual-test-{}", std::process::id()));
    std::fs::create_dir(&group).unwrap();
    let load = Load::start("after", 6);
    std::fs::write(group.join("cgroup.procs"), load.pid()).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let output = perf_manual(&[
        "profile",
        "--cgroup",
        group.to_str().unwrap(),
        "--duration",
        "2s",
        "--output",
        scratch.path().join("cg").to_str().unwrap(),
        "--format",
        "json",
    ]);
    drop(load);
    let _ = std::fs::remove_dir(&group);
    let report = json(&output)[0].clone();
    let processes = report["processes"].as_array().unwrap();
    assert_eq!(processes.len(), 1, "{processes:?}");
    assert_eq!(processes[0]["process"], "hot_shift");
    assert!(
        report["title"]
            .as_str()
            .unwrap()
            .starts_with("On-CPU: cgroup /")
    );
}

//! End-to-end scenarios: a real load (stress-ng) on this machine, the real tools, the main job
//! as a user runs it, and the verdict checked. Loads disturb each other on a small machine,
//! so every scenario takes the same lock and they run one at a time.
//!
//! A tool that is missing skips a scenario on a developer's machine, and fails it in CI
//! (when `CI` is set): CI must never pass by not testing.

mod common;

use common::{Cgroup, example, have, memory_controller, never_accepting_listener};

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Mutex,
};

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A background load, ended (with its whole process group) when dropped.
struct Load(Child);

impl Load {
    fn start(args: &[&str]) -> Load {
        use std::os::unix::process::CommandExt;
        let child = Command::new("stress-ng")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("stress-ng starts");
        // Let the workers start and the load settle before measuring.
        std::thread::sleep(std::time::Duration::from_secs(2));
        Load(child)
    }
}

impl Load {
    /// Two writers syncing every write (stress-ng's hdd stressor) in `scratch`, for 40 s.
    fn fsync_writers(scratch: &std::path::Path) -> Load {
        Load::start(&[
            "--hdd",
            "2",
            "--hdd-opts",
            "fsync,wr-seq",
            "--hdd-bytes",
            "32M",
            "--temp-path",
            &scratch.to_string_lossy(),
            "--timeout",
            "40s",
        ])
    }

    /// The PID of one of stress-ng's workers (named for their stressor, `stress-ng-hdd`): the
    /// process `--pid` investigates, with every other process of its name.
    fn worker(&self) -> String {
        let pid = self.0.id();
        for _ in 0..50 {
            let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                .unwrap_or_default();
            let worker = children.split_whitespace().find(|child| {
                std::fs::read_to_string(format!("/proc/{child}/comm"))
                    .is_ok_and(|comm| comm.starts_with("stress-ng-"))
            });
            if let Some(worker) = worker {
                return worker.to_string();
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("stress-ng {pid} has no worker");
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the process group of our own child.
        unsafe {
            libc::kill(-(self.0.id() as libc::pid_t), libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

/// The main job, running in the background.
struct Running {
    child: Child,
    out: PathBuf,
    work: tempfile::TempDir,
}

/// Start the main job on `playbook` with JSON output into a fresh investigation directory;
/// `path` replaces PATH (to hide tools).
fn start_playbook(playbook: &str, extra: &[&str], path: Option<&str>) -> Running {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("inv");
    let mut command = Command::new(BIN);
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", playbook, "--format", "json", "--output"])
        .arg(&out)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(path) = path {
        command.env("PATH", path);
    }
    let child = command.spawn().unwrap();
    Running { child, out, work }
}

impl Running {
    /// Wait for the run; returns the JSON it printed, the investigation directory and the
    /// temporary folder holding it (dropped, it is removed).
    fn finish(self) -> (serde_json::Value, PathBuf, tempfile::TempDir) {
        let output = self.child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "perf_manual run failed");
        let json: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("JSON on stdout");
        same_verdict_from_disk(&self.out, &json);
        (json, self.out, self.work)
    }
}

/// Run the main job to its end.
fn run_playbook(
    playbook: &str,
    extra: &[&str],
    path: Option<&str>,
) -> (serde_json::Value, PathBuf, tempfile::TempDir) {
    start_playbook(playbook, extra, path).finish()
}

/// Judged again afterwards from its directory alone, an investigation gets the same verdict.
fn same_verdict_from_disk(out: &Path, json: &serde_json::Value) {
    let again = analyze(out);
    assert_eq!(
        finding_ids(&again),
        finding_ids(json),
        "analyze of {} disagrees with the run",
        out.display()
    );
}

/// Write this scenario's row of the README's scenario table (scripts/scenario-table gathers
/// them): the scenario, the top finding and the evidence behind it, as this run measured them.
fn record_row(order: u32, scenario: &str, json: &serde_json::Value) {
    let top = &json["findings"][0];
    let (finding, evidence) = if top.is_null() {
        (
            "nothing above info".to_string(),
            "every rule stayed under its threshold".to_string(),
        )
    } else {
        (
            format!(
                "{} {} {} (`{}`)",
                top["severity"].as_str().unwrap_or(""),
                top["resource"].as_str().unwrap_or(""),
                top["signal"].as_str().unwrap_or(""),
                top["id"].as_str().unwrap_or("")
            ),
            format!(
                "{} — `{}`",
                top["message"].as_str().unwrap_or(""),
                top["evidence"]["expression"].as_str().unwrap_or("")
            ),
        )
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/scenario-table");
    std::fs::create_dir_all(&dir).unwrap();
    let row = format!(
        "| {scenario} | {finding} | {} |\n",
        evidence.replace('|', "\\|")
    );
    std::fs::write(dir.join(format!("{order:02}.md")), row).unwrap();
}

/// Let what an earlier scenario left behind (dirty pages of its files, exiting processes) clear
/// before measuring an idle machine: flush, then wait a few seconds.
fn settle() {
    let _ = Command::new("sync").status();
    std::thread::sleep(std::time::Duration::from_secs(5));
}

/// Whether a finding is the investigated process's own, not a neighbour's load.
fn is_own(finding: &serde_json::Value) -> bool {
    finding["neighbours"].as_array().is_none_or(Vec::is_empty)
}

fn top_finding(json: &serde_json::Value) -> (&str, &str) {
    let top = &json["findings"][0];
    (
        top["resource"].as_str().unwrap_or("none"),
        top["signal"].as_str().unwrap_or("none"),
    )
}

/// Debian's stress-ng is stripped, so its own functions fold to `[stress-ng]`; the trig
/// method spends its time in libm's sin and cos, which are named, so the profile can be
/// checked for the hot function by name.
#[test]
fn cpu_saturation_is_the_top_finding_and_the_profile_names_stress_ng() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !(have("stress-ng") && have("mpstat") && have("perf")) {
        return;
    }
    let _load = Load::start(&["--cpu", "4", "--cpu-method", "trig", "--timeout", "90s"]);
    let (json, out, _work) = run_playbook("playbooks/cpu-bottleneck.toml", &[], None);
    assert_eq!(
        top_finding(&json),
        ("cpu", "saturation"),
        "{:#}",
        json["findings"]
    );
    record_row(1, "`stress-ng --cpu 4` on 2 CPUs (cpu-bottleneck)", &json);
    let profile = &json["profiles"][0];
    let top = profile["top"].as_array().expect("a profile");
    assert!(
        top.iter().all(|hot| hot["process"]
            .as_str()
            .unwrap_or("")
            .starts_with("stress-ng")),
        "the busiest processes profiled are not stress-ng's: {profile:#}"
    );
    let hottest_named = top
        .iter()
        .filter_map(|hot| hot["function"].as_str())
        .find(|function| !function.starts_with('['))
        .unwrap_or("");
    assert!(
        hottest_named.contains("sin"),
        "hottest named function: {hottest_named:?}"
    );
    let svg = std::fs::read_to_string(out.join("analysis/flamegraph.svg")).expect("a flamegraph");
    assert!(svg.contains("stress-ng") && svg.contains(hottest_named));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("## USE method") && report.contains("analysis/flamegraph.svg"));
    // The README's sample report is this report: scripts/scenario-table abridges it.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/scenario-table");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("sample-report.md"), report).unwrap();
}

/// `collect` writes the seed's layout; `analyze` of that directory names the loaded resource.
#[test]
fn collect_then_analyze_names_the_loaded_resource() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !(have("stress-ng") && have("mpstat") && have("perf")) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("capture");
    let _load = Load::start(&["--cpu", "4", "--timeout", "60s"]);
    let status = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "collect",
            "--suite",
            "triage",
            "--duration",
            "5s",
            "--output",
        ])
        .arg(&data)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    for file in [
        "cpu/mpstat.txt",
        "memory/vmstat.txt",
        "disk/iostat.txt",
        "network/sar_dev.txt",
        "profile/perf.data",
    ] {
        assert!(
            data.join(file).is_file(),
            "{file} missing from the seed's layout"
        );
    }
    // The seed's collect_all.sh keeps perf.data without its script: analyze must read it.
    std::fs::remove_file(data.join("profile/perf.script")).unwrap();
    let json = analyze(&data);
    assert_eq!(top_finding(&json).0, "cpu", "{:#}", json["findings"]);
    // The triage suite also records sched_switch (offcpu/), an off-CPU profile of its own:
    // the on-CPU one is perf.data's.
    let profiles = json["profiles"].as_array().unwrap();
    let profile = profiles
        .iter()
        .find(|profile| profile["source"] == "profile/perf.data")
        .unwrap_or_else(|| panic!("no profile of profile/perf.data: {profiles:#?}"));
    assert_eq!(profile["kind"], "On-CPU", "{profile:#}");
    assert!(
        profile["top"][0]["process"]
            .as_str()
            .unwrap_or("")
            .starts_with("stress-ng"),
        "the hottest function is not the load's: {profile:#}"
    );
}

fn analyze(dir: &Path) -> serde_json::Value {
    let output = Command::new(BIN)
        .args(["analyze", "--format", "json", "--data"])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn finding_ids(json: &serde_json::Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn an_idle_machine_has_nothing_above_info() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !have("mpstat") {
        return;
    }
    settle();
    // The process investigated, idle: on a shared machine, another's load is a neighbour's.
    let mut idle = Command::new("sleep").arg("60").spawn().unwrap();
    let pid = idle.id().to_string();
    let (json, out, _work) = run_playbook(
        "playbooks/triage.toml",
        &["--duration", "11s", "--pid", &pid],
        None,
    );
    let _ = idle.kill();
    let _ = idle.wait();
    let loud: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info" && is_own(f))
        .collect();
    assert!(loud.is_empty(), "an idle machine raised {loud:#?}");
    record_row(8, "idle (triage)", &json);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("raw_data/manifest.json")).unwrap())
            .unwrap();
    let profile = manifest["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["step"] == "cpu-profile")
        .expect("the drill-down step is in the manifest");
    assert_eq!(
        profile["status"], "skipped",
        "no finding, yet it drilled down"
    );
}

/// sysstat, vmstat and perf are hidden from PATH (this test cannot uninstall packages from
/// under the other tests): the main job must still judge the CPU from its own /proc sampler,
/// and say what it could not collect and how to install it.
#[test]
fn without_sysstat_the_procfs_sampler_still_finds_cpu_saturation() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !have("stress-ng") {
        return;
    }
    let bin = tempfile::tempdir().unwrap();
    for tool in ["sleep", "sh"] {
        if let Some(found) = which(tool) {
            std::os::unix::fs::symlink(found, bin.path().join(tool)).unwrap();
        }
    }
    let path = bin.path().to_string_lossy().into_owned();
    let _load = Load::start(&["--cpu", "4", "--timeout", "60s"]);
    let (json, out, _work) = run_playbook(
        "playbooks/cpu-bottleneck.toml",
        &["--duration", "7s"],
        Some(&path),
    );
    assert_eq!(top_finding(&json).0, "cpu", "{:#}", json["findings"]);
    record_row(
        9,
        "`stress-ng --cpu 4`, sysstat and perf hidden (cpu-bottleneck)",
        &json,
    );
    let stand_ins = json["stand_ins"].as_array().unwrap();
    assert!(stand_ins.iter().any(|t| t == "mpstat"), "{stand_ins:?}");
    let missing = json["not_collected"].as_array().unwrap();
    let mpstat = missing
        .iter()
        .find(|step| step["collector"] == "mpstat")
        .expect("mpstat is listed as not collected");
    assert_eq!(mpstat["status"], "missing");
    assert!(mpstat["hint"].as_str().unwrap().contains("sysstat"));
    let perf = missing
        .iter()
        .find(|step| step["collector"] == "perf-record")
        .expect("perf is listed as not collected");
    assert!(perf["hint"].as_str().unwrap().contains("linux-perf"));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("apt-get install sysstat"),
        "the report does not say how to install"
    );
}

fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| candidate.is_file())
}

/// A listening socket that never accepts, with a backlog of one, while fifty clients connect
/// on loopback: the kernel's accept queue overflows and the network playbook must say so.
#[test]
fn a_listener_that_never_accepts_overflows_its_backlog() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (listener, port) = never_accepting_listener();
    let run = start_playbook("playbooks/network.toml", &["--duration", "7s"], None);
    // Connect once the sampler has its first snapshot, so the overflow falls inside the run.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let clients: Vec<_> = (0..50)
        .map(|_| {
            std::net::TcpStream::connect_timeout(
                &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                std::time::Duration::from_millis(200),
            )
        })
        .collect();
    let (json, _out, _work) = run.finish();
    drop(clients);
    // SAFETY: closing the listening socket this test opened.
    unsafe {
        libc::close(listener);
    }
    assert_eq!(
        json["findings"][0]["id"], "network-listen-overflows",
        "{:#}",
        json["findings"]
    );
    assert_eq!(top_finding(&json), ("network", "saturation"));
    record_row(
        6,
        "a listener that never accepts, 50 clients (network)",
        &json,
    );
}

/// A memory hog in a memory-limited cgroup (v1, 100 MiB) with no swap: the kernel OOM-kills
/// it again and again, and the memory playbook must rank the OOM kills first.
#[test]
fn a_hog_in_a_memory_limited_cgroup_is_oom_killed_and_named() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some(memory) = memory_controller() else {
        return;
    };
    if !have("stress-ng") {
        return;
    }
    let cgroup = Cgroup::new(memory, "100M");
    let run = start_playbook(
        "playbooks/memory-pressure.toml",
        &["--duration", "9s"],
        None,
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    cgroup.run(&[
        "stress-ng",
        "--vm",
        "1",
        "--vm-bytes",
        "300M",
        "--timeout",
        "5s",
    ]);
    let (json, _out, _work) = run.finish();
    assert_eq!(
        json["findings"][0]["id"], "memory-oom-kill",
        "{:#}",
        json["findings"]
    );
    assert_eq!(top_finding(&json), ("memory", "errors"));
    // The sampler reads the cgroup too: its limit hits or OOM kills are named by its path.
    let ours = format!("/{}", cgroup.0.file_name().unwrap().to_string_lossy());
    let findings = json["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|finding| {
            ["cgroup-memory-limit", "cgroup-oom-kill"]
                .contains(&finding["id"].as_str().unwrap_or(""))
                && finding["evidence"]["instance"]["cgroup"] == ours.as_str()
        }),
        "no cgroup finding names {ours}: {:#}",
        json["findings"]
    );
    record_row(
        4,
        "a 300 MiB hog in a 100 MiB cgroup (memory-pressure)",
        &json,
    );
}

/// A 300 MiB hog in the same cgroup, but with swap: the kernel pushes the cgroup's pages out to
/// swap instead of killing it, and the memory playbook must rank the swapping first. The
/// machine has no swap, so the test makes a swap file and removes it afterwards.
#[test]
fn a_hog_in_a_memory_limited_cgroup_with_swap_is_named_as_swapping() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some(memory) = memory_controller() else {
        return;
    };
    if !(have("vmstat") && have("mkswap") && have("swapon")) {
        return;
    }
    let Some(_swap) = SwapFile::new(Path::new("/var/tmp/perf_manual_test.swap"), "1G") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs a swap file (fallocate, mkswap, swapon as root)"
        );
        eprintln!("skipping: cannot make a swap file here");
        return;
    };
    let cgroup = Cgroup::new(memory, "100M");
    let run = start_playbook(
        "playbooks/memory-pressure.toml",
        &["--duration", "11s"],
        None,
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    // stress-ng's vm stressor writes faster than this disk swaps, and the kernel OOM-kills it
    // now and then even with swap; examples/memory_hog writes at a bounded rate.
    let hog = example("memory_hog");
    cgroup.run(&[hog.to_str().unwrap(), "300", "8", "100"]);
    let (json, _out, _work) = run.finish();
    let ids = finding_ids(&json);
    assert_eq!(
        json["findings"][0]["id"], "memory-swapping",
        "{:#}",
        json["findings"]
    );
    assert!(
        !ids.iter().any(|id| id == "memory-oom-kill"),
        "with swap nothing should be killed: {ids:?}"
    );
    record_row(
        3,
        "a 300 MiB hog in a 100 MiB cgroup, 1 GiB swap (memory-pressure)",
        &json,
    );
}

/// A swap file, switched on for the test and switched off and removed when dropped.
struct SwapFile(PathBuf);

impl SwapFile {
    /// `None` where this machine cannot swap to a file (no root, a filesystem without swap
    /// files, a container).
    fn new(path: &Path, size: &str) -> Option<SwapFile> {
        let _ = std::fs::remove_file(path);
        let swap = SwapFile(path.to_path_buf());
        let ok = |program: &str, args: &[&str]| {
            Command::new(program)
                .args(args)
                .arg(path)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        };
        let made = ok("fallocate", &["-l", size])
            && ok("chmod", &["600"])
            && ok("mkswap", &[])
            && ok("swapon", &[]);
        made.then_some(swap)
    }
}

impl Drop for SwapFile {
    fn drop(&mut self) {
        let _ = Command::new("swapoff")
            .arg(&self.0)
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_file(&self.0);
    }
}

/// fsync-heavy writes (stress-ng's hdd stressor syncing every write) on the machine's disk:
/// the disk playbook must name the disk first.
#[test]
fn fsync_heavy_writes_make_the_disk_the_top_finding() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !(have("stress-ng") && have("iostat")) {
        return;
    }
    let scratch = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
    let load = Load::fsync_writers(scratch.path());
    // Investigated as the writers: a busy neighbour's CPU load is told apart.
    let worker = load.worker();
    let (json, _out, _work) = run_playbook(
        "playbooks/disk-io.toml",
        &["--duration", "11s", "--pid", &worker],
        None,
    );
    assert_eq!(top_finding(&json).0, "disk", "{:#}", json["findings"]);
    record_row(
        5,
        "fsync-heavy writes, `stress-ng --hdd 2` (disk-io)",
        &json,
    );
}

/// An idle service investigated with `--pid` while a neighbour (stress-ng's hdd stressor,
/// syncing every write) loads the disk: the disk findings are the neighbour's, named with the
/// bytes each process read and wrote (pidstat -d), never the target's bottleneck.
#[test]
fn a_neighbour_loading_the_disk_is_named_as_a_neighbour() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !(have("stress-ng") && have("iostat") && have("pidstat")) {
        return;
    }
    let scratch = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut target = Command::new("sleep")
        .arg("60")
        .spawn()
        .expect("sleep starts");
    let load = Load::fsync_writers(scratch.path());
    let pid = target.id().to_string();
    let (json, _out, _work) = run_playbook(
        "playbooks/triage.toml",
        &["--duration", "11s", "--pid", &pid],
        None,
    );
    let _ = target.kill();
    let _ = target.wait();
    drop(load);
    let disk: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["resource"] == "disk" && finding["severity"] != "info")
        .collect();
    assert!(
        !disk.is_empty(),
        "the writes were not found: {:#}",
        json["findings"]
    );
    for finding in disk {
        let neighbours = finding["neighbours"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            neighbours.iter().any(|neighbour| {
                neighbour["command"]
                    .as_str()
                    .is_some_and(|command| command.starts_with("stress-ng"))
                    && neighbour["io_kib_s"].as_f64().is_some_and(|io| io > 0.0)
            }),
            "{finding:#}"
        );
        assert!(
            neighbours
                .iter()
                .all(|neighbour| neighbour["pid"] != pid.parse::<u64>().unwrap()),
            "{finding:#}"
        );
        assert!(
            finding["message"]
                .as_str()
                .is_some_and(|message| message.contains("a neighbour's I/O")),
            "{finding:#}"
        );
    }
}

/// Eight threads fighting for one mutex (examples/contended_lock.rs, built by `cargo test`):
/// the CPUs stay mostly idle while threads block and wake constantly, and triage must name
/// the lock, not the CPU.
#[test]
fn threads_fighting_for_one_mutex_are_named_as_lock_contention() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !have("mpstat") {
        return;
    }
    let program = example("contended_lock");
    let mut lock = Command::new(&program)
        .args(["60", "8"])
        .spawn()
        .expect("the contended-lock load starts");
    std::thread::sleep(std::time::Duration::from_secs(1));
    // Investigated as the lock's process: the drill-down traces it, not a busier neighbour.
    let pid = lock.id().to_string();
    let (json, _out, _work) = run_playbook(
        "playbooks/triage.toml",
        &["--duration", "11s", "--pid", &pid],
        None,
    );
    let _ = lock.kill();
    let _ = lock.wait();
    assert_eq!(
        top_finding(&json),
        ("mutex", "saturation"),
        "{:#}",
        json["findings"]
    );
    // The drill-down's evidence: woken futex waits (perf trace) and off-CPU time in futex
    // (sched_switch), both from the lock's threads.
    for rule in ["mutex-futex-woken-waits", "mutex-offcpu-futex"] {
        assert!(
            json["findings"]
                .as_array()
                .is_some_and(|all| all.iter().any(|finding| finding["id"] == rule)),
            "{rule} did not fire: {:#}",
            json["findings"]
        );
    }
    record_row(7, "8 threads fighting for one mutex (triage)", &json);
}

/// One busy thread on a two-CPU machine, investigated with `--pid`: triage must name the
/// target's thread as a single-threaded CPU bottleneck (it wants a whole CPU: on one, or
/// waiting for one), not the host's CPUs. Run beside a busy neighbour, even one running the same
/// program (`stress-ng --cpu 1`), the neighbour's load is named as a neighbour's.
#[test]
fn one_busy_thread_is_a_single_threaded_bottleneck() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !(have("stress-ng") && have("mpstat") && have("pidstat")) {
        return;
    }
    let load = Load::start(&["--cpu", "1", "--timeout", "60s"]);
    let worker = load.worker();
    let (json, _out, _work) = run_playbook(
        "playbooks/triage.toml",
        &["--duration", "11s", "--pid", &worker],
        None,
    );
    let top = &json["findings"][0];
    assert_eq!(top["id"], "cpu-thread-bound", "{:#}", json["findings"]);
    assert_eq!(
        top["evidence"]["instance"]["pid"],
        worker.as_str(),
        "{top:#}"
    );
    assert!(is_own(top), "{top:#}");
    // Any other CPU finding is the load beside the thread, and never names it.
    for finding in json["findings"].as_array().unwrap().iter().skip(1) {
        if finding["resource"] == "cpu" && finding["consequence_of"].is_null() {
            let named = finding["neighbours"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(
                named
                    .iter()
                    .all(|n| n["pid"].as_u64().map(|p| p.to_string()) != Some(worker.clone())),
                "{finding:#}"
            );
        }
    }
    record_row(
        2,
        "`stress-ng --cpu 1`: one busy thread on 2 CPUs, `--pid` its worker (triage)",
        &json,
    );
}

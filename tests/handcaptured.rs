//! Data captured by hand, as a colleague would send it, judged by `analyze`: copies of /proc
//! counter files taken before and after a window (`cat /proc/vmstat > vmstat.before` ...
//! `vmstat.after`) while something real happens, `iostat -x` saved as `io.log`, and the kernel's
//! log saved as `dmesg.log`. The findings must come out of the copies as counts over the
//! window, with evidence naming both copies, and from the kernel log for the events in the
//! window only.
//!
//! Each test takes about 3 s and loads nothing heavy: a loopback listener that never accepts,
//! or `tail /dev/zero` killed in a 50 MiB memory cgroup (as root). A tool or the cgroup v1
//! memory controller missing skips a test on a developer's machine and fails it in CI (when
//! `CI` is set).

mod common;

use common::{Cgroup, have, memory_controller, never_accepting_listener};

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");

/// The /proc files a colleague copies, and the name each copy takes (`net/netstat` →
/// `net_netstat`).
const COPIED: [&str; 9] = [
    "vmstat",
    "stat",
    "diskstats",
    "net/netstat",
    "net/snmp",
    "pressure/cpu",
    "pressure/memory",
    "pressure/io",
    "loadavg",
];

/// `cat /proc/<file> > <dir>/<file with / as _>.<suffix>` for each copied file.
fn copy_proc(dir: &Path, suffix: &str) {
    for file in COPIED {
        let source = Path::new("/proc").join(file);
        let Ok(text) = std::fs::read(&source) else {
            // /proc/pressure needs a kernel with PSI; the rest is always there.
            assert!(
                file.starts_with("pressure/"),
                "cannot read {}",
                source.display()
            );
            continue;
        };
        let name = format!("{}.{suffix}", file.replace('/', "_"));
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// `dmesg > <dir>/dmesg.log`.
fn save_dmesg(dir: &Path) {
    let output = Command::new("dmesg").env("LC_ALL", "C").output().unwrap();
    assert!(output.status.success(), "dmesg: {:?}", output.status);
    std::fs::write(dir.join("dmesg.log"), output.stdout).unwrap();
}

/// `analyze --format json --data <dir>`, from a folder without ./parsers.
fn analyze(dir: &Path) -> serde_json::Value {
    let output = Command::new(BIN)
        .args(["analyze", "--format", "json", "--data"])
        .arg(dir)
        .current_dir(std::env::temp_dir())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn format_of<'j>(json: &'j serde_json::Value, path: &str) -> &'j str {
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|file| file["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in the files: {:#}", json["files"]))["format"]
        .as_str()
        .unwrap()
}

fn finding<'j>(json: &'j serde_json::Value, id: &str) -> &'j serde_json::Value {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["id"] == id)
        .unwrap_or_else(|| panic!("no {id} finding: {:#}", json["findings"]))
}

fn evidence_files(finding: &serde_json::Value) -> Vec<&str> {
    finding["evidence"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| file.as_str().unwrap())
        .collect()
}

#[test]
fn a_listen_queue_overflowing_between_two_copies_is_found_and_io_log_is_read() {
    if !(have("iostat") && have("dmesg")) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    copy_proc(dir, "before");
    let iostat = Command::new("iostat")
        .args(["-x", "1", "2"])
        .env("LC_ALL", "C")
        .stdout(std::fs::File::create(dir.join("io.log")).unwrap())
        .spawn()
        .unwrap();
    let (listener, port) = never_accepting_listener();
    let clients: Vec<_> = (0..30)
        .map(|_| {
            std::net::TcpStream::connect_timeout(
                &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                Duration::from_millis(200),
            )
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    copy_proc(dir, "after");
    drop(clients);
    // SAFETY: closing the listening socket this test opened.
    unsafe {
        libc::close(listener);
    }
    assert!(iostat.wait_with_output().unwrap().status.success());
    save_dmesg(dir);

    let json = analyze(dir);
    assert_eq!(format_of(&json, "io.log"), "iostat", "a .log file is read");
    assert_eq!(format_of(&json, "dmesg.log"), "kernel-log");
    assert_eq!(format_of(&json, "net_netstat.before"), "procfs");
    assert_eq!(json["not_recognized"], serde_json::json!([]));
    let overflows = finding(&json, "network-listen-overflows");
    assert!(overflows["value"].as_f64().unwrap() >= 1.0, "{overflows:#}");
    assert_eq!(
        evidence_files(overflows),
        ["net_netstat.after", "net_netstat.before"]
    );
    // The copies were read as a pair timed by their files; iostat's devices were judged.
    let warnings = json["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .is_some_and(|w| w.starts_with("net_netstat.after:0: read with net_netstat.before"))),
        "{warnings:#?}"
    );
    assert!(
        json["not_evaluated"]
            .as_array()
            .unwrap()
            .iter()
            .all(|rule| rule["rule"] != "disk-utilization"
                || !rule["why"].as_str().unwrap().starts_with("no data")),
        "iostat.util from io.log: {:#}",
        json["not_evaluated"]
    );
}

#[test]
fn an_oom_kill_in_the_window_is_found_in_the_copies_and_named_by_the_kernel_log() {
    let Some(memory) = memory_controller() else {
        return;
    };
    if !(have("dmesg") && have("tail")) {
        return;
    }
    let cgroup = Cgroup::new(memory, "50M");
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    copy_proc(dir, "before");
    std::thread::sleep(Duration::from_secs(1));
    // `tail /dev/zero` reads one endless line into memory: at the cgroup's 50 MiB it is killed.
    let hog = Command::new("sh")
        .args(["-c", r#"echo $$ > "$0" && exec tail /dev/zero"#])
        .arg(cgroup.0.join("cgroup.procs"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = hog.id().to_string();
    let status = hog.wait_with_output().unwrap().status;
    assert!(!status.success(), "the hog was not killed: {status:?}");
    std::thread::sleep(Duration::from_secs(1));
    copy_proc(dir, "after");
    save_dmesg(dir);

    let json = analyze(dir);
    let counted = finding(&json, "memory-oom-kill");
    assert!(counted["value"].as_f64().unwrap() >= 1.0);
    assert_eq!(evidence_files(counted), ["vmstat.after", "vmstat.before"]);
    let logged = finding(&json, "kernel-cgroup-oom-kill");
    let instance = &logged["evidence"]["instance"];
    assert_eq!(instance["pid"], pid.as_str(), "{logged:#}");
    assert_eq!(instance["comm"], "tail");
    let ours = format!("/{}", cgroup.0.file_name().unwrap().to_string_lossy());
    assert_eq!(instance["memcg"], ours.as_str());
    assert_eq!(evidence_files(logged), ["dmesg.log"]);
    let line = instance["line"].as_str().unwrap();
    let events = json["kernel_events"].as_array().unwrap();
    let row = events
        .iter()
        .find(|event| event["source"] == format!("dmesg.log:{line}").as_str())
        .unwrap_or_else(|| panic!("no kernel event at dmesg.log:{line}: {events:#?}"));
    assert_eq!(row["window"], "in the window");
    // Every cgroup OOM kill logged before the copies is history, not a finding. They are counted
    // in the log the analysis read: the kernel's ring buffer drops its oldest lines when full.
    let saved = std::fs::read_to_string(dir.join("dmesg.log")).unwrap();
    let killed_before = saved
        .matches("Memory cgroup out of memory: Killed process")
        .count()
        - 1;
    let earlier = events
        .iter()
        .filter(|event| {
            event["event"] == "cgroup_oom_kill" && event["window"] == "before the window"
        })
        .count();
    let omitted = json["kernel_events_omitted"].as_u64().unwrap() as usize;
    assert!(
        earlier + omitted >= killed_before,
        "{killed_before} killed before, {earlier} listed as earlier: {events:#?}"
    );
}

/// Copies a colleague took 5 s apart, each with `date` first, while `stress-ng --hdd 2` wrote
/// with fsync (tests/data/scenarios/hand-fsync-writes, taken with scripts/capture-scenarios):
/// the second copy of each counter file measured the whole time since the first, so the rules
/// with `for 5s` are judged on it: the I/O stall share over the window is found, held from
/// the first copy to the second, and no rule is left with "too little data".
#[test]
fn rates_between_two_dated_copies_are_judged_over_the_time_between_them() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/scenarios/hand-fsync-writes");
    let json = analyze(&dir);
    let io = finding(&json, "io-pressure");
    assert_eq!(io["severity"], "medium", "{io:#}");
    let files = evidence_files(io);
    assert!(
        files.contains(&"pressure_io.before") && files.contains(&"pressure_io.after"),
        "{files:?}"
    );
    let window = &io["evidence"]["window"];
    let seconds = window["end"].as_f64().unwrap() - window["start"].as_f64().unwrap();
    assert_eq!(seconds, 5.0, "{window}");
    assert!(io["evidence"]["asked_seconds"].is_null(), "{io:#}");
    let short: Vec<&serde_json::Value> = json["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rule| rule.to_string().contains("too little data"))
        .collect();
    assert!(short.is_empty(), "{short:#?}");
}

//! `analyze` reads only what it can read safely, from anyone's data: FIFOs, devices and links
//! in a tree are listed and skipped (never a hang, never an endless read), a device or FIFO
//! given as `--data` is refused, a folder it may not enter or a name too long for the
//! filesystem is a warning while the rest is judged, and a directory the user may not read at
//! all is the environment's failure (exit 3), as the README says. A file longer than
//! `--max-file-size` is cut, said first among the warnings, and the rest judged.

use std::{
    os::unix::fs::PermissionsExt,
    path::Path,
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");
const VMSTAT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/vmstat/procps-ng-4.0.2-cpu-stress/vmstat.txt"
);

/// `perf_manual analyze --format json --data <data>` as `user` (root when `None`), killed if it
/// has not ended after a minute: a guard against a hang, not a timing.
fn analyze_as(data: &Path, user: Option<&str>) -> Output {
    let mut command = match user {
        Some(user) => {
            let mut command = Command::new("setpriv");
            command.args(["--reuid", user, "--regid", "65534", "--clear-groups", BIN]);
            command
        }
        None => Command::new(BIN),
    };
    let mut child = command
        .args(["analyze", "--format", "json", "--data"])
        .arg(data)
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("analyze --data {} did not end", data.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "{err}: {}",
            String::from_utf8_lossy(&output.stderr).into_owned()
        )
    })
}

fn format_of<'a>(json: &'a serde_json::Value, path: &str) -> &'a str {
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|file| file["path"] == path)
        .unwrap_or_else(|| panic!("{path} not listed: {:#}", json["files"]))["format"]
        .as_str()
        .unwrap_or_default()
}

#[test]
fn fifos_devices_and_links_in_a_tree_are_listed_and_skipped_and_the_rest_judged() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    std::fs::copy(VMSTAT, dir.join("vmstat.txt")).unwrap();
    let fifo = std::ffi::CString::new(dir.join("fifo").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("passwd")).unwrap();

    let output = analyze_as(dir, None);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let json = json(&output);
    for skipped in ["fifo", "zero", "passwd"] {
        assert_eq!(format_of(&json, skipped), "skipped: not a regular file");
    }
    let findings: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        findings,
        ["cpu-utilization"],
        "the vmstat beside them is judged"
    );
}

#[test]
fn a_device_or_a_fifo_given_as_data_is_refused_at_once() {
    let work = tempfile::tempdir().unwrap();
    let fifo = work.path().join("fifo");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    for data in [Path::new("/dev/zero"), &fifo] {
        let output = analyze_as(data, None);
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("not read"), "{stderr}");
    }
}

#[test]
fn a_name_too_long_for_the_filesystem_is_a_warning_and_the_rest_is_judged() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    std::fs::copy(VMSTAT, dir.join("vmstat.txt")).unwrap();
    // Folders nested until their path is longer than PATH_MAX (4096): made one level at a time
    // from inside, as a tarball someone extracted can leave them.
    let deep = dir.join("deep");
    std::fs::create_dir(&deep).unwrap();
    let level = "d".repeat(200);
    let mut cwd = std::fs::File::open(&deep).unwrap();
    for _ in 0..25 {
        use std::os::fd::AsRawFd;
        let name = std::ffi::CString::new(level.as_str()).unwrap();
        assert_eq!(
            unsafe { libc::mkdirat(cwd.as_raw_fd(), name.as_ptr(), 0o700) },
            0
        );
        let fd = unsafe { libc::openat(cwd.as_raw_fd(), name.as_ptr(), libc::O_DIRECTORY) };
        assert!(fd >= 0);
        cwd = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    }
    let output = analyze_as(dir, None);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let json = json(&output);
    let warnings = json["warnings"].to_string();
    assert!(warnings.contains("cannot be read"), "{warnings}");
    assert_eq!(json["findings"][0]["id"], "cpu-utilization");
    // The test's temporary folder cannot remove what it cannot name: take it down from inside.
    Command::new("rm").arg("-rf").arg(&deep).status().unwrap();
}

#[test]
fn a_directory_the_user_may_not_read_exits_3() {
    if unsafe { libc::geteuid() } != 0 {
        return; // setpriv needs root to become another user; root reads anything itself.
    }
    let work = tempfile::tempdir().unwrap();
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = work.path().join("private");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(VMSTAT, dir.join("vmstat.txt")).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let output = analyze_as(&dir, Some("nobody"));
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Permission denied"), "{stderr}");
}

#[test]
fn a_file_longer_than_the_cap_is_cut_with_a_warning_naming_it_and_the_rest_judged() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    std::fs::copy(VMSTAT, dir.join("vmstat.txt")).unwrap();
    let sar = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sar/12.6.1-A-cpu-stress/sar-A.txt"
    );
    std::fs::copy(sar, dir.join("sar.txt")).unwrap();
    let output = Command::new(BIN)
        .args([
            "analyze",
            "--format",
            "json",
            "--max-file-size",
            "16K",
            "--data",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let json = json(&output);
    let first = json["warnings"][0].as_str().unwrap_or_default();
    assert!(
        first.starts_with("sar.txt") && first.contains("--max-file-size"),
        "the cut is the first warning and names the file: {:#}",
        json["warnings"]
    );
    let file = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|file| file["path"] == "sar.txt")
        .unwrap();
    assert_eq!(file["format"], "sar, cut after 16350 bytes", "{file:#}");
    assert_eq!(file["bytes"], std::fs::metadata(sar).unwrap().len());
    // What was read of it is judged, and so is the file beside it.
    assert!(file["records"].as_u64().unwrap() > 0);
    let findings: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["id"].as_str().unwrap())
        .collect();
    assert!(findings.contains(&"cpu-run-queue"), "{findings:?}");
    assert_eq!(format_of(&json, "vmstat.txt"), "vmstat");
    // A size it cannot read is a usage error.
    let bad = Command::new(BIN)
        .args(["analyze", "--max-file-size", "12Q", "--data"])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
}

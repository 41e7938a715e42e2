//! What the integration tests that run real tools share. Each test binary uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the captured fixtures are: `tests/data/<tool>/<variant>/<name>.txt`.
pub const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

/// Every fixture of `tool` (each `<variant>/<name>.txt` below `tests/data/<tool>`), sorted.
pub fn fixtures(tool: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let variants = std::fs::read_dir(Path::new(DATA).join(tool)).expect("a fixture folder");
    for variant in variants {
        let variant = variant.expect("a directory entry").path();
        if !variant.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(variant).expect("a variant folder") {
            let path = file.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "txt") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// A fixture's name in records and warnings: its path under tests/data.
pub fn name_of(path: &Path) -> String {
    path.strip_prefix(DATA)
        .expect("a fixture under tests/data")
        .display()
        .to_string()
}

/// Whether `tool` is on PATH. A missing tool skips the caller's test on a developer's machine
/// and fails it in CI (when `CI` is set): CI must never pass by not testing.
pub fn have(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()));
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is required in CI: .ci/run must install it"
        );
        eprintln!("skipping: {tool} is not installed");
    }
    found
}

/// The path of `examples/NAME`, which `cargo test` builds beside the binary under test.
pub fn example(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_perf_manual"))
        .parent()
        .expect("the binary's folder")
        .join("examples")
        .join(name);
    assert!(
        path.is_file(),
        "cargo test builds examples/{name} (cargo build --examples, when running one test binary)"
    );
    path
}

/// What [`golden_problem`] says of `parsed`, as pretty JSON, against the golden beside
/// `fixture` (`<name>.expected.json` beside `<name>.txt`).
pub fn golden_beside(fixture: &Path, parsed: &impl serde::Serialize) -> Option<String> {
    let actual = serde_json::to_string_pretty(parsed).expect("JSON") + "\n";
    golden_problem(&fixture.with_extension("expected.json"), &actual)
}

/// Fail, listing them, when goldens differ.
pub fn assert_goldens_match(mismatches: &[String]) {
    assert!(
        mismatches.is_empty(),
        "goldens differ (SNAPSHOTS=overwrite regenerates them): {mismatches:#?}"
    );
}

/// Compare `actual` with the golden file at `path`, or write it there when
/// `SNAPSHOTS=overwrite` is set (then read the diff before committing it).
pub fn golden(path: &Path, actual: &str) {
    if let Some(problem) = golden_problem(path, actual) {
        panic!("{problem}");
    }
}

/// What [`golden`] would fail with, or `None` when `actual` matches (or was written): for a
/// test that checks many goldens and lists every one that differs.
pub fn golden_problem(path: &Path, actual: &str) -> Option<String> {
    if std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite") {
        std::fs::write(path, actual).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        return None;
    }
    match std::fs::read_to_string(path) {
        Err(error) => Some(format!(
            "{}: {error}; create it with SNAPSHOTS=overwrite",
            path.display()
        )),
        Ok(expected) if expected != actual => Some(format!(
            "{} differs from what the code produces now; if the change is meant, \
             regenerate with SNAPSHOTS=overwrite and review the diff",
            path.display()
        )),
        Ok(_) => None,
    }
}

/// A TCP socket on 127.0.0.1 listening with a backlog of one (std's listener asks for 128).
pub fn never_accepting_listener() -> (libc::c_int, u16) {
    // SAFETY: plain socket calls on a socket this function owns; the address structs are
    // zeroed and filled before use, and every return value is checked.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0, "socket");
        let mut address: libc::sockaddr_in = std::mem::zeroed();
        address.sin_family = libc::AF_INET as libc::sa_family_t;
        address.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        address.sin_port = 0;
        let length = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(
            libc::bind(fd, (&raw const address).cast(), length),
            0,
            "bind"
        );
        assert_eq!(libc::listen(fd, 1), 0, "listen");
        let mut bound: libc::sockaddr_in = std::mem::zeroed();
        let mut bound_length = length;
        assert_eq!(
            libc::getsockname(fd, (&raw mut bound).cast(), &mut bound_length),
            0
        );
        (fd, u16::from_be(bound.sin_port))
    }
}

/// The cgroup v1 memory controller; `None` (a skip, or a failure in CI) without one.
pub fn memory_controller() -> Option<&'static Path> {
    let memory = Path::new("/sys/fs/cgroup/memory");
    if memory.join("memory.limit_in_bytes").exists() {
        return Some(memory);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI needs the cgroup v1 memory controller"
    );
    eprintln!("skipping: no cgroup v1 memory controller");
    None
}

/// A cgroup v1 memory cgroup with a limit, removed (after its tasks are gone) when dropped.
pub struct Cgroup(pub PathBuf);

impl Cgroup {
    /// Run `argv` inside the cgroup until it ends.
    pub fn run(&self, argv: &[&str]) {
        let status = Command::new("sh")
            .args(["-c", r#"echo $$ > "$0" && exec "$@""#])
            .arg(self.0.join("cgroup.procs"))
            .args(argv)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{argv:?} did not run in the cgroup");
    }

    pub fn new(memory: &Path, limit: &str) -> Cgroup {
        let path = memory.join(format!("perf_manual_test_{}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(path.join("memory.limit_in_bytes"), limit).unwrap();
        Cgroup(path)
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        for _ in 0..50 {
            if std::fs::remove_dir(&self.0).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

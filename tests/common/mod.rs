//! What the integration tests that run real tools share. Each test binary uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

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

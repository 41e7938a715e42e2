//! `doctor` reports the tools and kernel features of this very host, found by trying them.

use std::process::Command;

#[test]
fn doctor_lists_tools_and_kernel_features_as_json() {
    let output = Command::new(env!("CARGO_BIN_EXE_perf_manual"))
        .args(["doctor", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let checks: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let check = |name: &str| {
        checks
            .iter()
            .find(|check| check["name"] == name)
            .unwrap_or_else(|| panic!("doctor does not check {name}"))
    };
    for name in [
        "mpstat",
        "perf",
        "kernel",
        "pressure stall information",
        "cgroup memory counters",
        "disk error counters",
        "link speeds",
    ] {
        check(name);
    }
    // Off-CPU evidence and kernel lock contention are probed by trying them, where perf is.
    if check("perf")["ok"] == true {
        check("perf record -e sched:sched_switch (off-CPU)");
        check("perf lock record (kernel lock contention)");
    }
    // /proc/pressure is on every kernel this project runs on; a missing tool is not a failure of
    // doctor, but in CI the tools are installed and must be found.
    assert_eq!(check("pressure stall information")["ok"], true);
    if std::env::var_os("CI").is_some() {
        for tool in ["mpstat", "iostat", "sar", "pidstat", "perf", "stress-ng"] {
            assert_eq!(check(tool)["ok"], true, "{tool} missing in CI");
        }
        assert_eq!(
            check("perf record -e cpu-clock (software event)")["ok"],
            true
        );
    }
}

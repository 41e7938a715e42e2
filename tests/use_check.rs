//! `use-check` against real processes: a busy loop shows near one CPU, a sleeping process
//! none, a bad target exits 2. Loads last a few seconds and are killed when a test ends.

use std::process::{Child, Command, Output};

use perf_manual::{
    parse::{feeds, unit_of},
    record::{Dataset, HostFacts, Record, target::TargetUsage},
    report::use_check::UseCheckReport,
    rules::builtin::use_check_rules as builtin_rules,
    rules::evaluate_all,
};

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");

/// A child killed and reaped when the test ends, whatever happens.
struct Load(Child);

impl Drop for Load {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(argv: &[&str]) -> Load {
    Load(Command::new(argv[0]).args(&argv[1..]).spawn().unwrap())
}

fn use_check(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("use-check")
        .args(args)
        .output()
        .unwrap()
}

fn json_report(target: &str) -> UseCheckReport {
    let output = use_check(&["--target", target, "--format", "json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn a_busy_loop_uses_about_one_cpu_and_the_table_has_four_resources() {
    let busy = start(&["sh", "-c", "while :; do :; done"]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let report = json_report(&busy.0.id().to_string());
    let usage = &report.target_usage;
    // Near one CPU; other work on a 2-CPU host may take most of it (beside a load of 19 it
    // ran 15 % of the time), but a busy loop is always either on a CPU or waiting in a run
    // queue for one.
    let running_or_waiting = usage.cpu_pct + usage.run_wait_ms_s / 10.0;
    assert!(
        usage.cpu_pct > 0.0 && (80.0..115.0).contains(&running_or_waiting),
        "cpu_pct {}, run_wait_ms_s {}",
        usage.cpu_pct,
        usage.run_wait_ms_s
    );
    // One thread: the busiest thread is the whole of it.
    assert!(
        (usage.busiest_thread_pct - usage.cpu_pct).abs() <= 0.05 * usage.cpu_pct + 1.0,
        "busiest thread {} of {}",
        usage.busiest_thread_pct,
        usage.cpu_pct
    );
    assert!((report.interval_seconds - 1.0).abs() < 0.5);
    assert!(report.target.starts_with(&format!("pid {}", busy.0.id())));
    for resource in ["cpu", "memory", "disk", "network"] {
        let signals: Vec<_> = report
            .rows
            .iter()
            .filter(|row| row.resource == resource)
            .map(|row| row.signal.as_str())
            .collect();
        assert_eq!(
            signals,
            ["utilization", "saturation", "errors"],
            "{resource}"
        );
    }
}

#[test]
fn a_sleeping_process_uses_no_cpu() {
    let idle = start(&["sleep", "30"]);
    let report = json_report(&idle.0.id().to_string());
    assert!(
        report.target_usage.cpu_pct < 2.0,
        "{}",
        report.target_usage.cpu_pct
    );
    assert_eq!(report.target_usage.processes, 1);
}

#[test]
fn a_command_name_gathers_its_processes() {
    let _idle = start(&["sleep", "31"]);
    let report = json_report("sleep");
    assert!(report.target_usage.processes >= 1);
    assert_eq!(report.target, "processes named sleep");
}

#[test]
fn the_text_table_names_every_resource() {
    let idle = start(&["sleep", "30"]);
    let output = use_check(&["--target", &idle.0.id().to_string(), "--interval", "200ms"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for resource in ["cpu", "memory", "disk", "network"] {
        assert!(
            text.lines().any(|line| line.starts_with(resource)),
            "{text}"
        );
    }
}

#[test]
fn a_bad_target_or_interval_exits_2_and_says_why() {
    for args in [
        ["--target", "4294967295", "--interval", "1s"],
        ["--target", "no-such-service-or-command", "--interval", "1s"],
        ["--target", "1", "--interval", "0s"],
        ["--target", "1", "--interval", "soon"],
    ] {
        let output = use_check(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("--target") || stderr.contains("--interval"),
            "{stderr}"
        );
    }
}

#[test]
fn the_builtin_rules_judge_one_interval_of_target_values() {
    let rules = builtin_rules().unwrap();
    let busy = TargetUsage {
        cpu_pct: 190.0,
        cpu_all_pct: 95.0,
        busiest_thread_pct: 95.0,
        run_wait_ms_s: 250.0,
        ..TargetUsage::default()
    };
    let mut records = busy.records(1.0);
    records.push(Record::from_pairs(
        "mpstat",
        1.0,
        &[("cpu", "all")],
        &[("busy", 50.0)],
        "proc/stat.txt",
        1,
    ));
    let host = HostFacts {
        cpus: Some(2),
        ..HostFacts::default()
    };
    let data =
        Dataset::from_records(&records, host, unit_of).with_metrics(&records, feeds(), |_| true);
    let judgement = evaluate_all(&rules, &data);
    assert!(judgement.errors.is_empty(), "{:?}", judgement.errors);
    let fired: Vec<&str> = judgement.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(fired.contains(&"target-cpu-utilization"), "{fired:?}");
    assert!(fired.contains(&"target-cpu-run-wait"), "{fired:?}");
    // 95% of all CPUs is not a single thread's bottleneck.
    assert!(!fired.contains(&"target-cpu-single-thread"), "{fired:?}");
    assert!(!fired.contains(&"host-cpu-utilization"), "{fired:?}");
}

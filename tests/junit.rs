//! `--format junit`, read back by an independent JUnit reader (the junit-parser crate): one
//! test case per rule, a finding at or above `--fail-on` a failure, rules without data skipped
//! with the reason — checked against the same judgement printed as JSON.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn perf_manual(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(root())
        .output()
        .expect("perf_manual runs")
}

fn suite(output: &Output) -> junit_parser::TestSuite {
    let suites = junit_parser::from_reader(std::io::Cursor::new(&output.stdout))
        .unwrap_or_else(|err| panic!("JUnit XML on stdout: {err}"));
    assert_eq!(suites.suites.len(), 1, "one suite per judgement");
    suites.suites.into_iter().next().unwrap()
}

fn ids(cases: &[&junit_parser::TestCase]) -> Vec<String> {
    let mut ids: Vec<String> = cases
        .iter()
        .map(|case| case.original_name.clone())
        .collect();
    ids.sort();
    ids
}

/// The findings at or above `level` and the rules not evaluated, as `--format json` says.
fn from_json(fail_on: &[&str], at_or_above: &[&str]) -> (Vec<String>, Vec<(String, String)>) {
    let args = [
        &["analyze", "--data", "tests/data", "--format", "json"],
        fail_on,
    ]
    .concat();
    let json: serde_json::Value = serde_json::from_slice(&perf_manual(&args).stdout).unwrap();
    let mut failing: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| at_or_above.contains(&f["severity"].as_str().unwrap()))
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    failing.sort();
    let mut skipped: Vec<(String, String)> = json["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let text = |key: &str| n[key].as_str().unwrap().to_string();
            (text("rule"), text("why"))
        })
        .collect();
    skipped.sort();
    (failing, skipped)
}

#[test]
fn analyze_writes_a_case_per_rule_and_fails_the_findings_at_or_above_fail_on() {
    // tests/data holds a service's requests (an nginx access log, probe files): without a
    // playbook, the built-in RED rules judge them beside the USE rules.
    let rules = [
        perf_manual::rules::builtin::use_rules().unwrap(),
        perf_manual::rules::builtin::red_rules().unwrap(),
    ]
    .concat();
    for (fail_on, at_or_above) in [
        (
            &["--fail-on", "medium"][..],
            &["medium", "high", "critical"][..],
        ),
        (&["--fail-on", "high"][..], &["high", "critical"][..]),
        // Without --fail-on, every finding above info fails its case.
        (&[][..], &["low", "medium", "high", "critical"][..]),
    ] {
        let args = [
            &["analyze", "--data", "tests/data", "--format", "junit"],
            fail_on,
        ]
        .concat();
        let output = perf_manual(&args);
        let suite = suite(&output);
        assert_eq!(suite.name, "analyze");
        assert_eq!(suite.cases.len(), rules.len(), "one case per rule");
        let mut names: Vec<&str> = suite
            .cases
            .iter()
            .map(|c| c.original_name.as_str())
            .collect();
        let mut rule_ids: Vec<&str> = rules.iter().map(|r| r.rule().id.as_str()).collect();
        names.sort();
        rule_ids.sort();
        assert_eq!(names, rule_ids);

        let (failing, not_evaluated) = from_json(fail_on, at_or_above);
        let failures: Vec<_> = suite
            .cases
            .iter()
            .filter(|c| c.status.is_failure())
            .collect();
        assert!(!failing.is_empty(), "the fixtures hold findings to fail on");
        assert_eq!(ids(&failures), failing, "{fail_on:?}");
        assert_eq!(suite.failures as usize, failing.len());

        let mut skipped: Vec<(String, String)> = suite
            .cases
            .iter()
            .filter_map(|case| match &case.status {
                junit_parser::TestStatus::Skipped(skip) => {
                    Some((case.original_name.clone(), skip.message.clone()))
                }
                _ => None,
            })
            .collect();
        skipped.sort();
        assert_eq!(skipped, not_evaluated, "skipped with the reason");
        // The exit code follows --fail-on as for every other format.
        let code = output.status.code();
        assert_eq!(code, Some(if fail_on.is_empty() { 0 } else { 1 }));
    }
}

#[test]
fn a_failed_case_carries_the_finding_and_its_evidence() {
    let suite = suite(&perf_manual(&[
        "analyze",
        "--data",
        "tests/data",
        "--format",
        "junit",
        "--fail-on",
        "high",
    ]));
    let case = suite
        .cases
        .iter()
        .find(|case| case.original_name == "network-listen-overflows")
        .expect("the listen-overflow rule's case");
    assert_eq!(case.classname.as_deref(), Some("network.saturation"));
    let junit_parser::TestStatus::Failure(failure) = &case.status else {
        panic!("a high finding fails at --fail-on high: {:?}", case.status);
    };
    assert_eq!(failure.failure_type, "high");
    assert!(
        failure.message.contains("listen queue overflowed"),
        "{}",
        failure.message
    );
    assert!(
        failure.text.contains("tcp.listen_overflows_delta"),
        "{}",
        failure.text
    );
}

#[test]
fn run_writes_junit_too() {
    let work = tempfile::tempdir().unwrap();
    let playbook = work.path().join("procfs.toml");
    std::fs::write(
        &playbook,
        r#"name = "procfs-only"
include = ["RULES/use-memory.toml"]
[[phase]]
name = "use"
time_box = "2s"
steps = ["procfs"]
"#
        .replace(
            "RULES",
            &root().join("playbooks/rules").display().to_string(),
        ),
    )
    .unwrap();
    let out = work.path().join("investigation");
    let output = perf_manual(&[
        "run",
        playbook.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--format",
        "junit",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let suite = suite(&output);
    assert_eq!(suite.name, "procfs-only");
    let memory_rules = std::fs::read_to_string(root().join("playbooks/rules/use-memory.toml"))
        .unwrap()
        .matches("[[rule]]")
        .count();
    assert_eq!(suite.cases.len(), memory_rules);
    assert!(
        out.join("report.md").is_file(),
        "the report is written as ever"
    );
}

//! The scenario matrix, judged: every capture under tests/data/scenarios/ (real loads on this
//! two-CPU VM, taken by scripts/capture-scenarios, most beside a busy neighbour) is analysed
//! as a user would (`analyze --data DIR`, `--pid` where its label names the process under
//! investigation), and the resource named first must be the one the load saturated. The
//! confusion matrix (expected against got) goes to target/scenario-matrix.md, which
//! scripts/scenario-matrix puts into the README.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Command,
};

const BIN: &str = env!("CARGO_BIN_EXE_perf_manual");

/// NAME.toml beside each capture NAME/.
#[derive(serde::Deserialize)]
struct Label {
    load: String,
    neighbour: String,
    /// The resource the load saturates; `none` for idle.
    expect: String,
    /// The process investigated, when there is one.
    pid: Option<u32>,
}

struct Judged {
    name: String,
    label: Label,
    /// The resource of the first finding above info that is the target's own, not a
    /// consequence of another (`none` without one).
    got: String,
    /// The ids of every finding, in rank order.
    ids: Vec<String>,
    verdict: String,
}

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/scenarios")
}

fn analyze(dir: &Path, pid: Option<u32>) -> serde_json::Value {
    let mut command = Command::new(BIN);
    command
        .args(["analyze", "--format", "json", "--data"])
        .arg(dir);
    if let Some(pid) = pid {
        command.args(["--pid", &pid.to_string()]);
    }
    let output = command.output().unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 4)),
        "analyze {} exited {:?}: {}",
        dir.display(),
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

/// The resource named first: the first finding's, when it is above info, the target's own
/// (no neighbour's load explains it) and no consequence of another.
fn named_first(json: &serde_json::Value) -> String {
    let top = &json["findings"][0];
    let own = top["neighbours"].as_array().is_none_or(Vec::is_empty);
    let primary = top["consequence_of"].is_null();
    match top["severity"].as_str() {
        Some(severity) if severity != "info" && own && primary => {
            top["resource"].as_str().unwrap_or("none").to_string()
        }
        _ => "none".to_string(),
    }
}

fn ids(json: &serde_json::Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|finding| finding["id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn judge_all() -> Vec<Judged> {
    let mut labels: Vec<PathBuf> = std::fs::read_dir(scenarios())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    labels.sort();
    labels
        .into_iter()
        .map(|path| {
            let label: Label = toml::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            let dir = path.with_extension("");
            let json = analyze(&dir, label.pid);
            Judged {
                name: dir.file_name().unwrap().to_string_lossy().into_owned(),
                got: named_first(&json),
                ids: ids(&json),
                verdict: json["verdict"].as_str().unwrap_or("").to_string(),
                label,
            }
        })
        .collect()
}

/// `| expected \ got | cpu | disk | ... |`, one row per resource loaded, and the captures
/// behind each cell that is off the diagonal.
fn matrix(judged: &[Judged]) -> String {
    let mut resources: Vec<&str> = judged
        .iter()
        .flat_map(|one| [one.label.expect.as_str(), one.got.as_str()])
        .collect();
    resources.sort();
    resources.dedup();
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for one in judged {
        *counts
            .entry((one.label.expect.as_str(), one.got.as_str()))
            .or_default() += 1;
    }
    let right = judged
        .iter()
        .filter(|one| one.got == one.label.expect)
        .count();
    let mut text = format!(
        "{right} of {} captures named right first.\n\n| loaded \\ named first | {} |\n|---|{}\n",
        judged.len(),
        resources.join(" | "),
        "---|".repeat(resources.len())
    );
    for expected in &resources {
        if !judged.iter().any(|one| one.label.expect == *expected) {
            continue;
        }
        let cells: Vec<String> = resources
            .iter()
            .map(|got| match counts.get(&(*expected, *got)) {
                Some(n) if expected == got => format!("**{n}**"),
                Some(n) => n.to_string(),
                None => "·".to_string(),
            })
            .collect();
        text.push_str(&format!("| {expected} | {} |\n", cells.join(" | ")));
    }
    text.push_str(
        "\n| capture | load | neighbour | named first | verdict |\n|---|---|---|---|---|\n",
    );
    for one in judged {
        text.push_str(&format!(
            "| {} | `{}` | {} | {}{} | {} |\n",
            one.name,
            one.label.load.replace("target/", ""),
            one.label.neighbour,
            one.got,
            if one.got == one.label.expect {
                ""
            } else {
                " ✗"
            },
            one.verdict.replace('|', "\\|")
        ));
    }
    text
}

#[test]
fn every_capture_names_the_loaded_resource_first_and_twice_alike() {
    let judged = judge_all();
    assert!(!judged.is_empty(), "no capture under tests/data/scenarios");
    let table = matrix(&judged);
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("scenario-matrix.md"), &table).unwrap();
    let wrong: Vec<String> = judged
        .iter()
        .filter(|one| one.got != one.label.expect)
        .map(|one| {
            format!(
                "{}: loaded {}, named {} first ({:?})",
                one.name, one.label.expect, one.got, one.ids
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{table}\n{}", wrong.join("\n"));
    // Judged again, every capture gives the same findings in the same order.
    for one in &judged {
        let again = analyze(&scenarios().join(&one.name), one.label.pid);
        assert_eq!(ids(&again), one.ids, "{} judged twice", one.name);
    }
}

/// Re-analysing a pure CPU load's data: the context switches of preempted CPU hogs are not a
/// lock's, so no mutex finding rises above info.
#[test]
fn a_pure_cpu_load_raises_no_mutex_finding() {
    for name in [
        "cpu-saturation",
        "cpu-saturation-neighbour",
        "single-thread",
    ] {
        let label: Label = toml::from_str(
            &std::fs::read_to_string(scenarios().join(format!("{name}.toml"))).unwrap(),
        )
        .unwrap();
        let json = analyze(&scenarios().join(name), label.pid);
        let mutex: Vec<&serde_json::Value> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|finding| finding["resource"] == "mutex" && finding["severity"] != "info")
            .collect();
        assert!(mutex.is_empty(), "{name}: {mutex:#?}");
    }
}

/// One busy thread, alone and beside a neighbour running the same program (`stress-ng --cpu 1`
/// twice on two CPUs): the target's thread is named first as a single-threaded bottleneck, and
/// beside the neighbour every host-wide CPU finding is the neighbour's, named by its PID.
#[test]
fn one_busy_thread_is_named_first_and_a_same_named_neighbour_is_a_neighbour() {
    for name in ["single-thread", "single-thread-neighbour"] {
        let label: Label = toml::from_str(
            &std::fs::read_to_string(scenarios().join(format!("{name}.toml"))).unwrap(),
        )
        .unwrap();
        let pid = label.pid.expect("the capture names its target");
        let json = analyze(&scenarios().join(name), Some(pid));
        let findings = json["findings"].as_array().unwrap();
        let top = &findings[0];
        assert_eq!(top["id"], "cpu-thread-bound", "{name}: {findings:#?}");
        assert_eq!(top["evidence"]["instance"]["pid"], pid.to_string().as_str());
        for finding in findings.iter().skip(1) {
            let primary = finding["consequence_of"].is_null();
            if finding["resource"] != "cpu" || !primary || label.neighbour == "none" {
                continue;
            }
            let named = finding["neighbours"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(
                !named.is_empty() && named.iter().all(|n| n["pid"] != pid),
                "{name}: {finding:#}"
            );
        }
    }
}

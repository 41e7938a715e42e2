//! Parser specs (`parsers/*.toml`): the shipped specs against output captured on this machine
//! (tests/data/spec/<tool>/<variant>/, goldens beside it, rewritten only with
//! `SNAPSHOTS=overwrite`), recognition by content, the schema's drift, located errors, and a
//! tool added by a spec alone going through the analysis to a rule that fires.

mod common;

use common::golden;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use perf_manual::judge::{self, load_specs};
use perf_manual::parse::{
    self,
    spec::{self, ParserSpec},
};
use perf_manual::record::{Dataset, Parsed, Unit};
use perf_manual::rules::Rule;
use perf_manual::rules::{Outcome, Severity, Signal, compile, evaluate};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped specs; loading them must not warn.
fn shipped() -> Vec<ParserSpec> {
    let (specs, warnings) = load_specs(&root().join("parsers"));
    assert_eq!(warnings, vec![], "shipped specs must load cleanly");
    specs
}

fn spec_named<'s>(specs: &'s [ParserSpec], name: &str) -> &'s ParserSpec {
    specs
        .iter()
        .find(|spec| spec.name() == name)
        .unwrap_or_else(|| panic!("no shipped spec {name}"))
}

/// Every file of `tests/data/spec/<tool>/<variant>/` but the golden, parsed by the spec that
/// recognizes it, by file name.
fn parse_variant(tool: &str, variant: &str, specs: &[ParserSpec]) -> BTreeMap<String, Parsed> {
    let dir = variant_dir(tool, variant);
    let mut parsed = BTreeMap::new();
    for entry in fs::read_dir(&dir).expect("fixture directory") {
        let path = entry.expect("directory entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.extension().is_some_and(|ext| ext == "txt") {
            let text = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
            let index = spec::sniff(specs, &text)
                .unwrap_or_else(|| panic!("{}: no spec recognizes it", path.display()));
            parsed.insert(name.clone(), spec::parse(&specs[index], &name, &text));
        }
    }
    parsed
}

fn variant_dir(tool: &str, variant: &str) -> PathBuf {
    root().join("tests/data/spec").join(tool).join(variant)
}

fn check_golden(tool: &str, variant: &str) -> BTreeMap<String, Parsed> {
    let parsed = parse_variant(tool, variant, &shipped());
    let actual = serde_json::to_string_pretty(&parsed).unwrap() + "\n";
    golden(&variant_dir(tool, variant).join("expected.json"), &actual);
    parsed
}

#[test]
fn free_wide_with_repeats_matches_golden() {
    let parsed = check_golden("free", "w");
    let free = &parsed["free.txt"];
    assert_eq!(free.warnings, vec![]);
    let mem: Vec<_> = free
        .records
        .iter()
        .filter(|r| r.labels["kind"] == "Mem")
        .collect();
    assert_eq!(mem.len(), 2, "free -s 1 -c 2 prints two tables");
    assert_eq!((mem[0].time, mem[1].time), (0.0, 1.0));
    assert!(mem[0].fields.contains_key("buffers") && mem[0].fields.contains_key("available"));
    let swap = free
        .records
        .iter()
        .find(|r| r.labels["kind"] == "Swap")
        .unwrap();
    assert_eq!(
        swap.fields.keys().collect::<Vec<_>>(),
        ["free", "total", "used"],
        "the Swap row stops after free"
    );
}

#[test]
fn free_kib_matches_golden() {
    let parsed = check_golden("free", "k");
    let free = &parsed["free.txt"];
    assert_eq!(free.warnings, vec![]);
    assert!(free.records[0].fields.contains_key("buff_cache"));
}

#[test]
fn broken_free_warns_per_line_and_keeps_the_rest() {
    let parsed = check_golden("free", "broken");
    let free = &parsed["free.txt"];
    let lines: Vec<usize> = free.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, vec![3, 5, 10], "{:#?}", free.warnings);
    assert!(free.warnings.iter().all(|w| w.file == "free.txt"));
    assert_eq!(free.records.len(), 3, "Swap, Swap and Mem survive");
}

#[test]
fn ss_summary_matches_golden() {
    let parsed = check_golden("ss", "s");
    let ss = &parsed["ss.txt"];
    assert_eq!(ss.warnings, vec![]);
    let transports: Vec<&str> = ss
        .records
        .iter()
        .map(|r| r.labels["transport"].as_str())
        .collect();
    assert_eq!(transports, ["RAW", "UDP", "TCP", "INET", "FRAG"]);
    assert_eq!(
        ss.records[0].fields.keys().collect::<Vec<_>>(),
        ["ip", "ipv6", "total"]
    );
}

#[test]
fn netstat_interfaces_match_golden() {
    for variant in ["i", "i-c"] {
        let parsed = check_golden("netstat", variant);
        let netstat = &parsed["netstat.txt"];
        assert_eq!(netstat.warnings, vec![], "{variant}");
        let eth0: Vec<_> = netstat
            .records
            .iter()
            .filter(|r| r.labels["iface"] == "eth0")
            .collect();
        assert!(!eth0.is_empty(), "{variant}");
        assert!(!eth0[0].fields.contains_key("flg"), "Flg is ignored");
        assert!(eth0[0].fields.contains_key("rx_ok"));
        let times: Vec<f64> = eth0.iter().map(|r| r.time).collect();
        assert_eq!(times, (0..eth0.len()).map(|i| i as f64).collect::<Vec<_>>());
    }
}

#[test]
fn specs_recognize_by_content_and_leave_other_output_alone() {
    let specs = shipped();
    let text = |path: &str| fs::read_to_string(root().join(path)).unwrap();
    let name_of = |content: &str| spec::sniff(&specs, content).map(|i| specs[i].name());
    assert_eq!(
        name_of(&text("tests/data/spec/free/k/free.txt")),
        Some("free")
    );
    assert_eq!(
        name_of(&text("tests/data/spec/ss/s/ss.txt")),
        Some("ss_summary")
    );
    assert_eq!(
        name_of(&text("tests/data/spec/netstat/i/netstat.txt")),
        Some("netstat_iface")
    );
    assert_eq!(name_of(&text("tests/data/spec/ps/eo/ps.txt")), None);
    assert_eq!(name_of(""), None);
    // The header must be among the first lines: a table far down is not this tool's output.
    let late = "x\n".repeat(spec::RECOGNIZE_LINES) + &text("tests/data/spec/ss/s/ss.txt");
    assert_eq!(name_of(&late), None);
}

#[test]
fn spec_units_reach_the_dataset() {
    let specs = shipped();
    let free = spec_named(&specs, "free");
    let parsed = parse_variant("free", "k", &specs)
        .remove("free.txt")
        .unwrap();
    let units = free.units(&parsed);
    assert_eq!(units["free.available"], Unit::KiB);
    let data = Dataset::from_records(&parsed.records, Default::default(), parse::unit_of)
        .with_units(&units);
    assert_eq!(data.instances("free.available")[0].unit, Unit::KiB);
    assert_eq!(
        spec_named(&specs, "ss_summary").unit_of("total"),
        Unit::Count
    );
}

#[test]
fn shipped_specs_validate_against_the_schema() {
    let schema = perf_manual::schemas::parser_spec();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    for spec in shipped() {
        let instance = serde_json::to_value(&spec.definition).unwrap();
        assert!(validator.is_valid(&instance), "{}", spec.name());
    }
}

#[test]
fn bad_specs_name_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("typo.toml"),
        "name = \"x\"\n[recognize]\nheader = 'a'\n[table]\nlabel_colums = 1\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("regex.toml"),
        "name = \"y\"\n\n[recognize]\nheader = '^(total'\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("good.toml"),
        "name = \"z\"\n[recognize]\nheader = 'z'\n",
    )
    .unwrap();
    let (specs, warnings) = load_specs(dir.path());
    assert_eq!(specs.len(), 1, "the good spec still loads");
    let shown: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    let regex = dir.path().join("regex.toml").display().to_string();
    let typo = dir.path().join("typo.toml").display().to_string();
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert!(
        shown[0].starts_with(&format!("{regex}:4: column 10: ")),
        "{shown:#?}"
    );
    assert!(shown[0].contains("unclosed group"), "{shown:#?}");
    assert!(
        shown[1].starts_with(&format!("{typo}:5: column 1: ")),
        "{shown:#?}"
    );
    assert!(shown[1].contains("label_colums"), "{shown:#?}");
    let err = ParserSpec::from_toml(
        "parsers/typo.toml",
        &fs::read_to_string(dir.path().join("typo.toml")).unwrap(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("parsers/typo.toml:5:1: unknown field `label_colums`"),
        "{err}"
    );
}

/// A team adds `ps -eo pid,comm,rss,vsz,pcpu` with a spec and a rule, and no Rust change.
#[test]
fn a_tool_added_by_a_spec_alone_feeds_a_rule() {
    let parsers = tempfile::tempdir().unwrap();
    fs::write(
        parsers.path().join("ps.toml"),
        r#"name = "ps"
description = "ps -eo pid,comm,rss,vsz,pcpu: memory and CPU per process"
[recognize]
header = '^\s*PID\s+COMMAND\s+RSS\s+VSZ\s+%CPU\s*$'
[table]
labels = ["pid", "comm"]
[[column]]
name = "rss"
unit = "kib"
[[column]]
header = "VSZ"
name = "virtual"
unit = "kib"
[[column]]
name = "cpu"
unit = "percent"
"#,
    )
    .unwrap();
    let (specs, warnings) = load_specs(parsers.path());
    assert_eq!(warnings, vec![]);
    let data_dir = tempfile::tempdir().unwrap();
    fs::create_dir(data_dir.path().join("proc")).unwrap();
    fs::copy(
        root().join("tests/data/spec/ps/eo/ps.txt"),
        data_dir.path().join("proc/ps.txt"),
    )
    .unwrap();
    let analysis = judge::read_dir(data_dir.path(), &specs).unwrap();
    let file = &analysis.files[0];
    assert_eq!(file.note.as_deref(), Some("spec:ps"));
    assert_eq!(analysis.warnings, vec![]);
    assert!(file.records > 50, "every process is a row");
    let data = Dataset::from_records(&analysis.records, Default::default(), parse::unit_of)
        .with_units(&analysis.units);
    let rule = |when: &str| Rule {
        id: "big-process".into(),
        resource: "memory".into(),
        signal: Signal::Utilization,
        when: when.into(),
        severity: Severity::Medium,
        message: "{{instance}} holds {{value}}".into(),
        meaning: String::new(),
        next: String::new(),
        source: String::new(),
        no_data: String::new(),
        explained_by: Vec::new(),
        corroborated_by: Vec::new(),
        alone: None,
    };
    match evaluate(
        &compile(rule("max(ps.rss) > 1MiB and ps.virtual > ps.rss")),
        &data,
    ) {
        Outcome::Fired(finding) => assert!(finding.message.contains("holds"), "{finding:?}"),
        other => panic!("the rule over spec fields should fire, got {other:?}"),
    }
    assert_eq!(
        evaluate(&compile(rule("max(ps.rss) > 100GiB")), &data),
        Outcome::Quiet,
        "KiB is known, so 100 GiB is out of reach"
    );
}

//! Judging a directory of captured data, whoever captured it: read every file, recognize it by
//! content, parse (in parallel with rayon), fill stand-ins from /proc where sysstat was
//! missing, evaluate the rules, and fold any perf script into a profile.
//!
//! `run` judges its own raw_data/ through this same path, so `analyze` on a copy gives the
//! same verdict.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::{
    parse::{
        self, Format,
        sniff::sniff,
        spec::{self, ParserSpec},
    },
    playbook::Rule,
    profile::{self, Folded, HotFunction},
    record::{Dataset, HostFacts, ParseWarning, Record, Unit, fallback},
    rules::eval::{Judgement, evaluate_all},
};

/// Files never judged: the engine's own bookkeeping and binary perf data.
fn is_bookkeeping(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    name == "manifest.json"
        || name.ends_with(".stderr")
        || name.ends_with(".log")
        || name.ends_with(".data")
        || name.ends_with(".data.old")
}

/// How one file was read.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    pub format: Option<Format>,
    pub records: usize,
    pub warnings: usize,
    pub bytes: u64,
    /// Why it was not recognized, when it was not; `spec:<name>` when a parser spec read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A profile built from `perf script` output.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileSummary {
    pub source: String,
    pub total_samples: u64,
    pub top: Vec<HotFunction>,
    #[serde(skip)]
    pub folded: Folded,
}

#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub files: Vec<FileReport>,
    pub warnings: Vec<ParseWarning>,
    pub host: HostFacts,
    /// sysstat tables that were computed from /proc snapshots because the tool's own output was
    /// absent; once judged, only those the rules read.
    pub stand_ins: Vec<String>,
    pub profiles: Vec<ProfileSummary>,
    #[serde(skip)]
    pub records: Vec<Record>,
    /// Units of the series of tables read by parser specs (`free.total` → KiB).
    #[serde(skip)]
    pub units: BTreeMap<String, Unit>,
    #[serde(skip)]
    pub judgement: Judgement,
}

/// Every regular file below `dir`, as paths relative to it, sorted.
pub fn list_files(dir: &Path) -> std::io::Result<Vec<String>> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                walk(base, &path, out)?;
            } else if kind.is_file()
                && let Ok(relative) = path.strip_prefix(base)
            {
                out.push(relative.to_string_lossy().into_owned());
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    files.sort();
    Ok(files)
}

/// Where parser specs are read from, relative to the current directory.
pub const PARSERS_DIR: &str = "parsers";

/// Every `*.toml` parser spec in `dir`, in file-name order (the first that recognizes a file
/// reads it), and a warning for each that could not be read or is wrong. A missing directory
/// is no spec and no warning.
pub fn load_specs(dir: &Path) -> (Vec<ParserSpec>, Vec<ParseWarning>) {
    let mut specs = Vec::new();
    let mut warnings = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (specs, warnings);
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path.display().to_string();
        let loaded = std::fs::read_to_string(&path)
            .map_err(|err| ParseWarning {
                file: name.clone(),
                line: 0,
                message: format!("parser spec not loaded: {err}"),
            })
            .and_then(|text| {
                ParserSpec::from_toml(&name, &text).map_err(|err| ParseWarning {
                    file: name.clone(),
                    line: err.line,
                    message: format!(
                        "column {}: parser spec not loaded: {}",
                        err.column, err.message
                    ),
                })
            });
        match loaded {
            Ok(spec) if specs.iter().any(|s: &ParserSpec| s.name() == spec.name()) => warnings
                .push(ParseWarning {
                    file: name,
                    line: 1,
                    message: format!(
                        "parser spec not loaded: another spec is named {:?}",
                        spec.name()
                    ),
                }),
            Ok(spec) => specs.push(spec),
            Err(warning) => warnings.push(warning),
        }
    }
    (specs, warnings)
}

/// What one file yielded.
struct FileOutcome {
    report: FileReport,
    parsed: crate::record::Parsed,
    profile: Option<ProfileSummary>,
    units: BTreeMap<String, Unit>,
}

fn read_one(dir: &Path, relative: &str, specs: &[ParserSpec]) -> FileOutcome {
    let path: PathBuf = dir.join(relative);
    let mut report = FileReport {
        path: relative.to_string(),
        format: None,
        records: 0,
        warnings: 0,
        bytes: 0,
        note: None,
    };
    let empty = |report: FileReport| FileOutcome {
        report,
        parsed: Default::default(),
        profile: None,
        units: BTreeMap::new(),
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) => {
            report.note = Some(format!("cannot read: {err}"));
            return empty(report);
        }
    };
    report.bytes = bytes.len() as u64;
    if bytes.is_empty() {
        report.note = Some("empty".into());
        return empty(report);
    }
    let text = String::from_utf8_lossy(&bytes);
    if text.contains('\0') {
        report.note = Some("binary".into());
        return empty(report);
    }
    let Some(format) = sniff(&text) else {
        return match spec::sniff(specs, &text).map(|index| &specs[index]) {
            Some(spec) => {
                let parsed = spec::parse(spec, relative, &text);
                report.note = Some(format!("spec:{}", spec.name()));
                report.records = parsed.records.len();
                report.warnings = parsed.warnings.len();
                FileOutcome {
                    report,
                    units: spec.units(&parsed),
                    parsed,
                    profile: None,
                }
            }
            None => {
                report.note = Some("not recognized".into());
                empty(report)
            }
        };
    };
    report.format = Some(format);
    if format == Format::PerfScript {
        return match profile::fold_perf_script(&bytes) {
            Ok(folded) => FileOutcome {
                profile: Some(ProfileSummary {
                    source: relative.to_string(),
                    total_samples: folded.total_samples,
                    top: profile::top_functions(&folded, 15),
                    folded,
                }),
                report,
                parsed: Default::default(),
                units: BTreeMap::new(),
            },
            Err(err) => {
                report.note = Some(format!("perf script could not be folded: {err}"));
                empty(report)
            }
        };
    }
    let parsed = parse::parse(format, relative, &text);
    report.records = parsed.records.len();
    report.warnings = parsed.warnings.len();
    FileOutcome {
        report,
        parsed,
        profile: None,
        units: BTreeMap::new(),
    }
}

/// Read, recognize and parse every file below `dir`; nothing is judged yet. `specs` are tried
/// on the files no built-in parser recognizes.
pub fn read_dir(dir: &Path, specs: &[ParserSpec]) -> std::io::Result<Analysis> {
    let files: Vec<String> = list_files(dir)?
        .into_iter()
        .filter(|file| !is_bookkeeping(file))
        .collect();
    let outcomes: Vec<FileOutcome> = files
        .par_iter()
        .map(|file| read_one(dir, file, specs))
        .collect();
    let mut analysis = Analysis {
        files: Vec::new(),
        warnings: Vec::new(),
        host: HostFacts::default(),
        stand_ins: Vec::new(),
        profiles: Vec::new(),
        records: Vec::new(),
        units: BTreeMap::new(),
        judgement: Judgement::default(),
    };
    for outcome in outcomes {
        analysis.files.push(outcome.report);
        analysis.host.merge(&outcome.parsed.host);
        analysis.records.extend(outcome.parsed.records);
        analysis.warnings.extend(outcome.parsed.warnings);
        analysis.profiles.extend(outcome.profile);
        analysis.units.extend(outcome.units);
    }
    let before: Vec<String> = tables(&analysis.records);
    fallback::fill_missing(&mut analysis.records);
    analysis.stand_ins = tables(&analysis.records)
        .into_iter()
        .filter(|table| !before.contains(table))
        .filter(|table| ["mpstat", "vmstat", "iostat", "sar_dev"].contains(&table.as_str()))
        .collect();
    Ok(analysis)
}

fn tables(records: &[Record]) -> Vec<String> {
    let mut tables: Vec<String> = records.iter().map(|r| r.table.to_string()).collect();
    tables.sort();
    tables.dedup();
    tables
}

/// One row of the syscall table: a process's syscall, summed over the trace.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct SyscallRow {
    pub process: String,
    pub pid: String,
    pub syscall: String,
    pub calls: f64,
    pub errors: f64,
    pub total_ms: f64,
    pub max_ms: f64,
}

impl Analysis {
    /// The syscalls that took the most time in `perf trace -s` summaries, most first.
    pub fn top_syscalls(&self, top: usize) -> Vec<SyscallRow> {
        let label = |record: &Record, name: &str| {
            record
                .labels
                .get(name)
                .map_or_else(String::new, |v| v.to_string())
        };
        let field = |record: &Record, name: &str| record.fields.get(name).copied().unwrap_or(0.0);
        let mut rows: Vec<SyscallRow> = self
            .records
            .iter()
            .filter(|record| record.table == "syscalls")
            .map(|record| SyscallRow {
                process: label(record, "comm"),
                pid: label(record, "pid"),
                syscall: label(record, "syscall"),
                calls: field(record, "calls"),
                errors: field(record, "errors"),
                total_ms: field(record, "total_ms"),
                max_ms: field(record, "max_ms"),
            })
            .collect();
        rows.sort_by(|a, b| b.total_ms.total_cmp(&a.total_ms));
        rows.truncate(top);
        rows
    }

    /// Evaluate `rules` over the records. `host` fills what the files did not reveal.
    pub fn judge(&mut self, rules: &[Rule], host: &HostFacts) {
        let mut facts = self.host.clone();
        facts.merge(host);
        let data = Dataset::from_records(&self.records, facts).with_units(&self.units);
        self.judgement = evaluate_all(rules, &data);
        // A stand-in matters to the reader only where a rule judged with it.
        let read: Vec<String> = rules
            .iter()
            .filter_map(|rule| crate::rules::parse_expression(&rule.when).ok())
            .flat_map(|expr| expr.series_names())
            .collect();
        self.stand_ins.retain(|table| {
            read.iter()
                .any(|series| series.split('.').next() == Some(table.as_str()))
        });
    }

    /// The processes that used the most CPU in pidstat's data, busiest first, leaving out the
    /// observers themselves.
    pub fn busiest_processes(&self, top: usize) -> Vec<u32> {
        const OBSERVERS: [&str; 7] = [
            "perf_manual",
            "pidstat",
            "mpstat",
            "iostat",
            "sar",
            "sadc",
            "perf",
        ];
        let mut usage: std::collections::BTreeMap<u32, (f64, usize)> = Default::default();
        for record in self.records.iter().filter(|r| r.table == "pidstat") {
            let comm = record.labels.get("comm").map_or("", |comm| comm.as_str());
            let Some(pid) = record
                .labels
                .get("pid")
                .and_then(|pid| pid.parse::<u32>().ok())
            else {
                continue;
            };
            if OBSERVERS.contains(&comm) || pid == std::process::id() {
                continue;
            }
            if let Some(&cpu) = record.fields.get("cpu") {
                let entry = usage.entry(pid).or_default();
                entry.0 += cpu;
                entry.1 += 1;
            }
        }
        let mut ranked: Vec<(u32, f64)> = usage
            .into_iter()
            .map(|(pid, (sum, count))| (pid, sum / count.max(1) as f64))
            .filter(|&(_, avg)| avg > 0.0)
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked.into_iter().take(top).map(|(pid, _)| pid).collect()
    }
}

//! One function per command; each reads as the steps of its pipeline.
//!

//! What several commands share lives here, never in a sibling: no command imports another.

pub mod analyze;
pub mod check;
pub mod doctor;
pub mod profile;
pub mod profile_diff;
pub mod red_check;
pub mod regress;
pub mod run;
pub mod schema;
pub mod trace;
pub mod use_check;

use std::path::{Path, PathBuf};

use crate::{
    cli::FailOn,
    exit::{self, Failure},
    judge,
    parse::catalogue::Catalogue,
    playbook::{self, Checked, check::check_with},
    report::{
        ReportData,
        export::{self, Document, ExportError, ReportFormat},
    },
    rules::{Finding, Severity},
};

/// Load and check a playbook; every problem is reported, one line each, and nothing runs. Its
/// rules may read what the parser specs of `./parsers` produce, as the judgement reads them.
pub(crate) fn load_checked(path: &Path) -> Result<Checked, Failure> {
    let loaded = playbook::load(path)?;
    let (specs, _) = judge::load_specs(Path::new(judge::PARSERS_DIR));
    check_with(loaded, &Catalogue::built_in().with_specs(&specs)).map_err(|errors| {
        Failure::bad_input(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })
}

/// A playbook path, or the name of one under ./playbooks.
pub(crate) fn find_playbook(suite: &str) -> PathBuf {
    let path = PathBuf::from(suite);
    if path.exists() || suite.contains('/') {
        return path;
    }
    PathBuf::from("playbooks").join(format!("{suite}.toml"))
}

/// `--duration` text to a duration, or a usage error.
pub(crate) fn parse_duration_flag(
    text: Option<&str>,
) -> Result<Option<std::time::Duration>, Failure> {
    text.map(|text| {
        crate::base::parse_duration(text)
            .map_err(|err| Failure::bad_input(format!("--duration: {err}")))
    })
    .transpose()
}

/// The text of a user's report template (`--template`), or `None` for the shipped one.
pub(crate) fn read_template(path: Option<&Path>) -> Result<Option<String>, Failure> {
    path.map(|path| {
        std::fs::read_to_string(path).map_err(|err| {
            Failure::bad_input(format!("cannot read template {}: {err}", path.display()))
        })
    })
    .transpose()
}

/// A report that could not be written: a wrong template is bad input, the rest the
/// environment's.
pub(crate) fn export_failure(err: ExportError) -> Failure {
    match err {
        ExportError::Template(message) => Failure::bad_input(message),
        ExportError::Io(err) => Failure::environment(format!("cannot write the report: {err}")),
    }
}

/// Print `document` on stdout in `format`.
pub(crate) fn print(format: ReportFormat, document: &Document<'_>) -> Result<(), Failure> {
    export::print(export::exporter(format).as_ref(), document).map_err(export_failure)
}

/// The exit code of a report: [`exit::FINDING`] when a finding is at or above `--fail-on`,
/// else [`exit::INCONCLUSIVE`] when `--fail-on` is given and something could not be judged.
pub(crate) fn exit_code(report: &ReportData, fail_on: Option<FailOn>) -> i32 {
    let Some(level) = fail_on else {
        return exit::SUCCESS;
    };
    let reached = |finding: &Finding| finding.severity >= Severity::from(level);
    if report.findings.iter().any(reached) {
        exit::FINDING
    } else if report.is_open() {
        exit::INCONCLUSIVE
    } else {
        exit::SUCCESS
    }
}

/// A profile read from what a user gave (`profile --data`, `profile-diff`).
pub(crate) struct LoadedProfile {
    /// The file it came from, relative to what was given.
    pub source: String,
    pub folded: crate::profile::Folded,
    /// What its counts are (a folded file does not say: on-CPU samples).
    pub kind: crate::profile::ProfileKind,
    pub header: crate::profile::ScriptHeader,
    /// Why it may be incomplete.
    pub warnings: Vec<String>,
    /// For an off-CPU profile read from a sched_switch recording: time by wait and place.
    pub off_cpu: Option<crate::profile::OffCpu>,
}

/// Every profile in `path` (on-CPU, off-CPU, page faults: what its events say): a folded file, a perf script's text or a perf.data (read
/// with `perf script`), or a directory (an investigation) holding them, read as `analyze`
/// reads it. None is bad input (or the environment's fault, when perf was needed and missing).
pub(crate) fn load_profiles(path: &Path) -> Result<Vec<LoadedProfile>, Failure> {
    use crate::{profile::Folded, record::HostFacts, record::Origin, store::DataDir};
    if !path.exists() {
        return Err(Failure::bad_input(format!(
            "{}: no such file or directory",
            path.display()
        )));
    }
    let name = path.display().to_string();
    if path.is_file() && looks_folded(path) {
        let text = std::fs::read_to_string(path)
            .map_err(|err| Failure::bad_input(format!("cannot read {name}: {err}")))?;
        let folded =
            Folded::from_text(&text).map_err(|err| Failure::bad_input(format!("{name}: {err}")))?;
        return Ok(vec![LoadedProfile {
            source: name,
            folded,
            kind: Default::default(),
            header: Default::default(),
            warnings: Vec::new(),
            off_cpu: None,
        }]);
    }
    let data_dir = DataDir::locate(path);
    let judged = judge::judge(&judge::Request {
        raw_dir: &data_dir.raw_dir,
        rules: &[],
        host: &HostFacts::default(),
        origin: Origin::Captured,
        analysis: None,
        interrupted: None,
        target: None,
        max_file_size: None,
    })?;
    if judged.interrupted {
        return Err(Failure {
            code: exit::INTERRUPTED,
            message: "interrupted while perf script read the data".into(),
        });
    }
    let analysis = judged.analysis;
    let warnings: Vec<String> = analysis
        .warnings
        .iter()
        .filter(|warning| warning.message.starts_with("perf script"))
        .map(|warning| format!("{}: {}", warning.file, warning.message))
        .collect();
    let mut loaded: Vec<LoadedProfile> = analysis
        .profiles
        .into_iter()
        .map(|profile| LoadedProfile {
            source: match path.is_dir() {
                true => data_dir.raw_dir.join(&profile.source).display().to_string(),
                false => name.clone(),
            },
            folded: profile.folded,
            kind: profile.kind,
            header: profile.header,
            warnings: warnings.clone(),
            off_cpu: profile.off_cpu,
        })
        .collect();
    if loaded.is_empty() && path.is_dir() {
        // What an earlier `profile` or `run` kept: its folded stacks.
        let folded = crate::store::Investigation {
            root: path.to_path_buf(),
        }
        .analysis()
        .folded(0);
        if let Ok(text) = std::fs::read_to_string(&folded)
            && let Ok(stacks) = Folded::from_text(&text)
        {
            loaded.push(LoadedProfile {
                source: folded.display().to_string(),
                folded: stacks,
                kind: Default::default(),
                header: Default::default(),
                warnings: Vec::new(),
                off_cpu: None,
            });
        }
    }
    if !loaded.is_empty() {
        return Ok(loaded);
    }
    let reasons: Vec<String> = analysis
        .not_analysed
        .iter()
        .map(|not| {
            let hint = if not.hint.is_empty() {
                String::new()
            } else {
                format!(" ({})", not.hint)
            };
            format!("{}: {}{hint}", not.file, not.why)
        })
        .collect();
    let message = format!(
        "{name}: no profile found (a perf.data, a perf script's text or a folded file){}{}",
        if reasons.is_empty() { "" } else { ": " },
        reasons.join("; ")
    );
    if analysis.not_analysed.iter().any(|not| !not.hint.is_empty()) {
        Err(Failure::environment(message))
    } else {
        Err(Failure::bad_input(message))
    }
}

/// Whether a file's first stack-like line is a folded stack (`a;b;c 12`) rather than perf
/// script's text.
fn looks_folded(path: &Path) -> bool {
    use std::io::Read;
    let mut head = vec![0; 4096];
    let read = std::fs::File::open(path)
        .and_then(|mut file| file.read(&mut head))
        .unwrap_or(0);
    head.truncate(read);
    let text = String::from_utf8_lossy(&head);
    text.lines()
        .map(str::trim_end)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
        .and_then(|line| line.rsplit_once(' '))
        .is_some_and(|(stack, count)| {
            count.parse::<u64>().is_ok() && !stack.trim().is_empty() && !stack.contains(": ")
        })
}

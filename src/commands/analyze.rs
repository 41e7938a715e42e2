//! `perf_manual analyze --data DIR`: judge data captured earlier, by anyone. Also the last
//! stage of `run`, so both give the same verdict on the same files.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{
    analysis::{self, Analysis},
    cli::{AnalyzeArgs, FailOn, OutputFormat},
    collect::{
        manifest::Manifest,
        script::{self, Unavailable},
    },
    exit::{self, Failure},
    profile,
    record::{HostFacts, Record},
    report::{self, Inputs, ReportData, ReportJson},
    rules::{CompiledRule, Severity, builtin},
    store,
};

/// What to judge and where the results go.
pub struct Judge<'a> {
    /// The raw files: a directory, or one file (an archive).
    pub raw_dir: &'a Path,
    /// Where records, findings and the flamegraph are written; `None` writes nothing.
    pub analysis_dir: Option<&'a Path>,
    /// The directory links in the report are relative to.
    pub root: &'a Path,
    pub rules: &'a [CompiledRule],
    pub playbook: &'a str,
    pub summary: &'a str,
    pub status: &'a str,
    pub manifest: Option<&'a Manifest>,
    pub host: &'a HostFacts,
    pub template: Option<&'a Path>,
    /// The run's Ctrl-C flag; `None` (analyze) registers one only if perf script must run.
    pub interrupted: Option<&'a AtomicBool>,
}

/// What a judgement gave.
pub struct Judged {
    pub data: ReportData,
    pub markdown: String,
    pub analysis: Analysis,
    /// Ctrl-C came while perf script ran for analyze (a run watches its own flag).
    pub interrupted: bool,
}

/// Read, parse, judge and render.
pub fn judge_and_render(request: &Judge<'_>) -> Result<Judged, Failure> {
    let (specs, spec_warnings) = analysis::load_specs(Path::new(analysis::PARSERS_DIR));
    let mut analysis = analysis::read_data(request.raw_dir, &specs).map_err(|err| {
        Failure::bad_input(format!("cannot read {}: {err}", request.raw_dir.display()))
    })?;
    analysis.warnings.extend(spec_warnings);
    let interrupted = script_perf_data(&mut analysis, request)?;
    analysis.judge(request.rules, request.host);
    let flamegraphs = match request.analysis_dir {
        Some(dir) => write_analysis(dir, request.root, &analysis)?,
        None => Vec::new(),
    };
    let data = report::assemble(&Inputs {
        playbook: request.playbook,
        summary: request.summary,
        status: request.status,
        directory: &request.root.display().to_string(),
        raw_prefix: &raw_prefix(request.root, request.raw_dir),
        analysis: &analysis,
        rules: request.rules,
        manifest: request.manifest,
        host: request.host,
        flamegraphs: &flamegraphs,
    });
    let template = match request.template {
        Some(path) => std::fs::read_to_string(path).map_err(|err| {
            Failure::bad_input(format!("cannot read template {}: {err}", path.display()))
        })?,
        None => report::TECHNICAL_TEMPLATE.to_string(),
    };
    let markdown = report::render(&template, &data).map_err(Failure::bad_input)?;
    if let Some(dir) = request.analysis_dir {
        store::write_json(&dir.join("findings.json"), &data.findings).map_err(write_error)?;
        store::write_json(&dir.join("report.json"), &data).map_err(write_error)?;
    }
    Ok(Judged {
        data,
        markdown,
        analysis,
        interrupted,
    })
}

/// Have perf script read each perf.data that came without its text, and fold what it
/// printed. Its output is kept in the analysis directory when there is one, else in a private
/// scratch folder removed afterwards. Returns whether Ctrl-C came meanwhile.
fn script_perf_data(analysis: &mut Analysis, request: &Judge<'_>) -> Result<bool, Failure> {
    if analysis.perf_data.is_empty() {
        return Ok(false);
    }
    let registered;
    let interrupted: &AtomicBool = match request.interrupted {
        Some(flag) => flag,
        None => {
            registered = super::run::interrupt_flag()?;
            &registered
        }
    };
    let folder = match request.analysis_dir {
        Some(dir) => store::private_dir(dir).map(|()| dir.to_path_buf()),
        None => scratch_dir(),
    }
    .map_err(write_error)?;
    let base = if request.raw_dir.is_dir() {
        request.raw_dir
    } else {
        request.raw_dir.parent().unwrap_or(Path::new("."))
    };
    for (index, file) in std::mem::take(&mut analysis.perf_data).iter().enumerate() {
        if interrupted.load(Ordering::Relaxed) {
            analysis.add_not_analysed(file, "interrupted before perf script read it".into(), "");
            continue;
        }
        let output = folder.join(format!("perf-data-{index}.script"));
        match script::perf_script(&base.join(file), &output, interrupted) {
            Ok(script) => analysis.add_perf_script(file, &script.text, script.partial),
            Err(Unavailable { why, hint }) => analysis.add_not_analysed(file, why, &hint),
        }
    }
    if request.analysis_dir.is_none() {
        let _ = std::fs::remove_dir_all(&folder);
    }
    Ok(request.interrupted.is_none() && interrupted.load(Ordering::Relaxed))
}

/// `raw_data/` when the raw files sit in a folder below the report's root, else empty.
fn raw_prefix(root: &Path, raw_dir: &Path) -> String {
    match raw_dir.strip_prefix(root) {
        Ok(relative) if !relative.as_os_str().is_empty() => {
            format!("{}/", relative.display())
        }
        _ => String::new(),
    }
}

fn write_error(err: std::io::Error) -> Failure {
    Failure::environment(format!("cannot write the analysis: {err}"))
}

/// records.json, files.json, and per profile a folded file and a flamegraph.
/// Returns (profile source, flamegraph path relative to `root`).
fn write_analysis(
    dir: &Path,
    root: &Path,
    analysis: &Analysis,
) -> Result<Vec<(String, String)>, Failure> {
    store::private_dir(dir).map_err(write_error)?;
    store::write_json(&dir.join("records.json"), &analysis.records).map_err(write_error)?;
    store::write_json(&dir.join("files.json"), analysis).map_err(write_error)?;
    let mut flamegraphs = Vec::new();
    for (index, summary) in analysis.profiles.iter().enumerate() {
        let stem = if index == 0 {
            "profile".to_string()
        } else {
            format!("profile-{index}")
        };
        store::write_atomic(
            &dir.join(format!("{stem}.folded")),
            summary.folded.to_text().as_bytes(),
        )
        .map_err(write_error)?;
        let title = format!("On-CPU: {}", summary.source);
        if let Ok(svg) = profile::flamegraph_svg(&summary.folded, &title) {
            let name = if index == 0 {
                "flamegraph.svg".to_string()
            } else {
                format!("flamegraph-{index}.svg")
            };
            let path = dir.join(&name);
            store::write_atomic(&path, &svg).map_err(write_error)?;
            let relative = path
                .strip_prefix(root)
                .map(Path::to_path_buf)
                .unwrap_or(path);
            flamegraphs.push((summary.source.clone(), relative.display().to_string()));
        }
    }
    Ok(flamegraphs)
}

/// A new private folder in the temporary directory. Not `private_dir`: `mkdir` alone refuses a
/// folder that exists (or a symlink planted at its name), so nobody else's is written into.
fn scratch_dir() -> std::io::Result<std::path::PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    let path =
        std::env::temp_dir().join(format!("perf_manual-script-{}-{nanos}", std::process::id()));
    std::fs::DirBuilder::new().mode(0o700).create(&path)?;
    Ok(path)
}

/// The exit code for a set of ranked findings.
pub fn exit_code(data: &ReportData, fail_on: Option<FailOn>) -> i32 {
    match fail_on {
        Some(level)
            if data
                .findings
                .iter()
                .any(|f| f.severity >= Severity::from(level)) =>
        {
            exit::FINDING
        }
        _ => exit::SUCCESS,
    }
}

/// Print the result: JSON (with `records` when given), or the verdict and where the report is.
pub fn print_result(
    data: &ReportData,
    records: Option<&[Record]>,
    format: OutputFormat,
    report_path: Option<&Path>,
) {
    match format {
        OutputFormat::Json => {
            // Streamed: the records may be many, and are not copied to be printed.
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let json = ReportJson {
                report: data,
                records,
            };
            let _ = serde_json::to_writer_pretty(&mut out, &json)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
                .and_then(|()| out.flush());
        }
        OutputFormat::Text => {
            println!("{}", data.verdict);
            for finding in data.findings.iter().take(5) {
                println!(
                    "  [{}] {} {}: {}",
                    finding.severity.as_str(),
                    finding.resource,
                    finding.signal.as_str(),
                    finding.message
                );
            }
            if let Some(path) = report_path {
                println!("report: {}", path.display());
            }
        }
    }
}

pub fn analyze(args: &AnalyzeArgs) -> Result<i32, Failure> {
    if !args.data.exists() {
        return Err(Failure::bad_input(format!(
            "--data {}: no such directory or file",
            args.data.display()
        )));
    }
    // An investigation directory keeps its raw files under raw_data/ and its playbook beside.
    let investigation = args.data.join("raw_data").is_dir();
    let raw_dir = if investigation {
        args.data.join("raw_data")
    } else {
        args.data.clone()
    };
    let saved_playbook = args.data.join("playbook.toml");
    let playbook_path = args
        .playbook
        .clone()
        .or_else(|| saved_playbook.is_file().then_some(saved_playbook));
    let (name, summary, rules) = match &playbook_path {
        Some(path) => {
            let loaded = super::load_checked(path)?;
            (
                loaded.playbook.name.clone(),
                loaded.playbook.summary.clone(),
                loaded.rules,
            )
        }
        None => (
            "analyze".to_string(),
            "Judged with the built-in USE rules.".to_string(),
            builtin::use_rules().map_err(Failure::bad_input)?,
        ),
    };
    let manifest: Option<Manifest> = std::fs::read(raw_dir.join("manifest.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let host = HostFacts::default();
    let judged = judge_and_render(&Judge {
        raw_dir: &raw_dir,
        analysis_dir: None,
        root: &args.data,
        rules: &rules,
        playbook: &name,
        summary: &summary,
        status: "analyzed",
        manifest: manifest.as_ref(),
        host: &host,
        template: args.template.as_deref(),
        interrupted: None,
    })?;
    let (data, records) = (&judged.data, Some(judged.analysis.records.as_slice()));
    match &args.output {
        Some(path) => {
            store::write_atomic(path, judged.markdown.as_bytes()).map_err(|err| {
                Failure::environment(format!("cannot write {}: {err}", path.display()))
            })?;
            print_result(data, records, args.format, Some(path));
        }
        None if args.format == OutputFormat::Json => print_result(data, records, args.format, None),
        None => print!("{}", judged.markdown),
    }
    if judged.interrupted {
        return Ok(exit::INTERRUPTED);
    }
    Ok(exit_code(data, args.fail_on))
}

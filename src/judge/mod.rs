//! The judge stage, shared by every command that judges data (`run` at its end and between
//! phases, `analyze`, and the commands to come): read → parse → stand-ins → evaluate →
//! findings.
//!
//! Reading a directory of captured data, whoever captured it: every file is recognized by
//! content and parsed (in parallel with rayon), stand-ins are filled from /proc where sysstat
//! was missing, perf scripts are folded into profiles (a perf.data without its script is read
//! with `perf script` first), and the rules are evaluated. `run` judges its own raw_data/
//! through this same path, so `analyze` on a copy gives the same verdict.

mod analysis;
mod copies;
mod kernel;
mod read;
mod specs;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

pub use analysis::{Analysis, FileReport, NotAnalysed, ProfileSummary, Wanted};
pub(crate) use kernel::{EARLIER, UNPLACED};
pub use read::{
    MAX_FILE_SIZE, MEMBER_LIMIT, Reading, STREAMED_TABLE, list_files, read_bytes, read_data,
    read_data_with, read_dir, read_dir_with,
};
pub use specs::{PARSERS_DIR, load_specs, shipped_and_local};

use crate::{
    collect::{
        process::interrupt_flag,
        script::{self, Unavailable},
    },
    exit::Failure,
    profile,
    record::{HostFacts, Origin},
    rules::CompiledRule,
    store::{self, AnalysisFiles, ScratchDir},
};

/// What to judge, and with what.
pub struct Request<'a> {
    /// The raw files: a directory, or one file (an archive).
    pub raw_dir: &'a Path,
    pub rules: &'a [CompiledRule],
    /// What is known of the host beyond what the files reveal (a run knows its own).
    pub host: &'a HostFacts,
    /// Whether the files were just sampled on this host (a run with the /proc sampler) or
    /// captured elsewhere: what a series missing from them says.
    pub origin: Origin,
    /// Where `perf script` keeps the text of a perf.data that came without it; `None` keeps it
    /// in a scratch folder removed afterwards.
    pub analysis: Option<&'a AnalysisFiles>,
    /// The run's Ctrl-C flag; `None` (analyze) registers one only if perf script must run.
    pub interrupted: Option<&'a AtomicBool>,
    /// The process investigated (`--pid`): findings other processes' load explains are
    /// told as a neighbour's (`Analysis::attribute`).
    pub target: Option<u32>,
    /// The most read of any one file (`analyze --max-file-size`); `None`: [`MAX_FILE_SIZE`].
    pub max_file_size: Option<u64>,
}

/// What a judgement gave.
pub struct Judged {
    pub analysis: Analysis,
    /// Ctrl-C came while perf script ran for analyze (a run watches its own flag).
    pub interrupted: bool,
}

/// Read, parse, fill stand-ins, fold profiles, evaluate the rules.
pub fn judge(request: &Request<'_>) -> Result<Judged, Failure> {
    let (specs, spec_warnings) = shipped_and_local(Path::new(PARSERS_DIR));
    let feeds: Vec<crate::record::Feed> = crate::parse::feeds()
        .iter()
        .cloned()
        .chain(specs.iter().flat_map(crate::parse::spec::ParserSpec::feeds))
        .collect();
    let wanted = Wanted::of(request.rules, &feeds);
    let reading = Reading {
        max_file_size: request.max_file_size.unwrap_or(MAX_FILE_SIZE),
        keep: &|table, field| wanted.reads(table, field),
        ..Reading::default()
    };
    let mut analysis = read_data_with(request.raw_dir, &specs, &reading).map_err(|err| {
        let message = format!("cannot read {}: {err}", request.raw_dir.display());
        // A directory this user may not read is the environment's doing, not bad input.
        match err.kind() {
            std::io::ErrorKind::PermissionDenied => Failure::environment(message),
            _ => Failure::bad_input(message),
        }
    })?;
    analysis.warnings.extend(spec_warnings);
    let interrupted = script_perf_data(&mut analysis, request)?;
    if let Some(pid) = request.target {
        analysis.keep_threads_of(pid);
    }
    analysis.judge(request.rules, request.host, request.origin);
    if let Some(pid) = request.target {
        analysis.attribute(pid, request.rules);
    }
    Ok(Judged {
        analysis,
        interrupted,
    })
}

/// Have perf script read each perf.data that came without its text, and fold what it
/// printed. Returns whether Ctrl-C came meanwhile.
fn script_perf_data(analysis: &mut Analysis, request: &Request<'_>) -> Result<bool, Failure> {
    if analysis.perf_data.is_empty() && analysis.perf_data_members.is_empty() {
        return Ok(false);
    }
    let registered;
    let interrupted: &AtomicBool = match request.interrupted {
        Some(flag) => flag,
        None => {
            registered = interrupt_flag()?;
            &registered
        }
    };
    // Kept in the analysis folder when there is one; else in scratch, removed when dropped.
    let scratch = match request.analysis {
        Some(files) => {
            store::private_dir(&files.dir).map_err(write_error)?;
            None
        }
        None => Some(ScratchDir::new("script").map_err(write_error)?),
    };
    let folder = match (request.analysis, &scratch) {
        (Some(files), _) => files.dir.as_path(),
        (None, scratch) => scratch.as_ref().map_or(Path::new("."), ScratchDir::path),
    };
    let base = if request.raw_dir.is_dir() {
        request.raw_dir
    } else {
        request.raw_dir.parent().unwrap_or(Path::new("."))
    };
    let on_disk = std::mem::take(&mut analysis.perf_data);
    for (index, file) in on_disk.iter().enumerate() {
        let output = store::perf_script_in(folder, index);
        script_into(analysis, file, &base.join(file), &output, interrupted);
    }
    let members = std::mem::take(&mut analysis.perf_data_members);
    if !members.is_empty() {
        // A private copy of each, removed with the scratch folder when done.
        let copies = ScratchDir::new("perf-data").map_err(write_error)?;
        for (index, (label, bytes)) in members.into_iter().enumerate() {
            let copy = copies.path().join(format!("{index}.perf.data"));
            if !interrupted.load(Ordering::Relaxed) {
                store::write_atomic(&copy, &bytes).map_err(write_error)?;
            }
            drop(bytes);
            let output = store::perf_script_in(folder, on_disk.len() + index);
            script_into(analysis, &label, &copy, &output, interrupted);
            let _ = std::fs::remove_file(&copy);
        }
    }
    Ok(request.interrupted.is_none() && interrupted.load(Ordering::Relaxed))
}

/// Have perf script read `data` (the perf.data known as `label`) into `output` and hand its
/// text to the analysis, or say why it was not analysed.
fn script_into(
    analysis: &mut Analysis,
    label: &str,
    data: &Path,
    output: &Path,
    interrupted: &AtomicBool,
) {
    if interrupted.load(Ordering::Relaxed) {
        analysis.add_not_analysed(label, "interrupted before perf script read it".into(), "");
        return;
    }
    match script::perf_script(data, output, interrupted) {
        Ok(script) => analysis.add_perf_script(label, &script.text, script.partial),
        Err(Unavailable { why, hint }) => analysis.add_not_analysed(label, why, &hint),
    }
}

fn write_error(err: std::io::Error) -> Failure {
    Failure::environment(format!("cannot write the analysis: {err}"))
}

/// Write what the judgement read into the analysis folder: records.json, files.json, and per
/// profile its folded stacks and flamegraph. Returns (profile source, flamegraph path relative
/// to `root`) for each flamegraph drawn.
pub(crate) fn write_artefacts(
    analysis: &Analysis,
    files: &AnalysisFiles,
    root: &Path,
) -> Result<Vec<(String, String)>, Failure> {
    store::private_dir(&files.dir).map_err(write_error)?;
    store::write_json(&files.records(), &analysis.records).map_err(write_error)?;
    store::write_json(&files.files(), analysis).map_err(write_error)?;
    let mut flamegraphs = Vec::new();
    for (index, summary) in analysis.profiles.iter().enumerate() {
        store::write_atomic(&files.folded(index), summary.folded.to_text().as_bytes())
            .map_err(write_error)?;
        if let Ok((svg, _)) = profile::flamegraph_svg(&summary.folded, &summary.caption()) {
            let path = files.flamegraph(index);
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

/// Draw each profile's flamegraph beside a report written at `report` (`analyze --output
/// report.md` → `report.flamegraph.svg`). Returns (profile source, flamegraph path relative
/// to the report's folder) for each drawn.
pub(crate) fn write_flamegraphs_beside(
    analysis: &Analysis,
    report: &Path,
) -> Result<Vec<(String, String)>, Failure> {
    let mut flamegraphs = Vec::new();
    for (index, summary) in analysis.profiles.iter().enumerate() {
        if let Ok((svg, _)) = profile::flamegraph_svg(&summary.folded, &summary.caption()) {
            let path = store::flamegraph_beside(report, index);
            store::write_atomic(&path, &svg).map_err(write_error)?;
            let name = path
                .file_name()
                .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
            flamegraphs.push((summary.source.clone(), name));
        }
    }
    Ok(flamegraphs)
}

/// `raw_data/` when the raw files sit in a folder below the report's root, else empty.
pub(crate) fn raw_prefix(root: &Path, raw_dir: &Path) -> String {
    match raw_dir.strip_prefix(root) {
        Ok(relative) if !relative.as_os_str().is_empty() => {
            format!("{}/", relative.display())
        }
        _ => String::new(),
    }
}

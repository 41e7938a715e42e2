//! Judging a directory of captured data, whoever captured it: read every file, recognize it by
//! content, parse (in parallel with rayon), fill stand-ins from /proc where sysstat was
//! missing, evaluate the rules, and fold any perf script into a profile.
//!
//! `run` judges its own raw_data/ through this same path, so `analyze` on a copy gives the
//! same verdict.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use rayon::prelude::*;
use serde::Serialize;

use crate::{
    parse::{
        self, Format,
        sniff::{CONTAINER_HEAD, Container, HEAD_BYTES, sniff, sniff_container},
        spec::{self, ParserSpec},
    },
    profile::{self, Folded, HotFunction, ProfileError},
    record::{Dataset, HostFacts, ParseWarning, Record, Unit, fallback},
    rules::Rule,
    rules::eval::{Judgement, evaluate_all},
};

/// Files never judged: the engine's own bookkeeping, and the previous perf.data perf keeps.
fn is_bookkeeping(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    name == "manifest.json"
        || name.ends_with(".stderr")
        || name.ends_with(".log")
        || name.ends_with(".data.old")
}

/// The most read from one archive member or one gzip-compressed file; larger ones are skipped
/// with a warning, so a core dump someone swept into a tarball cannot exhaust memory.
pub const MEMBER_LIMIT: u64 = 256 << 20;

/// How deep archives inside archives are opened (a .tgz of rotated .gz logs is two levels).
/// A limit, because an archive can contain itself.
const ARCHIVE_DEPTH: usize = 4;

/// How one file was read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileReport {
    /// Relative to the data directory; an archive member is `archive.tgz!/path/in/archive`.
    pub path: String,
    pub format: Option<Format>,
    pub records: usize,
    pub warnings: usize,
    pub bytes: u64,
    /// Why it was not recognized, when it was not; `spec:<name>` when a parser spec read it;
    /// what kind of container it is (`tar archive`, `perf-data`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A file that was found but could not be judged, and how to fix that.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct NotAnalysed {
    pub file: String,
    pub why: String,
    /// What to install or do so that it can be judged; empty when nothing would help.
    pub hint: String,
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

impl ProfileSummary {
    /// Fold `perf script` text read from `source`.
    fn fold(source: &str, script: &[u8]) -> Result<ProfileSummary, String> {
        ProfileSummary::of(source, profile::fold_perf_script(script))
    }

    fn of(source: &str, folded: Result<Folded, ProfileError>) -> Result<ProfileSummary, String> {
        let folded = folded.map_err(|err| format!("perf script could not be folded: {err}"))?;
        Ok(ProfileSummary {
            source: source.to_string(),
            total_samples: folded.total_samples,
            top: profile::top_functions(&folded, 15),
            folded,
        })
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Analysis {
    pub files: Vec<FileReport>,
    pub warnings: Vec<ParseWarning>,
    pub host: HostFacts,
    /// sysstat tables that were computed from /proc snapshots because the tool's own output was
    /// absent; once judged, only those the rules read.
    pub stand_ins: Vec<String>,
    pub profiles: Vec<ProfileSummary>,
    pub not_analysed: Vec<NotAnalysed>,
    /// perf.data files on disk with no perf script beside them, relative to the data
    /// directory: the caller has `perf script` read them (only `collect/` spawns) and hands
    /// the text to [`Analysis::add_perf_script`].
    #[serde(skip)]
    pub perf_data: Vec<String>,
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

/// What one file (or archive member) yielded.
#[derive(Default)]
struct FileOutcome {
    report: FileReport,
    parsed: crate::record::Parsed,
    profile: Option<ProfileSummary>,
    units: BTreeMap<String, Unit>,
    not_analysed: Option<NotAnalysed>,
    /// A perf.data file on disk, for `perf script` to read.
    perf_data: bool,
}

impl FileOutcome {
    fn new(path: &str) -> FileOutcome {
        FileOutcome {
            report: FileReport {
                path: path.to_string(),
                ..FileReport::default()
            },
            ..FileOutcome::default()
        }
    }

    fn noted(path: &str, note: impl Into<String>) -> FileOutcome {
        let mut outcome = FileOutcome::new(path);
        outcome.report.note = Some(note.into());
        outcome
    }

    /// Keep a folded profile, or say in the note why the perf script gave none.
    fn set_profile(&mut self, profile: Result<ProfileSummary, String>) {
        match profile {
            Ok(profile) => self.profile = Some(profile),
            Err(why) => self.report.note = Some(why),
        }
    }

    fn warn(&mut self, file: &str, message: String) {
        self.parsed.warnings.push(ParseWarning {
            file: file.to_string(),
            line: 0,
            message,
        });
        self.report.warnings += 1;
    }
}

/// Recognize the text of one file by content and parse it. `label` names it in the report and
/// in the records' source.
fn read_text(label: &str, bytes: &[u8], specs: &[ParserSpec]) -> FileOutcome {
    let mut outcome = FileOutcome::new(label);
    outcome.report.bytes = bytes.len() as u64;
    if bytes.is_empty() {
        outcome.report.note = Some("empty".into());
        return outcome;
    }
    let text = String::from_utf8_lossy(bytes);
    if text.contains('\0') {
        outcome.report.note = Some("binary".into());
        return outcome;
    }
    let Some(format) = sniff(&text) else {
        match spec::sniff(specs, &text).map(|index| &specs[index]) {
            Some(spec) => {
                let parsed = spec::parse(spec, label, &text);
                outcome.report.note = Some(format!("spec:{}", spec.name()));
                outcome.report.records = parsed.records.len();
                outcome.report.warnings = parsed.warnings.len();
                outcome.units = spec.units(&parsed);
                outcome.parsed = parsed;
            }
            None => outcome.report.note = Some("not recognized".into()),
        }
        return outcome;
    };
    outcome.report.format = Some(format);
    if format == Format::PerfScript {
        outcome.set_profile(ProfileSummary::fold(label, bytes));
        return outcome;
    }
    let parsed = parse::parse(format, label, &text);
    outcome.report.records = parsed.records.len();
    outcome.report.warnings = parsed.warnings.len();
    outcome.parsed = parsed;
    outcome
}

/// Where an input was found, which decides what can be done with it.
#[derive(Clone, Copy)]
struct Place {
    /// A file of its own on disk (not a member of an archive nor a decompressed stream):
    /// only such a perf.data can be given to `perf script`.
    on_disk: bool,
    /// How many archives (or gzip streams) it is inside.
    depth: usize,
}

/// Read one input from `reader`: a perf.data, a tar archive (each member read in turn), a
/// gzip stream, or text. Pushes what it yielded to `out`. `Err` means `reader` failed before
/// its end: what was read is in `out`, and the caller says which container broke.
fn read_input(
    label: &str,
    reader: &mut dyn Read,
    place: Place,
    specs: &[ParserSpec],
    out: &mut Vec<FileOutcome>,
) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(CONTAINER_HEAD);
    reader.take(CONTAINER_HEAD as u64).read_to_end(&mut head)?;
    let container = sniff_container(&head);
    if container.is_some_and(|kind| kind != Container::PerfData) && place.depth >= ARCHIVE_DEPTH {
        out.push(FileOutcome::noted(
            label,
            format!("archive nested more than {ARCHIVE_DEPTH} deep: not opened"),
        ));
        return Ok(());
    }
    let mut whole = head.as_slice().chain(reader);
    let inner = Place {
        on_disk: false,
        depth: place.depth + 1,
    };
    match container {
        Some(Container::PerfData) => {
            let mut outcome = FileOutcome::noted(label, "perf-data");
            if place.on_disk {
                outcome.perf_data = true;
            } else {
                outcome.report.note = Some("perf-data: not analysed".into());
                outcome.not_analysed = Some(NotAnalysed {
                    file: label.to_string(),
                    why: "perf.data inside an archive or compressed: perf script reads only a \
                          file on disk"
                        .into(),
                    hint: "extract it and analyze the directory".into(),
                });
            }
            out.push(outcome);
            Ok(())
        }
        Some(Container::Tar) => {
            read_tar(label, &mut whole, inner, specs, out);
            Ok(())
        }
        Some(Container::Gzip) => read_input(label, &mut GzDecoder::new(whole), inner, specs, out),
        None => {
            let mut bytes = Vec::new();
            let limit = if place.on_disk {
                u64::MAX
            } else {
                MEMBER_LIMIT + 1
            };
            let read = whole.take(limit).read_to_end(&mut bytes);
            if bytes.len() as u64 > MEMBER_LIMIT && !place.on_disk {
                out.push(too_large(label));
                return Ok(());
            }
            out.push(read_text(label, &bytes, specs));
            read.map(drop)
        }
    }
}

/// Read one input held in memory as `analyze` reads a member of an archive: a tar or gzip
/// stream is opened (members capped, nesting bounded), text is sniffed and parsed. Returns
/// how many files it yielded and how many records they gave. For fuzzing the archive readers
/// on any bytes; `analyze` itself reads from disk.
pub fn read_bytes(label: &str, bytes: &[u8], specs: &[ParserSpec]) -> (usize, usize) {
    let mut out = Vec::new();
    let place = Place {
        on_disk: false,
        depth: 0,
    };
    let result = read_input(label, &mut &bytes[..], place, specs, &mut out);
    finish_input(label, bytes.len() as u64, result, &mut out);
    let records = out.iter().map(|outcome| outcome.parsed.records.len()).sum();
    (out.len(), records)
}

fn too_large(label: &str) -> FileOutcome {
    let mut outcome = FileOutcome::noted(label, "too large: skipped");
    outcome.warn(
        label,
        format!(
            "more than {} MiB, the most read from an archive member or a compressed file: \
             skipped",
            MEMBER_LIMIT >> 20
        ),
    );
    outcome
}

/// Each regular file of a tar archive, read like a file of its own and named
/// `label!/member`. Member names are only labels: nothing is written. A corrupt or truncated
/// archive is warned about, naming it, and what was read before is kept.
fn read_tar(
    label: &str,
    reader: &mut dyn Read,
    place: Place,
    specs: &[ParserSpec],
    out: &mut Vec<FileOutcome>,
) {
    let mut archive = tar::Archive::new(reader);
    let mut summary = FileOutcome::new(label);
    let mut members = 0;
    let mut members_out = Vec::new();
    let mut each = || -> std::io::Result<()> {
        for entry in archive.entries()? {
            let mut entry = entry?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = member_name(&entry.path_bytes());
            if name.is_empty() || is_bookkeeping(&name) {
                continue;
            }
            members += 1;
            let member = format!("{label}!/{name}");
            if entry.size() > MEMBER_LIMIT {
                members_out.push(too_large(&member));
                continue;
            }
            let first = members_out.len();
            let result = read_input(&member, &mut entry, place, specs, &mut members_out);
            if let Err(err) = result {
                // Its own content broke (a corrupt .gz inside) when the rest of it can still be
                // read from the archive: the archive goes on.
                std::io::copy(&mut entry, &mut std::io::sink())?;
                if members_out.len() == first {
                    members_out.push(FileOutcome::noted(&member, "not readable"));
                }
                if let Some(outcome) = members_out.get_mut(first) {
                    outcome.warn(
                        &member,
                        format!("not read to its end (corrupt or truncated?): {err}"),
                    );
                }
            }
            // What was not read whole (a perf.data) still shows its size.
            if let Some(outcome) = members_out.get_mut(first) {
                outcome.report.bytes = outcome.report.bytes.max(entry.size());
            }
        }
        Ok(())
    };
    let result = each();
    let files = if members == 1 { "file" } else { "files" };
    let note = match result {
        Ok(()) => format!("tar archive ({members} {files})"),
        Err(err) => {
            summary.warn(
                label,
                format!(
                    "archive corrupt or truncated after {members} {files}, the rest not read: \
                     {err}"
                ),
            );
            format!("tar archive ({members} {files}, truncated)")
        }
    };
    summary.report.note = Some(note);
    out.push(summary);
    out.extend(members_out);
}

/// A member's name as a label: lossy UTF-8, without `./` and empty parts, control characters
/// shown as `?` so a name cannot rewrite the terminal that prints it.
fn member_name(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect::<Vec<_>>()
        .join("/")
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Everything one file below the data directory yielded (many outcomes for an archive).
fn read_file(dir: &Path, relative: &str, specs: &[ParserSpec]) -> Vec<FileOutcome> {
    let path = dir.join(relative);
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(err) => return vec![FileOutcome::noted(relative, format!("cannot read: {err}"))],
    };
    let size = file.metadata().map_or(0, |meta| meta.len());
    let mut out = Vec::new();
    let place = Place {
        on_disk: true,
        depth: 0,
    };
    let mut reader = BufReader::with_capacity(STREAMED_HEAD, file);
    let streamed = if size > STREAMED_SCRIPT {
        read_perf_script(relative, &mut reader, &mut out)
    } else {
        None
    };
    let result =
        streamed.unwrap_or_else(|| read_input(relative, &mut reader, place, specs, &mut out));
    finish_input(relative, size, result, &mut out);
    out
}

/// From this size, a file on disk that starts as a perf script is folded as it is read
/// ([`read_perf_script`]); smaller ones are read whole like any file.
const STREAMED_SCRIPT: u64 = 4 << 20;

/// How much of a file on disk is looked at first to tell a perf script, more than
/// [`sniff`] reads (it cuts at a character boundary of the lossy text).
const STREAMED_HEAD: usize = 16 << 10;

/// A large perf script on disk, folded by [`profile::fold_perf_script_from`] as it is read,
/// rather than read whole into memory first, which costs more than a quarter of the
/// folding. `None` when the head of `reader` is not a perf script (nothing is consumed).
/// Unlike a file read whole, a NUL byte after the head does not make it binary: the fold
/// takes any bytes.
fn read_perf_script(
    label: &str,
    reader: &mut BufReader<std::fs::File>,
    out: &mut Vec<FileOutcome>,
) -> Option<std::io::Result<()>> {
    let head = reader.fill_buf().ok()?;
    let is_script = head.len() > HEAD_BYTES + 4
        && sniff_container(head).is_none()
        && !head.contains(&0)
        && sniff(&String::from_utf8_lossy(head)) == Some(Format::PerfScript);
    if !is_script {
        return None;
    }
    let mut outcome = FileOutcome::new(label);
    outcome.report.format = Some(Format::PerfScript);
    // A read error ends the script early: its profile is of what was read, and the caller
    // warns that the file was not read to its end.
    let (folded, result) = profile::fold_perf_script_from(reader);
    outcome.set_profile(ProfileSummary::of(label, folded));
    out.push(outcome);
    Some(result)
}

/// Say on the input's first outcome how big it was and whether it broke before its end; one
/// that yielded nothing before breaking is listed as unreadable.
fn finish_input(label: &str, size: u64, result: std::io::Result<()>, out: &mut Vec<FileOutcome>) {
    match (out.first_mut(), result) {
        (Some(first), result) => {
            first.report.bytes = size;
            if let Err(err) = result {
                first.warn(
                    label,
                    format!("not read to its end (corrupt or truncated?): {err}"),
                );
            }
        }
        (None, Err(err)) => out.push(FileOutcome::noted(label, format!("cannot read: {err}"))),
        (None, Ok(())) => {}
    }
}

/// Read, recognize and parse every file below `dir`, opening archives; nothing is judged yet.
/// `specs` are tried on the files no built-in parser recognizes.
pub fn read_dir(dir: &Path, specs: &[ParserSpec]) -> std::io::Result<Analysis> {
    let files: Vec<String> = list_files(dir)?
        .into_iter()
        .filter(|file| !is_bookkeeping(file))
        .collect();
    Ok(read_files(dir, &files, specs))
}

/// [`read_dir`] of a directory, or of one file (an archive someone sent, say), named by its
/// file name.
pub fn read_data(path: &Path, specs: &[ParserSpec]) -> std::io::Result<Analysis> {
    if path.is_dir() {
        return read_dir(path, specs);
    }
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("not a file name"))?
        .to_string_lossy()
        .into_owned();
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::metadata(path)?;
    Ok(read_files(dir, &[name], specs))
}

fn read_files(dir: &Path, files: &[String], specs: &[ParserSpec]) -> Analysis {
    let outcomes: Vec<Vec<FileOutcome>> = files
        .par_iter()
        .map(|file| read_file(dir, file, specs))
        .collect();
    let mut analysis = Analysis {
        files: Vec::new(),
        warnings: Vec::new(),
        host: HostFacts::default(),
        stand_ins: Vec::new(),
        profiles: Vec::new(),
        not_analysed: Vec::new(),
        perf_data: Vec::new(),
        records: Vec::new(),
        units: BTreeMap::new(),
        judgement: Judgement::default(),
    };
    for outcome in outcomes.into_iter().flatten() {
        if outcome.perf_data {
            analysis.perf_data.push(outcome.report.path.clone());
        }
        analysis.files.push(outcome.report);
        analysis.host.merge(&outcome.parsed.host);
        analysis.records.extend(outcome.parsed.records);
        analysis.warnings.extend(outcome.parsed.warnings);
        analysis.profiles.extend(outcome.profile);
        analysis.not_analysed.extend(outcome.not_analysed);
        analysis.units.extend(outcome.units);
    }
    // `run` keeps perf.data beside the script it printed from it: one profile is enough.
    let profiles = &analysis.profiles;
    let (scripted, unscripted): (Vec<String>, Vec<String>) =
        std::mem::take(&mut analysis.perf_data)
            .into_iter()
            .partition(|data| {
                profiles
                    .iter()
                    .any(|profile| parent(&profile.source) == parent(data))
            });
    analysis.perf_data = unscripted;
    for file in analysis.files.iter_mut() {
        if scripted.contains(&file.path) {
            file.note = Some("perf-data (profiled from the perf script beside it)".into());
        }
    }
    let before: Vec<String> = tables(&analysis.records);
    fallback::drop_unknown_link_utilization(&mut analysis.records);
    fallback::fill_missing(&mut analysis.records);
    analysis.stand_ins = tables(&analysis.records)
        .into_iter()
        .filter(|table| !before.contains(table))
        .filter(|table| ["mpstat", "vmstat", "iostat", "sar_dev"].contains(&table.as_str()))
        .collect();
    analysis
}

/// The folder part of a relative path (`profile` of `profile/perf.data`).
fn parent(relative: &str) -> &str {
    relative.rsplit_once('/').map_or("", |(folder, _)| folder)
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

/// One row of the off-CPU table: a thread's time blocked in one kind of wait (sched_switch).
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct OffCpuRow {
    pub process: String,
    /// The thread id.
    pub pid: String,
    /// Where it blocked: the system call (`futex`), `preempted` or `kernel`.
    pub wait: String,
    /// The kernel function it slept in (`futex_do_wait`).
    pub frame: String,
    pub offcpu_ms: f64,
    /// Percent of the traced window the thread spent off CPU in this wait.
    pub offcpu_pct: f64,
    pub blocks_s: f64,
    pub avg_ms: f64,
}

/// A label of a row of the syscall or off-CPU table, empty where the parser had none.
fn label_of(record: &Record, name: &str) -> String {
    record
        .labels
        .get(name)
        .map_or_else(String::new, |value| value.to_string())
}

/// A field of a row of the syscall or off-CPU table, 0 where the parser had none.
fn field_of(record: &Record, name: &str) -> f64 {
    record.fields.get(name).copied().unwrap_or(0.0)
}

impl Analysis {
    /// Fold what `perf script` printed for the perf.data `file` into a profile, as a captured
    /// script would be. `partial` says why the text may be incomplete (perf was ended at its
    /// time box, say): a warning, and the profile is kept.
    pub fn add_perf_script(&mut self, file: &str, script: &[u8], partial: Option<String>) {
        if let Some(why) = partial {
            self.warnings.push(ParseWarning {
                file: file.to_string(),
                line: 0,
                message: format!("perf script may be incomplete: {why}"),
            });
        }
        match ProfileSummary::fold(file, script) {
            Ok(profile) if profile.total_samples > 0 => {
                if let Some(report) = self.files.iter_mut().find(|report| report.path == file) {
                    report.note = Some("perf-data (profiled with perf script)".into());
                }
                self.profiles.push(profile);
            }
            Ok(_) => self.add_not_analysed(file, "perf script printed no samples".into(), ""),
            Err(why) => self.add_not_analysed(file, why, ""),
        }
    }

    /// `file` could not be judged: the report says why, and `hint` how to fix that.
    pub fn add_not_analysed(&mut self, file: &str, why: String, hint: &str) {
        if let Some(report) = self.files.iter_mut().find(|report| report.path == file) {
            let kind = report.note.take().unwrap_or_else(|| "file".into());
            report.note = Some(format!("{kind}: not analysed"));
        }
        self.not_analysed.push(NotAnalysed {
            file: file.to_string(),
            why,
            hint: hint.to_string(),
        });
    }

    /// The syscalls that took the most time in `perf trace -s` summaries, most first.
    pub fn top_syscalls(&self, top: usize) -> Vec<SyscallRow> {
        let mut rows: Vec<SyscallRow> = self
            .records
            .iter()
            .filter(|record| record.table == "syscalls")
            .map(|record| SyscallRow {
                process: label_of(record, "comm"),
                pid: label_of(record, "pid"),
                syscall: label_of(record, "syscall"),
                calls: field_of(record, "calls"),
                errors: field_of(record, "errors"),
                total_ms: field_of(record, "total_ms"),
                max_ms: field_of(record, "max_ms"),
            })
            .collect();
        rows.sort_by(|a, b| b.total_ms.total_cmp(&a.total_ms));
        rows.truncate(top);
        rows
    }

    /// The threads that spent the most time off CPU (blocked, not preempted) in sched_switch
    /// traces, most first.
    pub fn top_off_cpu(&self, top: usize) -> Vec<OffCpuRow> {
        let mut rows: Vec<OffCpuRow> = self
            .records
            .iter()
            .filter(|record| record.table == "offcpu")
            .map(|record| OffCpuRow {
                process: label_of(record, "comm"),
                pid: label_of(record, "pid"),
                wait: label_of(record, "wait"),
                frame: label_of(record, "frame"),
                offcpu_ms: field_of(record, "offcpu_ms"),
                offcpu_pct: field_of(record, "offcpu_pct"),
                blocks_s: field_of(record, "blocks_s"),
                avg_ms: field_of(record, "avg_ms"),
            })
            .filter(|row| row.wait != "preempted")
            .collect();
        rows.sort_by(|a, b| b.offcpu_ms.total_cmp(&a.offcpu_ms));
        rows.truncate(top);
        rows
    }

    /// Evaluate `rules` over the records. `host` fills what the files did not reveal.
    pub fn judge(&mut self, rules: &[Rule], host: &HostFacts) {
        let mut facts = self.host.clone();
        facts.merge(host);
        let data =
            Dataset::from_records(&self.records, facts, parse::unit_of).with_units(&self.units);
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
    /// observers themselves. A process's use is averaged over every interval pidstat printed
    /// (it prints nothing for an idle one), and only those that used at least a tenth of what
    /// the busiest used, and 1 % of a CPU, count: a drill-down aimed at a daemon that woke
    /// once is wasted, and perf refuses the whole list for one process it cannot read.
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
        let mut usage: std::collections::BTreeMap<u32, f64> = Default::default();
        let mut intervals: std::collections::BTreeSet<u64> = Default::default();
        for record in self.records.iter().filter(|r| r.table == "pidstat") {
            intervals.insert(record.time.to_bits());
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
                *usage.entry(pid).or_default() += cpu;
            }
        }
        let intervals = intervals.len().max(1) as f64;
        let mut ranked: Vec<(u32, f64)> = usage
            .into_iter()
            .map(|(pid, sum)| (pid, sum / intervals))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let floor = ranked
            .first()
            .map_or(0.0, |&(_, busiest)| busiest / 10.0)
            .max(1.0);
        ranked
            .into_iter()
            .filter(|&(_, average)| average >= floor)
            .take(top)
            .map(|(pid, _)| pid)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pidstat(time: f64, pid: &str, comm: &str, cpu: f64) -> Record {
        Record::from_pairs(
            "pidstat",
            time,
            &[("pid", pid), ("comm", comm)],
            &[("cpu", cpu)],
            "cpu/pidstat.txt",
            1,
        )
    }

    #[test]
    fn bytes_in_memory_are_read_as_an_archive_member_is() {
        use std::io::Write;
        let text = include_str!("../tests/data/vmstat/procps-ng-4.0.2/vmstat-t.txt");
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(text.as_bytes()).unwrap();
        let gzip = gzip.finish().unwrap();
        let (files, records) = read_bytes("vmstat.txt.gz", &gzip, &[]);
        assert_eq!(files, 1);
        assert!(records > 0);
        // Cut anywhere, the stream still yields its one file and never panics.
        for cut in [0, 10, gzip.len() / 2, gzip.len() - 1] {
            assert_eq!(read_bytes("cut.gz", &gzip[..cut], &[]).0, 1, "cut at {cut}");
        }
    }

    #[test]
    fn a_large_perf_script_on_disk_folds_as_it_does_in_memory() {
        let one = include_bytes!("../tests/data/perf/6.1/dwarf/perf.script");
        let script = one.repeat((STREAMED_SCRIPT as usize).div_ceil(one.len()) + 1);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("perf.script"), &script).unwrap();
        let analysis = read_dir(dir.path(), &[]).unwrap();
        assert_eq!(analysis.files[0].format, Some(Format::PerfScript));
        assert_eq!(analysis.files[0].bytes, script.len() as u64);
        let profile = &analysis.profiles[0];
        assert_eq!(profile.source, "perf.script");
        assert_eq!(profile.folded, profile::fold_perf_script(&script).unwrap());
    }

    #[test]
    fn the_busiest_are_averaged_over_every_interval_and_the_idle_left_out() {
        let mut records = Vec::new();
        for time in 1..=5 {
            let time = f64::from(time);
            records.push(pidstat(time, "100", "lock", 80.0));
            records.push(pidstat(time, "200", "worker", 20.0));
            records.push(pidstat(time, "300", "perf", 90.0));
        }
        // Woke once: 30 % in one interval of five is 6 % on average, under a tenth of 80 %.
        records.push(pidstat(3.0, "78", "kdamond", 30.0));
        records.push(pidstat(4.0, "1", "init", 0.5));
        let analysis = Analysis {
            records,
            ..Analysis::default()
        };
        assert_eq!(analysis.busiest_processes(5), [100, 200]);
        assert_eq!(analysis.busiest_processes(1), [100]);
    }
}

//! Reading a directory of captured data, or one file: every regular file, tarballs and gzip
//! streams opened in memory (members named `archive.tgz!/path`, capped, never extracted),
//! each recognized by content and parsed on rayon's threads; a large perf script on disk is
//! folded as it is read. Then stand-ins fill sysstat tables from /proc where the tool was
//! missing. Nothing is judged here.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use rayon::prelude::*;

use super::analysis::{Analysis, FileReport, NotAnalysed, ProfileSummary};
use super::copies::{self, HandCopy};
use crate::{
    collect::script::{self, Unavailable},
    parse::{
        self, Format,
        sniff::{CONTAINER_HEAD, Container, HEAD_BYTES, sniff, sniff_container},
        spec::{self, ParserSpec},
    },
    profile::{self, ProfileKind},
    record::{Columns, HostFacts, ParseWarning, Record, Unit, fallback, name::PairMemo},
    rules::eval::Judgement,
    store::{self, Investigation, MANIFEST, ScratchDir},
};

/// Files never read: the engine's manifest, the lock a run or a collect holds, and the
/// previous perf.data perf keeps.
fn is_bookkeeping(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    name == MANIFEST || name == crate::store::LOCK || name.ends_with(".data.old")
}

/// What a run writes beside its outputs and no parser reads: perf record's own messages
/// (`perf.record.log`), and a step's stderr or a tool's stdout beside the output it wrote
/// (`mpstat.txt.stderr`, `trace/syscalls.txt.log`, `perf-data-0.stderr` beside
/// `perf-data-0.txt`). Every other file is read whatever its name, so `io.log` holding iostat
/// output or `dmesg.log` is judged.
fn is_run_output_beside(relative: &str, paths: &BTreeSet<&str>, stems: &BTreeSet<&str>) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    name == "perf.record.log"
        || [".stderr", ".log"].iter().any(|suffix| {
            relative
                .strip_suffix(suffix)
                .is_some_and(|output| paths.contains(output) || stems.contains(output))
        })
}

/// `dir/name` of `dir/name.ext`; the path itself when its name has no extension.
fn without_extension(path: &str) -> &str {
    let name_at = path.rfind('/').map_or(0, |at| at + 1);
    match path[name_at..].rfind('.') {
        Some(dot) => &path[..name_at + dot],
        None => path,
    }
}

/// perf_manual's own files of an investigation found beside its `raw_data/` (a tarball of a
/// whole investigation holds its report, metadata, playbook and analysis/): not data, and
/// said so rather than "not recognized".
fn note_investigation_files(outcomes: &mut [FileOutcome]) {
    let layout = Investigation {
        root: PathBuf::new(),
    };
    let in_root = |path: PathBuf| path.to_string_lossy().into_owned();
    let raw = format!("{}/", in_root(layout.raw_dir()));
    let analysis = format!("{}/", in_root(layout.analysis_dir()));
    let named = [
        in_root(layout.metadata_path()),
        in_root(layout.playbook_path()),
    ];
    let report = in_root(layout.report_path(""));
    let roots: BTreeSet<String> = outcomes
        .iter()
        .filter_map(|outcome| {
            let path = &outcome.report.path;
            let at = path
                .find(&raw)
                .filter(|&at| at == 0 || path[..at].ends_with('/'))?;
            Some(path[..at].to_string())
        })
        .collect();
    for outcome in outcomes
        .iter_mut()
        .filter(|outcome| outcome.report.format.is_none() && outcome.parsed.records.is_empty())
    {
        let own = roots.iter().any(|root| {
            outcome
                .report
                .path
                .strip_prefix(root.as_str())
                .is_some_and(|name| {
                    named.iter().any(|own| own == name)
                        || name.starts_with(&analysis)
                        || (name.starts_with(&report) && !name.contains('/'))
                })
        });
        if own {
            outcome.report.note = Some("perf_manual's own investigation file".into());
        }
    }
}

/// Leave out what a run wrote beside its outputs, when no parser recognized it: it is the
/// run's bookkeeping, not data, and is described in the manifest.
fn drop_run_bookkeeping(outcomes: &mut Vec<FileOutcome>) {
    let listed: Vec<String> = outcomes.iter().map(|o| o.report.path.clone()).collect();
    let paths: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    // Other files' names without their extension (`perf-data-0` of `perf-data-0.txt`), for
    // the stderr a step writes beside an output it names so (`perf-data-0.stderr`).
    let stems: BTreeSet<&str> = listed
        .iter()
        .filter(|path| !path.ends_with(".stderr") && !path.ends_with(".log"))
        .map(|path| without_extension(path))
        .collect();
    outcomes.retain(|outcome| {
        let unread = outcome.report.format.is_none() && outcome.parsed.records.is_empty();
        !(unread && is_run_output_beside(&outcome.report.path, &paths, &stems))
    });
}

/// The most read from one archive member or one gzip-compressed file; larger ones are skipped
/// with a warning, so a core dump someone swept into a tarball cannot exhaust memory.
pub const MEMBER_LIMIT: u64 = 256 << 20;

/// How deep archives inside archives are opened (a .tgz of rotated .gz logs is two levels).
/// A limit, because an archive can contain itself.
const ARCHIVE_DEPTH: usize = 4;

/// What a walk of the data directory found: the files to read (anything that is not a folder,
/// relative, sorted; [`read_file`] looks at what kind each is) and the places it could not
/// enter, with why. Only the top directory failing to open is an error: one unreadable folder
/// or a name too long for the filesystem is a warning and the rest is read.
#[derive(Debug, Default)]
pub struct Listing {
    pub files: Vec<String>,
    pub unreadable: Vec<(String, String)>,
}

/// Every entry below `dir` but folders, as paths relative to it, sorted.
pub fn list_files(dir: &Path) -> std::io::Result<Listing> {
    fn walk(base: &Path, dir: &Path, listing: &mut Listing) {
        let relative = |path: &Path| {
            path.strip_prefix(base)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned()
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) => {
                listing.unreadable.push((relative(dir), err.to_string()));
                return;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    listing.unreadable.push((relative(dir), err.to_string()));
                    continue;
                }
            };
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => walk(base, &path, listing),
                Ok(_) => listing.files.push(relative(&path)),
                Err(err) => listing.unreadable.push((relative(&path), err.to_string())),
            }
        }
    }
    std::fs::read_dir(dir)?;
    let mut listing = Listing::default();
    walk(dir, dir, &mut listing);
    listing.files.sort();
    listing.unreadable.sort();
    Ok(listing)
}

/// Why a file that is not a regular one is not read: a FIFO would block, a device can be
/// endless (`/dev/zero`), a link can point anywhere on the machine.
fn not_regular(kind: std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_file() {
        None
    } else if kind.is_symlink() {
        Some("a symbolic link: not followed, since it can point anywhere on this machine")
    } else if kind.is_fifo() {
        Some("a FIFO: not read, since reading it waits for a writer")
    } else if kind.is_char_device() || kind.is_block_device() {
        Some("a device: not read, since it can be endless")
    } else if kind.is_socket() {
        Some("a socket: not read")
    } else {
        Some("not a regular file: not read")
    }
}

/// How much is read, and kept, of each file.
#[derive(Clone, Copy)]
pub struct Reading<'a> {
    /// The most read of any one file on disk: the rest is cut, with a warning naming the file
    /// (`analyze --max-file-size`).
    pub max_file_size: u64,
    /// From this size, an mpstat, sar, pidstat or iostat -t file on disk is read in parts and
    /// its rows kept as [`Columns`] rather than records.
    pub stream_from: u64,
    /// Which fields (`table`, `field`) of a streamed file's rows are kept: those the rules
    /// read, directly or through a canonical metric.
    pub keep: &'a (dyn Fn(&str, &str) -> bool + Sync),
    /// How much of a streamed file is parsed at once: at least this many bytes, to the next
    /// blank line.
    pub part: usize,
}

/// The most read of one file by default: 1 GiB.
pub const MAX_FILE_SIZE: u64 = 1 << 30;

/// From this size, an mpstat, sar, pidstat or iostat -t file is streamed
/// ([`Reading::stream_from`]).
pub const STREAMED_TABLE: u64 = 32 << 20;

impl Default for Reading<'static> {
    fn default() -> Self {
        Reading {
            max_file_size: MAX_FILE_SIZE,
            stream_from: STREAMED_TABLE,
            keep: &|_, _| true,
            part: TABLE_PART,
        }
    }
}

/// What one file (or archive member) yielded.
#[derive(Default)]
pub(super) struct FileOutcome {
    pub(super) report: FileReport,
    pub(super) parsed: crate::record::Parsed,
    /// The rows of a big table read in parts.
    pub(super) columns: Columns,
    /// Said first among the warnings: the file was longer than the most read of one file.
    cut: Option<ParseWarning>,
    /// A plain copy of a /proc file, kept to be read again with its other copies.
    pub(super) copy: Option<HandCopy>,
    profile: Option<ProfileSummary>,
    units: BTreeMap<String, Unit>,
    not_analysed: Option<NotAnalysed>,
    /// A perf.data file on disk, for `perf script` to read.
    perf_data: bool,
    /// A perf.data read from inside an archive.
    perf_data_member: Option<Vec<u8>>,
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

    /// Say that only the first `read` bytes were read, the file being longer than `cap`.
    fn cut_at(&mut self, file: &str, read: u64, cap: u64) {
        self.cut = Some(ParseWarning {
            file: file.to_string(),
            line: 0,
            message: format!(
                "longer than the most read of one file ({cap} bytes, --max-file-size): only \
                 its first {read} bytes were read, the rest is not judged"
            ),
        });
        self.report.warnings += 1;
        self.report.cut_after = Some(read);
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
    // perf script's header is longer than the head sniffed: its events say what it holds.
    let format = match format {
        Format::PerfScript if is_off_cpu(bytes) => Format::PerfSchedSwitch,
        other => other,
    };
    outcome.report.format = Some(format);
    if format == Format::PerfScript {
        outcome.set_profile(ProfileSummary::fold(label, bytes));
        return outcome;
    }
    let parsed = parse::parse(format, label, &text);
    if format == Format::PerfSchedSwitch {
        outcome.profile = ProfileSummary::off_cpu(label, bytes);
    }
    if format == Format::Procfs && !text.lines().any(|line| line.starts_with("==> ")) {
        outcome.copy = Some(HandCopy {
            text: text.into_owned(),
            modified_us: None,
        });
    }
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
    read_input_capped(label, reader, place, specs, u64::MAX, out)
}

/// [`read_input`], text on disk read to at most `cap` bytes (cut at the end of a line).
fn read_input_capped(
    label: &str,
    reader: &mut dyn Read,
    place: Place,
    specs: &[ParserSpec],
    cap: u64,
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
                out.push(outcome);
                return Ok(());
            }
            // Inside an archive: kept in memory, bounded, for a private copy perf script reads.
            let mut bytes = Vec::new();
            let read = whole.take(MEMBER_LIMIT + 1).read_to_end(&mut bytes);
            if bytes.len() as u64 > MEMBER_LIMIT {
                out.push(too_large(label));
                return Ok(());
            }
            outcome.report.bytes = bytes.len() as u64;
            outcome.perf_data_member = Some(bytes);
            out.push(outcome);
            read.map(drop)
        }
        Some(Container::SysstatData) => {
            let mut bytes = Vec::new();
            let read = whole.take(MEMBER_LIMIT + 1).read_to_end(&mut bytes);
            if bytes.len() as u64 > MEMBER_LIMIT {
                out.push(too_large(label));
                return Ok(());
            }
            out.push(read_sysstat_data(label, &bytes, specs));
            read.map(drop)
        }
        Some(Container::Tar) => {
            read_tar(label, &mut whole, inner, specs, out);
            Ok(())
        }
        Some(Container::Gzip) => read_input(label, &mut GzDecoder::new(whole), inner, specs, out),
        None => {
            let mut bytes = Vec::new();
            let limit = if place.on_disk {
                cap.saturating_add(1)
            } else {
                MEMBER_LIMIT + 1
            };
            let read = whole.take(limit).read_to_end(&mut bytes);
            if bytes.len() as u64 > MEMBER_LIMIT && !place.on_disk {
                out.push(too_large(label));
                return Ok(());
            }
            let cut = bytes.len() as u64 > cap;
            if cut {
                bytes.truncate(cap as usize);
                let whole_lines = bytes
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |at| at + 1);
                bytes.truncate(whole_lines);
            }
            let mut outcome = read_text(label, &bytes, specs);
            if cut {
                outcome.cut_at(label, bytes.len() as u64, cap);
            }
            out.push(outcome);
            read.map(drop)
        }
    }
}

/// A sysstat data file (`sar -o`, /var/log/sysstat/saDD) as the text `sar -A -f` prints of
/// it, from a private copy (it may be an archive's member), parsed like any sar capture. Where
/// sar is missing or cannot read it (another sysstat version), it is listed as not analysed
/// with how to fix that.
fn read_sysstat_data(label: &str, bytes: &[u8], specs: &[ParserSpec]) -> FileOutcome {
    static NEVER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let unavailable = |why: String, hint: String| {
        let mut outcome = FileOutcome::noted(label, "sysstat data: not analysed");
        outcome.report.bytes = bytes.len() as u64;
        outcome.not_analysed = Some(NotAnalysed {
            file: label.to_string(),
            why,
            hint,
        });
        outcome
    };
    let scratch = match ScratchDir::new("sysstat-data") {
        Ok(scratch) => scratch,
        Err(err) => {
            return unavailable(
                format!("no private copy could be made: {err}"),
                String::new(),
            );
        }
    };
    let copy = scratch.path().join("sa.data");
    if let Err(err) = store::write_atomic(&copy, bytes) {
        return unavailable(
            format!("no private copy could be made: {err}"),
            String::new(),
        );
    }
    match script::sar_text(&copy, &scratch.path().join("sar.txt"), &NEVER) {
        Ok(text) => {
            let mut outcome = read_text(label, &text.text, specs);
            outcome.report.bytes = bytes.len() as u64;
            outcome.report.note = Some("sysstat data (read with sar -A -f)".into());
            if let Some(why) = text.partial {
                outcome.warn(
                    label,
                    format!("sar -A -f may have read it only in part: {why}"),
                );
            }
            outcome
        }
        Err(Unavailable { why, hint }) => unavailable(why, hint),
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
            let modified = entry.header().mtime().ok();
            let result = read_input(&member, &mut entry, place, specs, &mut members_out);
            if let Some(seconds) = modified.and_then(|seconds| i64::try_from(seconds).ok()) {
                set_modified(&mut members_out[first..], seconds.saturating_mul(1_000_000));
            }
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
fn read_file(
    dir: &Path,
    relative: &str,
    specs: &[ParserSpec],
    reading: &Reading<'_>,
) -> Vec<FileOutcome> {
    let path = dir.join(relative);
    match std::fs::symlink_metadata(&path).map(|meta| not_regular(meta.file_type())) {
        Ok(None) => {}
        Ok(Some(why)) => {
            let mut outcome = FileOutcome::noted(relative, "skipped: not a regular file");
            outcome.warn(relative, why.to_string());
            return vec![outcome];
        }
        Err(err) => return vec![FileOutcome::noted(relative, format!("cannot read: {err}"))],
    }
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(err) => return vec![FileOutcome::noted(relative, format!("cannot read: {err}"))],
    };
    let metadata = file.metadata().ok();
    let size = metadata.as_ref().map_or(0, |meta| meta.len());
    let modified = metadata
        .and_then(|meta| meta.modified().ok())
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|since| i64::try_from(since.as_micros()).ok());
    let mut out = Vec::new();
    let place = Place {
        on_disk: true,
        depth: 0,
    };
    let mut reader = BufReader::with_capacity(STREAMED_HEAD, file);
    let mut streamed = if size > STREAMED_SCRIPT {
        read_perf_script(relative, &mut reader, &mut out)
    } else {
        None
    };
    if streamed.is_none() && size > reading.stream_from {
        streamed = read_streamed_table(relative, &mut reader, reading, &mut out);
    }
    let result = streamed.unwrap_or_else(|| {
        let cap = reading.max_file_size;
        read_input_capped(relative, &mut reader, place, specs, cap, &mut out)
    });
    finish_input(relative, size, result, &mut out);
    if let Some(epoch_us) = modified {
        set_modified(&mut out, epoch_us);
    }
    out
}

/// Give a plain /proc copy among `outcomes` its file's modification time (epoch µs).
fn set_modified(outcomes: &mut [FileOutcome], epoch_us: i64) {
    for copy in outcomes
        .iter_mut()
        .filter_map(|outcome| outcome.copy.as_mut())
    {
        copy.modified_us = copies::epoch_as_record_time(epoch_us);
    }
}

/// Whether a perf script's samples are sched_switch events: off-CPU time, not samples.
pub(super) fn is_off_cpu(script: &[u8]) -> bool {
    profile::script_event(script)
        .is_some_and(|event| ProfileKind::of_event(&event) == ProfileKind::OffCpu)
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
        && sniff(&String::from_utf8_lossy(head)) == Some(Format::PerfScript)
        && !is_off_cpu(head);
    if !is_script {
        return None;
    }
    let mut outcome = FileOutcome::new(label);
    outcome.report.format = Some(Format::PerfScript);
    // A read error ends the script early: its profile is of what was read, and the caller
    // warns that the file was not read to its end.
    let kind = profile::script_event(head)
        .map_or(ProfileKind::OnCpu, |event| ProfileKind::of_event(&event));
    let (folded, result) = profile::fold_perf_script_from(reader);
    outcome.set_profile(ProfileSummary::of(label, folded).map(|mut summary| {
        summary.kind = kind;
        summary
    }));
    out.push(outcome);
    Some(result)
}

/// How much of a streamed table is parsed at once by default ([`Reading::part`]).
const TABLE_PART: usize = 4 << 20;

/// A part of a streamed table: its text and the file line it starts at (1-based).
struct Part {
    text: Vec<u8>,
    first_line: usize,
}

/// What one part of a streamed table gave.
struct PartRows {
    columns: Columns,
    warnings: Vec<ParseWarning>,
    host: HostFacts,
    /// The times of its first and last rows, in the order of their lines.
    span: Option<(f64, f64)>,
}

/// A large mpstat, sar, pidstat or iostat -t file on disk, read in parts of [`Reading::part`]
/// that end at a blank line (each part starts with a report header, or with iostat's stamp;
/// parts after the first are parsed with the file's banner before them, for its date and
/// host), parsed on rayon's threads, and each part's rows kept as [`Columns`] with the fields
/// `reading.keep` asks for: memory holds a few parts of text and records at a time, and the
/// columns. A part parsed on its own starts on the banner's day: days that passed before it
/// are added as a whole-file parse adds them, when the clock goes back by more than 12 hours
/// (iostat's stamps carry their own date). `None` when the head of `reader` is not one of
/// these with a dated banner, or is iostat without stamps (nothing is consumed).
fn read_streamed_table(
    label: &str,
    reader: &mut BufReader<std::fs::File>,
    reading: &Reading<'_>,
    out: &mut Vec<FileOutcome>,
) -> Option<std::io::Result<()>> {
    let head = reader.fill_buf().ok()?;
    if head.len() <= HEAD_BYTES || sniff_container(head).is_some() || head.contains(&0) {
        return None;
    }
    let head_text = String::from_utf8_lossy(head);
    let format = sniff(&head_text).filter(|format| match format {
        Format::Mpstat | Format::Sar | Format::SarDev | Format::Pidstat => true,
        // Only with `-t`: reports without a stamp are timed by their count from the start.
        Format::Iostat => head_text.lines().any(|line| {
            line.starts_with(|c: char| c.is_ascii_digit())
                && parse::sysstat::parse_date_time(line).is_some()
        }),
        _ => false,
    })?;
    // iostat's stamps carry their date; mpstat's, sar's and pidstat's times are of the
    // banner's day.
    let dated = format == Format::Iostat;
    let banner = head_text.lines().next()?.to_string();
    let day = parse::sysstat::parse_banner(&banner)?.epoch_day?;
    let mut outcome = FileOutcome::new(label);
    outcome.report.format = Some(format);
    let mut columns = Columns::default();
    let mut read_bytes: u64 = 0;
    let mut next_line = 1;
    let mut previous_end: Option<f64> = None;
    let mut seen_warnings = BTreeSet::new();
    let batch = rayon::current_num_threads().max(1) * 2;
    let mut result = Ok(());
    let mut cut = false;
    loop {
        let mut parts = Vec::with_capacity(batch);
        while parts.len() < batch && !cut {
            let budget = reading.max_file_size.saturating_sub(read_bytes);
            match read_part(reader, reading.part, budget, dated) {
                Ok((text, more)) => {
                    cut = more;
                    if text.is_empty() {
                        break;
                    }
                    read_bytes += text.len() as u64;
                    let lines = text.iter().filter(|&&b| b == b'\n').count();
                    parts.push(Part {
                        text,
                        first_line: next_line,
                    });
                    next_line += lines;
                }
                Err(err) => {
                    result = Err(err);
                    break;
                }
            }
        }
        if parts.is_empty() {
            break;
        }
        let rows: Vec<PartRows> = parts
            .par_iter()
            .map(|part| parse_part(label, format, &banner, part, reading))
            .collect();
        drop(parts);
        for mut part in rows {
            outcome.parsed.host.merge(&part.host);
            for warning in part.warnings {
                // A report not understood is said once, at its first header.
                if !warning.message.contains("is not understood")
                    || seen_warnings.insert(warning.message.clone())
                {
                    outcome.parsed.warnings.push(warning);
                }
            }
            let Some((first, last)) = part.span else {
                columns.append(part.columns);
                continue;
            };
            let mut shift = 0.0;
            if let Some(end) = previous_end.filter(|_| !dated) {
                let day_start = |time: f64| {
                    let since = time - (day * SECONDS_PER_DAY) as f64;
                    (since / SECONDS_PER_DAY as f64).floor()
                };
                let days = day_start(end);
                let end_of_day =
                    end - (day * SECONDS_PER_DAY) as f64 - days * SECONDS_PER_DAY as f64;
                let first_of_day = first - (day * SECONDS_PER_DAY) as f64;
                let wrapped = end_of_day - first_of_day > (SECONDS_PER_DAY / 2) as f64;
                shift = (days + f64::from(u8::from(wrapped))) * SECONDS_PER_DAY as f64;
            }
            if shift != 0.0 {
                part.columns.shift_times(shift);
            }
            previous_end = Some(last + shift);
            columns.append(part.columns);
        }
        if result.is_err() || cut {
            break;
        }
    }
    outcome.report.records = columns.rows();
    outcome.report.warnings = outcome.parsed.warnings.len();
    outcome.columns = columns;
    if cut {
        outcome.cut_at(label, read_bytes, reading.max_file_size);
    }
    out.push(outcome);
    Some(result)
}

const SECONDS_PER_DAY: i64 = 86_400;

/// The next part of a streamed table: at least `size` bytes, then to the end of the next
/// blank line (with `stamped`, the next one before a line starting with a digit: an iostat
/// report's stamp, which its blocks after the first do not repeat); at most `budget` bytes,
/// ending at a line. Also whether `budget` cut it short of the file's end.
fn read_part(
    reader: &mut impl BufRead,
    size: usize,
    budget: u64,
    stamped: bool,
) -> std::io::Result<(Vec<u8>, bool)> {
    let mut text = Vec::with_capacity(size + (64 << 10));
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok((text, false));
        }
        if (text.len() + line.len()) as u64 > budget {
            return Ok((text, true));
        }
        text.extend_from_slice(&line);
        let blank = line.iter().all(u8::is_ascii_whitespace);
        if text.len() >= size && blank {
            let ends = !stamped || reader.fill_buf()?.first().is_none_or(u8::is_ascii_digit);
            if ends {
                return Ok((text, false));
            }
        }
    }
}

/// Parse one part of a streamed table and keep its rows as columns, their lines those of
/// the file.
fn parse_part(
    label: &str,
    format: Format,
    banner: &str,
    part: &Part,
    reading: &Reading<'_>,
) -> PartRows {
    let body = String::from_utf8_lossy(&part.text);
    // A part after the first is read after the banner: line 2 of its text is `first_line`.
    let (text, line_of) = if part.first_line == 1 {
        (body, 0)
    } else {
        (
            std::borrow::Cow::Owned(format!("{banner}\n{body}")),
            part.first_line - 2,
        )
    };
    let mut parsed = parse::parse(format, label, &text);
    drop(text);
    let span = parsed
        .records
        .first()
        .zip(parsed.records.last())
        .map(|(first, last)| (first.time, last.time));
    let mut columns = Columns::default();
    let mut keep = PairMemo::new(reading.keep);
    for record in &mut parsed.records {
        record.source.line += line_of;
        columns.push(record, &mut keep);
    }
    for warning in &mut parsed.warnings {
        if warning.line > 0 {
            warning.line += line_of;
        }
    }
    PartRows {
        columns,
        warnings: parsed.warnings,
        host: parsed.host,
        span,
    }
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
    read_dir_with(dir, specs, &Reading::default())
}

/// [`read_dir`], reading and keeping what `reading` says.
pub fn read_dir_with(
    dir: &Path,
    specs: &[ParserSpec],
    reading: &Reading<'_>,
) -> std::io::Result<Analysis> {
    let listing = list_files(dir)?;
    let files: Vec<String> = listing
        .files
        .into_iter()
        .filter(|file| !is_bookkeeping(file))
        .collect();
    let mut analysis = read_files(dir, &files, specs, reading);
    for (place, why) in listing.unreadable {
        analysis.warnings.push(ParseWarning {
            file: place,
            line: 0,
            message: format!("cannot be read ({why}): what is below it is not judged"),
        });
    }
    Ok(analysis)
}

/// [`read_dir`] of a directory, or of one file (an archive someone sent, say), named by its
/// file name.
pub fn read_data(path: &Path, specs: &[ParserSpec]) -> std::io::Result<Analysis> {
    read_data_with(path, specs, &Reading::default())
}

/// [`read_data`], reading and keeping what `reading` says.
pub fn read_data_with(
    path: &Path,
    specs: &[ParserSpec],
    reading: &Reading<'_>,
) -> std::io::Result<Analysis> {
    if path.is_dir() {
        return read_dir_with(path, specs, reading);
    }
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("not a file name"))?
        .to_string_lossy()
        .into_owned();
    let dir = path.parent().unwrap_or(Path::new("."));
    let kind = std::fs::metadata(path)?.file_type();
    if let Some(why) = not_regular(kind) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{why}; give a directory, a file or an archive"),
        ));
    }
    Ok(read_files(dir, &[name], specs, reading))
}

fn read_files(
    dir: &Path,
    files: &[String],
    specs: &[ParserSpec],
    reading: &Reading<'_>,
) -> Analysis {
    let mut outcomes: Vec<FileOutcome> = files
        .par_iter()
        .map(|file| read_file(dir, file, specs, reading))
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect();
    drop_run_bookkeeping(&mut outcomes);
    note_investigation_files(&mut outcomes);
    copies::join_copies(&mut outcomes);
    copies::caveat_lone_pressure(&mut outcomes);
    let mut analysis = Analysis {
        files: Vec::new(),
        warnings: Vec::new(),
        host: HostFacts::default(),
        stand_ins: Vec::new(),
        summary_stand_ins: Vec::new(),
        profiles: Vec::new(),
        not_analysed: Vec::new(),
        perf_data: Vec::new(),
        perf_data_members: Vec::new(),
        records: Vec::new(),
        columns: Columns::default(),
        units: BTreeMap::new(),
        spec_feeds: specs.iter().flat_map(ParserSpec::feeds).collect(),
        filled: Vec::new(),
        metrics: Vec::new(),
        judgement: Judgement::default(),
    };
    let mut cut = Vec::new();
    for outcome in outcomes {
        if outcome.perf_data {
            analysis.perf_data.push(outcome.report.path.clone());
        }
        if let Some(bytes) = outcome.perf_data_member {
            analysis
                .perf_data_members
                .push((outcome.report.path.clone(), bytes));
        }
        analysis.files.push(outcome.report);
        analysis.host.merge(&outcome.parsed.host);
        analysis.records.extend(outcome.parsed.records);
        analysis.columns.append(outcome.columns);
        cut.extend(outcome.cut);
        analysis.warnings.extend(outcome.parsed.warnings);
        analysis.profiles.extend(outcome.profile);
        analysis.not_analysed.extend(outcome.not_analysed);
        analysis.units.extend(outcome.units);
    }
    // A file cut short is said before any parse warning, so a long list cannot hide it.
    analysis.warnings.splice(0..0, cut);
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
    let streamed: Vec<String> = analysis.columns.tables().map(|t| t.to_string()).collect();
    let before: Vec<String> = tables(&analysis.records, &streamed);
    fallback::drop_unknown_link_utilization(&mut analysis.records, &mut analysis.columns);
    analysis.summary_stand_ins = fallback::fill_missing_beside(&mut analysis.records, &streamed);
    analysis.filled = tables(&analysis.records, &streamed)
        .into_iter()
        .filter(|table| !before.contains(table))
        .collect();
    analysis.stand_ins = tables(&analysis.records, &streamed)
        .into_iter()
        .filter(|table| !before.contains(table))
        .filter(|table| ["mpstat", "vmstat", "iostat", "sar_dev"].contains(&table.as_str()))
        .filter(|table| {
            !analysis
                .summary_stand_ins
                .iter()
                .any(|(filled, _)| filled == table)
        })
        .collect();
    analysis
}

/// The folder part of a relative path (`profile` of `profile/perf.data`).
fn parent(relative: &str) -> &str {
    relative.rsplit_once('/').map_or("", |(folder, _)| folder)
}

/// Every table of `records`, and the `streamed` ones, sorted.
fn tables(records: &[Record], streamed: &[String]) -> Vec<String> {
    let mut tables: Vec<String> = records.iter().map(|r| r.table.to_string()).collect();
    tables.extend(streamed.iter().cloned());
    tables.sort();
    tables.dedup();
    tables
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_in_memory_are_read_as_an_archive_member_is() {
        use std::io::Write;
        let text = include_str!("../../tests/data/vmstat/procps-ng-4.0.2/vmstat-t.txt");
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

    /// `mpstat -P ALL` for three CPUs, a sample a second from 23:50 for `minutes`: past
    /// midnight, so parts read on their own must learn which day they are on.
    fn mpstat_over_midnight(minutes: u32) -> String {
        let mut text = String::from("Linux 6.1.0 (host) \t2026-11-25 \t_x86_64_\t(2 CPU)\n");
        let clock = |s: u32| format!("{:02}:{:02}:{:02}", s / 3600 % 24, s / 60 % 60, s % 60);
        let start = 23 * 3600 + 50 * 60;
        for second in start..start + minutes * 60 {
            text += &format!(
                "\n{}     CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle\n",
                clock(second)
            );
            for (index, cpu) in ["all", "0", "1"].iter().enumerate() {
                let usr = f64::from((second + index as u32 * 7) % 90);
                text += &format!(
                    "{}     {cpu:>3}   {usr:5.2}    0.00    1.00    2.00    0.00    0.00    0.00    0.00    0.00   {:5.2}\n",
                    clock(second + 1),
                    97.0 - usr
                );
            }
        }
        text
    }

    fn rows_of(analysis: &Analysis) -> Vec<Record> {
        let mut rows = analysis.records.clone();
        analysis
            .columns
            .for_each_record(&mut |record| rows.push(record.clone()));
        rows.sort_by_key(|record| record.source.line);
        rows
    }

    #[test]
    fn a_table_read_in_parts_gives_the_rows_of_a_whole_read() {
        let text = mpstat_over_midnight(30);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mpstat.txt"), &text).unwrap();
        let whole = read_dir(dir.path(), &[]).unwrap();
        assert!(whole.columns.is_empty());
        let streamed = read_dir_with(
            dir.path(),
            &[],
            &Reading {
                stream_from: 0,
                part: 16 << 10,
                ..Reading::default()
            },
        )
        .unwrap();
        assert!(streamed.records.is_empty());
        assert_eq!(streamed.columns.rows(), whole.records.len());
        assert_eq!(rows_of(&streamed), rows_of(&whole));
        assert_eq!(streamed.files[0].records, whole.files[0].records);
        assert_eq!(streamed.host, whole.host);
        // Only the fields asked for are kept.
        let kept = read_dir_with(
            dir.path(),
            &[],
            &Reading {
                stream_from: 0,
                part: 16 << 10,
                keep: &|_, field| field == "busy",
                ..Reading::default()
            },
        )
        .unwrap();
        let mut fields = BTreeSet::new();
        kept.columns.for_each_record(&mut |record| {
            fields.extend(record.fields.keys().map(|name| name.to_string()));
        });
        assert_eq!(fields, BTreeSet::from(["busy".to_string()]));
    }

    #[test]
    fn iostat_and_pidstat_files_read_in_parts_give_the_rows_of_a_whole_read() {
        for capture in [
            "iostat/12.6.1-cpu-stress/iostat-x-y-t.txt",
            "iostat/10.1.5-en_US-12h/iostat-x-t.txt",
            "iostat/12.6.1-iso/iostat-x-d-y-t.txt",
            // -u, -w and -d blocks of one process: rows of different fields, thread rows
            // taking their process's PID from the row above.
            "pidstat/12.6.1-iso/pidstat-u-w-d-t.txt",
        ] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
            let capture_text = std::fs::read_to_string(path.join(capture)).unwrap();
            // Its reports twelve times over (times repeat; rows are compared, not judged), past
            // the size a file must have to be read in parts at all.
            let (banner, reports) = capture_text.split_once('\n').unwrap();
            let text = format!("{banner}\n{}", reports.repeat(12));
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("capture.txt"), &text).unwrap();
            let whole = read_dir(dir.path(), &[]).unwrap();
            // Parts of 64 bytes: every blank line before a stamp ends one.
            let streamed = read_dir_with(
                dir.path(),
                &[],
                &Reading {
                    stream_from: 0,
                    part: 64,
                    ..Reading::default()
                },
            )
            .unwrap();
            assert!(streamed.records.is_empty(), "{capture}");
            assert_eq!(rows_of(&streamed), rows_of(&whole), "{capture}");
            assert_eq!(streamed.files[0].records, whole.files[0].records);
            assert_eq!(streamed.files[0].warnings, 0, "{capture}");
            assert_eq!(streamed.warnings.len(), whole.warnings.len(), "{capture}");
        }
        // Without stamps, reports are timed by their count from the start: read whole.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/iostat/12.6.1-c");
        let dir = tempfile::tempdir().unwrap();
        let capture_text = std::fs::read_to_string(path.join("iostat-x.txt")).unwrap();
        let (banner, reports) = capture_text.split_once('\n').unwrap();
        let text = format!("{banner}\n{}", reports.repeat(12));
        std::fs::write(dir.path().join("iostat.txt"), text).unwrap();
        let reading = Reading {
            stream_from: 0,
            part: 64,
            ..Reading::default()
        };
        let unstamped = read_dir_with(dir.path(), &[], &reading).unwrap();
        assert!(unstamped.columns.is_empty() && !unstamped.records.is_empty());
    }

    #[test]
    fn a_file_longer_than_the_cap_is_cut_at_a_line_with_a_warning_naming_it() {
        let text = mpstat_over_midnight(2);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mpstat.txt"), &text).unwrap();
        let cap = text.len() as u64 / 2;
        for stream_from in [0, u64::MAX] {
            let analysis = read_dir_with(
                dir.path(),
                &[],
                &Reading {
                    max_file_size: cap,
                    stream_from,
                    part: 1 << 10,
                    ..Reading::default()
                },
            )
            .unwrap();
            let warning = &analysis.warnings[0];
            assert_eq!(warning.file, "mpstat.txt");
            assert!(warning.message.contains("--max-file-size"), "{warning}");
            let rows = rows_of(&analysis);
            let last = rows.last().unwrap().source.line;
            let lines_read = text[..cap as usize].lines().count();
            assert!(
                last <= lines_read && last + 6 >= lines_read,
                "{last} {lines_read}"
            );
            let file = &analysis.files[0];
            assert_eq!(file.bytes, text.len() as u64);
            assert!(file.cut_after.is_some(), "{file:?}");
            assert_eq!(file.records, rows.len());
        }
    }

    #[test]
    fn a_large_perf_script_on_disk_folds_as_it_does_in_memory() {
        let one = include_bytes!("../../tests/data/perf/6.1/dwarf/perf.script");
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
    fn every_file_is_read_but_a_runs_own_bookkeeping_and_copies_pair_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        };
        let iostat = include_str!("../../tests/data/iostat/12.6.1-c/iostat-x.txt");
        write("io.log", iostat);
        write("cpu/mpstat.txt", "");
        write("cpu/mpstat.txt.stderr", "mpstat: something\n");
        write(
            "profile/perf.record.log",
            "[ perf record: Woken up 1 times ]\n",
        );
        write("notes.stderr", "kept: nothing beside it is named notes\n");
        let start = std::time::SystemTime::now() - std::time::Duration::from_secs(10);
        for (name, kills, at) in [("vmstat.before", 1, 0), ("vmstat.after", 4, 2)] {
            let path = write(name, &format!("nr_free_pages 1\noom_kill {kills}\n"));
            let file = std::fs::File::options().write(true).open(path).unwrap();
            file.set_modified(start + std::time::Duration::from_secs(at))
                .unwrap();
        }
        let analysis = read_dir(dir.path(), &[]).unwrap();
        let files: Vec<(&str, Option<Format>)> = analysis
            .files
            .iter()
            .map(|file| (file.path.as_str(), file.format))
            .collect();
        assert_eq!(
            files,
            [
                ("cpu/mpstat.txt", None),
                ("io.log", Some(Format::Iostat)),
                ("notes.stderr", None),
                ("vmstat.after", Some(Format::Procfs)),
                ("vmstat.before", Some(Format::Procfs)),
            ]
        );
        let kills: Vec<(f64, &str, Option<f64>)> = analysis
            .records
            .iter()
            .filter(|record| record.table == "proc_vmstat")
            .map(|record| {
                (
                    record.fields["oom_kill_delta"],
                    record.source.file.as_str(),
                    record.fields.get("oom_kill_s").copied(),
                )
            })
            .collect();
        assert_eq!(
            kills,
            [
                (3.0, "vmstat.after", Some(1.5)),
                (0.0, "vmstat.before", None)
            ],
            "records come file by file, in the files' order"
        );
    }
}

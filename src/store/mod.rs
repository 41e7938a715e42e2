//! Investigation directories, the source of truth of every run:
//!
//! ```text
//! investigations/2026-11-25_143002_cpu-bottleneck/   (0700, files 0600)
//!   .lock            flock held by the run writing it, with its PID
//!   metadata.toml    name, playbook path and hash, host, tools, timeline, status
//!   playbook.toml    the playbook as run, rules included, so `analyze` can judge alike
//!   raw_data/        one file per collector, manifest.json
//!   analysis/        records.json, findings.json, files.json, profile.folded, flamegraph.svg
//!   report.md
//! ```

pub mod redact;

use std::{
    fs::DirBuilder,
    io::Write,
    os::unix::fs::DirBuilderExt,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::{exit::Failure, record::HostFacts};

/// What a collection leaves in its raw folder beside the tools' output: per step, the argv,
/// times, exit status and bytes. Not judged as data.
pub(crate) const MANIFEST: &str = "manifest.json";

/// The layout of one investigation directory. Every name in it is written here and nowhere
/// else.
#[derive(Debug, Clone)]
pub struct Investigation {
    pub root: PathBuf,
}

impl Investigation {
    pub(crate) fn raw_dir(&self) -> PathBuf {
        self.root.join("raw_data")
    }
    pub(crate) fn analysis_dir(&self) -> PathBuf {
        self.root.join("analysis")
    }
    pub(crate) fn metadata_path(&self) -> PathBuf {
        self.root.join("metadata.toml")
    }
    pub fn playbook_path(&self) -> PathBuf {
        self.root.join("playbook.toml")
    }
    pub(crate) fn manifest_path(&self) -> PathBuf {
        self.raw_dir().join(MANIFEST)
    }
    /// The report, as the exporter whose files end in `extension` writes it (`report.md`).
    pub(crate) fn report_path(&self, extension: &str) -> PathBuf {
        self.root.join(format!("report.{extension}"))
    }
    pub fn analysis(&self) -> AnalysisFiles {
        AnalysisFiles {
            dir: self.analysis_dir(),
        }
    }
}

/// What a directory given to `analyze` holds: an investigation (raw files under raw_data/,
/// the playbook it was run with beside them) or just raw files.
#[derive(Debug, Clone)]
pub(crate) struct DataDir {
    /// Where the raw files are: `raw_data/` of an investigation, else the path given.
    pub raw_dir: PathBuf,
    /// The playbook an investigation was run with, when there is one.
    pub saved_playbook: Option<PathBuf>,
    /// The investigation, when the path given is one.
    investigation: Option<Investigation>,
}

impl DataDir {
    pub(crate) fn locate(path: &Path) -> DataDir {
        let investigation = Investigation {
            root: path.to_path_buf(),
        };
        let raw_dir = investigation.raw_dir();
        let is_investigation = raw_dir.is_dir();
        let raw_dir = if is_investigation {
            raw_dir
        } else {
            path.to_path_buf()
        };
        let saved = investigation.playbook_path();
        DataDir {
            raw_dir,
            saved_playbook: saved.is_file().then_some(saved),
            investigation: is_investigation.then_some(investigation),
        }
    }

    pub(crate) fn manifest_path(&self) -> PathBuf {
        self.raw_dir.join(MANIFEST)
    }

    /// The process the investigation's run was aimed at (`run --pid`), from its metadata.
    pub(crate) fn target_pid(&self) -> Option<u32> {
        #[derive(Deserialize)]
        struct Target {
            target_pid: Option<u32>,
        }
        let investigation = self.investigation.as_ref()?;
        let text = std::fs::read_to_string(investigation.metadata_path()).ok()?;
        toml::from_str::<Target>(&text).ok()?.target_pid
    }

    /// How an investigation whose run never finished stands: metadata.toml still says
    /// `running`, and either a run holds the directory now (`running`) or none does, because
    /// the run was killed (`abandoned`). `None` for a finished run and for plain data.
    pub(crate) fn unfinished(&self) -> Option<&'static str> {
        #[derive(Deserialize)]
        struct Status {
            status: String,
        }
        let investigation = self.investigation.as_ref()?;
        let text = std::fs::read_to_string(investigation.metadata_path()).ok()?;
        let metadata: Status = toml::from_str(&text).ok()?;
        (metadata.status == "running").then(|| match is_held(&investigation.root) {
            true => "running",
            false => "abandoned",
        })
    }
}

/// The files of an investigation's analysis/ folder.
#[derive(Debug, Clone)]
pub struct AnalysisFiles {
    pub dir: PathBuf,
}

impl AnalysisFiles {
    /// Every record read, each with its source file and line.
    pub fn records(&self) -> PathBuf {
        self.dir.join("records.json")
    }
    /// How each file was read.
    pub fn files(&self) -> PathBuf {
        self.dir.join("files.json")
    }
    pub fn findings(&self) -> PathBuf {
        self.dir.join("findings.json")
    }
    pub fn report(&self) -> PathBuf {
        self.dir.join("report.json")
    }
    /// The folded stacks of the `index`th profile.
    pub fn folded(&self, index: usize) -> PathBuf {
        self.dir.join(numbered("profile", index, "folded"))
    }
    /// The flamegraph of the `index`th profile.
    pub fn flamegraph(&self, index: usize) -> PathBuf {
        self.dir.join(numbered("flamegraph", index, "svg"))
    }
    /// What `profile` found in the `index`th profile (digest, top functions), as JSON.
    pub fn profile_json(&self, index: usize) -> PathBuf {
        self.dir.join(numbered("profile", index, "json"))
    }
    /// `profile-diff`'s differential stacks (two counts per stack) and their flamegraph.
    pub fn diff_folded(&self) -> PathBuf {
        self.dir.join("diff.folded")
    }
    pub fn diff_flamegraph(&self) -> PathBuf {
        self.dir.join("diff-flamegraph.svg")
    }
    pub fn diff_json(&self) -> PathBuf {
        self.dir.join("diff.json")
    }
    /// What `trace` found: per-syscall latencies, tracepoint counts.
    pub fn trace_json(&self) -> PathBuf {
        self.dir.join("trace.json")
    }
    /// `profile --memory`'s page-fault stacks and their flamegraph.
    pub fn faults_folded(&self) -> PathBuf {
        self.dir.join("faults.folded")
    }
    pub fn faults_flamegraph(&self) -> PathBuf {
        self.dir.join("faults-flamegraph.svg")
    }
    /// `profile --memory`'s major-fault stacks (pages read from disk) and their flamegraph.
    pub fn major_faults_folded(&self) -> PathBuf {
        self.dir.join("major-faults.folded")
    }
    pub fn major_faults_flamegraph(&self) -> PathBuf {
        self.dir.join("major-faults-flamegraph.svg")
    }
    /// `profile --off-cpu`'s stacks weighted by blocked microseconds, and their flamegraph.
    pub fn offcpu_folded(&self) -> PathBuf {
        self.dir.join("offcpu.folded")
    }
    pub fn offcpu_flamegraph(&self) -> PathBuf {
        self.dir.join("offcpu-flamegraph.svg")
    }
}

/// Where `profile` keeps perf record's data and perf script's text, under raw_data/.
pub(crate) const PROFILE_DATA: &str = "profile/perf.data";
pub(crate) const PROFILE_SCRIPT: &str = "profile/perf.script";
/// Where `trace` keeps perf trace's event log, under raw_data/.
pub(crate) const TRACE_LOG: &str = "trace/events.txt";
/// Where `profile --memory` keeps its page-fault recording and its text.
pub(crate) const MEMORY_DATA: &str = "memory/perf.data";
pub(crate) const MEMORY_SCRIPT: &str = "memory/perf.script";
/// Where `profile --memory` keeps its major-fault recording and its text.
pub(crate) const MAJOR_FAULTS_DATA: &str = "memory/major-faults.data";
pub(crate) const MAJOR_FAULTS_SCRIPT: &str = "memory/major-faults.script";
/// Where `profile --off-cpu` keeps its sched_switch recording and its text.
pub(crate) const OFFCPU_DATA: &str = "offcpu/perf.data";
pub(crate) const OFFCPU_SCRIPT: &str = "offcpu/perf.script";

/// The flamegraph drawn for the `index`th profile of a report written at `report`: beside it,
/// named after it (`report.md` → `report.flamegraph.svg`, `report.flamegraph-1.svg`).
pub(crate) fn flamegraph_beside(report: &Path, index: usize) -> PathBuf {
    let stem = report.file_stem().map_or_else(
        || "report".into(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    report.with_file_name(numbered(&format!("{stem}.flamegraph"), index, "svg"))
}

/// `stem.extension` for the first of its kind, `stem-N.extension` after.
fn numbered(stem: &str, index: usize, extension: &str) -> String {
    if index == 0 {
        format!("{stem}.{extension}")
    } else {
        format!("{stem}-{index}.{extension}")
    }
}

/// Where `perf script`'s text of the `index`th perf.data goes in `dir`.
pub(crate) fn perf_script_in(dir: &Path, index: usize) -> PathBuf {
    dir.join(format!("perf-data-{index}.script"))
}

/// A new private folder in the temporary directory, removed when dropped. Made with `mkdir`
/// alone, which refuses a folder that exists (or a symlink planted at its name), so nobody
/// else's is written into.
#[derive(Debug)]
pub(crate) struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// `purpose` names it (`perf_manual-PURPOSE-PID-NANOS`), for whoever finds one left behind.
    pub fn new(purpose: &str) -> std::io::Result<ScratchDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "perf_manual-{purpose}-{}-{nanos}",
            std::process::id()
        ));
        DirBuilder::new().mode(0o700).create(&path)?;
        Ok(ScratchDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// From here on, what this process and its children create is their owner's only (files
/// 0600, folders 0700) whatever umask perf_manual was started with: raw data can hold command
/// lines, host names and process names that are nobody else's business.
pub(crate) fn private_umask() {
    // SAFETY: umask(2) only sets the process's file mode creation mask.
    unsafe {
        libc::umask(0o077);
    }
}

/// `err` with the path it concerns in front: "Permission denied" alone does not say where.
pub(crate) fn with_path(path: &Path, err: std::io::Error) -> std::io::Error {
    std::io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

/// Make a directory and its missing parents, each readable by its owner only (0700). A
/// directory that exists is left as it is.
pub(crate) fn private_dir(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        private_dir(parent)?;
    }
    make_dir(path).map(|_| ())
}

/// Make one directory, 0700 whatever the umask. `Ok(false)` when something is already there.
fn make_dir(path: &Path) -> std::io::Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    match DirBuilder::new().mode(0o700).create(path) {
        Ok(()) => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
                .map_err(|err| with_path(path, err))?;
            Ok(true)
        }
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(err) => Err(with_path(path, err)),
    }
}

/// The lock file in an investigation: the run writing it holds an flock on it, and wrote its
/// PID in it for whoever finds it held.
pub(crate) const LOCK: &str = ".lock";

/// A run's hold on its investigation directory, released when dropped (or when the process
/// dies, however it dies).
#[derive(Debug)]
pub struct RunLock {
    _file: std::fs::File,
}

impl RunLock {
    /// Take the lock of the investigation at `root`, or say which run holds it.
    pub(crate) fn take(root: &Path) -> Result<RunLock, Failure> {
        use std::os::{fd::AsRawFd, unix::fs::OpenOptionsExt};
        let path = root.join(LOCK);
        let cannot = |err| Failure::environment(format!("cannot lock {}", with_path(&path, err)));
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(cannot)?;
        // SAFETY: flock(2) on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::WouldBlock {
                return Err(cannot(err));
            }
            let holder = match holder_pid(&path) {
                Some(pid) => format!(" (PID {pid})"),
                None => String::new(),
            };
            return Err(Failure::bad_input(format!(
                "{} is in use by another perf_manual run{holder}: choose another --output, or \
                 wait until that run ends",
                root.display()
            )));
        }
        file.set_len(0)
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .map_err(cannot)?;
        Ok(RunLock { _file: file })
    }
}

/// The PID the holder of a lock wrote in it. A run writes it just after it takes the lock,
/// so one that has only just taken it is given a tenth of a second.
fn holder_pid(lock: &Path) -> Option<u32> {
    for _ in 0..10 {
        if let Some(pid) = std::fs::read_to_string(lock)
            .ok()
            .and_then(|text| text.trim().parse().ok())
        {
            return Some(pid);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    None
}

/// Whether a run holds the investigation at `root` now.
fn is_held(root: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(file) = std::fs::File::open(root.join(LOCK)) else {
        return false;
    };
    // SAFETY: flock(2) on a descriptor we own; a shared lock taken here goes with the file.
    let taken = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) } == 0;
    !taken
}

/// An investigation directory made for a run, and held by it.
#[derive(Debug)]
pub struct Claimed {
    pub investigation: Investigation,
    /// Other runs that try this directory fail at once while it is held.
    pub lock: RunLock,
    /// What the user should hear: where an old investigation went, a folder others can read.
    pub notes: Vec<String>,
}

/// Make `base/DATE_TIME_name` (`_02`, `_03`, ... in the same second), or claim exactly
/// `output`: a path that does not exist or an empty directory (whose mode is left alone); an
/// existing investigation, or anything else already there, only with `force`, which first
/// moves it aside whole to a sibling named `NAME.replaced-TIME`. Either way the directory is
/// locked before anything is written in it, so two runs never share one.
pub fn create(
    base: &Path,
    name: &str,
    output: Option<&Path>,
    force: bool,
) -> Result<Claimed, Failure> {
    let mut notes = Vec::new();
    let (root, lock) = match output {
        Some(output) => claim(output, force, &mut notes)?,
        None => {
            let root = new_dated_dir(base, name)?;
            let lock = RunLock::take(&root)?;
            (root, lock)
        }
    };
    let investigation = Investigation { root };
    for dir in [investigation.raw_dir(), investigation.analysis_dir()] {
        private_dir(&dir).map_err(cannot_create)?;
    }
    Ok(Claimed {
        investigation,
        lock,
        notes,
    })
}

fn cannot_create(err: std::io::Error) -> Failure {
    Failure::environment(format!("cannot create the investigation directory {err}"))
}

/// `base/DATE_TIME_name`: named by the local time it was started at, so the folders sort in
/// the order they were made (a counter alone sorts `_10` before `_2`). `mkdir` refuses a name
/// that another run took meanwhile, and the next one is tried.
fn new_dated_dir(base: &Path, name: &str) -> Result<PathBuf, Failure> {
    private_dir(base).map_err(cannot_create)?;
    let time = jiff::ZonedDateTime::now()
        .strftime("%Y-%m-%d_%H%M%S")
        .to_string();
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stem = format!("{time}_{safe}");
    for counter in 1..=99 {
        let candidate = match counter {
            1 => base.join(&stem),
            _ => base.join(format!("{stem}_{counter:02}")),
        };
        if make_dir(&candidate).map_err(cannot_create)? {
            return Ok(candidate);
        }
    }
    Err(Failure::environment(format!(
        "cannot create the investigation directory: {} already holds 99 named {stem}",
        base.display()
    )))
}

/// Claim `path` for a run (see [`create`]).
fn claim(path: &Path, force: bool, notes: &mut Vec<String>) -> Result<(PathBuf, RunLock), Failure> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        private_dir(parent).map_err(cannot_create)?;
    }
    if make_dir(path).map_err(cannot_create)? {
        return Ok((path.to_path_buf(), RunLock::take(path)?));
    }
    // It was there: a directory is locked before it is looked into, so of two runs that find
    // it at once only one goes on.
    let held = match path.is_dir() {
        true => Some(RunLock::take(path)?),
        false => None,
    };
    let old_lock = match held {
        Some(lock) if is_unused(path) => {
            notes.extend(readable_by_others(path));
            return Ok((path.to_path_buf(), lock));
        }
        other => other,
    };
    let aside = aside_name(path)?;
    if !force {
        return Err(Failure::bad_input(format!(
            "--output {} already exists and is not empty (an earlier investigation?): choose \
             another --output, or add --force to move it aside to {} and start afresh",
            path.display(),
            aside.display()
        )));
    }
    std::fs::rename(path, &aside).map_err(|err| {
        Failure::environment(format!(
            "cannot move {} aside to {}: {err}",
            path.display(),
            aside.display()
        ))
    })?;
    notes.push(format!(
        "moved the earlier {} aside to {}",
        path.display(),
        aside.display()
    ));
    drop(old_lock);
    if !make_dir(path).map_err(cannot_create)? {
        return Err(Failure::bad_input(format!(
            "{} was made again by another run meanwhile: choose another --output",
            path.display()
        )));
    }
    Ok((path.to_path_buf(), RunLock::take(path)?))
}

/// Whether the directory holds nothing but a lock file.
fn is_unused(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| {
        entries.all(|entry| entry.is_ok_and(|entry| entry.file_name() == LOCK))
    })
}

/// A warning when others may read or enter `dir`.
fn readable_by_others(dir: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} is open to others (mode {mode:03o}): raw data can show command lines, host and \
             process names; `chmod 700 {}` keeps them private",
            dir.display(),
            dir.display()
        )
    })
}

/// The sibling an investigation replaced with `--force` is moved to: `NAME.replaced-TIME`
/// (`-2`, `-3`, ... when taken).
fn aside_name(path: &Path) -> Result<PathBuf, Failure> {
    let name = path.file_name().ok_or_else(|| {
        Failure::bad_input(format!(
            "--output {}: name the directory itself, not . or ..",
            path.display()
        ))
    })?;
    let time = jiff::ZonedDateTime::now()
        .strftime("%Y-%m-%dT%H%M%S")
        .to_string();
    let stem = format!("{}.replaced-{time}", name.to_string_lossy());
    let mut candidate = path.with_file_name(&stem);
    let mut counter = 2;
    while candidate.symlink_metadata().is_ok() {
        candidate = path.with_file_name(format!("{stem}-{counter}"));
        counter += 1;
    }
    Ok(candidate)
}

/// A timeline entry: what happened when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Event {
    pub time: String,
    pub what: String,
}

/// metadata.toml.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Metadata {
    pub name: String,
    pub summary: String,
    /// complete, interrupted or failed.
    pub status: String,
    pub started: String,
    pub ended: String,
    pub playbook: String,
    pub playbook_sha256: String,
    #[serde(default)]
    pub workload: String,
    #[serde(default)]
    pub symptom: String,
    /// The process investigated (`run --pid`): `analyze` judges the run's data against it
    /// again, telling its findings from a neighbour's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_pid: Option<u32>,
    pub host: HostFacts,
    /// Tool name → the version it printed.
    #[serde(default)]
    pub tools: std::collections::BTreeMap<String, String>,
    #[serde(default, rename = "event")]
    pub timeline: Vec<Event>,
    /// What the run cost: perf_manual's own CPU beside its collectors'.
    #[serde(default)]
    pub cost: Cost,
}

/// CPU seconds of a run, for the engine-overhead benchmark and for the curious.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Cost {
    pub wall_seconds: f64,
    /// perf_manual's own threads: scheduling, the /proc sampler, parsing, judging, rendering.
    pub engine_cpu_seconds: f64,
    /// The collectors it ran (mpstat, perf, ...).
    pub collectors_cpu_seconds: f64,
}

/// Write `bytes` to `path`, replacing it whole (write to a temporary file, then rename), so a
/// crash never leaves half a manifest; a write that fails (a full disk) removes its temporary
/// file. The file is 0600 whatever the umask; errors name the path.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension("tmp");
    let written = write_private(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(|err| with_path(path, err))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(bytes)?;
    file.sync_all()
}

pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

pub(crate) fn write_toml<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let text = toml::to_string_pretty(value).map_err(std::io::Error::other)?;
    write_atomic(path, text.as_bytes())
}

/// SHA-256 of a file's bytes, in hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn investigation_directories_are_private_and_never_reused() {
        let base = tempfile::tempdir().unwrap();
        let first = create(base.path(), "cpu bottleneck", None, false)
            .unwrap()
            .investigation;
        let second = create(base.path(), "cpu bottleneck", None, false)
            .unwrap()
            .investigation;
        assert_ne!(first.root, second.root);
        assert!(
            first
                .root
                .file_name()
                .unwrap()
                .to_string_lossy()
                .ends_with("_cpu-bottleneck")
        );
        for dir in [&first.root, &first.raw_dir(), &first.analysis_dir()] {
            let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", dir.display());
        }
    }

    #[test]
    fn sha256_matches_a_known_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

//! Investigation directories, the source of truth of every run:
//!
//! ```text
//! investigations/2026-11-25_cpu-bottleneck/   (0700)
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

use crate::record::HostFacts;

/// What a collection leaves in its raw folder beside the tools' output: per step, the argv,
/// times, exit status and bytes. Not judged as data.
pub const MANIFEST: &str = "manifest.json";

/// The layout of one investigation directory. Every name in it is written here and nowhere
/// else.
#[derive(Debug, Clone)]
pub struct Investigation {
    pub root: PathBuf,
}

impl Investigation {
    pub fn raw_dir(&self) -> PathBuf {
        self.root.join("raw_data")
    }
    pub fn analysis_dir(&self) -> PathBuf {
        self.root.join("analysis")
    }
    pub fn metadata_path(&self) -> PathBuf {
        self.root.join("metadata.toml")
    }
    pub fn playbook_path(&self) -> PathBuf {
        self.root.join("playbook.toml")
    }
    pub fn manifest_path(&self) -> PathBuf {
        self.raw_dir().join(MANIFEST)
    }
    /// The report, as the exporter whose files end in `extension` writes it (`report.md`).
    pub fn report_path(&self, extension: &str) -> PathBuf {
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
pub struct DataDir {
    /// Where the raw files are: `raw_data/` of an investigation, else the path given.
    pub raw_dir: PathBuf,
    /// The playbook an investigation was run with, when there is one.
    pub saved_playbook: Option<PathBuf>,
}

impl DataDir {
    pub fn locate(path: &Path) -> DataDir {
        let investigation = Investigation {
            root: path.to_path_buf(),
        };
        let raw_dir = investigation.raw_dir();
        let raw_dir = if raw_dir.is_dir() {
            raw_dir
        } else {
            path.to_path_buf()
        };
        let saved = investigation.playbook_path();
        DataDir {
            raw_dir,
            saved_playbook: saved.is_file().then_some(saved),
        }
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.raw_dir.join(MANIFEST)
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
pub fn perf_script_in(dir: &Path, index: usize) -> PathBuf {
    dir.join(format!("perf-data-{index}.script"))
}

/// A new private folder in the temporary directory, removed when dropped. Made with `mkdir`
/// alone, which refuses a folder that exists (or a symlink planted at its name), so nobody
/// else's is written into.
#[derive(Debug)]
pub struct ScratchDir {
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

/// Make a directory (and its parents) readable by its owner only: raw data can hold
/// command lines, host names and process names that are nobody else's business.
pub fn private_dir(path: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(path)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
}

/// Create `base/YYYY-MM-DD_name` (or `_2`, `_3`, ... when taken), or exactly `output` when given.
pub fn create(base: &Path, name: &str, output: Option<&Path>) -> std::io::Result<Investigation> {
    let root = match output {
        Some(output) => output.to_path_buf(),
        None => {
            let date = jiff::ZonedDateTime::now().strftime("%Y-%m-%d").to_string();
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
            let stem = format!("{date}_{safe}");
            let mut candidate = base.join(&stem);
            let mut counter = 2;
            while candidate.exists() {
                candidate = base.join(format!("{stem}_{counter}"));
                counter += 1;
            }
            candidate
        }
    };
    let investigation = Investigation { root };
    private_dir(&investigation.root)?;
    private_dir(&investigation.raw_dir())?;
    private_dir(&investigation.analysis_dir())?;
    Ok(investigation)
}

/// A timeline entry: what happened when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub time: String,
    pub what: String,
}

/// metadata.toml.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Metadata {
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
pub struct Cost {
    pub wall_seconds: f64,
    /// perf_manual's own threads: scheduling, the /proc sampler, parsing, judging, rendering.
    pub engine_cpu_seconds: f64,
    /// The collectors it ran (mpstat, perf, ...).
    pub collectors_cpu_seconds: f64,
}

/// Write `bytes` to `path`, replacing it whole (write to a temporary file, then rename), so a
/// crash never leaves half a manifest.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension("tmp");
    {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, path)
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

pub fn write_toml<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let text = toml::to_string_pretty(value).map_err(std::io::Error::other)?;
    write_atomic(path, text.as_bytes())
}

/// SHA-256 of a file's bytes, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
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
        let first = create(base.path(), "cpu bottleneck", None).unwrap();
        let second = create(base.path(), "cpu bottleneck", None).unwrap();
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

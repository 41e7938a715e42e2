//! A regression recipe as users write it (TOML, `schemas/recipe.schema.json`).
//!
//! ```toml
//! name = "sort"
//! warmup = 2
//! repetitions = 20
//!
//! [baseline]
//! revision = "origin/main"          # or: file = "baselines/sort.json"
//!
//! [[benchmark]]
//! name = "sort-1m"
//! command = ["target/release/sorter", "--items", "1000000"]
//!
//! [[threshold]]
//! check = "mean(wall) may not rise more than 5% at p < 0.01"
//! ```

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::rules::Severity;

/// A regression recipe: benchmark commands, how often to run them, what to compare them
/// against, and the thresholds they may not cross.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// The recipe's name (the JUnit suite, the report's title).
    pub name: String,
    /// What the recipe guards, in a sentence.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// Unmeasured runs of each benchmark before its measured ones (warm caches).
    #[serde(default = "default_warmup")]
    pub warmup: u32,
    /// Measured runs of each benchmark (at least 2; 10 to 30 is usual).
    #[serde(default = "default_repetitions")]
    pub repetitions: u32,
    /// Measured runs at most, when the first `repetitions` cannot decide: regress then
    /// measures more in rounds, each doubling the count (capped here), until every check of
    /// a benchmark decides (`--measure-only`: until each compared statistic is precise
    /// enough for its limit). Every look is tested at alpha / looks (Bonferroni), so the
    /// repeated looks do not make a regression likelier to be said. Absent: `repetitions`,
    /// one look.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_repetitions: Option<u32>,
    /// The longest one run of a benchmark may take (`30s`, `5m`); past it the run is ended
    /// and the recipe cannot be judged (exit 3).
    #[serde(default = "default_timeout")]
    pub timeout: String,
    /// Commands run once, in order, before the benchmarks, in the current tree and in a
    /// baseline revision's (`[["cargo", "build", "--release"]]`). Argv lists, never shell
    /// strings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub build: Vec<Vec<String>>,
    /// What the current run is compared against.
    pub baseline: Baseline,
    /// A JSON Lines file of earlier runs (relative to the recipe): this run is appended to
    /// it, and the change points over it say when a metric changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
    /// The commands measured.
    #[serde(rename = "benchmark")]
    pub benchmarks: Vec<Benchmark>,
    /// Numbers the benchmarks print, measured beside wall, user, sys and max_rss.
    #[serde(default, rename = "metric", skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<Metric>,
    /// The limits the current run may not cross.
    #[serde(rename = "threshold")]
    pub thresholds: Vec<Threshold>,
    /// A playbook run while a benchmark loads the host, failing the recipe on its findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playbook: Option<PlaybookStep>,
}

fn default_warmup() -> u32 {
    1
}

fn default_repetitions() -> u32 {
    10
}

fn default_timeout() -> String {
    "10m".into()
}

/// One of `file` or `revision`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// A stored result (`regress --save FILE`, or `--format json` output), relative to the
    /// recipe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// A git revision (`origin/main`, `HEAD~1`, a tag): checked out in a temporary worktree,
    /// built with `build`, and measured there in the same run, interleaved with the current
    /// tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
}

/// A command to measure.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Benchmark {
    pub name: String,
    /// Argv: the program, then its arguments. Run in the current directory (in a baseline
    /// revision's worktree, the same place within it).
    pub command: Vec<String>,
}

/// A number a benchmark prints, found by a regular expression with one capture group; the
/// last match in a run's output counts.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// How thresholds name it (`throughput`); not one of wall, user, sys, max_rss.
    pub name: String,
    /// `'ops/s: ([0-9.]+)'`: the first capture group is the number.
    pub pattern: String,
    /// Which output to search.
    #[serde(default)]
    pub stream: Stream,
    /// Shown beside the numbers (`ops/s`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    #[default]
    Stdout,
    Stderr,
}

/// A limit: `mean(wall) may not rise more than 5% at p < 0.01`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// `STAT(METRIC) may not rise|fall more than N% [at p < ALPHA]`. STAT is `mean` (Welch's
    /// t-test) or `median` (Mann–Whitney U); METRIC is wall, user, sys, max_rss or a
    /// `[[metric]]`; ALPHA defaults to 0.05.
    pub check: String,
    /// The benchmarks it applies to; all when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub benchmarks: Vec<String>,
}

/// A playbook run (`perf_manual run`) while one benchmark runs over and over as its load.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaybookStep {
    /// The playbook file, relative to the recipe.
    pub path: String,
    /// The benchmark that loads the host; the first when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<String>,
    /// How long the playbook's first (USE) phase observes.
    #[serde(default = "default_playbook_duration")]
    pub duration: String,
    /// A finding at or above this severity fails the recipe.
    #[serde(default = "default_fail_on")]
    pub fail_on: Severity,
}

fn default_playbook_duration() -> String {
    "10s".into()
}

fn default_fail_on() -> Severity {
    Severity::High
}

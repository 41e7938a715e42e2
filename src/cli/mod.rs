//! Command-line flags (clap). Each subcommand becomes a request for one function in commands/.

pub(crate) mod progress;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::{
    report::export::{OutputFormat, ReportFormat},
    rules::Severity,
};

#[derive(Debug, Parser)]
#[command(
    name = "perf_manual",
    version,
    about = "Declarative performance investigations for Linux: collect, parse, judge, report.",
    after_help = "Exit codes: 0 success, 1 a finding at or above --fail-on, 2 bad usage, playbook or data, 3 the environment cannot do what was asked, 4 with --fail-on: no finding reached it but something could not be judged (inconclusive), 130 interrupted."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl From<FailOn> for Severity {
    fn from(level: FailOn) -> Self {
        match level {
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a playbook: collect, parse, judge and report, in a new investigation directory.
    Run(RunArgs),
    /// Validate a playbook without running anything.
    Check {
        /// The playbook file.
        playbook: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: OutputFormat,
    },
    /// Run a playbook's collection steps only, into DIR in the seed's layout.
    Collect(CollectArgs),
    /// Judge a directory of data captured earlier, by anyone, with the same rules as `run`.
    Analyze(AnalyzeArgs),
    /// List the tools and kernel features this host has.
    Doctor {
        #[arg(long, value_enum, default_value = "text")]
        format: OutputFormat,
    },
    /// Print the playbook JSON schema (generated from the playbook types).
    Schema,
    /// Print the USE table of the host and of one target, measured over one interval.
    UseCheck(UseCheckArgs),
    /// Load an HTTP endpoint and print its RED: rate, errors by class, duration percentiles.
    RedCheck(RedCheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The playbook file.
    pub playbook: PathBuf,
    /// How long the first (USE) phase observes, like `mpstat 1 D` (`30s`, `2m`); later
    /// phases keep their own time boxes, and one whose condition does not hold is skipped.
    #[arg(long)]
    pub duration: Option<String>,
    /// Print the plan (every phase's time box, the shortest and longest run) and run nothing;
    /// `--format json` prints it as JSON (schemas/plan.schema.json).
    #[arg(long)]
    pub dry_run: bool,
    /// Write the investigation here instead of investigations/DATE_TIME_NAME; refused when
    /// something is already there (see --force).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// With --output onto an existing investigation (or anything else already there): move
    /// it aside whole, to NAME.replaced-TIME beside it, and start afresh.
    #[arg(long)]
    pub force: bool,
    /// Where new investigation directories are made.
    #[arg(long, default_value = "investigations")]
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
    /// Exit 1 when a finding is at or above this severity; else 4 when something could not be
    /// judged (no data, too little data), so that finding nothing does not show nothing is there.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Let `collector = "command"` steps run arbitrary programs.
    #[arg(long)]
    pub allow_commands: bool,
    /// Point the perf steps (profile, syscall trace, off-CPU) at this process instead of their target.
    #[arg(long)]
    pub pid: Option<u32>,
    /// A Handlebars template to render instead of the built-in technical report.
    #[arg(long)]
    pub template: Option<PathBuf>,
    /// What is being investigated (goes into metadata.toml).
    #[arg(long, default_value = "")]
    pub workload: String,
    /// The symptom that started the investigation (goes into metadata.toml).
    #[arg(long, default_value = "")]
    pub symptom: String,
}

#[derive(Debug, clap::Args)]
pub struct CollectArgs {
    /// A playbook file, or the name of one in ./playbooks (`triage`).
    #[arg(long)]
    pub suite: String,
    /// Where the raw files go (cpu/, memory/, disk/, network/, profile/, trace/, proc/).
    #[arg(long)]
    pub output: PathBuf,
    /// How long the first (USE) phase observes, like `mpstat 1 D` (`30s`, `2m`); later
    /// phases keep their own time boxes (every phase runs: nothing is judged).
    #[arg(long)]
    pub duration: Option<String>,
    /// Let `collector = "command"` steps run arbitrary programs.
    #[arg(long)]
    pub allow_commands: bool,
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// An investigation directory, a raw_data/ directory, any directory of tool output, or one
    /// file (a .tar, .tar.gz or .tgz); tarballs inside a directory are opened too.
    #[arg(long)]
    pub data: PathBuf,
    /// Write the report here (Markdown); stdout when absent.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Take the rules from this playbook (default: the one saved with the investigation,
    /// else the built-in triage rules).
    #[arg(long)]
    pub playbook: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
    /// Exit 1 when a finding is at or above this severity; else 4 when something could not be
    /// judged (no data, too little data), so that finding nothing does not show nothing is there.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// A Handlebars template to render instead of the built-in technical report.
    #[arg(long)]
    pub template: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct UseCheckArgs {
    /// A PID, a systemd service or cgroup name, or a command name (all its processes).
    #[arg(long)]
    pub target: String,
    /// Time between the two readings of /proc (`1s`, `500ms`).
    #[arg(long, default_value = "1s")]
    pub interval: String,
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
}

#[derive(Debug, clap::Args)]
pub struct RedCheckArgs {
    /// The endpoint: http://HOST[:PORT][/PATH] (clear-text HTTP/1.1; GET).
    #[arg(long)]
    pub endpoint: String,
    /// How long to load it: seconds (`10`) or a duration (`10s`, `1m`).
    #[arg(long, default_value = "10s")]
    pub duration: String,
    /// Keep-alive connections, each sending its next request when the last is answered.
    #[arg(long, default_value_t = 10)]
    pub connections: u32,
    /// Open model: this many requests per second in all, on a fixed schedule; durations are
    /// counted from when each was due (corrected for coordinated omission) and from its send.
    #[arg(long)]
    pub rate: Option<f64>,
    /// For one request, connecting and redirects included (`5s`, `500ms`).
    #[arg(long, default_value = "5s")]
    pub timeout: String,
    /// Bytes of an answer's body read at most; a longer one is the error `body_too_big`.
    #[arg(long, default_value_t = crate::red::DEFAULT_MAX_BODY)]
    pub max_body: u64,
    /// Also write what the probe measured here, for `analyze` to judge later.
    #[arg(long)]
    pub save: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
    /// Exit 1 when a RED finding is at or above this severity.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
}

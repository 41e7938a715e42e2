//! Command-line flags (clap). Each subcommand becomes a request for one function in commands/.

pub(crate) mod progress;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::{
    report::export::{OutputFormat, ReportFormat, regression::RegressFormat},
    rules::Severity,
};

#[derive(Debug, Parser)]
#[command(
    name = "perf_manual",
    version,
    about = "Declarative performance investigations for Linux: collect, parse, judge, report.",
    after_help = "Exit codes: 0 success, 1 a finding at or above --fail-on or a regression (regress), 2 bad usage, playbook, recipe or data, 3 the environment cannot do what was asked, 4 with --fail-on: no finding reached it but something could not be judged (inconclusive; regress --fail-inconclusive: a check too noisy to tell), 130 interrupted."
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
    /// Record an on-CPU profile (perf record, cpu-clock) of processes, a cgroup or every CPU,
    /// or read one recorded earlier: flamegraph, top functions, frames without symbols.
    Profile(ProfileArgs),
    /// Compare two profiles: differential flamegraph, hotspot shifts, Amdahl ceilings.
    ProfileDiff(ProfileDiffArgs),
    /// Trace the system calls (and tracepoints) of processes with perf trace: per-syscall
    /// counts, errors, latencies and their histogram.
    Trace(TraceArgs),
    /// Run a regression recipe: measure benchmarks against a baseline, exit 1 on a regression.
    Regress(RegressArgs),
    /// Load an HTTP endpoint and print its RED: rate, errors by class, duration percentiles.
    RedCheck(RedCheckArgs),
}

impl Command {
    /// Whether the command was asked for JSON: then a failure is printed as JSON on stdout
    /// too (`exit::ErrorJson`), so a script reads it where it would have read the result.
    pub fn wants_json(&self) -> bool {
        match self {
            Command::Run(args) => args.format == ReportFormat::Json,
            Command::Analyze(args) => args.format == ReportFormat::Json,
            Command::Check { format, .. } | Command::Doctor { format } => {
                *format == OutputFormat::Json
            }
            Command::UseCheck(args) => args.format == OutputFormat::Json,
            Command::Profile(args) => args.format == OutputFormat::Json,
            Command::ProfileDiff(args) => args.format == OutputFormat::Json,
            Command::Trace(args) => args.format == OutputFormat::Json,
            Command::Regress(args) => args.format == RegressFormat::Json,
            Command::RedCheck(args) => args.format == OutputFormat::Json,
            Command::Collect(_) | Command::Schema => false,
        }
    }
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
    /// The process investigated: the perf steps (profile, syscall trace, off-CPU) are pointed at
    /// it, and CPU findings other processes' load explains are told as a neighbour's.
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
    /// The process investigated (default: the one an investigation's run was aimed at): CPU
    /// and disk findings that other processes' load explains are told as a neighbour's.
    #[arg(long)]
    pub pid: Option<u32>,
    /// The most read of any one file (`512M`, `2G`; bytes without a unit; K, M, G are
    /// powers of 1024): the rest of a longer file is not judged, and the report says so
    /// naming the file. Default 1G.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
}

/// A size as `--max-file-size` takes it: `1073741824`, `512K`, `512M`, `2G`, `1T`, with an
/// optional `iB` or `B` (`512MiB`, `2GB`: powers of 1024 all the same).
fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("expected a size such as 512M or 2G, found {text:?}"))?;
    let unit = unit.trim_end_matches("iB").trim_end_matches('B');
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("unknown unit in {text:?}: use K, M, G or T")),
    };
    let size = number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))?;
    if size == 0 {
        return Err("the size must be more than 0".into());
    }
    Ok(size)
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["pid", "all", "cgroup", "data"])))]
pub struct ProfileArgs {
    /// Profile these processes: `--pid 4242` or `--pid 4242,4243`.
    #[arg(long)]
    pub pid: Option<String>,
    /// Profile every CPU (`perf record -a`): needs root or CAP_PERFMON.
    #[arg(long)]
    pub all: bool,
    /// Profile a cgroup: its directory (`/sys/fs/cgroup/unified/app`) or name (`nginx.service`).
    #[arg(long)]
    pub cgroup: Option<String>,
    /// Record nothing: read a perf.data, a perf script's text, a folded file, or a directory
    /// holding them (an investigation), and write the same outputs.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// How long to record (`10s`, `1m`).
    #[arg(long, default_value = "10s")]
    pub duration: String,
    /// Samples per second per CPU.
    #[arg(long, default_value_t = 99)]
    pub frequency: u32,
    /// Unwind with frame pointers (`perf record -g`) instead of DWARF: far less data, but
    /// stacks stop early in code built without frame pointers (most distributions' binaries).
    #[arg(long)]
    pub frame_pointers: bool,
    /// Also record where the threads wait (every sched_switch with its stack, for at most the
    /// first 5 s): off-CPU stacks weighted by time blocked, by wait (futex, io, sleep, poll,
    /// run-queue), and their flamegraph.
    #[arg(long)]
    pub off_cpu: bool,
    /// Also record where memory is faulted in (perf record -e page-faults, one sample every
    /// 10 faults, with stacks) and how each process's RSS and swap grew over the recording.
    #[arg(long)]
    pub memory: bool,
    /// Write here instead of investigations/DATE_TIME_profile; refused when something is
    /// already there (see --force).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// With --output onto something that exists: move it aside and start afresh.
    #[arg(long)]
    pub force: bool,
    /// Where new investigation directories are made.
    #[arg(long, default_value = "investigations")]
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
}

#[derive(Debug, clap::Args)]
pub struct ProfileDiffArgs {
    /// The profile before the change: a perf.data, a perf script, a folded file, or an
    /// investigation (or directory) holding one.
    pub before: PathBuf,
    /// The profile after the change, in any of the same forms.
    pub after: PathBuf,
    /// How many functions the hotspot-shift table lists.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Write here instead of investigations/DATE_TIME_profile-diff.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// With --output onto something that exists: move it aside and start afresh.
    #[arg(long)]
    pub force: bool,
    /// Where new investigation directories are made.
    #[arg(long, default_value = "investigations")]
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
}

#[derive(Debug, clap::Args)]
pub struct TraceArgs {
    /// The processes to trace: `--pid 4242` or `--pid 4242,4243`.
    #[arg(long)]
    pub pid: String,
    /// What to trace: syscall names and tracepoints, comma-separated
    /// (`futex,read,sched:sched_wakeup`); every syscall when absent.
    #[arg(long)]
    pub events: Option<String>,
    /// How long to trace (`10s`, `1m`).
    #[arg(long, default_value = "10s")]
    pub duration: String,
    /// perf stops after this many events; the log read is also capped at 64 MiB. Both caps,
    /// and what they cut, are stated.
    #[arg(long, default_value_t = 200_000)]
    pub max_events: u64,
    /// Write here instead of investigations/DATE_TIME_trace.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// With --output onto something that exists: move it aside and start afresh.
    #[arg(long)]
    pub force: bool,
    /// Where new investigation directories are made.
    #[arg(long, default_value = "investigations")]
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
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
pub struct RegressArgs {
    /// The recipe file (TOML, schemas/recipe.schema.json).
    pub recipe: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: RegressFormat,
    /// Compare against this stored result instead of the recipe's baseline.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Write this run's results here: a stored result a later run can take as its baseline.
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// Also write JUnit XML here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Also write the Markdown summary (for a pull-request comment) here.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// Measure the current tree and compare nothing (no baseline, no playbook): the first
    /// baseline, with --save.
    #[arg(long, conflicts_with = "history_only")]
    pub measure_only: bool,
    /// Run nothing: report where the recipe's history changed.
    #[arg(long)]
    pub history_only: bool,
    /// Exit 4 when a check could not tell (too noisy), instead of 0.
    #[arg(long)]
    pub fail_inconclusive: bool,
}

#[derive(Debug, clap::Args)]
pub struct RedCheckArgs {
    /// The endpoint: http[s]://HOST[:PORT][/PATH] (HTTP/1.1, GET; https over TLS, trusting
    /// the host's CA certificates).
    #[arg(long)]
    pub endpoint: String,
    /// For an https endpoint: also trust the CA certificates in this PEM file (an in-house
    /// CA, a self-signed test server).
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
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

//! Built-in collectors, one descriptor each: its name and the line the playbook schema shows,
//! the programs it runs and how to install them, the arguments it takes, where its output goes,
//! how it runs and the argv it runs. One file per family of tools; `FAMILIES` below gathers them.
//! Pure data and argv builders: nothing here spawns.

mod args;
mod command;
mod perf;
mod procfs;
mod red;
mod sysstat;

pub use args::StepArgs;
pub(crate) use perf::{
    FAULTS_PER_SAMPLE, OFF_CPU_PROFILE_LONGEST, OFF_CPU_RECORD, PERF, ProfileEvent,
};
pub(crate) use red::DEFAULT_CONNECTIONS;
pub(crate) use sysstat::SAR;

use std::{borrow::Cow, fmt, path::Path, sync::LazyLock, time::Duration};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{self, DeserializeSeed, EnumAccess, VariantAccess, Visitor},
};

use args::Arg;

/// Every built-in collector, family by family, in the order the playbook schema and the
/// "unknown step" error list them.
static FAMILIES: [&[Descriptor]; 5] = [
    sysstat::COLLECTORS,
    procfs::COLLECTORS,
    perf::COLLECTORS,
    red::COLLECTORS,
    command::COLLECTORS,
];

/// The collectors' names, made once: serde's errors want them `'static`.
static NAMES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| Collector::all().map(Collector::name).collect());

/// What a collector is and does. Written in its family's file, read through [`Collector`].
pub(crate) struct Descriptor {
    /// The name a playbook uses for it.
    name: &'static str,
    /// What it runs and what that shows, in one line: the playbook schema's text.
    description: &'static str,
    /// The programs it runs, in order.
    programs: &'static [Program],
    /// The arguments it reads; `check` refuses the others.
    takes: &'static [Arg],
    /// What it needs of its arguments beyond taking them, said as a problem.
    requires: fn(&StepArgs) -> Option<String>,
    /// Where its output goes, relative to raw_data/, when the step names no place;
    /// `{step}` stands for the step's name.
    output: &'static str,
    /// How it runs and, if it is spawned, its argv.
    runs: Runs,
}

/// Builds the invocations of a step. `Err` says why it cannot run as configured.
pub(crate) type BuildArgv = fn(&ToolContext<'_>) -> Result<Vec<Invocation>, String>;

/// How a collector runs.
#[derive(Clone, Copy)]
pub enum Runs {
    /// Inside perf_manual (the /proc sampler): nothing is spawned.
    InProcess,
    /// perf_manual's HTTP load probe, inside perf_manual for the phase's time box.
    Probe,
    /// The programs its argv builder names, one after the other.
    Spawned(BuildArgv),
    /// A program the playbook names, so only with `--allow-commands`.
    Command(BuildArgv),
}

/// A program a collector runs: how to ask its version and how to install it.
#[derive(Debug, Clone, Copy)]
pub struct Program {
    pub name: &'static str,
    /// What makes it print its version (`-V`), for `doctor` and metadata.toml.
    pub version_args: &'static [&'static str],
    /// The package that installs it on Debian/Ubuntu.
    pub debian: &'static str,
    /// The package that installs it on Fedora/RHEL.
    pub rpm: &'static str,
}

impl Program {
    /// How to get it on Debian/Ubuntu and on Fedora/RHEL.
    pub(crate) fn install_hint(&self) -> String {
        format!(
            "apt-get install {}  (Fedora/RHEL: dnf install {})",
            self.debian, self.rpm
        )
    }
}

/// Every program the collectors run, once each, those of one package together (sysstat's,
/// then procps's vmstat, then perf), so `doctor` lists them as they are installed.
pub fn programs() -> Vec<Program> {
    let mut programs: Vec<Program> = Vec::new();
    for program in Collector::all().flat_map(Collector::programs) {
        if programs.iter().all(|known| known.name != program.name) {
            programs.push(*program);
        }
    }
    let packages: Vec<&str> = programs.iter().map(|program| program.debian).collect();
    programs.sort_by_key(|program| {
        packages
            .iter()
            .position(|&package| package == program.debian)
    });
    programs
}

/// A built-in collector: a handle on its descriptor, compared by name. A playbook names it
/// (`collector = "mpstat"`), and it is written as that name.
#[derive(Clone, Copy)]
pub struct Collector(&'static Descriptor);

impl Collector {
    /// Every built-in collector, in the registry's order.
    pub fn all() -> impl Iterator<Item = Collector> {
        FAMILIES
            .iter()
            .flat_map(|family| family.iter())
            .map(Collector)
    }

    /// Their names, in the same order.
    pub fn names() -> &'static [&'static str] {
        &NAMES
    }

    pub(crate) fn from_name(name: &str) -> Option<Collector> {
        Collector::all().find(|collector| collector.name() == name)
    }

    /// The name a playbook uses for it.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// The programs it runs, in order; none for the sampler and for commands.
    pub fn programs(self) -> &'static [Program] {
        self.0.programs
    }

    /// Where the output of step `step_name` goes, relative to raw_data/, when it names no place.
    pub(crate) fn default_output(self, step_name: &str) -> String {
        self.0.output.replace("{step}", step_name)
    }

    /// Whether `run --pid` aims it at that process: so are the collectors that take a `target`.
    pub(crate) fn aimed_by_pid(self) -> bool {
        self.0.takes.contains(&Arg::Target)
    }

    /// Whether it runs inside perf_manual, as programs, or as a playbook's own command.
    pub fn runs(self) -> Runs {
        self.0.runs
    }

    /// The invocations of a step. `Err` says why it cannot run as configured.
    pub(crate) fn invocations(self, context: &ToolContext<'_>) -> Result<Vec<Invocation>, String> {
        match self.0.runs {
            Runs::InProcess | Runs::Probe => {
                Err(format!("{} runs in-process, not spawned", self.name()))
            }
            Runs::Spawned(build) | Runs::Command(build) => build(context),
        }
    }

    /// What is wrong with a step's arguments for this collector: arguments it does not take,
    /// values no collector could use, and what it requires.
    pub(crate) fn arg_problems(self, args: &StepArgs) -> Vec<String> {
        let mut problems: Vec<String> = Arg::ALL
            .into_iter()
            .filter(|arg| arg.given(args) && !self.0.takes.contains(arg))
            .map(|arg| format!("collector {} does not take `{}`", self.name(), arg.name()))
            .collect();
        problems.extend(args.bad_values());
        problems.extend((self.0.requires)(args));
        problems
    }
}

impl PartialEq for Collector {
    fn eq(&self, other: &Collector) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Collector {}

impl fmt::Debug for Collector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Collector {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A collector is read as a unit variant of an enum whose variants are the registry, so a
/// playbook's mistakes are told, and located, as they always were: ``unknown variant `mpstt`,
/// expected one of `mpstat`, ...`` at the name.
impl<'de> Deserialize<'de> for Collector {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Collector, D::Error> {
        deserializer.deserialize_enum("Collector", Collector::names(), ByName)
    }
}

struct ByName;

impl<'de> Visitor<'de> for ByName {
    type Value = Collector;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("enum Collector")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Collector, A::Error> {
        let (collector, variant) = data.variant_seed(ByName)?;
        variant.unit_variant()?;
        Ok(collector)
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Collector, E> {
        Collector::from_name(name).ok_or_else(|| E::unknown_variant(name, Collector::names()))
    }
}

/// The variant's name, looked up as it is read, so an error points at the name itself.
impl<'de> DeserializeSeed<'de> for ByName {
    type Value = Collector;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Collector, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl JsonSchema for Collector {
    fn schema_name() -> Cow<'static, str> {
        "Collector".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let variants: Vec<serde_json::Value> = Collector::all()
            .map(|collector| {
                serde_json::json!({
                    "const": collector.name(),
                    "description": collector.0.description,
                    "type": "string",
                })
            })
            .collect();
        json_schema!({
            "description": "The built-in collectors. Each knows its argv, its output file, its parser and how to install it.",
            "oneOf": variants,
        })
    }
}

/// What an interval tool is given beyond its samples to print its summary and exit, and the
/// engine to notice: a time box of `D + FINISH_GRACE` observes for `D` (`mpstat 1 D`).
pub(crate) const FINISH_GRACE: Duration = Duration::from_secs(1);

/// One program run of a step, argv only (never a shell string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub argv: Vec<String>,
    /// Where its standard output goes, relative to raw_data/.
    pub stdout: String,
}

/// What a collector needs to know about the run to build its argv.
pub struct ToolContext<'a> {
    pub interval: Duration,
    pub time_box: Duration,
    /// raw_data/, for tools that write files themselves (`perf record -o`).
    pub raw_dir: &'a Path,
    /// The step's output file, relative to raw_data/.
    pub output: &'a str,
    pub args: &'a StepArgs,
    /// Processes to observe, when the step targets some (`target = "busiest"` or a PID).
    pub pids: &'a [u32],
}

/// Whole seconds, at least one: what the interval tools take as their interval.
fn seconds(duration: Duration) -> String {
    duration.as_secs().max(1).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_collector_is_found_by_its_own_name() {
        for collector in Collector::all() {
            assert_eq!(Collector::from_name(collector.name()), Some(collector));
        }
        let mut names = Collector::names().to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            Collector::all().count(),
            "a name is used twice"
        );
    }

    #[test]
    fn a_collector_is_written_and_read_as_its_name() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Step {
            collector: Collector,
        }
        let step: Step = toml::from_str("collector = \"sar-dev\"").unwrap();
        assert_eq!(step.collector.name(), "sar-dev");
        assert_eq!(
            serde_json::to_string(&step).unwrap(),
            r#"{"collector":"sar-dev"}"#
        );
        let err = toml::from_str::<Step>("collector = \"mpstt\"").unwrap_err();
        assert!(
            err.message()
                .starts_with("unknown variant `mpstt`, expected one of `mpstat`, `vmstat`"),
            "{err}"
        );
    }

    #[test]
    fn run_pid_aims_the_collectors_that_take_a_target() {
        let aimed: Vec<&str> = Collector::all()
            .filter(|collector| collector.aimed_by_pid())
            .map(Collector::name)
            .collect();
        assert_eq!(aimed, ["perf-record", "perf-trace", "off-cpu"]);
    }

    #[test]
    fn a_command_writes_where_its_step_is_named() {
        let command = Collector::from_name("command").unwrap();
        assert_eq!(command.default_output("ss"), "custom/ss.txt");
    }

    #[test]
    fn programs_are_listed_once_by_package() {
        let names: Vec<&str> = programs().iter().map(|program| program.name).collect();
        assert_eq!(
            names,
            ["mpstat", "iostat", "sar", "pidstat", "vmstat", "perf"]
        );
    }
}

//! Arbitrary programs, allowed only with `--allow-commands`. Argv only: never a shell string.

use super::{Descriptor, Invocation, Runs, StepArgs, ToolContext, args::Arg};

pub(super) const COLLECTORS: &[Descriptor] = &[Descriptor {
    name: "command",
    description: "Any program, argv only (never a shell string). Needs `--allow-commands`.",
    programs: &[],
    takes: &[Arg::Argv, Arg::Parser],
    requires: needs_argv,
    output: "custom/{step}.txt",
    runs: Runs::Command(command),
}];

fn needs_argv(args: &StepArgs) -> Option<String> {
    args.argv
        .as_ref()
        .is_none_or(Vec::is_empty)
        .then(|| "collector command needs `argv = [\"program\", \"arg\", ...]`".to_string())
}

fn command(context: &ToolContext<'_>) -> Result<Vec<Invocation>, String> {
    let argv = context
        .args
        .argv
        .clone()
        .filter(|argv| !argv.is_empty())
        .ok_or("collector command needs argv")?;
    Ok(vec![Invocation {
        argv,
        stdout: context.output.to_string(),
    }])
}

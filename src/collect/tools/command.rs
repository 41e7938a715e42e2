//! Arbitrary programs, allowed only with `--allow-commands`. Argv only: never a shell string.

use super::{Invocation, ToolContext};

pub fn command(context: &ToolContext<'_>) -> Result<Vec<Invocation>, String> {
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

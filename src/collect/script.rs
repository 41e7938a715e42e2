//! `perf script` on a perf.data found in captured data, so that a profile recorded without its
//! text (the seed's collect_all.sh keeps only profile/perf.data) is still folded.

use std::{path::Path, sync::atomic::AtomicBool, time::Duration, time::Instant};

use super::process::{Ending, Redirect, find_program, run_owned};
use super::tools::PERF;

/// How long `perf script` may take. `--no-inline` keeps perf 6.1 at seconds for a minute of
/// samples; a much larger file is folded from what perf printed by then, with a warning.
pub(crate) const TIME_BOX: Duration = Duration::from_secs(120);

/// Why a perf.data could not be read, and how to fix that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unavailable {
    pub why: String,
    /// What to install; empty when installing would not help.
    pub hint: String,
}

/// What `perf script` printed, in the file the caller named.
#[derive(Debug)]
pub(crate) struct Script {
    pub text: Vec<u8>,
    /// Why the text may be incomplete (time box, Ctrl-C, an error after some output).
    pub partial: Option<String>,
}

/// Run `perf script --no-inline --header -i data`, its output to `output` and its errors beside it
/// (`output.stderr`), within [`TIME_BOX`] or until `interrupted` is set. perf's own default
/// fields are kept: a perf.data from another machine may lack some that `-F` would demand.
pub(crate) fn perf_script(
    data: &Path,
    output: &Path,
    interrupted: &AtomicBool,
) -> Result<Script, Unavailable> {
    if find_program("perf").is_none() {
        return Err(Unavailable {
            why: "perf is not installed: perf script turns perf.data into stacks".into(),
            hint: PERF.install_hint(),
        });
    }
    let argv = [
        "perf".into(),
        "script".into(),
        "--no-inline".into(),
        // The perf.data's own header (host, time, command line) titles the flamegraph.
        "--header".into(),
        // A per-process off-CPU recording's switch-ins; nothing in any other.
        "--show-switch-events".into(),
        "-i".into(),
        data.to_string_lossy().into_owned(),
    ];
    let stderr = output.with_extension("stderr");
    let exit = run_owned(
        &argv,
        Redirect {
            stdout: output,
            stderr: &stderr,
        },
        Instant::now() + TIME_BOX,
        interrupted,
    )
    .map_err(|err| Unavailable {
        why: format!("perf script could not start: {err}"),
        hint: String::new(),
    })?;
    let text = std::fs::read(output).unwrap_or_default();
    let complaint = std::fs::read_to_string(&stderr)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .unwrap_or("no message")
        .to_string();
    let partial = match (exit.ending, exit.code) {
        (Ending::Exited, Some(0)) => None,
        (Ending::TimedOut, _) => Some(format!(
            "perf script was ended at its {} s time box",
            TIME_BOX.as_secs()
        )),
        (Ending::Interrupted, _) => Some("perf script was interrupted".into()),
        (Ending::Exited, _) if text.is_empty() => {
            // Debian's /usr/bin/perf is a wrapper that says so when the perf of the running
            // kernel is missing.
            let hint = if complaint.contains("not installed") {
                PERF.install_hint()
            } else {
                String::new()
            };
            return Err(Unavailable {
                why: format!("perf script failed: {complaint}"),
                hint,
            });
        }
        (Ending::Exited, _) => Some(format!("perf script failed: {complaint}")),
    };
    Ok(Script { text, partial })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A perf.data that is not one: perf says so, and nothing is folded.
    #[test]
    fn a_file_perf_cannot_read_is_unavailable_with_perfs_reason() {
        if find_program("perf").is_none() {
            assert!(std::env::var_os("CI").is_none(), "perf is required in CI");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("perf.data");
        std::fs::write(&data, b"PERFILE2 but nothing else").unwrap();
        let never = AtomicBool::new(false);
        let err = perf_script(&data, &dir.path().join("out.txt"), &never).unwrap_err();
        assert!(err.why.starts_with("perf script failed: "), "{err:?}");
    }
}

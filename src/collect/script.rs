//! `perf script` on a perf.data found in captured data, so that a profile recorded without its
//! text (the seed's collect_all.sh keeps only profile/perf.data) is still folded; and `sar -A
//! -f` on a sysstat data file (`sar -o`, /var/log/sysstat/saDD), so that a colleague's binary
//! sar history is judged like its text.

use std::{path::Path, sync::atomic::AtomicBool, time::Duration, time::Instant};

use super::process::{Ending, Exit, Redirect, find_program, run_owned};
use super::tools::{PERF, SAR};

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
    let (exit, text, complaints) = run_into("perf script", &argv, output, TIME_BOX, interrupted)?;
    let complaint = complaints
        .last()
        .cloned()
        .unwrap_or_else(|| "no message".into());
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

/// How long `sar -A -f` may take: a day of one-second samples from a big host prints in
/// seconds.
pub(crate) const SAR_TIME_BOX: Duration = Duration::from_secs(60);

/// What `sar -A -f data` printed (LC_ALL=C, S_TIME_FORMAT=ISO, as every collector runs), its
/// text written to `output` and its errors beside it (`output.stderr`). A file of a sysstat
/// version this sar cannot read is `Unavailable` with how to convert it.
pub(crate) fn sar_text(
    data: &Path,
    output: &Path,
    interrupted: &AtomicBool,
) -> Result<Script, Unavailable> {
    if find_program("sar").is_none() {
        return Err(Unavailable {
            why: "sar is not installed: `sar -A -f` turns a sysstat data file into text".into(),
            hint: SAR.install_hint(),
        });
    }
    let argv = [
        "sar".into(),
        "-A".into(),
        "-f".into(),
        data.to_string_lossy().into_owned(),
    ];
    let (exit, text, complaints) = run_into("sar", &argv, output, SAR_TIME_BOX, interrupted)?;
    let complaint = complaints.join("; ");
    // A file sar cannot read prints the header line at most.
    let tables = text
        .split(|&byte| byte == b'\n')
        .filter(|line| !line.is_empty())
        .count()
        > 1;
    match (exit.ending, exit.code) {
        (Ending::Exited, Some(0)) if tables => Ok(Script {
            text,
            partial: (!complaint.is_empty()).then(|| format!("sar said: {complaint}")),
        }),
        (Ending::TimedOut, _) if tables => Ok(Script {
            text,
            partial: Some(format!(
                "sar was ended at its {} s time box",
                SAR_TIME_BOX.as_secs()
            )),
        }),
        (Ending::Interrupted, _) => Err(Unavailable {
            why: "sar was interrupted".into(),
            hint: String::new(),
        }),
        _ if tables => Ok(Script {
            text,
            partial: Some(format!("sar failed after some output: {complaint}")),
        }),
        _ => {
            let complaint = if complaint.is_empty() {
                "no samples in it".to_string()
            } else {
                complaint
            };
            Err(Unavailable {
                why: format!("sar -A -f could not read it: {complaint}"),
                hint: "a file from another sysstat version: convert it with `sadf -c FILE > \
                       FILE.new` (older formats), or run `LC_ALL=C S_TIME_FORMAT=ISO sar -A -f \
                       FILE > FILE.txt` where it was written and send the text"
                    .into(),
            })
        }
    }
}

/// Run `argv` (`what`, as errors name it) as an owned child within `time_box`, its output to `output` and its errors
/// beside it (`output.stderr`). Returns how it ended, what it printed and its non-empty
/// error lines.
fn run_into(
    what: &str,
    argv: &[String],
    output: &Path,
    time_box: Duration,
    interrupted: &AtomicBool,
) -> Result<(Exit, Vec<u8>, Vec<String>), Unavailable> {
    let stderr = output.with_extension("stderr");
    let exit = run_owned(
        argv,
        Redirect {
            stdout: output,
            stderr: &stderr,
        },
        Instant::now() + time_box,
        interrupted,
    )
    .map_err(|err| Unavailable {
        why: format!("{what} could not start: {err}"),
        hint: String::new(),
    })?;
    let text = std::fs::read(output).unwrap_or_default();
    let complaints = std::fs::read_to_string(&stderr)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(String::from)
        .collect();
    Ok((exit, text, complaints))
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

//! The header `perf script --header` prints before the samples (the perf.data's own record
//! of where, when and how it was recorded), and the title a flamegraph is given from it.

use serde::Serialize;

/// What a perf.data says of its recording. Every field is empty when the script has no
/// header (`perf script` without `--header`, or a script someone else made).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScriptHeader {
    pub hostname: String,
    /// As perf prints it: `Fri Dec  4 18:25:17 2026` (the recording host's local time).
    pub captured_on: String,
    /// The `perf record` command line.
    pub cmdline: String,
    /// `219.217 ms`.
    pub sample_duration: String,
}

impl ScriptHeader {
    /// Read the header from the comment lines at the start of a script; stops at the first
    /// line that is not a comment.
    pub fn parse(script: &[u8]) -> ScriptHeader {
        let mut header = ScriptHeader::default();
        for line in script.split(|&byte| byte == b'\n') {
            let Some(comment) = line.strip_prefix(b"#") else {
                break;
            };
            let comment = String::from_utf8_lossy(comment);
            let Some((key, value)) = comment.split_once(" : ") else {
                continue;
            };
            let value = value.trim().to_string();
            match key.trim() {
                "hostname" => header.hostname = value,
                "captured on" => {
                    header.captured_on = value.split_whitespace().collect::<Vec<_>>().join(" ")
                }
                "cmdline" => header.cmdline = value,
                "sample duration" => header.sample_duration = value,
                _ => {}
            }
        }
        header
    }
}

/// What a flamegraph's title and subtitle say: what was profiled, on which host, when, for
/// how long and how many samples (`On-CPU: PID 4242 (app)`, `host vm · 2026-12-04 18:31 UTC
/// · 10 s at 99 Hz · 1,970 samples`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Caption {
    /// What kind of profile: `On-CPU`, `Off-CPU`, `Page faults`.
    pub kind: String,
    /// What was profiled: `PID 4242 (app)`, `all CPUs`, `cgroup /x`, or the file read.
    pub what: String,
    pub host: String,
    pub when: String,
    /// `10 s at 99 Hz`, or perf's sample duration.
    pub how: String,
    pub samples: u64,
    /// What a count is, when not a sample (`µs off-CPU`).
    pub unit: String,
    /// What the picture leaves out or changes (`stacks deeper than 16 frames cut`).
    pub notes: Vec<String>,
}

impl Caption {
    pub fn title(&self) -> String {
        format!("{}: {}", self.kind, self.what)
    }

    pub fn subtitle(&self) -> String {
        let mut parts = Vec::new();
        if !self.host.is_empty() {
            parts.push(format!("host {}", self.host));
        }
        if !self.when.is_empty() {
            parts.push(self.when.clone());
        }
        if !self.how.is_empty() {
            parts.push(self.how.clone());
        }
        let unit = if self.unit.is_empty() {
            "samples"
        } else {
            &self.unit
        };
        parts.push(format!("{} {unit}", thousands(self.samples)));
        parts.extend(self.notes.iter().cloned());
        parts.join(" · ")
    }

    /// The caption of a profile read from a file whose header may say where it came from.
    pub fn of_file(kind: &str, file: &str, header: &ScriptHeader, samples: u64) -> Caption {
        let what = match target_of(&header.cmdline) {
            Some(target) => format!("{target}, from {file}"),
            None => file.to_string(),
        };
        Caption {
            kind: kind.into(),
            what,
            host: header.hostname.clone(),
            when: header.captured_on.clone(),
            how: header.sample_duration.clone(),
            samples,
            unit: String::new(),
            notes: Vec::new(),
        }
    }
}

/// What a `perf record` command line profiled: `-p 1,2` → `PIDs 1,2`, `-a` → `all CPUs`.
fn target_of(cmdline: &str) -> Option<String> {
    let words: Vec<&str> = cmdline.split_whitespace().collect();
    let after = |flag: &str| {
        words
            .iter()
            .position(|word| *word == flag)
            .and_then(|at| words.get(at + 1))
    };
    if let Some(pids) = after("-p").or_else(|| after("--pid")) {
        return Some(if pids.contains(',') {
            format!("PIDs {pids}")
        } else {
            format!("PID {pids}")
        });
    }
    if let Some(cgroup) = after("-G") {
        return Some(format!("cgroup {cgroup}"));
    }
    if words
        .iter()
        .any(|word| *word == "-a" || *word == "--all-cpus")
    {
        return Some("all CPUs".into());
    }
    let command = words.iter().position(|word| *word == "--")?;
    Some(format!("`{}`", words.get(command + 1..)?.join(" ")))
}

/// `1970` → `1,970`.
pub fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &[u8] = b"# ========\n\
        # captured on    : Fri Dec  4 18:25:17 2026\n\
        # hostname : vm\n\
        # cmdline : /usr/bin/perf record -e cpu-clock -F 999 -g -p 31272 -o /tmp/p.data -- sleep 2 \n\
        # sample duration :    219.217 ms\n\
        # ========\n\
        #\n\
        stress-ng-cpu 31272 13535.516561:    1001001 cpu-clock: \n\
        # hostname : not-a-header\n";

    #[test]
    fn the_header_says_where_when_and_what() {
        let header = ScriptHeader::parse(HEADER);
        assert_eq!(header.hostname, "vm");
        assert_eq!(header.captured_on, "Fri Dec 4 18:25:17 2026");
        assert_eq!(header.sample_duration, "219.217 ms");
        let caption = Caption::of_file("On-CPU", "perf.data", &header, 1970);
        assert_eq!(caption.title(), "On-CPU: PID 31272, from perf.data");
        assert_eq!(
            caption.subtitle(),
            "host vm · Fri Dec 4 18:25:17 2026 · 219.217 ms · 1,970 samples"
        );
        assert_eq!(
            ScriptHeader::parse(b"app 1 1.0: 1 cpu-clock:\n"),
            ScriptHeader::default()
        );
    }

    #[test]
    fn targets_are_read_from_the_command_line() {
        assert_eq!(
            target_of("perf record -a -g -- sleep 5").unwrap(),
            "all CPUs"
        );
        assert_eq!(target_of("perf record -p 1,2 -g").unwrap(), "PIDs 1,2");
        assert_eq!(
            target_of("perf record -g -- ./app --x").unwrap(),
            "`./app --x`"
        );
        assert_eq!(target_of(""), None);
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}

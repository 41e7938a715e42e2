//! sysstat's interval tools (and procps's vmstat). Each takes a sample count that ends it
//! [`FINISH_GRACE`] before its time box, so it prints its own summary and exits cleanly.

use std::time::Duration;

use super::{Descriptor, FINISH_GRACE, Invocation, Program, Runs, ToolContext, seconds};

/// mpstat, iostat, sar and pidstat come in one package.
const fn sysstat(name: &'static str) -> Program {
    Program {
        name,
        version_args: &["-V"],
        debian: "sysstat",
        rpm: "sysstat",
    }
}

const MPSTAT: Program = sysstat("mpstat");
const IOSTAT: Program = sysstat("iostat");
pub(crate) const SAR: Program = sysstat("sar");
const PIDSTAT: Program = sysstat("pidstat");
const VMSTAT: Program = Program {
    name: "vmstat",
    version_args: &["-V"],
    debian: "procps",
    rpm: "procps-ng",
};

pub(super) const COLLECTORS: &[Descriptor] = &[
    Descriptor {
        name: "mpstat",
        description: "`mpstat -P ALL`: per-CPU utilization.",
        programs: &[MPSTAT],
        takes: &[],
        requires: |_| None,
        output: "cpu/mpstat.txt",
        runs: Runs::Spawned(|context| Ok(vec![mpstat(context)])),
    },
    Descriptor {
        name: "vmstat",
        description: "`vmstat -w -t`: run queue, memory, swap, I/O wait.",
        programs: &[VMSTAT],
        takes: &[],
        requires: |_| None,
        output: "memory/vmstat.txt",
        runs: Runs::Spawned(|context| Ok(vec![vmstat(context)])),
    },
    Descriptor {
        name: "iostat",
        description: "`iostat -x`: per-device utilization, queue and latency.",
        programs: &[IOSTAT],
        takes: &[],
        requires: |_| None,
        output: "disk/iostat.txt",
        runs: Runs::Spawned(|context| Ok(vec![iostat(context)])),
    },
    Descriptor {
        name: "sar-dev",
        description: "`sar -n DEV`: per-interface throughput.",
        programs: &[SAR],
        takes: &[],
        requires: |_| None,
        output: "network/sar_dev.txt",
        runs: Runs::Spawned(|context| Ok(vec![sar_dev(context)])),
    },
    Descriptor {
        name: "pidstat",
        description: "`pidstat -u -w -d -t`: per-process and per-thread CPU, CPU wait, context switches and disk reads and writes.",
        programs: &[PIDSTAT],
        takes: &[],
        requires: |_| None,
        output: "cpu/pidstat.txt",
        runs: Runs::Spawned(|context| Ok(vec![pidstat(context)])),
    },
];

/// How many samples an interval tool takes so that it ends by itself inside the time box,
/// leaving [`FINISH_GRACE`] for its summary and for the engine to notice.
fn sample_count(time_box: Duration, interval: Duration) -> u64 {
    let usable = time_box.saturating_sub(FINISH_GRACE);
    let count = usable.as_secs_f64() / interval.as_secs_f64().max(0.001);
    (count.floor() as u64).max(1)
}

fn interval_tool(program: &str, options: &[&str], context: &ToolContext<'_>) -> Invocation {
    let mut argv: Vec<String> = std::iter::once(program)
        .chain(options.iter().copied())
        .map(String::from)
        .collect();
    argv.push(seconds(context.interval));
    argv.push(sample_count(context.time_box, context.interval).to_string());
    Invocation {
        argv,
        stdout: context.output.to_string(),
    }
}

/// Every CPU and the total, so one pinned core shows beside idle ones.
fn mpstat(context: &ToolContext<'_>) -> Invocation {
    interval_tool("mpstat", &["-P", "ALL"], context)
}

/// Wide columns and a time stamp per line. Its first line is the average since boot,
/// so it takes one sample more than the others and the parser drops the first.
fn vmstat(context: &ToolContext<'_>) -> Invocation {
    let mut invocation = interval_tool("vmstat", &["-w", "-t"], context);
    if let Some(count) = invocation.argv.last_mut() {
        let samples: u64 = count.parse().unwrap_or(1);
        *count = (samples + 1).to_string();
    }
    invocation
}

/// Extended per-device statistics with a time stamp per report, skipping the since-boot report.
fn iostat(context: &ToolContext<'_>) -> Invocation {
    interval_tool("iostat", &["-x", "-d", "-y", "-t"], context)
}

fn sar_dev(context: &ToolContext<'_>) -> Invocation {
    interval_tool("sar", &["-n", "DEV"], context)
}

/// CPU and context switches per process and per thread: who is busy, which of its threads
/// wants a whole CPU (`%CPU` + `%wait`, the time it waited runnable), and who keeps being
/// switched out.
fn pidstat(context: &ToolContext<'_>) -> Invocation {
    interval_tool("pidstat", &["-u", "-w", "-d", "-t"], context)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::tools::{Collector, StepArgs};

    #[test]
    fn interval_tools_end_inside_their_time_box() {
        assert_eq!(
            sample_count(Duration::from_secs(10), Duration::from_secs(1)),
            9
        );
        assert_eq!(
            sample_count(Duration::from_secs(1), Duration::from_secs(1)),
            1
        );
        assert_eq!(
            sample_count(Duration::from_secs(10), Duration::from_secs(2)),
            4
        );
        // The box `--duration 5s` gives the first phase: five samples, like `mpstat 1 5`.
        assert_eq!(
            sample_count(
                Duration::from_secs(5) + FINISH_GRACE,
                Duration::from_secs(1)
            ),
            5
        );
    }

    /// The argv each interval collector runs for a 10 s time box sampled every second.
    fn argv(name: &str) -> Vec<String> {
        let collector = Collector::from_name(name).expect("a built-in collector");
        let context = ToolContext {
            interval: Duration::from_secs(1),
            time_box: Duration::from_secs(10),
            raw_dir: std::path::Path::new("/raw"),
            output: "out.txt",
            args: &StepArgs::default(),
            pids: &[],
        };
        let invocations = collector
            .invocations(&context)
            .expect("it runs as configured");
        assert_eq!(invocations.len(), 1);
        assert_eq!(invocations[0].stdout, "out.txt");
        invocations[0].argv.clone()
    }

    #[test]
    fn interval_collectors_run_their_tool_with_interval_and_count() {
        assert_eq!(argv("mpstat"), ["mpstat", "-P", "ALL", "1", "9"]);
        assert_eq!(argv("vmstat"), ["vmstat", "-w", "-t", "1", "10"]);
        assert_eq!(argv("iostat"), ["iostat", "-x", "-d", "-y", "-t", "1", "9"]);
        assert_eq!(argv("sar-dev"), ["sar", "-n", "DEV", "1", "9"]);
        assert_eq!(
            argv("pidstat"),
            ["pidstat", "-u", "-w", "-d", "-t", "1", "9"]
        );
    }
}

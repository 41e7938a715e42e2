//! sysstat's interval tools (and procps's vmstat). Each takes a sample count that ends it a
//! second before its time box, so it prints its own summary and exits cleanly.

use std::time::Duration;

use super::{Invocation, ToolContext, seconds};

/// How many samples an interval tool takes so that it ends by itself inside the time box,
/// leaving a second for its summary and for the engine to notice.
fn sample_count(time_box: Duration, interval: Duration) -> u64 {
    let usable = time_box.saturating_sub(Duration::from_secs(1));
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
pub fn mpstat(context: &ToolContext<'_>) -> Invocation {
    interval_tool("mpstat", &["-P", "ALL"], context)
}

/// Wide columns and a time stamp per line. Its first line is the average since boot,
/// so it takes one sample more than the others and the parser drops the first.
pub fn vmstat(context: &ToolContext<'_>) -> Invocation {
    let mut invocation = interval_tool("vmstat", &["-w", "-t"], context);
    if let Some(count) = invocation.argv.last_mut() {
        let samples: u64 = count.parse().unwrap_or(1);
        *count = (samples + 1).to_string();
    }
    invocation
}

/// Extended per-device statistics with a time stamp per report, skipping the since-boot report.
pub fn iostat(context: &ToolContext<'_>) -> Invocation {
    interval_tool("iostat", &["-x", "-d", "-y", "-t"], context)
}

pub fn sar_dev(context: &ToolContext<'_>) -> Invocation {
    interval_tool("sar", &["-n", "DEV"], context)
}

/// CPU and context switches per process: who is busy, and who keeps being switched out.
pub fn pidstat(context: &ToolContext<'_>) -> Invocation {
    interval_tool("pidstat", &["-u", "-w"], context)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}

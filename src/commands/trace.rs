//! `perf_manual trace --pid PID [--events LIST] [--duration 10s]`: the system calls (and
//! tracepoints) of some processes, with perf trace, as per-syscall counts, errors, total,
//! mean and max latency and a latency histogram; bounded by time, by perf's event count and
//! by the bytes read, each cap stated with what it cut.

use std::io::Read;
use std::time::Duration;

use crate::{
    cli::TraceArgs,
    collect::{
        process::interrupt_flag,
        profiler::{self, TracePlan},
    },
    exit::{self, Failure},
    parse::perf_trace_events::latency_summary,
    report::{
        export::{OutputFormat, pretty_json},
        trace::{TraceReport, trace_markdown, trace_text},
    },
    store::{self, TRACE_LOG},
};

/// The most of perf trace's log that is read: about 500,000 events.
const MAX_BYTES: u64 = 64 << 20;
const LONGEST: Duration = Duration::from_secs(600);

pub fn trace(args: &TraceArgs) -> Result<i32, Failure> {
    let duration = super::parse_duration_flag(Some(&args.duration))?.unwrap_or_default();
    if duration.is_zero() || duration > LONGEST {
        return Err(Failure::bad_input(format!(
            "--duration {}: give more than 0 s and at most {} s",
            args.duration,
            LONGEST.as_secs()
        )));
    }
    if args.max_events == 0 {
        return Err(Failure::bad_input("--max-events: give at least 1"));
    }
    let events = args.events.clone().unwrap_or_default();
    if events.chars().any(|c| c.is_whitespace()) {
        return Err(Failure::bad_input(format!(
            "--events {events:?}: a comma-separated list without spaces (futex,read,sched:sched_wakeup)"
        )));
    }
    let scope = profiler::resolve_pids(&args.pid)?;
    profiler::preflight(&scope)?;
    let interrupted = interrupt_flag()?;
    store::private_umask();
    let claimed = store::create(&args.dir, "trace", args.output.as_deref(), args.force)?;
    let investigation = claimed.investigation;
    let raw_dir = investigation.raw_dir();
    let plan = TracePlan {
        scope: scope.clone(),
        events: events.clone(),
        duration,
        max_events: args.max_events,
        output: TRACE_LOG.into(),
    };
    eprintln!(
        "perf_manual: tracing {} for {} s into {}",
        scope.describe(),
        duration.as_secs_f64(),
        investigation.root.display()
    );
    let traced = profiler::trace(&plan, &raw_dir, &interrupted)?;
    let log_path = raw_dir.join(TRACE_LOG);
    let size = std::fs::metadata(&log_path).map_or(0, |meta| meta.len());
    let mut bytes = Vec::new();
    std::fs::File::open(&log_path)
        .and_then(|file| file.take(MAX_BYTES).read_to_end(&mut bytes))
        .map_err(|err| Failure::environment(format!("cannot read perf trace's log: {err}")))?;
    let mut limits = Vec::new();
    if size > MAX_BYTES {
        // Whole lines only.
        let cut = bytes
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |at| at + 1);
        bytes.truncate(cut);
        limits.push(format!(
            "perf trace wrote {size} bytes; the first {MAX_BYTES} were read and the rest ({} bytes) left out",
            size - cut as u64
        ));
    }
    let text = String::from_utf8_lossy(&bytes);
    let summary = latency_summary(&text);
    let lines = text.lines().filter(|line| !line.trim().is_empty()).count() as u64;
    if lines >= args.max_events {
        limits.push(format!(
            "perf stopped at --max-events {}: the trace covers less than {} s, until that many events",
            args.max_events,
            duration.as_secs_f64()
        ));
    }
    let was_interrupted = traced
        .exit
        .as_ref()
        .is_some_and(|exit| exit.ending == crate::collect::process::Ending::Interrupted);
    if was_interrupted {
        limits.push("interrupted (Ctrl-C): the trace covers the time until then".into());
    }
    let files = investigation.analysis();
    store::private_dir(&files.dir).map_err(cannot_write)?;
    let report = TraceReport {
        traced: scope.describe(),
        events: if events.is_empty() {
            "every syscall".into()
        } else {
            events
        },
        seconds: duration.as_secs_f64(),
        command: traced.argv.clone(),
        summary,
        limits,
        files: vec![
            (
                "perf trace's event log".into(),
                format!("raw_data/{TRACE_LOG}"),
            ),
            ("this report as JSON".into(), "analysis/trace.json".into()),
        ],
    };
    store::write_json(&files.trace_json(), &report).map_err(cannot_write)?;
    store::write_atomic(
        &investigation.report_path("md"),
        trace_markdown(&report).as_bytes(),
    )
    .map_err(cannot_write)?;
    match args.format {
        OutputFormat::Json => println!("{}", pretty_json(&report)),
        OutputFormat::Text => {
            print!("{}", trace_text(&report));
            println!("  report: {}", investigation.report_path("md").display());
        }
    }
    if was_interrupted {
        return Ok(exit::INTERRUPTED);
    }
    Ok(exit::SUCCESS)
}

fn cannot_write(err: std::io::Error) -> Failure {
    Failure::environment(format!("cannot write the trace: {err}"))
}

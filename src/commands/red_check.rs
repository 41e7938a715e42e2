//! `perf_manual red-check --endpoint URL --duration SEC`: load an HTTP endpoint with the probe,
//! read what it measured into the RED tables, judge them with playbooks/rules/red.toml, report.

use std::time::Duration;

use crate::{
    base::parse_duration,
    cli::RedCheckArgs,
    collect::process::interrupt_flag,
    exit::{self, Failure},
    parse::{self, red},
    record::{Dataset, HostFacts, Origin},
    red::{Endpoint, Probe, ProbeError},
    report::{
        export::{pretty_json, print_simple},
        red_check,
    },
    rules::{self, Severity},
    store,
};

/// The longest load a check runs: a check, not a soak test.
const LONGEST_DURATION: Duration = Duration::from_secs(3600);
/// The most connections: each is a socket and a task.
const MOST_CONNECTIONS: u32 = 10_000;
/// The highest rate asked in the open model.
const HIGHEST_RATE: f64 = 10_000_000.0;
/// The longest timeout of one request.
const LONGEST_TIMEOUT: Duration = Duration::from_secs(600);

pub fn red_check(args: &RedCheckArgs) -> Result<i32, Failure> {
    let probe = probe(args)?;
    let rules = rules::builtin::red_rules().map_err(Failure::bad_input)?;
    let interrupted = interrupt_flag()?;
    let measured = probe.run(&interrupted).map_err(probe_failure)?;
    if let Some(path) = &args.save {
        store::write_atomic(path, measured.file().as_bytes()).map_err(|err| {
            Failure::environment(format!("cannot write {}: {err}", path.display()))
        })?;
    }
    let records = red::records(
        &measured.setting.endpoint,
        &measured.windows,
        "red-check",
        &[],
    );
    let mut data = Dataset::from_records(&records, HostFacts::default(), parse::unit_of);
    data.origin = Origin::Captured;
    let judgement = rules::evaluate_all(&rules, &data);
    let report = red_check::assemble(
        &measured.setting,
        &measured.windows,
        measured.interrupted,
        &judgement,
    );
    print_simple(
        args.format,
        || red_check::render_text(&report),
        || pretty_json(&report),
    );
    if measured.interrupted {
        return Ok(exit::INTERRUPTED);
    }
    let reached = |level: Severity| report.findings.iter().any(|f| f.severity >= level);
    Ok(match args.fail_on {
        Some(level) if reached(level.into()) => exit::FINDING,
        _ => exit::SUCCESS,
    })
}

/// The probe the flags ask for, or a usage error saying which flag is wrong.
fn probe(args: &RedCheckArgs) -> Result<Probe, Failure> {
    let mut endpoint = Endpoint::parse(&args.endpoint).map_err(probe_failure)?;
    if let Some(ca_file) = &args.ca_cert {
        endpoint = endpoint.trusting(ca_file).map_err(probe_failure)?;
    }
    let duration = seconds_or_duration("--duration", &args.duration)?;
    if duration.is_zero() || duration > LONGEST_DURATION {
        return Err(Failure::bad_input(format!(
            "--duration {}: give more than 0 s and at most {} s",
            args.duration,
            LONGEST_DURATION.as_secs()
        )));
    }
    let timeout = seconds_or_duration("--timeout", &args.timeout)?;
    if timeout.is_zero() || timeout > LONGEST_TIMEOUT {
        return Err(Failure::bad_input(format!(
            "--timeout {}: give more than 0 s and at most {} s",
            args.timeout,
            LONGEST_TIMEOUT.as_secs()
        )));
    }
    if args.connections == 0 || args.connections > MOST_CONNECTIONS {
        return Err(Failure::bad_input(format!(
            "--connections {}: give 1 to {MOST_CONNECTIONS}",
            args.connections
        )));
    }
    if let Some(rate) = args.rate
        && !(rate > 0.0 && rate <= HIGHEST_RATE)
    {
        return Err(Failure::bad_input(format!(
            "--rate {rate}: give more than 0 and at most {HIGHEST_RATE} requests per second"
        )));
    }
    Ok(Probe {
        endpoint,
        connections: args.connections,
        rate: args.rate,
        duration,
        timeout,
        max_body: args.max_body,
        window: Duration::from_secs(1),
    })
}

/// `10` (seconds) or `10s`, `500ms`, `1m`.
fn seconds_or_duration(flag: &str, text: &str) -> Result<Duration, Failure> {
    if let Ok(seconds) = text.trim().parse::<f64>() {
        return Duration::try_from_secs_f64(seconds)
            .map_err(|_| Failure::bad_input(format!("{flag} {text}: not a number of seconds")));
    }
    parse_duration(text).map_err(|err| Failure::bad_input(format!("{flag}: {err}")))
}

/// A bad endpoint is bad usage (2); one that gives no answer is the environment's (3).
fn probe_failure(err: ProbeError) -> Failure {
    if err.usage {
        Failure::bad_input(err.message)
    } else {
        Failure::environment(err.message)
    }
}

//! `perf_manual use-check --target PID|NAME`: the USE table of the host and of one target, from
//! two readings of /proc one interval apart, judged by playbooks/rules/use-check.toml.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::{
    base::parse_duration,
    cli::UseCheckArgs,
    collect::target::{self, Target},
    exit::{self, Failure},
    parse,
    record::{
        Dataset, HostFacts, fallback,
        target::{Machine, derive, host_usage},
    },
    report::{
        export::{pretty_json, print_simple},
        use_check::{self, UseCheckReport},
    },
    rules::{self, CompiledRule},
};

/// Intervals past this are refused: the check is meant to answer in about one interval.
const LONGEST_INTERVAL_SECONDS: f64 = 60.0;

pub fn use_check(args: &UseCheckArgs) -> Result<i32, Failure> {
    let interval = parse_interval(&args.interval)?;
    let target = target::resolve(&args.target).map_err(Failure::bad_input)?;
    let rules = rules::builtin::use_check_rules().map_err(Failure::bad_input)?;
    let report = measure(&target, interval, &rules)?;
    print_simple(
        args.format,
        || use_check::render_text(&report),
        || pretty_json(&report),
    );
    Ok(exit::SUCCESS)
}

fn parse_interval(text: &str) -> Result<std::time::Duration, Failure> {
    let seconds = parse_duration(text)
        .map_err(|err| Failure::bad_input(format!("--interval: {err}")))?
        .as_secs_f64();
    if !(seconds > 0.0 && seconds <= LONGEST_INTERVAL_SECONDS) {
        return Err(Failure::bad_input(format!(
            "--interval {text}: give more than 0 s and at most {LONGEST_INTERVAL_SECONDS} s"
        )));
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

/// Read twice, derive, judge, assemble the table.
fn measure(
    target: &Target,
    interval: std::time::Duration,
    rules: &[CompiledRule],
) -> Result<UseCheckReport, Failure> {
    let mut host_texts = BTreeMap::new();
    target::read_host(&mut host_texts);
    let before = target::read_target(target);
    let start = Instant::now();
    std::thread::sleep(interval);
    target::read_host(&mut host_texts);
    let after = target::read_target(target);
    let seconds = start.elapsed().as_secs_f64();
    if after.processes.is_empty() && after.cgroup.is_none() {
        return Err(Failure::bad_input(format!(
            "--target: {} ended during the interval",
            target.describe()
        )));
    }

    let mut records = Vec::new();
    let mut facts = HostFacts::default();
    for (file, text) in &host_texts {
        let parsed = parse::procfs::parse(&format!("proc/{file}"), text);
        records.extend(parsed.records);
        facts.merge(&parsed.host);
    }
    let measured = records.len();
    fallback::fill_missing(&mut records);
    let machine = Machine {
        cpus: facts.cpus.unwrap_or(1),
        mem_total_kib: facts.mem_total_kib.unwrap_or(0),
        ticks_per_second: target::ticks_per_second(),
    };
    let usage = derive(&before, &after, seconds, machine);
    let host = host_usage(&records, machine.cpus);
    let latest = records.iter().map(|r| r.time).fold(0.0, f64::max);
    records.extend(usage.records(latest));
    let data = Dataset::from_records(&records, facts, parse::unit_of).with_metrics(
        &records[..measured],
        parse::feeds(),
        |_| true,
    );
    let judgement = rules::evaluate_all(rules, &data);
    Ok(use_check::assemble(
        target.describe(),
        seconds,
        host,
        usage,
        rules,
        &judgement,
    ))
}

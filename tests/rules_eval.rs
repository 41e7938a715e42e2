//! Rule evaluation on hand-built datasets: each aggregate, selectors, quantifiers, `for`,
//! units, no-data outcomes, messages, evidence and ranking.

use perf_manual::parse::unit_of;
use perf_manual::record::{Dataset, HostFacts, Record};
use perf_manual::rules::Rule;
use perf_manual::rules::eval::format_number;
use perf_manual::rules::{
    Finding, Outcome, Severity, Signal, Window, compile, evaluate, evaluate_all,
};

fn record(table: &str, time: f64, labels: &[(&str, &str)], fields: &[(&str, f64)]) -> Record {
    Record::from_pairs(table, time, labels, fields, &format!("raw/{table}.txt"), 1)
}

/// One field of one table for one instance, one sample per second starting at t = 1.
fn samples(table: &str, field: &str, labels: &[(&str, &str)], values: &[f64]) -> Vec<Record> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| record(table, (i + 1) as f64, labels, &[(field, *v)]))
        .collect()
}

fn dataset(records: Vec<Vec<Record>>, cpus: Option<u32>) -> Dataset {
    let host = HostFacts {
        cpus,
        ..HostFacts::default()
    };
    Dataset::from_records(&records.concat(), host, unit_of)
}

fn rule(id: &str, when: &str) -> Rule {
    Rule {
        id: id.into(),
        resource: "cpu".into(),
        signal: Signal::Utilization,
        when: when.into(),
        severity: Severity::High,
        message: "value {{value}} threshold {{threshold}} on {{instance}}".into(),
        meaning: String::new(),
        next: String::new(),
        source: String::new(),
        no_data: String::new(),
        explained_by: Vec::new(),
        corroborated_by: Vec::new(),
        alone: None,
    }
}

fn fired(when: &str, data: &Dataset) -> Finding {
    match evaluate(&compile(rule("r", when)), data) {
        Outcome::Fired(finding) => finding,
        other => panic!("`{when}` should fire, got {other:?}"),
    }
}

fn outcome(when: &str, data: &Dataset) -> Outcome {
    evaluate(&compile(rule("r", when)), data)
}

fn counter() -> Dataset {
    // A count-unit series: 10, 20, 30, 40, 50 at t = 1..5.
    dataset(
        vec![samples("t", "v", &[], &[10.0, 20.0, 30.0, 40.0, 50.0])],
        None,
    )
}

#[test]
fn each_aggregate_reduces_the_whole_series() {
    let data = counter();
    for (when, value) in [
        ("avg(t.v) == 30", 30.0),
        ("max(t.v) == 50", 50.0),
        ("min(t.v) == 10", 10.0),
        ("sum(t.v) == 150", 150.0),
        ("count(t.v) == 5", 5.0),
        ("last(t.v) == 50", 50.0),
        ("delta(t.v) == 40", 40.0),
        ("rate(t.v) == 10/s", 10.0),
        ("p95(t.v) == 50", 50.0),
        ("p50(t.v) == 30", 30.0),
        ("p20(t.v) == 10", 10.0),
        ("p21(t.v) == 20", 20.0),
    ] {
        let finding = fired(when, &data);
        assert_eq!(finding.value, value, "{when}");
        assert_eq!(finding.threshold, Some(value), "{when}");
    }
    assert_eq!(outcome("avg(t.v) > 30", &data), Outcome::Quiet);
    assert_eq!(fired("rate(t.v) > 5/s", &data).unit, "/s");
}

#[test]
fn rate_needs_two_samples() {
    let data = dataset(vec![samples("t", "v", &[], &[10.0])], None);
    assert!(
        matches!(outcome("rate(t.v) > 1", &data), Outcome::NotEvaluated(why) if why.contains("two samples"))
    );
}

#[test]
fn whole_run_aggregates_report_the_series_span() {
    let finding = fired("avg(t.v) > 20", &counter());
    assert_eq!(
        finding.evidence.window,
        Some(Window {
            start: 0.0,
            end: 5.0
        })
    );
    assert_eq!(finding.evidence.held_seconds, 5.0);
    assert_eq!(finding.evidence.series, vec!["t.v"]);
    assert_eq!(finding.evidence.files, vec!["raw/t.txt"]);
    assert_eq!(finding.evidence.expression, "avg(t.v) > 20");
}

fn cpus() -> Dataset {
    dataset(
        vec![
            samples("mpstat", "busy", &[("cpu", "all")], &[50.0, 55.0, 60.0]),
            samples("mpstat", "busy", &[("cpu", "0")], &[10.0, 12.0, 14.0]),
            samples("mpstat", "busy", &[("cpu", "1")], &[90.0, 98.0, 96.0]),
        ],
        Some(2),
    )
}

#[test]
fn label_selectors_pick_instances() {
    let data = cpus();
    let busiest = fired(r#"max(mpstat.busy{cpu!="all"}) > 90%"#, &data);
    assert_eq!(busiest.value, 98.0);
    assert_eq!(busiest.evidence.instance["cpu"], "1");
    assert_eq!(busiest.unit, "%");

    let all = fired(r#"avg(mpstat.busy{cpu="all"}) >= 55%"#, &data);
    assert_eq!(all.evidence.instance["cpu"], "all");
    assert_eq!(
        outcome(r#"avg(mpstat.busy{cpu="all"}) > 55%"#, &data),
        Outcome::Quiet
    );

    let regex = fired(r#"min(mpstat.busy{cpu=~"[0-9]+"}) < 11"#, &data);
    assert_eq!(regex.evidence.instance["cpu"], "0");
    assert_eq!(regex.value, 10.0);
    // Regular expressions match the whole value: "al" does not match "all".
    assert!(matches!(
        outcome(r#"mpstat.busy{cpu=~"al"} > 0"#, &data),
        Outcome::NotEvaluated(why) if why.contains("no instance of mpstat.busy matches")
    ));
    let negated = fired(r#"max(mpstat.busy{cpu!~"1|all"}) > 1"#, &data);
    assert_eq!(negated.evidence.instance["cpu"], "0");
    let several = fired(r#"max(mpstat.busy{cpu!="all", cpu!="1"}) > 1"#, &data);
    assert_eq!(several.evidence.instance["cpu"], "0");
}

#[test]
fn any_is_the_default_and_all_needs_every_instance() {
    let data = cpus();
    let any = fired(r#"any(mpstat.busy{cpu!="all"} > 80%)"#, &data);
    assert_eq!(any.evidence.instance["cpu"], "1");
    let omitted = fired(r#"mpstat.busy{cpu!="all"} > 80%"#, &data);
    assert_eq!(
        (any.value, any.evidence.window),
        (omitted.value, omitted.evidence.window)
    );
    assert_eq!(
        outcome(r#"all(mpstat.busy{cpu!="all"} > 80%)"#, &data),
        Outcome::Quiet
    );
    let every = fired(r#"all(mpstat.busy{cpu!="all"} > 5%)"#, &data);
    // The worst instance is reported.
    assert_eq!(every.value, 98.0);
    assert_eq!(every.evidence.instance["cpu"], "1");
    assert_eq!(every.evidence.held_seconds, 3.0);
    let whole = fired(r#"all(avg(mpstat.busy{cpu!="all"}) > 10%)"#, &data);
    assert_eq!(whole.value, 94.0 + 2.0 / 3.0);
    assert_eq!(
        outcome(r#"all(avg(mpstat.busy) > 20%)"#, &data),
        Outcome::Quiet
    );
}

#[test]
fn bare_selectors_fire_on_any_sample_and_report_the_worst() {
    let data = cpus();
    let high = fired(r#"mpstat.busy{cpu="1"} > 95%"#, &data);
    assert_eq!(high.value, 98.0);
    // 98 (t = 2) and 96 (t = 3) held: two samples, two seconds.
    assert_eq!(
        high.evidence.window,
        Some(Window {
            start: 1.0,
            end: 3.0
        })
    );
    assert_eq!(high.evidence.held_seconds, 2.0);
    let low = fired(r#"mpstat.busy{cpu="0"} < 13%"#, &data);
    assert_eq!(low.value, 10.0);
    // A number on the left is turned round: the value is still the series.
    let turned = fired(r#"95% < mpstat.busy{cpu="1"}"#, &data);
    assert_eq!(turned.value, 98.0);
    assert_eq!(turned.threshold, Some(95.0));
}

fn utilization(values: &[f64]) -> Dataset {
    dataset(
        vec![samples("iostat", "util", &[("device", "sda")], values)],
        Some(2),
    )
}

#[test]
fn for_needs_a_stretch_of_exactly_enough_samples() {
    // Five consecutive one-second samples above 90 % cover five seconds.
    let enough = utilization(&[10.0, 10.0, 95.0, 96.0, 97.0, 95.0, 99.0, 10.0, 10.0, 10.0]);
    let finding = fired("iostat.util > 90% for 5s", &enough);
    assert_eq!(finding.value, 99.0);
    assert_eq!(
        finding.evidence.window,
        Some(Window {
            start: 2.0,
            end: 7.0
        })
    );
    assert_eq!(finding.evidence.held_seconds, 5.0);
    assert_eq!(finding.message, "value 99 threshold 90 on sda");

    let one_short = utilization(&[10.0, 10.0, 95.0, 96.0, 97.0, 95.0, 10.0, 99.0, 10.0, 10.0]);
    assert_eq!(
        outcome("iostat.util > 90% for 5s", &one_short),
        Outcome::Quiet
    );
    // Without `for`, one sample is enough.
    assert_eq!(fired("iostat.util > 90%", &one_short).value, 99.0);
}

#[test]
fn for_makes_aggregates_rolling() {
    let run_queue = |values: &[f64]| dataset(vec![samples("vmstat", "r", &[], values)], Some(2));
    let enough = run_queue(&[0.0, 0.0, 3.0, 3.0, 3.0, 3.0, 3.0, 0.0, 0.0]);
    let finding = fired("min(vmstat.r) / host.cpus > 1.0 for 5s", &enough);
    assert_eq!(finding.value, 1.5);
    assert_eq!(finding.threshold, Some(1.0));
    assert_eq!(
        finding.evidence.window,
        Some(Window {
            start: 2.0,
            end: 7.0
        })
    );
    let one_short = run_queue(&[0.0, 0.0, 3.0, 3.0, 3.0, 3.0, 0.0, 0.0, 0.0]);
    assert_eq!(
        outcome("min(vmstat.r) / host.cpus > 1.0 for 5s", &one_short),
        Outcome::Quiet
    );
    // The rolling average over the best five-second window: (3 * 4) / 5 / 2 CPUs.
    let average = fired("avg(vmstat.r) / host.cpus > 1.0 for 5s", &one_short);
    assert_eq!(average.value, 1.2);
    // The same data judged as a whole run: 12 / 9 / 2.
    assert_eq!(
        outcome("avg(vmstat.r) / host.cpus > 1.0", &one_short),
        Outcome::Quiet
    );
}

#[test]
fn for_longer_than_too_few_samples_is_not_evaluated() {
    let short = utilization(&[95.0, 96.0]);
    for when in ["iostat.util > 90% for 5s", "avg(iostat.util) > 90% for 5s"] {
        match outcome(when, &short) {
            Outcome::NotEvaluated(why) => assert!(why.contains("too little data"), "{why}"),
            other => panic!("{when}: {other:?}"),
        }
    }
    assert!(matches!(
        outcome("iostat.util > 90% for 2s", &short),
        Outcome::Fired(_)
    ));
}

/// A short run: four one-second samples against `for 5s`. The rule is judged over the whole
/// four seconds, fires only if it held all along, and says the window was shorter.
#[test]
fn for_longer_than_the_data_judges_the_whole_window_and_says_so() {
    let short = utilization(&[95.0, 96.0, 97.0, 98.0]);
    for when in ["iostat.util > 90% for 5s", "avg(iostat.util) > 90% for 5s"] {
        let finding = fired(when, &short);
        assert_eq!(finding.evidence.held_seconds, 4.0, "{when}");
        assert_eq!(finding.evidence.asked_seconds, Some(5.0), "{when}");
        assert_eq!(
            finding.evidence.window,
            Some(Window {
                start: 0.0,
                end: 4.0
            }),
            "{when}"
        );
        assert!(
            finding.message.ends_with(
                "(held for the 4 s the data cover, shorter than the 5 s its `for` asks)"
            ),
            "{when}: {}",
            finding.message
        );
    }
    assert_eq!(fired("avg(iostat.util) > 90% for 5s", &short).value, 96.5);
    // A dip in the middle: it did not hold all along.
    let dip = utilization(&[95.0, 50.0, 97.0, 98.0]);
    assert_eq!(outcome("iostat.util > 90% for 5s", &dip), Outcome::Quiet);
    assert_eq!(
        outcome("avg(iostat.util) > 97% for 5s", &short),
        Outcome::Quiet
    );
    // A `for` the data cover is judged as always: no caveat.
    let enough = fired("iostat.util > 90% for 4s", &short);
    assert_eq!(enough.evidence.asked_seconds, None);
    assert!(
        !enough.message.contains("the data cover"),
        "{}",
        enough.message
    );
}

/// Two copies of /proc/pressure/io taken 11 s apart (`cat` before and after a window): the
/// first gives the kernel's running averages, the second also the stall share over the 11 s
/// between them. That one sample measured the whole time since the row before it, so a rule
/// with `for 5s` is judged on it, raw or aggregated, and holds from the first copy's time. A
/// lone sample with no row before it has no known interval: too little data.
#[test]
fn one_sample_measured_over_the_time_since_the_row_before_it_is_judged() {
    let copies = vec![vec![
        record(
            "pressure",
            100.0,
            &[("resource", "io")],
            &[("some_avg10", 3.0)],
        ),
        record(
            "pressure",
            111.0,
            &[("resource", "io")],
            &[("some_avg10", 14.0), ("stall", 30.0)],
        ),
    ]];
    let data = dataset(copies, None);
    for when in [
        "pressure.stall > 10 for 5s",
        "avg(pressure.stall) > 10 for 5s",
    ] {
        let finding = fired(when, &data);
        assert_eq!(
            finding.evidence.window,
            Some(Window {
                start: 100.0,
                end: 111.0
            }),
            "{when}"
        );
        assert_eq!(finding.value, 30.0, "{when}");
        assert_eq!(finding.evidence.asked_seconds, None, "{when}");
    }
    assert_eq!(
        outcome("avg(pressure.stall) > 40 for 5s", &data),
        Outcome::Quiet
    );
    // The same sample with its interval unknown.
    let alone = dataset(
        vec![vec![record(
            "pressure",
            111.0,
            &[("resource", "io")],
            &[("stall", 30.0)],
        )]],
        None,
    );
    match outcome("pressure.stall > 10 for 5s", &alone) {
        Outcome::NotEvaluated(why) => assert!(why.contains("too little data"), "{why}"),
        other => panic!("{other:?}"),
    }
}

/// Two captures of one device 1,000 s apart (two days' sar files, a tool restarted): the
/// first sample after the gap speaks for its own second, not for the 1,000 s nothing was
/// measured, so three busy seconds on each side never hold `for 5s` across the gap.
#[test]
fn a_gap_in_the_data_is_not_held_across() {
    let mut records = samples("iostat", "util", &[("device", "sda")], &[95.0, 96.0, 97.0]);
    for (i, value) in [95.0, 96.0, 97.0].into_iter().enumerate() {
        records.push(record(
            "iostat",
            1001.0 + i as f64,
            &[("device", "sda")],
            &[("util", value)],
        ));
    }
    let data = dataset(vec![records], None);
    for when in ["iostat.util > 90% for 5s", "avg(iostat.util) > 90% for 5s"] {
        match outcome(when, &data) {
            Outcome::Fired(finding) => {
                let window = finding.evidence.window.unwrap();
                assert!(window.end - window.start <= 3.0, "{when}: {window:?}");
                assert_eq!(finding.evidence.asked_seconds, Some(5.0), "{when}");
            }
            other => panic!("{when}: {other:?}"),
        }
    }
}

/// Two series offset by 0.8 s, as the /proc sampler's are beside vmstat's in a run: five
/// one-second samples each, but no five-second window of one meets one of the other. Judged
/// over four: one sample interval shorter.
#[test]
fn series_offset_in_time_are_judged_one_interval_shorter() {
    let mut records = samples("vmstat", "r", &[], &[8.0; 5]);
    records
        .extend((1..=5).map(|i| record("pressure", f64::from(i) + 0.8, &[], &[("stall", 90.0)])));
    let offset = dataset(vec![records], Some(2));
    let finding = fired(
        "avg(vmstat.r) > 1 and avg(pressure.stall) > 20 for 5s",
        &offset,
    );
    assert_eq!(finding.evidence.asked_seconds, Some(5.0));
    assert!(
        finding.message.contains("(held for the 4 s the data cover"),
        "{}",
        finding.message
    );
    // Too little in common for three samples: not evaluated.
    let mut records = samples("vmstat", "r", &[], &[8.0; 3]);
    records
        .extend((1..=3).map(|i| record("pressure", f64::from(i) + 0.8, &[], &[("stall", 90.0)])));
    assert!(matches!(
        outcome(
            "avg(vmstat.r) > 1 and avg(pressure.stall) > 20 for 5s",
            &dataset(vec![records], Some(2))
        ),
        Outcome::NotEvaluated(why) if why.contains("too little data")
    ));
}

#[test]
fn a_quiet_rule_over_a_shorter_window_says_what_it_judged() {
    let rules = [compile(rule("r", "avg(iostat.util) > 97% for 5s"))];
    let judgement = evaluate_all(&rules, &utilization(&[95.0, 96.0, 97.0, 98.0]));
    assert!(judgement.not_evaluated.is_empty());
    assert_eq!(
        judgement.observed("r"),
        "highest 96.5% against > 97%, over the 4 s the data cover, shorter than the 5 s its `for` asks"
    );
}

/// A shorter window is judged over three samples at least: one or two are a moment, not a
/// window (see `MIN_SAMPLES`).
#[test]
fn a_shorter_window_needs_three_samples_of_every_series() {
    assert_eq!(perf_manual::rules::eval::MIN_SAMPLES, 3);
    for values in [&[99.0][..], &[99.0, 99.0]] {
        match outcome("iostat.util > 90% for 5s", &utilization(values)) {
            Outcome::NotEvaluated(why) => {
                assert!(why.contains("too little data"), "{why}");
                assert!(why.contains("judged over 3 at least"), "{why}");
            }
            other => panic!("{} sample(s): {other:?}", values.len()),
        }
    }
    let three = fired(
        "iostat.util > 90% for 5s",
        &utilization(&[99.0, 99.0, 99.0]),
    );
    assert_eq!(three.evidence.held_seconds, 3.0);
    // Two copies of a two-sample file are still two samples.
    let copies = dataset(
        vec![
            samples("iostat", "util", &[("device", "sda")], &[99.0, 99.0]),
            samples("iostat", "util", &[("device", "sda")], &[99.0, 99.0]),
        ],
        Some(2),
    );
    assert!(matches!(
        outcome("iostat.util > 90% for 5s", &copies),
        Outcome::NotEvaluated(why) if why.contains("in 2 sample(s)")
    ));
    // Every series the rule reads needs them: here vmstat has two samples beside mpstat's four.
    let mut records = samples("mpstat", "busy", &[("cpu", "all")], &[95.0; 4]);
    records.extend(samples("vmstat", "r", &[], &[8.0, 8.0]));
    let joined = dataset(vec![records], Some(2));
    assert!(matches!(
        outcome("avg(mpstat.busy) > 90% and avg(vmstat.r) > 1 for 5s", &joined),
        Outcome::NotEvaluated(why) if why.contains("too little data")
    ));
}

#[test]
fn literals_convert_into_the_series_unit() {
    let data = dataset(
        vec![
            samples("iostat", "r_await", &[("device", "sda")], &[5.0, 30.0, 8.0]),
            samples("vmstat", "free", &[], &[204800.0, 51200.0, 204800.0]),
            samples("sar_dev", "rxkb_s", &[("iface", "eth0")], &[60000.0]),
        ],
        None,
    );
    let millis = fired("iostat.r_await > 20ms", &data);
    assert_eq!((millis.value, millis.threshold), (30.0, Some(20.0)));
    assert_eq!(millis.unit, " ms");
    let seconds = fired("iostat.r_await > 0.02s", &data);
    assert_eq!(seconds.threshold, Some(20.0));
    let micros = fired("iostat.r_await > 20000us", &data);
    assert_eq!(micros.threshold, Some(20.0));
    let memory = fired("vmstat.free < 100MiB", &data);
    assert_eq!((memory.value, memory.threshold), (51200.0, Some(102400.0)));
    assert_eq!(memory.unit, " KiB");
    let throughput = fired("sar_dev.rxkb_s > 50MiB/s", &data);
    assert_eq!(throughput.threshold, Some(51200.0));
    // Adding a literal converts it too: 30 ms + 1 s.
    assert_eq!(
        fired("max(iostat.r_await) + 1s == 1030", &data).value,
        1030.0
    );
}

#[test]
fn unit_mismatch_is_an_error_naming_both_units() {
    let data = dataset(
        vec![samples("iostat", "r_await", &[("device", "sda")], &[5.0])],
        None,
    );
    match outcome("iostat.r_await > 90%", &data) {
        Outcome::Error(what) => {
            assert!(what.contains("ms") && what.contains('%'), "{what}");
            assert!(what.contains("iostat.r_await > 90%"), "{what}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        outcome("iostat.r_await + 10KiB > 1", &data),
        Outcome::Error(_)
    ));
}

#[test]
fn missing_data_is_not_evaluated() {
    let data = counter();
    assert_eq!(
        outcome("avg(mpstat.busy) > 90%", &data),
        Outcome::NotEvaluated("no data for mpstat.busy".into())
    );
    assert_eq!(
        outcome("avg(t.v) / host.cpus > 1", &data),
        Outcome::NotEvaluated("no data for host.cpus".into())
    );
}

#[test]
fn bad_expressions_are_errors() {
    match outcome("avg(t.v) >", &counter()) {
        Outcome::Error(what) => assert!(what.contains("at byte 10"), "{what}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn arithmetic_has_precedence_and_associativity() {
    let data = Dataset::default();
    for when in [
        "1 + 2 * 3 == 7",
        "(1 + 2) * 3 == 9",
        "10 - 2 - 3 == 5",
        "8 / 4 / 2 == 1",
        "-2 * -3 == 6",
        "2 > 1 and 3 > 2",
        "1 > 2 or 3 > 2",
        "1 > 2 and 3 > 2 or 5 > 4",
        "(1 > 2 or 3 > 2) and 5 > 4",
        "1.5s == 1500ms",
    ] {
        assert!(matches!(outcome(when, &data), Outcome::Fired(_)), "{when}");
    }
    for when in ["1 > 2 and (3 > 2 or 5 > 4)", "1 + 1 != 2"] {
        assert_eq!(outcome(when, &data), Outcome::Quiet, "{when}");
    }
}

#[test]
fn instances_join_on_shared_labels() {
    let disks = |device: &str, await_ms: f64, util: f64| {
        vec![record(
            "iostat",
            1.0,
            &[("device", device)],
            &[("r_await", await_ms), ("util", util)],
        )]
    };
    let data = dataset(
        vec![
            disks("sda", 50.0, 10.0),
            disks("sdb", 1.0, 99.0),
            disks("sdc", 40.0, 95.0),
        ],
        None,
    );
    let finding = fired("iostat.r_await > 10ms and iostat.util > 50%", &data);
    assert_eq!(finding.evidence.instance["device"], "sdc");
    assert_eq!(finding.value, 40.0);
    // The first comparison speaks for the finding, in its own unit.
    assert_eq!(finding.unit, " ms");
}

#[test]
fn tables_align_by_nearest_time_and_single_instances_broadcast() {
    let mut records = samples("mpstat", "busy", &[("cpu", "all")], &[50.0, 95.0, 96.0]);
    for (i, r) in [1.0, 5.0, 6.0].iter().enumerate() {
        records.push(record("vmstat", i as f64 + 1.3, &[], &[("r", *r)]));
    }
    let data = dataset(vec![records], Some(4));
    let finding = fired(
        r#"mpstat.busy{cpu="all"} > 90% and vmstat.r / host.cpus > 1"#,
        &data,
    );
    assert_eq!(finding.value, 96.0);
    // The vmstat samples at 2.3 s and 3.3 s count as taken at 2 s and 3 s.
    assert!((finding.evidence.held_seconds - 2.0).abs() < 1e-9);
    assert_eq!(
        finding.evidence.files,
        vec!["raw/mpstat.txt".to_string(), "raw/vmstat.txt".to_string()]
    );
}

#[test]
fn messages_are_filled_in() {
    let data = dataset(
        vec![samples(
            "iostat",
            "util",
            &[("device", "sda")],
            &[97.456, 10.0],
        )],
        None,
    );
    let mut disk = rule("disk", "iostat.util > 90%");
    disk.message = "disk {{instance}} busy {{ value }}% (over {{threshold}}%)".into();
    let Outcome::Fired(finding) = evaluate(&compile(disk), &data) else {
        panic!("should fire");
    };
    assert_eq!(finding.message, "disk sda busy 97.46% (over 90%)");

    let host = dataset(vec![samples("vmstat", "r", &[], &[4.0])], Some(2));
    let mut queue = rule("queue", "vmstat.r / host.cpus > 1.0");
    queue.message = "run queue {{value}} per CPU on {{instance}}, over {{threshold}}".into();
    let Outcome::Fired(finding) = evaluate(&compile(queue), &host) else {
        panic!("should fire");
    };
    assert_eq!(finding.message, "run queue 2 per CPU on host, over 1");

    assert_eq!(format_number(1.23456), "1.23");
    assert_eq!(format_number(2.456), "2.46");
    assert_eq!(format_number(2.0), "2");
    assert_eq!(format_number(0.5), "0.5");
    assert_eq!(format_number(-0.001), "0");
    assert_eq!(format_number(1234567.0), "1234567");
}

#[test]
fn evaluate_all_ranks_findings_and_lists_the_rest() {
    let data = utilization(&[95.0, 99.0, 50.0]);
    let mut rules = vec![
        rule("low-far", "iostat.util > 50%"),
        rule("high-near", "iostat.util > 98%"),
        rule("high-far", "iostat.util > 60%"),
        rule("quiet", "iostat.util > 99.5%"),
        rule("absent", "avg(mpstat.busy) > 1"),
        rule("broken", "iostat.util >"),
    ];
    rules[0].severity = Severity::Low;
    let rules: Vec<_> = rules.into_iter().map(compile).collect();
    let judgement = evaluate_all(&rules, &data);
    let order: Vec<&str> = judgement.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(order, vec!["high-far", "high-near", "low-far"]);
    assert_eq!(
        judgement.not_evaluated,
        vec![("absent".to_string(), "no data for mpstat.busy".to_string())]
    );
    assert_eq!(judgement.errors.len(), 1);
    assert_eq!(judgement.errors[0].0, "broken");
}

#[test]
fn a_stretch_ends_where_samples_are_missing() {
    let mut records = samples("mpstat", "busy", &[("cpu", "all")], &[95.0; 10]);
    for time in [1.0, 2.0, 3.0, 7.0, 8.0, 9.0, 10.0] {
        records.push(record("vmstat", time, &[], &[("r", 8.0)]));
    }
    let data = dataset(vec![records], Some(2));
    let when = |hold: &str| format!("mpstat.busy > 90% and vmstat.r > 1 for {hold}");
    let finding = fired(&when("4s"), &data);
    assert_eq!(
        finding.evidence.window,
        Some(Window {
            start: 6.0,
            end: 10.0
        })
    );
    // No stretch without a break covers 5 s: the longest, judged whole, says so.
    let longest = fired(&when("5s"), &data);
    assert_eq!(longest.evidence.window, finding.evidence.window);
    assert_eq!(longest.evidence.asked_seconds, Some(5.0));
    let dip = {
        let mut records = samples("mpstat", "busy", &[("cpu", "all")], &[95.0; 10]);
        for (time, r) in [(1.0, 8.0), (2.0, 8.0), (3.0, 8.0), (7.0, 8.0), (8.0, 0.0)] {
            records.push(record("vmstat", time, &[], &[("r", r)]));
        }
        records.extend([9.0, 10.0].map(|time| record("vmstat", time, &[], &[("r", 8.0)])));
        dataset(vec![records], Some(2))
    };
    assert_eq!(outcome(&when("5s"), &dip), Outcome::Quiet);
}

#[test]
fn or_keeps_the_window_of_the_side_that_held() {
    let data = dataset(
        vec![
            samples("t", "a", &[], &[10.0, 10.0, 10.0, 10.0]),
            samples("t", "b", &[], &[0.0, 0.0, 0.0, 0.0]),
        ],
        None,
    );
    let finding = fired("avg(t.a) > 5 or t.b > 100 for 3s", &data);
    assert_eq!(finding.value, 10.0);
    assert_eq!(finding.evidence.held_seconds, 4.0);
    assert_eq!(
        outcome("t.b > 100 or avg(t.a) > 50 for 3s", &data),
        Outcome::Quiet
    );
}

#[test]
fn epoch_times_with_jitter_still_make_a_stretch() {
    let start = 1_764_000_000.0;
    let times = [0.0, 1.02, 1.98, 3.01, 3.99, 5.0, 6.01];
    let values = [10.0, 95.0, 96.0, 97.0, 98.0, 99.0, 10.0];
    let records = times
        .iter()
        .zip(values)
        .map(|(t, v)| record("iostat", start + t, &[("device", "sda")], &[("util", v)]))
        .collect();
    let data = dataset(vec![records], None);
    let finding = fired("iostat.util > 90% for 5s", &data);
    assert_eq!(finding.value, 99.0);
    let window = finding.evidence.window.expect("a window");
    assert!((window.start - start).abs() < 1e-6 && (window.end - (start + 5.0)).abs() < 1e-6);
    assert_eq!(outcome("iostat.util > 90% for 6s", &data), Outcome::Quiet);
}

#[test]
fn aggregates_take_series_arithmetic() {
    let data = dataset(
        vec![
            samples("vmstat", "si", &[], &[0.0, 8.0, 8.0, 8.0, 8.0, 8.0, 0.0]),
            samples("vmstat", "so", &[], &[0.0, 4.0, 4.0, 4.0, 4.0, 4.0, 0.0]),
        ],
        Some(2),
    );
    let finding = fired("avg(vmstat.si + vmstat.so) > 10 for 5s", &data);
    assert_eq!(finding.value, 12.0);
    assert_eq!(finding.unit, "/s");
    assert_eq!(finding.evidence.series, vec!["vmstat.si", "vmstat.so"]);
    assert_eq!(
        outcome("avg(vmstat.si + vmstat.so) > 10 for 6s", &data),
        Outcome::Quiet
    );
    let whole = fired("max(vmstat.si + vmstat.so) / host.cpus >= 6/s", &data);
    assert_eq!(whole.value, 6.0);
}

#[test]
fn judged_rules_say_what_they_saw() {
    let data = utilization(&[45.0, 30.0]);
    let rules = [
        rule("busy", "iostat.util > 90%"),
        rule("idle", "iostat.util < 10% and iostat.util > 1%"),
        rule("absent", "avg(mpstat.busy) > 1"),
    ]
    .map(compile);
    let judgement = evaluate_all(&rules, &data);
    assert_eq!(judgement.observed("busy"), "highest 45% against > 90%");
    assert_eq!(
        judgement.observed("idle"),
        "lowest 30% against < 10%; highest 45% against > 1%"
    );
    assert_eq!(judgement.observed("absent"), "");
}

#[test]
fn all_with_for_needs_every_instance_at_once() {
    let two_cpus = |second: &[f64]| {
        dataset(
            vec![
                samples(
                    "mpstat",
                    "busy",
                    &[("cpu", "0")],
                    &[10.0, 90.0, 91.0, 92.0, 93.0, 94.0, 10.0],
                ),
                samples("mpstat", "busy", &[("cpu", "1")], second),
            ],
            None,
        )
    };
    let when = "all(mpstat.busy > 80%) for 5s";
    let together = two_cpus(&[10.0, 85.0, 99.0, 85.0, 85.0, 85.0, 10.0]);
    let finding = fired(when, &together);
    assert_eq!(finding.value, 99.0);
    assert_eq!(finding.evidence.instance["cpu"], "1");
    assert_eq!(
        finding.evidence.window,
        Some(Window {
            start: 1.0,
            end: 6.0
        })
    );
    let apart = two_cpus(&[10.0, 85.0, 99.0, 10.0, 85.0, 85.0, 85.0]);
    assert_eq!(outcome(when, &apart), Outcome::Quiet);
    assert!(matches!(
        outcome("mpstat.busy > 80% for 5s", &apart),
        Outcome::Fired(_)
    ));
}

#[test]
fn a_ratio_of_counts_meets_a_percentage_as_a_fraction() {
    let data = dataset(
        vec![vec![record(
            "red",
            1.0,
            &[],
            &[("errors", 3.0), ("requests", 200.0)],
        )]],
        None,
    );
    let finding = fired("red.errors / red.requests > 1%", &data);
    assert_eq!(finding.value, 1.5);
    assert_eq!(finding.threshold, Some(1.0));
    assert_eq!(finding.unit, "%");
    assert!(matches!(
        outcome("red.errors / red.requests > 2%", &data),
        Outcome::Quiet
    ));
    // A plain number still reads the ratio as it is.
    assert!(matches!(
        outcome("red.errors / red.requests > 0.01", &data),
        Outcome::Fired(_)
    ));
}

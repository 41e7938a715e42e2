//! Judging one instance at a time (`Split`) gives what one pass over every instance gives.

use super::{Split, judge_rule_with};
use crate::parse::unit_of;
use crate::record::{Dataset, HostFacts, Record};
use crate::rules::{Rule, Severity, Signal, compile};

/// Four CPUs and their total, two disks; the CPUs' iowait lacks CPU 3 and has a gap, so
/// some instances pair with nothing and some stretches break; the total, judged last, was seen
/// for 4 s only.
fn data() -> Dataset {
    let mut records = Vec::new();
    for second in 1..=14 {
        let time = f64::from(second);
        for (cpu, base) in [
            ("all", 40.0),
            ("0", 95.0),
            ("1", 20.0),
            ("2", 60.0),
            ("3", 2.0),
        ] {
            if cpu == "all" && second > 4 {
                continue;
            }
            let wave = f64::from(second % 4) * 7.0;
            let mut fields = vec![("usr", base + wave - 10.0)];
            if cpu != "3" && !(6..=8).contains(&second) {
                fields.push(("iowait", wave + if cpu == "2" { 12.0 } else { 1.0 }));
            }
            records.push(Record::from_pairs(
                "mpstat",
                time,
                &[("cpu", cpu)],
                &fields,
                "raw/mpstat.txt",
                second as usize,
            ));
        }
        for (device, util, wait) in [("sda", 70.0, 14.0), ("sdb", 35.0, 3.0)] {
            let wave = f64::from(second % 3) * 5.0;
            records.push(Record::from_pairs(
                "iostat",
                time,
                &[("device", device)],
                &[("util", util + wave), ("r_await", wait + wave)],
                "raw/iostat.txt",
                second as usize,
            ));
        }
    }
    let host = HostFacts {
        cpus: Some(4),
        ..HostFacts::default()
    };
    Dataset::from_records(&records, host, unit_of)
}

fn rule(when: &str) -> Rule {
    Rule {
        id: "r".into(),
        resource: "cpu".into(),
        signal: Signal::Utilization,
        when: when.into(),
        severity: Severity::High,
        message: "{{value}} against {{threshold}} on {{instance}}".into(),
        meaning: String::new(),
        next: String::new(),
        source: String::new(),
        no_data: String::new(),
        explained_by: Vec::new(),
        corroborated_by: Vec::new(),
        alone: None,
    }
}

#[test]
fn one_instance_at_a_time_judges_as_all_at_once() {
    let data = data();
    let cases = [
        "mpstat.usr > 50",
        "mpstat.usr < 5",
        "avg(mpstat.usr) > 40",
        "mpstat.usr > 50 for 3s",
        "avg(mpstat.usr) > 40 for 4s",
        "max(mpstat.usr) > 99 for 4s",
        "mpstat.usr > 50 and mpstat.iowait > 5",
        "mpstat.usr > 50 and mpstat.iowait > 5 for 3s",
        "mpstat.usr > 90 or mpstat.iowait > 20 for 2s",
        "mpstat.usr{cpu=\"all\"} > 30 and mpstat.usr > 60",
        "mpstat.usr - mpstat.iowait > 30 for 2s",
        "mpstat.usr > 50 and iostat.util > 40",
        "iostat.r_await > 10 and iostat.util > 50 for 3s",
        "max(mpstat.usr) / host.cpus > 10",
        "mpstat.usr < 5 for 30s",
        "mpstat.usr > 200 for 10s",
        "avg(mpstat.iowait) > 2 for 30s",
        "all(mpstat.usr > 10)",
        "p90(mpstat.iowait) >= 7",
        "rate(mpstat.usr) > 0",
        "mpstat.nothing > 1",
        "mpstat.usr{cpu=\"9\"} > 1",
    ];
    let mut split = 0;
    for when in cases {
        let compiled = compile(rule(when));
        if let Ok(expr) = compiled.expression() {
            split += usize::from(Split::of(expr, &data).is_some());
        }
        let one = judge_rule_with(&compiled, &data, true);
        let all = judge_rule_with(&compiled, &data, false);
        assert_eq!(
            format!("{:?} {:?} {:?}", one.outcome, one.observed, one.absent),
            format!("{:?} {:?} {:?}", all.outcome, all.observed, all.absent),
            "`{when}`"
        );
    }
    // Most of the cases are judged one instance at a time; `all(...)` and a lone instance not.
    assert!(split >= 15, "only {split} cases were split");
}

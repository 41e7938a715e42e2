//! `/proc/stat` → `proc_stat` {cpu: all|0|1…}: mpstat's percentages (usr excludes guest
//! time, as mpstat's does; busy = 100 − idle − iowait); the `cpu="all"` row also carries
//! ctxt_s intr_s processes_s and the instant procs_running procs_blocked. `btime`, when the
//! host booted, is a host fact: it places kernel log times given since boot.
//!
//! Read here, not by procfs-core's `KernelStats`: it fails a whole copy on one bad line or
//! without its `btime`, `ctxt` or `processes` line, and drops `intr`, which `intr_s` is made
//! from.

use std::collections::BTreeMap;

use super::rate::{Reading, percent};
use super::snapshot::Snapshot;
use super::{Output, fields, labels};
use crate::parse::Table;
use crate::record::{Feed, Rank, Unit, cpu_busy_pct, metric::Convert};

/// `/proc/stat`'s tick columns for one CPU line, missing trailing columns as 0 (kernels before
/// 2.6.33 have fewer).
const CPU_TICKS: [&str; 10] = [
    "user",
    "nice",
    "system",
    "idle",
    "iowait",
    "irq",
    "softirq",
    "steal",
    "guest",
    "guest_nice",
];
const IOWAIT: usize = 4;

/// The shares of every CPU line, as mpstat names them.
const SHARES: [&str; 11] = [
    "usr", "nice", "sys", "iowait", "irq", "soft", "steal", "guest", "gnice", "idle", "busy",
];

pub(super) fn table() -> Table {
    let mut fields: Vec<&str> = SHARES.to_vec();
    fields.extend(STAT_RATES.iter().map(|(_, rate)| *rate));
    fields.extend(STAT_INSTANTS);
    Table::known("proc_stat", &fields)
}

/// /proc/stat as perf_manual reads it stands in for mpstat's shares and vmstat's counts;
/// `procs_running` counts the reader (the sampler, or `cat`) running as it reads.
pub(super) fn feeds() -> Vec<Feed> {
    let stat = |source: &str, metric: &str| Feed::new(Rank::StandIn, "/proc/stat", source, metric);
    vec![
        stat("proc_stat.busy", "cpu.busy"),
        stat("proc_stat.iowait", "cpu.iowait"),
        stat("proc_stat.steal", "cpu.steal"),
        stat("proc_stat.soft", "cpu.softirq"),
        stat("proc_stat.procs_running", "procs.runnable")
            .convert(Convert::LessObserver)
            .only(&[("cpu", "all")]),
        stat("proc_stat.procs_blocked", "procs.blocked").only(&[("cpu", "all")]),
        stat("proc_stat.ctxt_s", "cpu.context_switches_s").only(&[("cpu", "all")]),
        stat("proc_stat.intr_s", "cpu.interrupts_s").only(&[("cpu", "all")]),
    ]
}

/// System-wide counters turned into per-second rates on the `cpu="all"` row.
const STAT_RATES: [(&str, &str); 3] = [
    ("ctxt", "ctxt_s"),
    ("intr", "intr_s"),
    ("processes", "processes_s"),
];
const STAT_INSTANTS: [&str; 2] = ["procs_running", "procs_blocked"];

#[derive(Default)]
struct StatSnapshot {
    /// (`all` or the CPU number, line, ticks).
    cpus: Vec<(String, usize, [u64; 10])>,
    /// `ctxt`, `intr` (its first column, the total), `processes`, `procs_*`, with their lines.
    system: BTreeMap<&'static str, (u64, usize)>,
    /// `btime`: when the host booted, in seconds since the epoch.
    boot_time: Option<u64>,
}

fn read_stat(snapshot: &Snapshot, out: &mut Output) -> StatSnapshot {
    let mut read = StatSnapshot::default();
    for line in &snapshot.lines {
        let mut words = line.text.split_whitespace();
        let key = words.next().unwrap_or("");
        let numbers: Option<Vec<u64>> = words.map(|word| word.parse().ok()).collect();
        let numbers = match numbers {
            Some(numbers) if !numbers.is_empty() => numbers,
            _ => {
                out.warn(line.number, "expected a name followed by numbers");
                continue;
            }
        };
        if let Some(cpu) = key.strip_prefix("cpu") {
            let label = if cpu.is_empty() { "all" } else { cpu };
            if numbers.len() < 4 || (label != "all" && cpu.parse::<u32>().is_err()) {
                out.warn(line.number, "expected `cpuN user nice system idle ...`");
                continue;
            }
            let mut ticks = [0u64; 10];
            for (slot, value) in ticks.iter_mut().zip(&numbers) {
                *slot = *value;
            }
            read.cpus.push((label.to_string(), line.number, ticks));
        } else if key == "btime" {
            read.boot_time = numbers.first().copied();
        } else if let Some(&name) = STAT_RATES
            .iter()
            .map(|(name, _)| name)
            .chain(&STAT_INSTANTS)
            .find(|&&name| name == key)
            && let Some(&value) = numbers.first()
        {
            read.system.insert(name, (value, line.number));
        }
    }
    read
}

/// mpstat's percentages for one CPU over one interval, or `None` when no tick elapsed.
fn cpu_percentages(ticks: &[f64]) -> Option<BTreeMap<String, f64>> {
    let tick = |index: usize| ticks.get(index).copied().unwrap_or(0.0);
    let [
        user,
        nice,
        system,
        idle,
        iowait,
        irq,
        softirq,
        steal,
        guest,
        guest_nice,
    ] = std::array::from_fn(tick);
    // /proc/stat's user and nice include guest time, which mpstat shows on its own.
    let total = user + nice + system + idle + iowait + irq + softirq + steal;
    if total <= 0.0 {
        return None;
    }
    let share = |part: f64| percent(part.max(0.0), total);
    Some(fields([
        ("usr", share(user - guest)),
        ("nice", share(nice - guest_nice)),
        ("sys", share(system)),
        ("iowait", share(iowait)),
        ("irq", share(irq)),
        ("soft", share(softirq)),
        ("steal", share(steal)),
        ("guest", share(guest)),
        ("gnice", share(guest_nice)),
        ("idle", share(idle)),
        ("busy", cpu_busy_pct(share(idle), share(iowait))),
    ]))
}

pub(super) fn stat(snapshots: &[Snapshot], out: &mut Output) {
    let mut last_cpu: BTreeMap<String, [u64; 10]> = BTreeMap::new();
    let mut last_system: BTreeMap<&str, Reading<u64>> = BTreeMap::new();
    for snapshot in snapshots {
        let read = read_stat(snapshot, out);
        out.parsed.host.boot_time = out.parsed.host.boot_time.or(read.boot_time);
        if out.parsed.host.cpus.is_none() {
            let numbered = read
                .cpus
                .iter()
                .filter(|(label, ..)| label != "all")
                .count();
            out.parsed.host.cpus = u32::try_from(numbered).ok().filter(|&n| n > 0);
        }
        let all_line = read
            .cpus
            .iter()
            .find(|(label, ..)| label == "all")
            .map_or(snapshot.first_line(), |(_, line, _)| *line);
        for (label, line, ticks) in &read.cpus {
            let mut values = BTreeMap::new();
            if let Some(previous) = last_cpu.get(label) {
                let mut previous = *previous;
                // The kernel documents that iowait may go down (proc.rst): treat it as unchanged.
                if ticks[IOWAIT] < previous[IOWAIT] {
                    previous[IOWAIT] = ticks[IOWAIT];
                }
                if let Some(deltas) = out.deltas(&CPU_TICKS, &previous, ticks, *line) {
                    match cpu_percentages(&deltas) {
                        Some(percentages) => values = percentages,
                        None => out.warn(*line, "no CPU time elapsed; interval skipped"),
                    }
                }
            }
            last_cpu.insert(label.clone(), *ticks);
            if label == "all" {
                stat_system(&read, snapshot.time_us, &mut last_system, &mut values, out);
            }
            out.push(
                "proc_stat",
                snapshot.time_us,
                *line,
                labels(&[("cpu", label)]),
                values,
            );
        }
        if !read.cpus.iter().any(|(label, ..)| label == "all") {
            let mut values = BTreeMap::new();
            stat_system(&read, snapshot.time_us, &mut last_system, &mut values, out);
            let row_labels = labels(&[("cpu", "all")]);
            out.push("proc_stat", snapshot.time_us, all_line, row_labels, values);
        }
    }
}

/// The system-wide fields of one snapshot, added to the `cpu="all"` row's `values`.
fn stat_system(
    read: &StatSnapshot,
    time_us: i64,
    last: &mut BTreeMap<&'static str, Reading<u64>>,
    values: &mut BTreeMap<String, f64>,
    out: &mut Output,
) {
    for name in STAT_INSTANTS {
        if let Some(&(value, _)) = read.system.get(name) {
            values.insert(name.to_string(), value as f64);
        }
    }
    for (counter, rate) in STAT_RATES {
        let Some(&(now, line)) = read.system.get(counter) else {
            continue;
        };
        if let Some(previous) = last.get(counter)
            && let Some(deltas) = out.deltas(&[counter], &[previous.value], &[now], line)
        {
            let delta = deltas.first().copied().unwrap_or(0.0);
            let seconds = out.seconds_between(previous.time_us, time_us);
            values.insert(rate.to_string(), delta / seconds);
        }
        last.insert(
            counter,
            Reading {
                time_us,
                value: now,
            },
        );
    }
}

/// The unit of a `proc_stat` field: the CPU shares are percents.
pub(super) fn unit(field: &str) -> Option<Unit> {
    matches!(
        field,
        "usr"
            | "nice"
            | "sys"
            | "iowait"
            | "irq"
            | "soft"
            | "steal"
            | "guest"
            | "gnice"
            | "idle"
            | "busy"
    )
    .then_some(Unit::Percent)
}

#[cfg(test)]
mod tests {
    use crate::parse::procfs::parse;
    use crate::parse::procfs::testing::series;

    #[test]
    fn iowait_going_down_is_taken_as_unchanged() {
        let text = series(
            "/proc/stat",
            &[
                ("10:00:00", "cpu  100 0 100 700 50 0 0 0 0 0"),
                ("10:00:01", "cpu  150 0 150 800 40 0 0 0 0 0"),
            ],
        );
        let parsed = parse("stat.txt", &text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let fields = &parsed.records[0].fields;
        assert_eq!(
            (fields["usr"], fields["iowait"], fields["busy"]),
            (25.0, 0.0, 50.0)
        );
    }

    #[test]
    fn guest_time_is_taken_out_of_usr_as_mpstat_does() {
        let text = series(
            "/proc/stat",
            &[
                ("10:00:00", "cpu  0 0 0 0 0 0 0 0 0 0"),
                ("10:00:01", "cpu  60 20 0 20 0 0 0 0 40 10"),
            ],
        );
        let fields = &parse("stat.txt", &text).records[0].fields;
        assert_eq!(
            (fields["usr"], fields["guest"], fields["nice"]),
            (20.0, 40.0, 10.0)
        );
        assert_eq!(fields["gnice"], 10.0);
    }
}

//! What `use-check` derives from two readings of /proc one interval apart: the target's usage
//! (a process, a group of processes or a cgroup) and a summary of the host's. Pure: samples and
//! the time between them in, numbers out, so it is tested on values alone. The readings are
//! made in `collect::target`.
//!
//! Counters become rates only over what both samples saw: a process (or thread) that started or
//! ended during the interval adds nothing to the rates, as its counter has no earlier reading;
//! it still counts in the resident size, an instant value read from the later sample.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Labels, Name, Record, SourceRef};

/// One reading of a target's processes, and of its cgroup when it is one.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TargetSample {
    /// By PID.
    pub processes: BTreeMap<u32, ProcessSample>,
    pub cgroup: Option<CgroupSample>,
}

/// One process's counters: /proc/PID/stat, /proc/PID/io, and per thread /proc/PID/task/TID/.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ProcessSample {
    /// utime + stime of the whole thread group, in clock ticks.
    pub cpu_ticks: u64,
    pub major_faults: u64,
    pub rss_kib: u64,
    /// Bytes the process caused to be read from and written to storage; `None` when
    /// /proc/PID/io could not be read (another user's process, without root).
    pub read_bytes: Option<u64>,
    pub write_bytes: Option<u64>,
    /// Time spent waiting for block I/O (delay accounting), in clock ticks; `None` when the
    /// kernel does not account it (`kernel.task_delayacct = 0`), as it would read 0.
    pub blkio_delay_ticks: Option<u64>,
    /// By TID.
    pub threads: BTreeMap<u32, ThreadSample>,
}

/// One thread's scheduler counters: /proc/PID/task/TID/schedstat and status.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ThreadSample {
    /// Time on a CPU (schedstat's first field), ns.
    pub on_cpu_ns: u64,
    /// Time runnable but waiting on a run queue (schedstat's second field), ns.
    pub run_wait_ns: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
}

/// One reading of a cgroup's files; what a hierarchy does not have stays `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CgroupSample {
    /// v1 memory.usage_in_bytes, v2 memory.current: page cache included.
    pub memory_bytes: Option<u64>,
    /// memory.stat's inactive file cache (v1 total_inactive_file, v2 inactive_file): the part
    /// of `memory_bytes` the kernel reclaims first.
    pub inactive_file_bytes: Option<u64>,
    /// v1 memory.limit_in_bytes, v2 memory.max; `None` when unlimited.
    pub memory_limit_bytes: Option<u64>,
    /// v1 memory.failcnt: times usage hit the limit.
    pub failcnt: Option<u64>,
    /// v2 memory.events `max`: times usage was about to go over the limit.
    pub memory_max_events: Option<u64>,
    /// v2 memory.events `oom`.
    pub oom: Option<u64>,
    /// v1 memory.oom_control or v2 memory.events `oom_kill`.
    pub oom_kill: Option<u64>,
    /// v2 cpu.stat.
    pub nr_throttled: Option<u64>,
    pub throttled_usec: Option<u64>,
    /// v2 cpu.pressure, memory.pressure, io.pressure: the `some` total, µs, by resource.
    pub pressure_some_us: BTreeMap<String, u64>,
}

/// A target's usage over one interval. Rates are per second of the interval.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TargetUsage {
    pub processes: usize,
    pub threads: usize,
    /// CPU time as a percent of one CPU (200 = two CPUs' worth).
    pub cpu_pct: f64,
    /// CPU time as a percent of all the host's CPUs.
    pub cpu_all_pct: f64,
    /// The busiest thread's time on CPU, percent of one CPU: a single-thread bottleneck shows
    /// here near 100 while `cpu_all_pct` stays low.
    pub busiest_thread_pct: f64,
    /// Time its threads spent runnable but waiting for a CPU, summed, ms per second.
    pub run_wait_ms_s: f64,
    pub voluntary_switches_s: f64,
    pub involuntary_switches_s: f64,
    pub rss_kib: u64,
    /// Resident size as a percent of MemTotal.
    pub rss_pct: f64,
    pub major_faults_s: f64,
    /// `None` when /proc/PID/io could not be read for any process.
    pub read_bytes_s: Option<f64>,
    pub write_bytes_s: Option<f64>,
    /// Time its threads waited for block I/O, summed, ms per second; `None` without delay
    /// accounting.
    pub blkio_wait_ms_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<CgroupUsage>,
}

/// A cgroup's memory, limits and pressure over one interval.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CgroupUsage {
    pub memory_bytes: Option<u64>,
    /// `memory_bytes` less the inactive file cache, as container runtimes count it: a cgroup
    /// full of old cache is not short of memory.
    pub working_set_bytes: Option<u64>,
    pub memory_limit_bytes: Option<u64>,
    /// The working set (or, without memory.stat, all use) as a percent of the limit; `None`
    /// without a limit.
    pub memory_used_pct: Option<f64>,
    /// Times the memory limit was hit during the interval (v1 failcnt, v2 memory.events max).
    pub memory_limit_hits: Option<u64>,
    /// OOM kills in the cgroup since it was made, and during the interval.
    pub oom_kill: Option<u64>,
    pub oom_kill_delta: Option<u64>,
    /// Times the cgroup ran out of memory during the interval (v2 memory.events oom), killed
    /// or not.
    pub oom_delta: Option<u64>,
    /// CPU quota throttling during the interval: periods throttled, and ms throttled per second.
    pub throttled_periods: Option<u64>,
    pub throttled_ms_s: Option<f64>,
    /// Percent of the interval some of its tasks stalled, by resource (cpu, memory, io).
    pub pressure_some_pct: BTreeMap<String, f64>,
}

/// The host's side of the table: the numbers the host rules judge, one interval's worth.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HostUsage {
    pub cpus: u32,
    /// All CPUs' busy percent, and the busiest CPU's.
    pub cpu_busy_pct: Option<f64>,
    pub busiest_cpu: Option<Busiest>,
    /// Running and runnable threads per CPU, use-check itself left out.
    pub run_queue_per_cpu: Option<f64>,
    pub mem_available_pct: Option<f64>,
    pub swap_in_kib_s: Option<f64>,
    pub swap_out_kib_s: Option<f64>,
    pub major_faults_s: Option<f64>,
    pub oom_kills: Option<f64>,
    /// Percent of the interval some tasks stalled (PSI `some`, from its total), by resource:
    /// what the rules judge, exact over a short interval.
    pub pressure_some_pct: BTreeMap<String, f64>,
    /// The kernel's own 10-second average of the same, for the longer view.
    pub pressure_some_avg10: BTreeMap<String, f64>,
    pub busiest_disk: Option<Busiest>,
    /// The longest average device queue.
    pub disk_queue: Option<f64>,
    /// Packets dropped and errors, all interfaces, per second.
    pub net_drops_s: Option<f64>,
    pub net_errors_s: Option<f64>,
}

/// The busiest instance (a CPU, a disk) and its busy percent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Busiest {
    pub name: String,
    pub pct: f64,
}

/// The machine facts a derivation needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Machine {
    pub cpus: u32,
    pub mem_total_kib: u64,
    pub ticks_per_second: u64,
}

/// The target's usage between `prev` and `cur`, `seconds` apart.
pub(crate) fn derive(
    prev: &TargetSample,
    cur: &TargetSample,
    seconds: f64,
    machine: Machine,
) -> TargetUsage {
    let per_second = |count: f64| if seconds > 0.0 { count / seconds } else { 0.0 };
    let ticks_ms = 1000.0 / machine.ticks_per_second.max(1) as f64;
    let mut cpu_ticks = 0;
    let mut major_faults = 0;
    let mut read_bytes = None::<u64>;
    let mut write_bytes = None::<u64>;
    let mut blkio_ticks = None::<u64>;
    let mut busiest_thread_ns = 0;
    let mut run_wait_ns = 0;
    let mut voluntary = 0;
    let mut involuntary = 0;
    for (pid, now) in &cur.processes {
        let Some(before) = prev.processes.get(pid) else {
            continue;
        };
        cpu_ticks += now.cpu_ticks.saturating_sub(before.cpu_ticks);
        major_faults += now.major_faults.saturating_sub(before.major_faults);
        add_delta(&mut read_bytes, before.read_bytes, now.read_bytes);
        add_delta(&mut write_bytes, before.write_bytes, now.write_bytes);
        add_delta(
            &mut blkio_ticks,
            before.blkio_delay_ticks,
            now.blkio_delay_ticks,
        );
        for (tid, thread) in &now.threads {
            let Some(earlier) = before.threads.get(tid) else {
                continue;
            };
            busiest_thread_ns =
                busiest_thread_ns.max(thread.on_cpu_ns.saturating_sub(earlier.on_cpu_ns));
            run_wait_ns += thread.run_wait_ns.saturating_sub(earlier.run_wait_ns);
            voluntary += thread
                .voluntary_switches
                .saturating_sub(earlier.voluntary_switches);
            involuntary += thread
                .involuntary_switches
                .saturating_sub(earlier.involuntary_switches);
        }
    }
    let cpu_pct = per_second(cpu_ticks as f64 * ticks_ms) / 10.0;
    let rss_kib: u64 = cur.processes.values().map(|p| p.rss_kib).sum();
    TargetUsage {
        processes: cur.processes.len(),
        threads: cur.processes.values().map(|p| p.threads.len()).sum(),
        cpu_pct,
        cpu_all_pct: cpu_pct / f64::from(machine.cpus.max(1)),
        busiest_thread_pct: per_second(busiest_thread_ns as f64 / 1e6) / 10.0,
        run_wait_ms_s: per_second(run_wait_ns as f64 / 1e6),
        voluntary_switches_s: per_second(voluntary as f64),
        involuntary_switches_s: per_second(involuntary as f64),
        rss_kib,
        rss_pct: share(rss_kib as f64, machine.mem_total_kib as f64),
        major_faults_s: per_second(major_faults as f64),
        read_bytes_s: read_bytes.map(|bytes| per_second(bytes as f64)),
        write_bytes_s: write_bytes.map(|bytes| per_second(bytes as f64)),
        blkio_wait_ms_s: blkio_ticks.map(|ticks| per_second(ticks as f64 * ticks_ms)),
        cgroup: prev
            .cgroup
            .as_ref()
            .zip(cur.cgroup.as_ref())
            .map(|(before, now)| derive_cgroup(before, now, seconds)),
    }
}

/// Add `now - before` to `total` when both readings exist.
fn add_delta(total: &mut Option<u64>, before: Option<u64>, now: Option<u64>) {
    if let (Some(before), Some(now)) = (before, now) {
        *total = Some(total.unwrap_or(0) + now.saturating_sub(before));
    }
}

fn delta(before: Option<u64>, now: Option<u64>) -> Option<u64> {
    Some(now?.saturating_sub(before?))
}

fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    }
}

fn derive_cgroup(before: &CgroupSample, now: &CgroupSample, seconds: f64) -> CgroupUsage {
    let working_set_bytes = now
        .memory_bytes
        .zip(now.inactive_file_bytes)
        .map(|(used, inactive)| used.saturating_sub(inactive));
    let memory_used_pct = working_set_bytes
        .or(now.memory_bytes)
        .zip(now.memory_limit_bytes)
        .map(|(used, limit)| share(used as f64, limit as f64));
    let limit_hits = delta(before.failcnt, now.failcnt)
        .or_else(|| delta(before.memory_max_events, now.memory_max_events));
    let pressure_some_pct = now
        .pressure_some_us
        .iter()
        .filter_map(|(resource, &total)| {
            let earlier = *before.pressure_some_us.get(resource)?;
            let stalled_s = total.saturating_sub(earlier) as f64 / 1e6;
            let pct = if seconds > 0.0 {
                (100.0 * stalled_s / seconds).min(100.0)
            } else {
                0.0
            };
            Some((resource.clone(), pct))
        })
        .collect();
    CgroupUsage {
        memory_bytes: now.memory_bytes,
        working_set_bytes,
        memory_limit_bytes: now.memory_limit_bytes,
        memory_used_pct,
        memory_limit_hits: limit_hits,
        oom_kill: now.oom_kill,
        oom_kill_delta: delta(before.oom_kill, now.oom_kill),
        oom_delta: delta(before.oom, now.oom),
        throttled_periods: delta(before.nr_throttled, now.nr_throttled),
        throttled_ms_s: delta(before.throttled_usec, now.throttled_usec)
            .filter(|_| seconds > 0.0)
            .map(|usec| usec as f64 / 1000.0 / seconds),
        pressure_some_pct,
    }
}

/// The tables [`TargetUsage::records`] makes and the fields they can have: what use-check's
/// rules may read of the target.
pub const TABLES: [(&str, &[&str]); 2] = [
    (
        "target",
        &[
            "cpu_pct",
            "cpu_all_pct",
            "busiest_thread_pct",
            "run_wait_ms_s",
            "rss_pct",
            "major_faults_s",
            "blkio_wait_ms_s",
        ],
    ),
    (
        "target_cgroup",
        &[
            "memory_used_pct",
            "memory_limit_hits",
            "oom_kill",
            "oom_kill_delta",
            "throttled_periods",
            "cpu_pressure_pct",
            "memory_pressure_pct",
            "io_pressure_pct",
        ],
    ),
];

impl TargetUsage {
    /// The usage as rows the rules can query: `target` (the processes) and `target_cgroup`,
    /// one row each at `time`. Absent values are left out, so rules on them are not judged.
    pub fn records(&self, time: f64) -> Vec<Record> {
        let row = |table: &str, fields: Vec<(&str, Option<f64>)>| Record {
            table: table.into(),
            time,
            labels: Labels::new(),
            fields: fields
                .into_iter()
                .filter_map(|(name, value)| Some((name.into(), value?)))
                .collect(),
            source: SourceRef {
                file: "/proc".into(),
                line: 0,
            },
        };
        let mut records = vec![row(
            "target",
            vec![
                ("cpu_pct", Some(self.cpu_pct)),
                ("cpu_all_pct", Some(self.cpu_all_pct)),
                ("busiest_thread_pct", Some(self.busiest_thread_pct)),
                ("run_wait_ms_s", Some(self.run_wait_ms_s)),
                ("rss_pct", Some(self.rss_pct)),
                ("major_faults_s", Some(self.major_faults_s)),
                ("blkio_wait_ms_s", self.blkio_wait_ms_s),
            ],
        )];
        if let Some(cgroup) = &self.cgroup {
            let pressure = |resource: &str| cgroup.pressure_some_pct.get(resource).copied();
            let count = |value: Option<u64>| value.map(|v| v as f64);
            records.push(row(
                "target_cgroup",
                vec![
                    ("memory_used_pct", cgroup.memory_used_pct),
                    ("memory_limit_hits", count(cgroup.memory_limit_hits)),
                    ("oom_kill", count(cgroup.oom_kill)),
                    ("oom_kill_delta", count(cgroup.oom_kill_delta)),
                    ("throttled_periods", count(cgroup.throttled_periods)),
                    ("cpu_pressure_pct", pressure("cpu")),
                    ("memory_pressure_pct", pressure("memory")),
                    ("io_pressure_pct", pressure("io")),
                ],
            ));
        }
        records.retain(|record| !record.fields.is_empty());
        records
    }
}

/// The host's numbers from the rows the /proc parser and its sysstat stand-ins made of two
/// snapshots; the latest row of each series counts.
pub(crate) fn host_usage(records: &[Record], cpus: u32) -> HostUsage {
    let latest = |table: &str, field: &str, instance: &dyn Fn(&Labels) -> bool| {
        records
            .iter()
            .filter(|r| r.table == table && instance(&r.labels))
            .filter_map(|r| Some((r.time, *r.fields.get(field)?)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, value)| value)
    };
    let any = |_: &Labels| true;
    let label_is = |key: &'static str, value: &'static str| {
        move |labels: &Labels| labels.get(key).map(Name::as_str) == Some(value)
    };
    let busiest = |table: &str, field: &str, key: &str, skip: &str| {
        let mut names: Vec<&Name> = records
            .iter()
            .filter(|r| r.table == table)
            .filter_map(|r| r.labels.get(key))
            .filter(|name| name.as_str() != skip)
            .collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter_map(|name| {
                let pct = latest(table, field, &|labels: &Labels| {
                    labels.get(key) == Some(name)
                })?;
                Some(Busiest {
                    name: name.to_string(),
                    pct,
                })
            })
            .max_by(|a, b| a.pct.total_cmp(&b.pct))
    };
    let sum_over = |table: &str, fields: &[&str]| {
        let rows: Vec<&Record> = records.iter().filter(|r| r.table == table).collect();
        let last = rows.iter().map(|r| r.time).max_by(f64::total_cmp)?;
        Some(
            rows.iter()
                .filter(|r| r.time == last)
                .flat_map(|r| fields.iter().filter_map(|f| r.fields.get(f)))
                .sum(),
        )
    };
    let pressure_some = |field: &str| {
        ["cpu", "memory", "io"]
            .into_iter()
            .filter_map(|resource| {
                let value = latest("pressure", field, &|labels: &Labels| {
                    labels.get("resource").map(Name::as_str) == Some(resource)
                        && labels.get("kind").map(Name::as_str) == Some("some")
                })?;
                Some((resource.to_string(), value))
            })
            .collect()
    };
    let disk_queue = records
        .iter()
        .filter(|r| r.table == "iostat")
        .filter_map(|r| r.fields.get("aqu_sz").copied())
        .max_by(f64::total_cmp);
    HostUsage {
        cpus,
        cpu_busy_pct: latest("mpstat", "busy", &label_is("cpu", "all")),
        busiest_cpu: busiest("mpstat", "busy", "cpu", "all"),
        // As the cpu-saturation rule reads vmstat's r: the reader itself is one of them.
        run_queue_per_cpu: latest("vmstat", "r", &any)
            .map(|running| (running - 1.0).max(0.0) / f64::from(cpus.max(1))),
        mem_available_pct: latest("memory", "used_pct", &any).map(|used| 100.0 - used),
        swap_in_kib_s: latest("vmstat", "si", &any),
        swap_out_kib_s: latest("vmstat", "so", &any),
        major_faults_s: latest("proc_vmstat", "pgmajfault_s", &any),
        oom_kills: latest("proc_vmstat", "oom_kill_delta", &any),
        pressure_some_pct: pressure_some("stall"),
        pressure_some_avg10: pressure_some("avg10"),
        busiest_disk: busiest("iostat", "util", "device", ""),
        disk_queue,
        net_drops_s: sum_over("net_dev", &["rxdrop_s", "txdrop_s"]),
        net_errors_s: sum_over("net_dev", &["rxerr_s", "txerr_s"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MACHINE: Machine = Machine {
        cpus: 4,
        mem_total_kib: 1_000_000,
        ticks_per_second: 100,
    };

    fn thread(on_cpu_ms: u64, run_wait_ms: u64, voluntary: u64, involuntary: u64) -> ThreadSample {
        ThreadSample {
            on_cpu_ns: on_cpu_ms * 1_000_000,
            run_wait_ns: run_wait_ms * 1_000_000,
            voluntary_switches: voluntary,
            involuntary_switches: involuntary,
        }
    }

    fn process(cpu_ticks: u64, threads: &[(u32, ThreadSample)]) -> ProcessSample {
        ProcessSample {
            cpu_ticks,
            major_faults: cpu_ticks / 10,
            rss_kib: 50_000,
            read_bytes: Some(cpu_ticks * 1000),
            write_bytes: None,
            blkio_delay_ticks: None,
            threads: threads.iter().cloned().collect(),
        }
    }

    fn sample(processes: &[(u32, ProcessSample)]) -> TargetSample {
        TargetSample {
            processes: processes.iter().cloned().collect(),
            cgroup: None,
        }
    }

    #[test]
    fn one_busy_thread_is_a_whole_cpu_and_a_quarter_of_four() {
        let prev = sample(&[(10, process(1000, &[(10, thread(0, 0, 5, 1))]))]);
        let cur = sample(&[(10, process(1200, &[(10, thread(2000, 300, 7, 41))]))]);
        let usage = derive(&prev, &cur, 2.0, MACHINE);
        assert_eq!(usage.cpu_pct, 100.0);
        assert_eq!(usage.cpu_all_pct, 25.0);
        assert_eq!(usage.busiest_thread_pct, 100.0);
        assert_eq!(usage.run_wait_ms_s, 150.0);
        assert_eq!(usage.voluntary_switches_s, 1.0);
        assert_eq!(usage.involuntary_switches_s, 20.0);
        assert_eq!(usage.major_faults_s, 10.0);
        assert_eq!(usage.read_bytes_s, Some(100_000.0));
        assert_eq!(usage.write_bytes_s, None);
        assert_eq!(usage.rss_pct, 5.0);
        assert_eq!((usage.processes, usage.threads), (1, 1));
    }

    #[test]
    fn processes_and_threads_seen_once_add_no_rate_but_count_in_rss() {
        let prev = sample(&[
            (10, process(100, &[(10, thread(0, 0, 0, 0))])),
            (11, process(100, &[])),
        ]);
        let cur = sample(&[
            (
                10,
                process(
                    150,
                    &[(10, thread(10, 0, 0, 0)), (12, thread(900, 900, 9, 9))],
                ),
            ),
            (20, process(5000, &[(20, thread(50_000, 0, 0, 0))])),
        ]);
        let usage = derive(&prev, &cur, 1.0, MACHINE);
        assert_eq!(usage.cpu_pct, 50.0);
        assert_eq!(usage.run_wait_ms_s, 0.0);
        assert_eq!(usage.rss_kib, 100_000);
        assert_eq!((usage.processes, usage.threads), (2, 3));
    }

    #[test]
    fn counters_that_go_back_count_as_nothing() {
        let prev = sample(&[(10, process(500, &[(10, thread(10, 10, 10, 10))]))]);
        let cur = sample(&[(10, process(400, &[(10, thread(5, 5, 5, 5))]))]);
        let usage = derive(&prev, &cur, 1.0, MACHINE);
        assert_eq!(usage.cpu_pct, 0.0);
        assert_eq!(usage.run_wait_ms_s, 0.0);
        assert_eq!(usage.involuntary_switches_s, 0.0);
    }

    #[test]
    fn cgroup_limits_kills_throttling_and_pressure() {
        let cgroup = |memory: u64, failcnt, kills, throttled_usec, cpu_some_us| CgroupSample {
            memory_bytes: Some(memory + 500),
            inactive_file_bytes: Some(500),
            memory_limit_bytes: Some(1000),
            failcnt: Some(failcnt),
            oom_kill: Some(kills),
            nr_throttled: Some(throttled_usec / 1000),
            throttled_usec: Some(throttled_usec),
            pressure_some_us: [("cpu".to_string(), cpu_some_us)].into(),
            ..CgroupSample::default()
        };
        let prev = TargetSample {
            cgroup: Some(cgroup(100, 3, 1, 0, 1_000_000)),
            ..TargetSample::default()
        };
        let cur = TargetSample {
            cgroup: Some(cgroup(950, 5, 2, 500_000, 1_250_000)),
            ..TargetSample::default()
        };
        let usage = derive(&prev, &cur, 1.0, MACHINE).cgroup.unwrap();
        assert_eq!(usage.memory_used_pct, Some(95.0));
        assert_eq!(usage.working_set_bytes, Some(950));
        assert_eq!(usage.memory_limit_hits, Some(2));
        assert_eq!((usage.oom_kill, usage.oom_kill_delta), (Some(2), Some(1)));
        assert_eq!(usage.throttled_periods, Some(500));
        assert_eq!(usage.throttled_ms_s, Some(500.0));
        assert_eq!(usage.pressure_some_pct["cpu"], 25.0);
    }

    #[test]
    fn records_leave_out_what_was_not_measured() {
        let usage = TargetUsage {
            cpu_pct: 99.0,
            ..TargetUsage::default()
        };
        let records = usage.records(5.0);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].fields["cpu_pct"], 99.0);
        assert!(!records[0].fields.contains_key("blkio_wait_ms_s"));
    }

    #[test]
    fn every_field_made_is_declared() {
        let usage = TargetUsage {
            blkio_wait_ms_s: Some(1.0),
            cgroup: Some(CgroupUsage {
                memory_used_pct: Some(1.0),
                memory_limit_hits: Some(1),
                oom_kill: Some(1),
                oom_kill_delta: Some(1),
                throttled_periods: Some(1),
                pressure_some_pct: ["cpu", "memory", "io"]
                    .map(|resource| (resource.to_string(), 1.0))
                    .into(),
                ..CgroupUsage::default()
            }),
            ..TargetUsage::default()
        };
        for record in usage.records(1.0) {
            let (_, fields) = TABLES
                .iter()
                .find(|(table, _)| record.table == *table)
                .expect("a declared table");
            let made: Vec<&str> = record.fields.keys().map(|name| name.as_str()).collect();
            assert_eq!(made.len(), fields.len(), "{}: {made:?}", record.table);
            assert!(made.iter().all(|field| fields.contains(field)), "{made:?}");
        }
    }

    #[test]
    fn host_usage_reads_the_latest_rows() {
        let row = |table: &str, time: f64, labels: &[(&str, &str)], fields: &[(&str, f64)]| {
            Record::from_pairs(table, time, labels, fields, "proc/stat.txt", 1)
        };
        let records = vec![
            row("mpstat", 1.0, &[("cpu", "all")], &[("busy", 55.0)]),
            row("mpstat", 1.0, &[("cpu", "0")], &[("busy", 100.0)]),
            row("mpstat", 1.0, &[("cpu", "1")], &[("busy", 10.0)]),
            row("vmstat", 0.0, &[], &[("r", 9.0)]),
            row("vmstat", 1.0, &[], &[("r", 3.0), ("si", 0.0)]),
            row("memory", 1.0, &[], &[("used_pct", 40.0)]),
            row(
                "pressure",
                1.0,
                &[("resource", "io"), ("kind", "some")],
                &[("stall", 7.0), ("avg10", 4.5)],
            ),
            row(
                "pressure",
                1.0,
                &[("resource", "io"), ("kind", "full")],
                &[("stall", 3.0)],
            ),
            row(
                "iostat",
                1.0,
                &[("device", "sda")],
                &[("util", 20.0), ("aqu_sz", 0.5)],
            ),
            row(
                "iostat",
                1.0,
                &[("device", "sdb")],
                &[("util", 70.0), ("aqu_sz", 2.0)],
            ),
            row(
                "net_dev",
                1.0,
                &[("iface", "eth0")],
                &[("rxdrop_s", 1.0), ("txerr_s", 2.0)],
            ),
            row(
                "net_dev",
                1.0,
                &[("iface", "lo")],
                &[("txdrop_s", 1.0), ("rxerr_s", 0.0)],
            ),
        ];
        let host = host_usage(&records, 2);
        assert_eq!(host.cpu_busy_pct, Some(55.0));
        let busiest_cpu = host.busiest_cpu.unwrap();
        assert_eq!((busiest_cpu.name.as_str(), busiest_cpu.pct), ("0", 100.0));
        assert_eq!(host.run_queue_per_cpu, Some(1.0));
        assert_eq!(host.mem_available_pct, Some(60.0));
        assert_eq!(host.pressure_some_pct["io"], 7.0);
        assert_eq!(host.pressure_some_avg10["io"], 4.5);
        assert_eq!(host.busiest_disk.unwrap().name, "sdb");
        assert_eq!(host.disk_queue, Some(2.0));
        assert_eq!(host.net_drops_s, Some(2.0));
        assert_eq!(host.net_errors_s, Some(2.0));
        assert_eq!(host.swap_out_kib_s, None);
    }
}

//! Parser for `iostat -x` reports: device rows → table `iostat` (label `device`), and the
//! `avg-cpu` block (printed unless `-d`) → table `iostat_cpu` (`user nice system iowait
//! steal idle`).
//!
//! Columns are read by header name, so sysstat 12's `r_await w_await aqu-sz` and sysstat
//! 10's `avgrq-sz avgqu-sz await svctm` both parse; the old names are renamed to the new
//! ones (`avgqu-sz` → `aqu_sz`, `avgrq-sz` → `areq_sz`) so rules see one name.
//!
//! Time: with `-t`, each report starts with a stamp (`2026-11-25T19:20:01+0000` under
//! S_TIME_FORMAT=ISO, else the locale's date and time), read as a naive wall clock like every
//! sysstat time. Without `-t`, iostat prints no clock, so report n (from 0) is at n seconds:
//! right for the 1 s interval perf_manual uses, relative otherwise.
//! Without `-y` the first report is the average since boot; perf_manual passes `-y`, and the
//! parser cannot tell the two apart, so it keeps every report it is given.

use super::sniff::Sign;
use super::sysstat::{
    Layout, Layouts, TableSpec, parse_banner, parse_date_time, parse_number, split_cells, warning,
};
use super::{Format, Parser, Table};
use crate::record::{
    Feed, Fields, Name, Parsed, Rank, SourceRef, Unit, cpu_busy_pct, metric::Convert,
};

/// iostat, told by its `avg-cpu:` block or its device header (`Device r/s`, or `Device tps`
/// without `-x`).
pub struct Iostat;

impl Parser for Iostat {
    fn format(&self) -> Format {
        Format::Iostat
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        let cells: Vec<&str> = line.split_ascii_whitespace().collect();
        let has = |name: &str| cells.contains(&name);
        let is_iostat =
            has("avg-cpu:") || ((has("Device") || has("Device:")) && (has("r/s") || has("tps")));
        is_iostat.then_some(Sign::Header)
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }

    fn unit(&self, table: &str, field: &str) -> Option<Unit> {
        match table {
            "iostat_cpu" => Some(Unit::Percent),
            "iostat" => device_unit(field),
            _ => None,
        }
    }

    fn tables(&self) -> Vec<Table> {
        vec![DEVICE.declared(), CPU.declared()]
    }

    /// iostat -x is the tool made for disks; sysstat 10's `rsec/s` (without `-k`) counts
    /// 512-byte sectors. Its `avg-cpu` block covers the whole machine, as vmstat's columns do.
    fn feeds(&self) -> Vec<Feed> {
        let all_cpus = |source: &str, metric: &str| {
            Feed::new(Rank::Secondary, "iostat", source, metric).set(&[("cpu", "all")])
        };
        disk_feeds(Rank::Primary, "iostat -x", "iostat")
            .into_iter()
            .chain([
                all_cpus("iostat_cpu.idle,iowait", "cpu.busy").convert(Convert::Derive(|fields| {
                    Some(cpu_busy_pct(*fields.get("idle")?, *fields.get("iowait")?))
                })),
                all_cpus("iostat_cpu.iowait", "cpu.iowait"),
                all_cpus("iostat_cpu.steal", "cpu.steal"),
                Feed::new(Rank::Primary, "iostat -x", "iostat.rsec_s", "disk.rkb_s")
                    .convert(Convert::Scale(0.5)),
                Feed::new(Rank::Primary, "iostat -x", "iostat.wsec_s", "disk.wkb_s")
                    .convert(Convert::Scale(0.5)),
            ])
            .collect()
    }
}

/// The disk metrics of a table with iostat -x's fields (iostat's own, and /proc/diskstats'
/// computed as iostat computes them): each as it is, and `await` over reads, writes and
/// discards where the table has none of its own.
pub(crate) fn disk_feeds(rank: Rank, tool: &str, table: &str) -> Vec<Feed> {
    let same = [
        "util", "aqu_sz", "await", "r_await", "w_await", "r_s", "w_s", "rkb_s", "wkb_s",
    ]
    .map(|field| {
        Feed::new(
            rank,
            tool,
            &format!("{table}.{field}"),
            &format!("disk.{field}"),
        )
    });
    let derived = Feed::new(
        rank,
        tool,
        &format!("{table}.r_await,w_await"),
        "disk.await",
    )
    .convert(Convert::Derive(await_of_all));
    same.into_iter().chain([derived]).collect()
}

/// The mean time of a request, reads, writes and discards together, from each kind's count
/// and mean (what sar -d prints as `await`); 0 without requests, as iostat prints it.
fn await_of_all(fields: &Fields) -> Option<f64> {
    let mut requests = 0.0;
    let mut time = 0.0;
    let mut any = false;
    for kind in ["r", "w", "d"] {
        let (Some(count), Some(mean)) = (
            fields.get(&format!("{kind}_s")),
            fields.get(&format!("{kind}_await")),
        ) else {
            continue;
        };
        any = true;
        requests += count;
        time += count * mean;
    }
    any.then(|| if requests > 0.0 { time / requests } else { 0.0 })
}

/// The unit of an `iostat -x` device field where its name does not tell it: the merged share
/// of requests (`rrqm`) is a percent, the average request size (`rareq_sz`) in KiB.
pub(crate) fn device_unit(field: &str) -> Option<Unit> {
    match field {
        "rrqm" | "wrqm" | "drqm" => Some(Unit::Percent),
        f if f.ends_with("areq_sz") => Some(Unit::KiB),
        _ => None,
    }
}

const DEVICE: TableSpec = TableSpec {
    table: "iostat",
    first: &["Device", "Device:"],
    marker: None,
    labels: &[("Device", "device"), ("Device:", "device")],
    renames: &[("avgqu-sz", "aqu_sz"), ("avgrq-sz", "areq_sz")],
    skip: &[],
    instances: None,
    busy: false,
    fields: &[
        "r_s",
        "rkb_s",
        "rmb_s",
        "rsec_s",
        "rrqm_s",
        "rrqm",
        "r_await",
        "rareq_sz",
        "w_s",
        "wkb_s",
        "wmb_s",
        "wsec_s",
        "wrqm_s",
        "wrqm",
        "w_await",
        "wareq_sz",
        "d_s",
        "dkb_s",
        "dmb_s",
        "drqm_s",
        "drqm",
        "d_await",
        "dareq_sz",
        "f_s",
        "f_await",
        "aqu_sz",
        "areq_sz",
        "await",
        "svctm",
        "util",
        "tps",
        "kb_read_s",
        "kb_wrtn_s",
        "kb_dscd_s",
        "kb_read",
        "kb_wrtn",
        "kb_dscd",
        "mb_read_s",
        "mb_wrtn_s",
        "mb_dscd_s",
        "mb_read",
        "mb_wrtn",
        "mb_dscd",
    ],
};

const CPU: TableSpec = TableSpec {
    table: "iostat_cpu",
    first: &[],
    marker: None,
    labels: &[],
    renames: &[],
    skip: &[],
    instances: None,
    busy: false,
    fields: &["user", "nice", "system", "iowait", "steal", "idle"],
};

/// Which block of a report the previous lines opened.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Nothing yet: the next block starts report 0.
    Start,
    /// A `-t` stamp: the next block belongs to the stamped report.
    Stamped,
    Cpu,
    Devices,
}

/// What the next non-empty line is expected to be (headers by their index in [`Layouts`]).
enum Expect {
    Nothing,
    CpuValues(usize),
    DeviceRows(usize),
}

/// The time of the report being read.
#[derive(Debug, Default)]
struct ReportClock {
    time: f64,
    unstamped_reports: u32,
}

impl ReportClock {
    /// A report without a `-t` stamp begins: it is at its index, in seconds.
    fn next_unstamped(&mut self) {
        self.time = f64::from(self.unstamped_reports);
        self.unstamped_reports += 1;
    }
}

pub fn parse(file: &str, text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let file_name = Name::from(file);
    let mut phase = Phase::Start;
    let mut expect = Expect::Nothing;
    let mut layouts = Layouts::default();
    let mut clock = ReportClock::default();
    let mut cells: Vec<&str> = Vec::with_capacity(32);
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        split_cells(line, &mut cells);
        let Some(&first) = cells.first() else {
            if matches!(expect, Expect::DeviceRows(_)) {
                expect = Expect::Nothing;
            }
            continue;
        };
        if first == "Linux"
            && let Some(banner) = parse_banner(line)
        {
            parsed.host.merge(&banner.host);
            continue;
        }
        if first.starts_with(|c: char| c.is_ascii_digit())
            && let Some(stamp) = parse_date_time(line)
        {
            clock.time = stamp;
            phase = Phase::Stamped;
            expect = Expect::Nothing;
            continue;
        }
        if first == "avg-cpu:" {
            if phase != Phase::Stamped {
                clock.next_unstamped();
            }
            phase = Phase::Cpu;
            let header = cells.get(1..).unwrap_or_default();
            let (index, _) = layouts.intern(line, header, || Some(Layout::new(&CPU, header)));
            expect = Expect::CpuValues(index);
            continue;
        }
        if DEVICE.first.contains(&first) && cells.iter().all(|c| parse_number(c).is_none()) {
            if matches!(phase, Phase::Start | Phase::Devices) {
                clock.next_unstamped();
            }
            phase = Phase::Devices;
            let (index, _) = layouts.intern(line, &cells, || Some(Layout::new(&DEVICE, &cells)));
            expect = Expect::DeviceRows(index);
            continue;
        }
        let layout = match expect {
            Expect::CpuValues(index) | Expect::DeviceRows(index) => layouts.get(index),
            Expect::Nothing => None,
        };
        let result = match layout {
            Some(layout) => {
                let source = SourceRef {
                    file: file_name.clone(),
                    line: number,
                };
                layout.record(line, &cells, clock.time, source)
            }
            None => Err("expected a time stamp, `avg-cpu:` or `Device` header".into()),
        };
        if matches!(expect, Expect::CpuValues(_)) {
            expect = Expect::Nothing;
        }
        match result {
            Ok(record) => parsed.records.push(record),
            Err(message) => parsed.warnings.push(warning(file, number, message)),
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reports_without_stamps_count_seconds_from_zero() {
        let text = "avg-cpu:  %user %idle\n 1.00 99.00\n\nDevice r/s aqu-sz\nvda 1.0 0.5\n\n\n\
                    avg-cpu:  %user %idle\n 2.00 98.00\n\nDevice r/s aqu-sz\nvda 2.0 0.5\n";
        let parsed = parse("i", text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let times: Vec<(&str, f64)> = parsed
            .records
            .iter()
            .map(|r| (r.table.as_str(), r.time))
            .collect();
        assert_eq!(
            times,
            [
                ("iostat_cpu", 0.0),
                ("iostat", 0.0),
                ("iostat_cpu", 1.0),
                ("iostat", 1.0)
            ]
        );
        assert_eq!(parsed.records[1].labels["device"], "vda");
        assert_eq!(parsed.records[1].fields["aqu_sz"], 0.5);
    }
}

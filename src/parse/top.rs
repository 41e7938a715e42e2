//! Parser for procps `top -b` (batch mode), any number of frames (`-n N -d D`), with tasks or
//! threads (`-H`), any memory scaling (`-E`, `-e`), and per-CPU lines when top's config shows
//! them. Each frame gives:
//!
//! - `top_summary`: `load1 load5 load15`, `users`, and `tasks_total tasks_running
//!   tasks_sleeping tasks_stopped tasks_zombie` (`threads_*` with `-H`);
//! - `top_cpu` {cpu: all, or the CPU's number}: top's `us sy ni id wa hi si st` as mpstat names
//!   them, `usr sys nice idle iowait irq soft steal`, and `busy` (100 − idle − iowait), all
//!   percents;
//! - `top_memory` {kind: Mem, Swap}: `total free used buff_cache` and, on Mem, `available`
//!   (top prints it on the Swap line), in KiB whatever unit top printed (`KiB Mem`, `MiB Mem`,
//!   `GiB Mem`, ...);
//! - `top_process` {pid, user, comm}: `cpu` and `mem` (percents), `virt_kib res_kib shr_kib`,
//!   for the frame's top consumers: every process using CPU, and the five largest by memory.
//!
//! top measures its first frame's CPU shares over the moment since it started, not over the
//! delay, so the first frame gives no `top_cpu` row and no process `cpu` (as vmstat's first row
//! is dropped); a single frame (`-n 1`) says so in a warning.
//!
//! Time: top prints the time of day only; the first frame is at 0 and each later one at the
//! seconds since it (across midnight too), as for sysstat without a date.

use super::sniff::Sign;
use super::{Format, Parser, Table, free::memory_feeds};
use crate::record::{
    Feed, Fields, Labels, ParseWarning, Parsed, Rank, Record, SourceRef, Unit, canonical_field,
    cpu_busy_pct, metric::Convert,
};

/// How many of a frame's largest processes by memory are kept besides those using CPU.
const LARGEST: usize = 5;

/// top, told by the first line of a frame: `top - 16:05:02 up  1:25,  0 user,  load ...`.
pub struct Top;

impl Parser for Top {
    fn format(&self) -> Format {
        Format::Top
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        frame_title(line).map(|_| Sign::Banner)
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }

    fn unit(&self, table: &str, field: &str) -> Option<Unit> {
        match table {
            "top_cpu" => Some(Unit::Percent),
            "top_memory" => Some(Unit::KiB),
            "top_summary" => Some(Unit::Count),
            "top_process" => Some(match field {
                "cpu" | "mem" => Unit::Percent,
                _ => Unit::KiB,
            }),
            _ => None,
        }
    }

    fn tables(&self) -> Vec<Table> {
        vec![
            Table::known(
                "top_summary",
                &[
                    "load1",
                    "load5",
                    "load15",
                    "users",
                    "tasks_total",
                    "tasks_running",
                    "tasks_sleeping",
                    "tasks_stopped",
                    "tasks_zombie",
                    "threads_total",
                    "threads_running",
                    "threads_sleeping",
                    "threads_stopped",
                    "threads_zombie",
                ],
            ),
            Table::known(
                "top_cpu",
                &[
                    "usr", "sys", "nice", "idle", "iowait", "irq", "soft", "steal", "busy",
                ],
            ),
            Table::known(
                "top_memory",
                &["total", "free", "used", "buff_cache", "available"],
            ),
            Table::known(
                "top_process",
                &["cpu", "mem", "virt_kib", "res_kib", "shr_kib"],
            ),
        ]
    }

    /// A summary of what mpstat, vmstat, /proc/loadavg and free measure, ranked below them.
    /// Its running tasks (or threads, with `-H`) count top itself.
    fn feeds(&self) -> Vec<Feed> {
        let top = |source: &str, metric: &str| Feed::new(Rank::Summary, "top -b", source, metric);
        let mut feeds = vec![
            top("top_cpu.busy", "cpu.busy"),
            top("top_cpu.iowait", "cpu.iowait"),
            top("top_cpu.steal", "cpu.steal"),
            top("top_cpu.soft", "cpu.softirq"),
            top("top_summary.load1", "load.avg1"),
            top("top_summary.load5", "load.avg5"),
            top("top_summary.load15", "load.avg15"),
            top("top_summary.threads_running", "procs.runnable").convert(Convert::LessObserver),
            top("top_summary.tasks_running", "procs.runnable").convert(Convert::LessObserver),
            top("top_process.cpu", "process.cpu").dropping(&["user"]),
            top("top_process.res_kib", "process.rss").dropping(&["user"]),
        ];
        feeds.extend(memory_feeds("top -b", "top_memory"));
        feeds
    }
}

/// The seconds since midnight and the rest of a frame's first line.
fn frame_title(line: &str) -> Option<(u32, &str)> {
    let rest = line.strip_prefix("top - ")?;
    let (clock, rest) = rest.split_once(' ')?;
    let mut parts = clock.split(':').map(|part| part.parse::<u32>().ok());
    let (Some(Some(h)), Some(Some(m)), Some(Some(s)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    (h < 24 && m < 60 && s <= 60 && rest.starts_with("up "))
        .then_some((h * 3600 + m * 60 + s, rest))
}

/// `value name, value name, ...` after a summary line's `Name:` (`%Cpu(s): 1.0 us, ...`,
/// `Tasks: 74 total, ...`, `MiB Swap: 0.0 used.  23434.4 avail Mem`), with the names
/// canonical; the `. ` before `avail Mem` separates like a comma.
fn summary_pairs(text: &str) -> Option<Vec<(String, f64)>> {
    let normalized = text.replace(". ", ", ");
    normalized
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (value, name) = pair.split_once(' ')?;
            Some((canonical_field(name.trim()), value.trim().parse().ok()?))
        })
        .collect()
}

/// KiB per unit of a memory line's `KiB`, `MiB`, ... or a process cell's `k`, `m`, ... suffix.
fn kib_per(unit: &str) -> Option<f64> {
    let power = match unit.to_ascii_lowercase().trim_end_matches("ib") {
        "" | "k" => 0,
        "m" => 1,
        "g" => 2,
        "t" => 3,
        "p" => 4,
        "e" => 5,
        _ => return None,
    };
    Some(1024f64.powi(power))
}

/// A process memory cell in KiB: `77308`, `75.5m`, `1.2g`.
fn process_kib(cell: &str) -> Option<f64> {
    let split = cell
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(cell.len());
    let (number, unit) = cell.split_at(split);
    Some(number.parse::<f64>().ok()? * kib_per(unit)?)
}

/// What one frame holds while it is read.
#[derive(Default)]
struct Frame {
    /// Seconds since the first frame.
    time: f64,
    first: bool,
    /// (record, %CPU, %MEM) of each process row.
    processes: Vec<(Record, f64, f64)>,
    /// The Mem row waits for `avail Mem`, printed on the Swap line.
    memory: Vec<Record>,
}

struct Reader<'f> {
    file: &'f str,
    parsed: Parsed,
    frame: Option<Frame>,
    frames: usize,
    columns: Option<Vec<String>>,
}

impl Reader<'_> {
    fn warn(&mut self, line: usize, message: impl Into<String>) {
        self.parsed.warnings.push(ParseWarning {
            file: self.file.to_string(),
            line,
            message: message.into(),
        });
    }

    fn record(&self, table: &str, line: usize, labels: Labels, fields: Fields) -> Record {
        Record {
            table: table.into(),
            time: self.frame.as_ref().map_or(0.0, |frame| frame.time),
            labels,
            fields,
            source: SourceRef {
                file: self.file.into(),
                line,
            },
        }
    }

    /// Close the frame being read: its memory rows and its top consumers.
    fn finish_frame(&mut self) {
        let Some(frame) = self.frame.take() else {
            return;
        };
        self.parsed.records.extend(frame.memory);
        let mut by_memory: Vec<f64> = frame.processes.iter().map(|(_, _, mem)| *mem).collect();
        by_memory.sort_by(|a, b| b.total_cmp(a));
        let floor = by_memory.get(LARGEST - 1).copied().unwrap_or(0.0);
        let mut largest = 0;
        for (mut record, cpu, mem) in frame.processes {
            let large = mem >= floor && mem > 0.0 && largest < LARGEST;
            largest += usize::from(large);
            if frame.first {
                record.fields.remove("cpu");
            }
            if large || (cpu > 0.0 && !frame.first) {
                self.parsed.records.push(record);
            }
        }
    }

    fn line(&mut self, number: usize, line: &str, first_clock: &mut Option<u32>) {
        if let Some((clock, rest)) = frame_title(line) {
            self.finish_frame();
            self.columns = None;
            let start = *first_clock.get_or_insert(clock);
            let time = f64::from((clock + 86_400 - start) % 86_400);
            self.frame = Some(Frame {
                time,
                first: self.frames == 0,
                ..Frame::default()
            });
            self.frames += 1;
            self.title(number, rest);
            return;
        }
        if self.frame.is_none() {
            self.warn(
                number,
                "expected a frame's first line `top - HH:MM:SS up ...`",
            );
            return;
        }
        if let Some(columns) = &self.columns {
            let columns = columns.clone();
            self.process(number, line, &columns);
            return;
        }
        if line.trim_start().starts_with("PID ") {
            return self.header(line);
        }
        let Some((name, rest)) = line.split_once(':') else {
            return self.warn(number, "expected a summary line `Name: value name, ...`");
        };
        let name = name.trim();
        let read = summary_pairs(rest);
        let Some(read) = read else {
            return self.warn(number, format!("cannot read top's `{name}` line"));
        };
        match name {
            "Tasks" | "Threads" => {
                let prefix = name.to_ascii_lowercase();
                let fields = read
                    .into_iter()
                    .map(|(field, value)| (format!("{prefix}_{field}").as_str().into(), value))
                    .collect();
                let record = self.record("top_summary", number, Labels::new(), fields);
                self.parsed.records.push(record);
            }
            _ if name.starts_with("%Cpu") => self.cpu(number, name, &read),
            _ if name.ends_with("Mem") || name.ends_with("Swap") => self.memory(number, name, read),
            _ => self.warn(number, format!("top's `{name}` line is not understood")),
        }
    }

    /// The rest of `top - HH:MM:SS up ...`: users and load averages.
    fn title(&mut self, number: usize, rest: &str) {
        let mut fields = Fields::new();
        for part in rest.split(',') {
            let part = part.trim();
            if let Some(users) = part
                .strip_suffix(" users")
                .or_else(|| part.strip_suffix(" user"))
                .and_then(|n| n.trim().parse::<f64>().ok())
            {
                fields.insert("users".into(), users);
            }
        }
        let loads: Option<Vec<f64>> = rest
            .split_once("load average:")
            .map(|(_, loads)| loads.split(',').map(|l| l.trim().parse().ok()).collect())
            .unwrap_or(None);
        match loads.as_deref() {
            Some([one, five, fifteen]) => {
                for (name, value) in [("load1", one), ("load5", five), ("load15", fifteen)] {
                    fields.insert(name.into(), *value);
                }
            }
            _ => self.warn(number, "expected `load average: N, N, N`"),
        }
        let record = self.record("top_summary", number, Labels::new(), fields);
        self.parsed.records.push(record);
    }

    fn cpu(&mut self, number: usize, name: &str, read: &[(String, f64)]) {
        if self.frame.as_ref().is_some_and(|frame| frame.first) {
            return;
        }
        const NAMES: [(&str, &str); 8] = [
            ("us", "usr"),
            ("sy", "sys"),
            ("ni", "nice"),
            ("id", "idle"),
            ("wa", "iowait"),
            ("hi", "irq"),
            ("si", "soft"),
            ("st", "steal"),
        ];
        let mut fields: Fields = read
            .iter()
            .filter_map(|(field, value)| {
                let (_, name) = NAMES.iter().find(|(top, _)| top == field)?;
                Some(((*name).into(), *value))
            })
            .collect();
        if let (Some(&idle), Some(&iowait)) = (fields.get("idle"), fields.get("iowait")) {
            fields.insert("busy".into(), cpu_busy_pct(idle, iowait));
        }
        let cpu = name
            .trim_start_matches("%Cpu")
            .trim()
            .trim_start_matches("(s)");
        let cpu = if cpu.is_empty() { "all" } else { cpu };
        let mut labels = Labels::new();
        labels.insert("cpu".into(), cpu.into());
        let record = self.record("top_cpu", number, labels, fields);
        self.parsed.records.push(record);
    }

    fn memory(&mut self, number: usize, name: &str, read: Vec<(String, f64)>) {
        let mut words = name.split_whitespace();
        let (Some(unit), Some(kind)) = (words.next(), words.next()) else {
            return self.warn(number, format!("cannot read top's `{name}` line"));
        };
        let Some(scale) = kib_per(unit) else {
            return self.warn(number, format!("unknown memory unit {unit:?}"));
        };
        let mut available = None;
        let mut fields = Fields::new();
        for (field, value) in read {
            match field.as_str() {
                "avail_mem" => available = Some(value * scale),
                _ => {
                    fields.insert(field.as_str().into(), value * scale);
                }
            }
        }
        let mut labels = Labels::new();
        labels.insert("kind".into(), kind.into());
        let record = self.record("top_memory", number, labels, fields);
        if let Some(frame) = self.frame.as_mut() {
            if let (Some(available), Some(mem)) = (
                available,
                frame
                    .memory
                    .iter_mut()
                    .find(|r| r.labels.get("kind").is_some_and(|k| k == "Mem")),
            ) {
                mem.fields.insert("available".into(), available);
            }
            frame.memory.push(record);
        }
    }

    fn header(&mut self, line: &str) {
        self.columns = Some(line.split_whitespace().map(String::from).collect());
    }

    fn process(&mut self, number: usize, line: &str, columns: &[String]) {
        if line.trim().is_empty() {
            return;
        }
        let last = columns.len().saturating_sub(1);
        let cells: Vec<&str> = line.split_whitespace().collect();
        if cells.len() < columns.len() || columns.last().is_none_or(|c| c != "COMMAND") {
            return self.warn(number, format!("expected {} columns", columns.len()));
        }
        let command = cells[last..].join(" ");
        let mut labels = Labels::new();
        let mut fields = Fields::new();
        let (mut cpu, mut mem) = (0.0, 0.0);
        for (column, cell) in columns.iter().zip(&cells) {
            let value = match column.as_str() {
                "PID" => {
                    labels.insert("pid".into(), (*cell).into());
                    continue;
                }
                "USER" => {
                    labels.insert("user".into(), (*cell).into());
                    continue;
                }
                "%CPU" => cell.parse().ok().inspect(|&v| cpu = v).map(|v| ("cpu", v)),
                "%MEM" => cell.parse().ok().inspect(|&v| mem = v).map(|v| ("mem", v)),
                "VIRT" => process_kib(cell).map(|v| ("virt_kib", v)),
                "RES" => process_kib(cell).map(|v| ("res_kib", v)),
                "SHR" => process_kib(cell).map(|v| ("shr_kib", v)),
                _ => continue,
            };
            match value {
                Some((field, value)) => {
                    fields.insert(field.into(), value);
                }
                None => return self.warn(number, format!("{column} is not a number: {cell:?}")),
            }
        }
        labels.insert("comm".into(), command.as_str().into());
        let record = self.record("top_process", number, labels, fields);
        if let Some(frame) = self.frame.as_mut() {
            frame.processes.push((record, cpu, mem));
        }
    }
}

pub fn parse(file: &str, text: &str) -> Parsed {
    let mut reader = Reader {
        file,
        parsed: Parsed::default(),
        frame: None,
        frames: 0,
        columns: None,
    };
    let mut first_clock = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            // A blank line ends the summary and, after the process table, the frame's rows.
            continue;
        }
        reader.line(number, line, &mut first_clock);
    }
    reader.finish_frame();
    if reader.frames == 1 {
        reader.warn(
            1,
            "one frame: top measures its first frame's CPU shares over a moment, so no CPU \
             share is read (run top -b -n 2 or more)",
        );
    }
    reader.parsed.warnings.sort_by_key(|warning| warning.line);
    reader.parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_FRAMES: &str = "\
top - 23:59:59 up  1:25,  1 user,  load average: 1.01, 1.35, 1.78
Tasks:  74 total,   1 running,  73 sleeping,   0 stopped,   0 zombie
%Cpu(s):100.0 us,  0.0 sy,  0.0 ni,  0.0 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st
MiB Mem :  24105.3 total,   4628.8 free,    670.8 used,  19219.1 buff/cache
MiB Swap:      0.0 total,      0.0 free,      0.0 used.  23434.4 avail Mem

  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND
    1 root      10 -10   50124  12132   7100 S   5.0   0.1   0:20.88 process_a+

top - 00:00:01 up  1:25,  2 users,  load average: 1.00, 1.30, 1.70
Tasks:  74 total,   2 running,  72 sleeping,   0 stopped,   0 zombie
%Cpu(s): 10.5 us,  2.0 sy,  0.0 ni, 80.0 id,  7.5 wa,  0.0 hi,  0.0 si,  0.0 st
KiB Mem :  1000 total,   400 free,    300 used,  300 buff/cache
KiB Swap:      0 total,      0 free,      0 used.  600 avail Mem

  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND
 8960 root      20   0   75.5m   6.5m   3.7m R  93.8   0.0   0:02.67 stress-ng --cpu 1
    2 root      20   0       0      0      0 S   0.0   0.0   0:00.00 kthreadd
";

    fn rows<'p>(parsed: &'p Parsed, table: &str) -> Vec<&'p Record> {
        parsed.records.iter().filter(|r| r.table == table).collect()
    }

    #[test]
    fn frames_become_summary_cpu_memory_and_top_consumers() {
        let parsed = parse("top.txt", TWO_FRAMES);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let cpu = rows(&parsed, "top_cpu");
        assert_eq!(cpu.len(), 1, "the first frame's shares are dropped");
        assert_eq!(cpu[0].time, 2.0, "across midnight");
        assert_eq!((cpu[0].fields["usr"], cpu[0].fields["busy"]), (10.5, 12.5));
        let memory = rows(&parsed, "top_memory");
        assert_eq!(memory[0].fields["total"], 24105.3 * 1024.0);
        assert_eq!(memory[0].fields["available"], 23434.4 * 1024.0);
        assert_eq!(memory[2].fields["available"], 600.0);
        let summary = rows(&parsed, "top_summary");
        assert_eq!(summary[3].fields["tasks_running"], 2.0);
        assert_eq!(summary[2].fields["users"], 2.0);
        let processes = rows(&parsed, "top_process");
        assert_eq!(
            processes.len(),
            2,
            "pid 1 by memory; 8960 by CPU, not kthreadd"
        );
        assert!(!processes[0].fields.contains_key("cpu"));
        assert_eq!(processes[1].labels["comm"], "stress-ng --cpu 1");
        assert_eq!(processes[1].fields["res_kib"], 6.5 * 1024.0);
    }

    #[test]
    fn what_does_not_fit_is_warned_about() {
        let text = "junk\ntop - 10:00:00 up 1 min,  0 users,  load average: x\n%Cpu(s): a us\n";
        let parsed = parse("top.txt", text);
        let lines: Vec<usize> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [1, 1, 2, 3]);
    }
}

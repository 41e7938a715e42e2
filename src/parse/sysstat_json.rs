//! Parser for sysstat's JSON: `mpstat -o JSON`, `iostat -o JSON` and `sadf -j` (a sar data
//! file). All three print `{"sysstat": {"hosts": [{..., "statistics": [...]}]}}`; each
//! statistics object is one sample, and its activities become **the tables the text parsers
//! make**, with the same fields, so every rule and canonical metric reads them alike:
//!
//! | tool | activity (JSON key) | table |
//! |---|---|---|
//! | mpstat | `cpu-load`, `node-load` | `mpstat`, `mpstat_node` (with `busy`) |
//! | mpstat | `sum-interrupts`, `individual-interrupts`, `soft-interrupts` | `mpstat_irq`, `mpstat_softirq` |
//! | iostat | `avg-cpu`, `disk` | `iostat_cpu`, `iostat` |
//! | sadf -j | `cpu-load` | `sar_cpu` (with `busy`) |
//! | sadf -j | `process-and-context-switch`, `interrupts`, `swap-pages`, `paging`, `io` | `sar_task`, `sar_irq`, `sar_swap`, `sar_paging`, `sar_io` |
//! | sadf -j | `memory` | `sar_memory` and `sar_swap_space` (sar -r and -S) |
//! | sadf -j | `hugepages`, `kernel`, `queue`, `disk` | `sar_hugepages`, `sar_kernel`, `sar_queue`, `sar_disk` |
//! | sadf -j | `network`: `net-dev`, `net-edev`, `net-sock`, `net-tcp`, `net-etcp`, `net-udp`, `softnet` | `sar_dev`, `sar_edev`, `sar_sock`, `sar_tcp`, `sar_etcp`, `sar_udp`, `sar_softnet` |
//! | sadf -j | `psi`: `psi-cpu`, `psi-io`, `psi-mem` | `sar_psi_cpu`, `sar_psi_io`, `sar_psi_mem` |
//!
//! sadf names a rate without its `/s` (`pgpgin`, `rxkB`) and a share with `-percent`
//! (`memused-percent`); they are renamed to the text report's field (`pgpgin_s`, `rxkb_s`,
//! `memused`). sadf's own extras that sar's text report of the same sysstat does not print
//! (`rd_sec`, `avgqu-sz` of `disk`) are left out, so one fact is never read twice. Other
//! activities (`serial`, NFS, IPv6, `power-management`, `filesystems`) are warned about once.
//!
//! A sadf statistics object is told by its `timestamp` object (`date`, `time`); mpstat's is a
//! time of day on the host's `date`, iostat's (`-t`) a date and time, and without `-t` report
//! n (from 0) is at n seconds, as for the text. Times are read as a naive wall clock, as every
//! sysstat time is (sadf -j prints UTC unless `-T`).
//!
//! Every record's line is where its statistics object starts. A capture cut mid-way (the tool
//! was killed) keeps every complete statistics object before the cut, with a warning at the
//! line where the cut one starts.

use serde_json::{Map, Value};

use super::sniff::Sign;
use super::sysstat::{Timeline, parse_date, parse_date_time, parse_stamp, warning};
use super::{Format, Parser};
use crate::record::{
    Fields, HostFacts, Labels, Name, Parsed, Record, SourceRef, canonical_field, cpu_busy_pct,
};

/// sysstat's JSON, told by its first line, `{"sysstat": {`, or by its `"sysstat": {` line when
/// another tool (`jq .`) wrote it again.
pub struct SysstatJson;

impl Parser for SysstatJson {
    fn format(&self) -> Format {
        Format::SysstatJson
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        let line: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        let line = line.strip_prefix('{').unwrap_or(&line);
        line.starts_with("\"sysstat\":{").then_some(Sign::Banner)
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }
}

/// How an activity's keys become a table's fields.
#[derive(Debug)]
enum Names {
    /// Each key by its canonical name (`runq-sz` → `runq_sz`), after `renames`.
    Same,
    /// Each key is a rate: canonical name and `_s` (`pgpgin` → `pgpgin_s`), after `renames`.
    Rates,
    /// Only these keys, renamed.
    Only(&'static [(&'static str, &'static str)]),
    /// Every key but the label's is one instance (sadf's `interrupts`: `"all"`, `"CPU0"`):
    /// one record each, labelled `label` (without `prefix`), its value in `field`.
    Columns {
        label: &'static str,
        prefix: &'static str,
        field: &'static str,
    },
    /// `key` holds a list of `{"name", "value"}` (mpstat's interrupts): one record each,
    /// labelled `label` with the name, its value in `field`.
    Listed {
        key: &'static str,
        label: &'static str,
        field: &'static str,
    },
}

/// One activity of a statistics object and the table it makes.
#[derive(Debug)]
struct Activity {
    /// The key, and for `network` and `psi` the key inside it.
    path: &'static [&'static str],
    table: &'static str,
    /// JSON key → label name.
    label: Option<(&'static str, &'static str)>,
    names: Names,
    /// Key → field where the rule of `names` would be wrong; `""` leaves the key out.
    renames: &'static [(&'static str, &'static str)],
    /// Whether rows with `idle` get `busy`, as the text parsers derive it.
    busy: bool,
}

const fn activity(
    path: &'static [&'static str],
    table: &'static str,
    label: Option<(&'static str, &'static str)>,
    names: Names,
) -> Activity {
    Activity {
        path,
        table,
        label,
        names,
        renames: &[],
        busy: false,
    }
}

const CPU: Option<(&str, &str)> = Some(("cpu", "cpu"));
const IFACE: Option<(&str, &str)> = Some(("iface", "iface"));

/// What mpstat and iostat print.
const TOOL_ACTIVITIES: &[Activity] = &[
    Activity {
        busy: true,
        ..activity(&["cpu-load"], "mpstat", CPU, Names::Same)
    },
    Activity {
        busy: true,
        ..activity(
            &["node-load"],
            "mpstat_node",
            Some(("node", "node")),
            Names::Same,
        )
    },
    activity(
        &["sum-interrupts"],
        "mpstat_irq",
        CPU,
        Names::Only(&[("intr", "intr_s")]),
    ),
    activity(
        &["individual-interrupts"],
        "mpstat_irq",
        CPU,
        Names::Listed {
            key: "intr",
            label: "irq",
            field: "intr_s",
        },
    ),
    activity(
        &["soft-interrupts"],
        "mpstat_softirq",
        CPU,
        Names::Listed {
            key: "intr",
            label: "irq",
            field: "intr_s",
        },
    ),
    activity(&["avg-cpu"], "iostat_cpu", None, Names::Same),
    activity(
        &["disk"],
        "iostat",
        Some(("disk_device", "device")),
        Names::Same,
    ),
];

/// What `sadf -j` prints of sar's activities, as the tables `sar` text makes.
const SADF_ACTIVITIES: &[Activity] = &[
    Activity {
        busy: true,
        ..activity(&["cpu-load"], "sar_cpu", CPU, Names::Same)
    },
    activity(
        &["process-and-context-switch"],
        "sar_task",
        None,
        Names::Rates,
    ),
    activity(
        &["interrupts"],
        "sar_irq",
        Some(("intr", "irq")),
        Names::Columns {
            label: "cpu",
            prefix: "CPU",
            field: "intr_s",
        },
    ),
    activity(&["swap-pages"], "sar_swap", None, Names::Rates),
    Activity {
        renames: &[("vmeff-percent", "vmeff")],
        ..activity(&["paging"], "sar_paging", None, Names::Rates)
    },
    Activity {
        renames: &[
            ("tps", "tps"),
            ("rtps", "rtps"),
            ("wtps", "wtps"),
            ("dtps", "dtps"),
        ],
        ..activity(&["io"], "sar_io", None, Names::Rates)
    },
    activity(
        &["memory"],
        "sar_memory",
        None,
        Names::Only(&[
            ("memfree", "kbmemfree"),
            ("avail", "kbavail"),
            ("memused", "kbmemused"),
            ("memused-percent", "memused"),
            ("buffers", "kbbuffers"),
            ("cached", "kbcached"),
            ("commit", "kbcommit"),
            ("commit-percent", "commit"),
            ("active", "kbactive"),
            ("inactive", "kbinact"),
            ("dirty", "kbdirty"),
            ("anonpg", "kbanonpg"),
            ("slab", "kbslab"),
            ("kstack", "kbkstack"),
            ("pgtbl", "kbpgtbl"),
            ("vmused", "kbvmused"),
        ]),
    ),
    activity(
        &["memory"],
        "sar_swap_space",
        None,
        Names::Only(&[
            ("swpfree", "kbswpfree"),
            ("swpused", "kbswpused"),
            ("swpused-percent", "swpused"),
            ("swpcad", "kbswpcad"),
            ("swpcad-percent", "swpcad"),
        ]),
    ),
    activity(
        &["hugepages"],
        "sar_hugepages",
        None,
        Names::Only(&[
            ("hugfree", "kbhugfree"),
            ("hugused", "kbhugused"),
            ("hugused-percent", "hugused"),
            ("hugrsvd", "kbhugrsvd"),
            ("hugsurp", "kbhugsurp"),
        ]),
    ),
    activity(&["kernel"], "sar_kernel", None, Names::Same),
    activity(&["queue"], "sar_queue", None, Names::Same),
    activity(
        &["disk"],
        "sar_disk",
        Some(("disk-device", "device")),
        Names::Only(&[
            ("tps", "tps"),
            ("rkB", "rkb_s"),
            ("wkB", "wkb_s"),
            ("dkB", "dkb_s"),
            ("areq-sz", "areq_sz"),
            ("aqu-sz", "aqu_sz"),
            ("await", "await"),
            ("util-percent", "util"),
        ]),
    ),
    Activity {
        renames: &[("ifutil-percent", "ifutil")],
        ..activity(&["network", "net-dev"], "sar_dev", IFACE, Names::Rates)
    },
    activity(&["network", "net-edev"], "sar_edev", IFACE, Names::Rates),
    activity(&["network", "net-sock"], "sar_sock", None, Names::Same),
    activity(&["network", "net-tcp"], "sar_tcp", None, Names::Rates),
    activity(&["network", "net-etcp"], "sar_etcp", None, Names::Rates),
    activity(&["network", "net-udp"], "sar_udp", None, Names::Rates),
    Activity {
        renames: &[("blg_len", "blg_len")],
        ..activity(&["network", "softnet"], "sar_softnet", CPU, Names::Rates)
    },
    activity(
        &["psi", "psi-cpu"],
        "sar_psi_cpu",
        None,
        Names::Only(&[
            ("some_avg10", "scpu_10"),
            ("some_avg60", "scpu_60"),
            ("some_avg300", "scpu_300"),
            ("some_avg", "scpu"),
        ]),
    ),
    activity(
        &["psi", "psi-io"],
        "sar_psi_io",
        None,
        Names::Only(&[
            ("some_avg10", "sio_10"),
            ("some_avg60", "sio_60"),
            ("some_avg300", "sio_300"),
            ("some_avg", "sio"),
            ("full_avg10", "fio_10"),
            ("full_avg60", "fio_60"),
            ("full_avg300", "fio_300"),
            ("full_avg", "fio"),
        ]),
    ),
    activity(
        &["psi", "psi-mem"],
        "sar_psi_mem",
        None,
        Names::Only(&[
            ("some_avg10", "smem_10"),
            ("some_avg60", "smem_60"),
            ("some_avg300", "smem_300"),
            ("some_avg", "smem"),
            ("full_avg10", "fmem_10"),
            ("full_avg60", "fmem_60"),
            ("full_avg300", "fmem_300"),
            ("full_avg", "fmem"),
        ]),
    ),
];

/// Keys of a statistics object that hold other activities' keys.
const GROUPS: &[&str] = &["network", "psi"];

/// Where the walk over the text stopped early, and why.
struct Stop {
    /// Byte offset the problem is at.
    at: usize,
    message: String,
}

/// One host object: its facts and its statistics objects with their byte offsets.
#[derive(Default)]
struct Host {
    facts: Map<String, Value>,
    statistics: Vec<(usize, Map<String, Value>)>,
}

/// Reads the `{"sysstat": {"hosts": [...]}}` skeleton by hand, each statistics object with
/// serde_json on its own, so a record knows the line its object starts on and a cut or
/// garbled object costs only itself.
struct Walk<'a> {
    text: &'a str,
    at: usize,
    hosts: Vec<Host>,
    /// Statistics objects that were complete but not valid JSON: offset and error.
    garbled: Vec<Stop>,
}

impl<'a> Walk<'a> {
    fn peek(&mut self) -> Option<u8> {
        let bytes = self.text.as_bytes();
        while bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
        bytes.get(self.at).copied()
    }

    fn stop(&self, message: impl Into<String>) -> Stop {
        Stop {
            at: self.at,
            message: message.into(),
        }
    }

    /// A cut (the text ends) or a wrong byte where `what` was expected.
    fn expected(&mut self, what: &str) -> Stop {
        match self.peek() {
            None => self.stop(format!(
                "the file ends where {what} was expected: cut short"
            )),
            Some(byte) => self.stop(format!("expected {what}, found {:?}", char::from(byte))),
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    /// The end (exclusive) of the JSON value starting at `start`, or `None` when the text
    /// ends inside it. Only brackets and strings are followed; serde_json judges the rest.
    fn value_end(&self, start: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut depth = 0usize;
        let mut at = start;
        let mut in_string = false;
        while let Some(&byte) = bytes.get(at) {
            at += 1;
            if in_string {
                match byte {
                    b'\\' => at += 1,
                    b'"' => {
                        in_string = false;
                        if depth == 0 {
                            return Some(at);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(at);
                    }
                }
                b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n' if depth == 0 => {
                    return Some(at - 1);
                }
                _ => {}
            }
        }
        None
    }

    /// The next value's offset and text.
    fn value(&mut self) -> Result<(usize, &'a str), Stop> {
        if self.peek().is_none() {
            return Err(self.expected("a value"));
        }
        let start = self.at;
        let end = self.value_end(start).ok_or_else(|| Stop {
            at: start,
            message: "the file ends inside this value: cut short".into(),
        })?;
        self.at = end;
        Ok((start, self.text.get(start..end).unwrap_or_default()))
    }

    fn parsed_value<T: serde::de::DeserializeOwned>(&mut self) -> Result<(usize, T), Stop> {
        let (start, text) = self.value()?;
        serde_json::from_str(text)
            .map(|value| (start, value))
            .map_err(|error| Stop {
                at: start,
                message: format!("not valid JSON: {error}"),
            })
    }

    /// Calls `each` with every key of the object that starts here, the cursor on its value.
    fn members(
        &mut self,
        each: &mut dyn FnMut(&mut Self, String) -> Result<(), Stop>,
    ) -> Result<(), Stop> {
        if !self.eat(b'{') {
            return Err(self.expected("`{`"));
        }
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.expected("a key"));
            }
            let (_, key) = self.parsed_value::<String>()?;
            if !self.eat(b':') {
                return Err(self.expected("`:`"));
            }
            each(self, key)?;
            if self.eat(b',') {
                continue;
            }
            if self.eat(b'}') {
                return Ok(());
            }
            return Err(self.expected("`,` or `}`"));
        }
    }

    /// Calls `each` with the cursor on every item of the array that starts here.
    fn items(&mut self, each: &mut dyn FnMut(&mut Self) -> Result<(), Stop>) -> Result<(), Stop> {
        if !self.eat(b'[') {
            return Err(self.expected("`[`"));
        }
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            each(self)?;
            if self.eat(b',') {
                continue;
            }
            if self.eat(b']') {
                return Ok(());
            }
            return Err(self.expected("`,` or `]`"));
        }
    }

    fn root(&mut self) -> Result<(), Stop> {
        self.members(&mut |walk, key| match key.as_str() {
            "sysstat" => walk.members(&mut |walk, key| match key.as_str() {
                "hosts" => walk.items(&mut |walk| {
                    walk.hosts.push(Host::default());
                    walk.members(&mut Self::host_member)
                }),
                _ => walk.value().map(drop),
            }),
            _ => walk.value().map(drop),
        })
    }

    fn host_member(&mut self, key: String) -> Result<(), Stop> {
        if key == "statistics" {
            return self.items(&mut |walk| {
                match walk.parsed_value::<Map<String, Value>>() {
                    Ok((start, statistic)) => {
                        if let Some(host) = walk.hosts.last_mut() {
                            host.statistics.push((start, statistic));
                        }
                    }
                    // A complete object that is not valid JSON: warned about, the rest read.
                    Err(stop) if walk.at > stop.at => walk.garbled.push(stop),
                    Err(stop) => return Err(stop),
                }
                Ok(())
            });
        }
        let (_, value) = self.parsed_value::<Value>()?;
        if let Some(host) = self.hosts.last_mut() {
            host.facts.insert(key, value);
        }
        Ok(())
    }
}

/// Line numbers of byte offsets, asked in increasing order.
struct Lines<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, offset: usize) -> usize {
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let skipped = self.text.get(self.offset..offset).unwrap_or_default();
        self.line += skipped.bytes().filter(|&b| b == b'\n').count();
        self.offset = offset;
        self.line
    }
}

pub fn parse(file: &str, text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut walk = Walk {
        text,
        at: 0,
        hosts: Vec::new(),
        garbled: Vec::new(),
    };
    let stopped = walk.root().err();
    let mut lines = Lines {
        text,
        offset: 0,
        line: 1,
    };
    let file_name = Name::from(file);
    let mut unknown: Vec<String> = Vec::new();
    let mut garbled = walk.garbled.into_iter().peekable();
    for host in &walk.hosts {
        parsed.host.merge(&host_facts(&host.facts));
        let date = ["date", "file-date"]
            .iter()
            .find_map(|key| host.facts.get(*key)?.as_str());
        let mut clock = Clock {
            timeline: Timeline::new(date.and_then(parse_date)),
            unstamped: 0,
        };
        for (start, statistic) in &host.statistics {
            while let Some(bad) = garbled.next_if(|bad| bad.at < *start) {
                let line = lines.at(bad.at);
                parsed.warnings.push(warning(file, line, bad.message));
            }
            let line = lines.at(*start);
            let source = SourceRef {
                file: file_name.clone(),
                line,
            };
            read_statistic(statistic, &mut clock, &source, &mut parsed, &mut unknown);
        }
    }
    for bad in garbled {
        let line = lines.at(bad.at);
        parsed.warnings.push(warning(file, line, bad.message));
    }
    if let Some(stop) = stopped {
        let line = lines.at(stop.at);
        let kept = parsed.records.len();
        parsed.warnings.push(warning(
            file,
            line,
            format!("{}; the {kept} records before it are kept", stop.message),
        ));
    }
    parsed
}

/// What a host object says of the host.
fn host_facts(facts: &Map<String, Value>) -> HostFacts {
    let text = |key: &str| facts.get(key).and_then(Value::as_str).map(str::to_string);
    HostFacts {
        hostname: text("nodename"),
        kernel: text("release"),
        cpus: facts
            .get("number-of-cpus")
            .and_then(Value::as_u64)
            .and_then(|cpus| u32::try_from(cpus).ok()),
        mem_total_kib: None,
        boot_time: None,
    }
}

/// The time of each statistics object of one host.
struct Clock {
    timeline: Timeline,
    /// How many objects without a time stamp came before (iostat without `-t`).
    unstamped: u32,
}

impl Clock {
    /// The time of a statistics object from its `timestamp`, or `None` for one that cannot
    /// be read; and whether it is sadf's (an object with `date` and `time`).
    fn time_of(&mut self, stamp: Option<&Value>) -> (Option<f64>, bool) {
        match stamp {
            None => {
                let time = f64::from(self.unstamped);
                self.unstamped += 1;
                (Some(time), false)
            }
            Some(Value::Object(stamp)) => {
                let date = stamp.get("date").and_then(Value::as_str);
                let time = stamp.get("time").and_then(Value::as_str);
                let when = date
                    .zip(time)
                    .and_then(|(date, time)| parse_date_time(&format!("{date} {time}")));
                (when, true)
            }
            Some(Value::String(text)) => {
                if let Some(when) = parse_date_time(text) {
                    return (Some(when), false);
                }
                let cells: Vec<&str> = text.split_ascii_whitespace().collect();
                let when = parse_stamp(&cells).and_then(|(stamp, taken)| {
                    (taken == cells.len()).then(|| self.timeline.resolve(stamp))
                });
                (when, false)
            }
            Some(_) => (None, false),
        }
    }
}

/// The records of one statistics object.
fn read_statistic(
    statistic: &Map<String, Value>,
    clock: &mut Clock,
    source: &SourceRef,
    parsed: &mut Parsed,
    unknown: &mut Vec<String>,
) {
    let (time, sadf) = clock.time_of(statistic.get("timestamp"));
    let Some(time) = time else {
        parsed.warnings.push(warning(
            source.file.as_str(),
            source.line,
            "statistics without a time stamp that can be read; skipped",
        ));
        return;
    };
    let activities = if sadf {
        SADF_ACTIVITIES
    } else {
        TOOL_ACTIVITIES
    };
    for (key, value) in statistic {
        if key == "timestamp" {
            continue;
        }
        let inner: Vec<(&str, &Value)> = match value {
            Value::Object(group) if GROUPS.contains(&key.as_str()) => {
                group.iter().map(|(k, v)| (k.as_str(), v)).collect()
            }
            _ => vec![("", value)],
        };
        for (inner_key, value) in inner {
            let path: Vec<&str> = [key.as_str(), inner_key]
                .into_iter()
                .filter(|k| !k.is_empty())
                .collect();
            let mut known = false;
            for activity in activities.iter().filter(|a| a.path == path.as_slice()) {
                known = true;
                read_activity(activity, value, time, source, &mut parsed.records);
            }
            let name = path.join("/");
            if !known && !unknown.contains(&name) {
                parsed.warnings.push(warning(
                    source.file.as_str(),
                    source.line,
                    format!("activity {name:?} is not read; skipped"),
                ));
                unknown.push(name);
            }
        }
    }
}

/// The rows of an activity: a list of objects, or one object.
fn rows_of(value: &Value) -> Vec<&Map<String, Value>> {
    match value {
        Value::Array(items) => items.iter().filter_map(Value::as_object).collect(),
        Value::Object(row) => vec![row],
        _ => Vec::new(),
    }
}

/// Every number of `row`, with the keys of objects inside it (sadf's `io-reads`) flattened.
fn numbers(row: &Map<String, Value>) -> Vec<(&str, f64)> {
    let mut found = Vec::new();
    for (key, value) in row {
        match value {
            Value::Number(number) => found.extend(number.as_f64().map(|n| (key.as_str(), n))),
            Value::Object(inner) => found.extend(numbers(inner)),
            _ => {}
        }
    }
    found
}

/// A label's value as printed: a string, or a number (`"line": 0`).
fn label_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn read_activity(
    activity: &Activity,
    value: &Value,
    time: f64,
    source: &SourceRef,
    records: &mut Vec<Record>,
) {
    let table = Name::from(activity.table);
    for row in rows_of(value) {
        let mut labels = Labels::new();
        if let Some((key, label)) = activity.label
            && let Some(text) = row.get(key).and_then(label_text)
        {
            labels.insert(label.into(), text.as_str().into());
        }
        let record = |labels: Labels, fields: Fields| Record {
            table: table.clone(),
            time,
            labels,
            fields,
            source: source.clone(),
        };
        let label_key = activity.label.map(|(key, _)| key);
        match &activity.names {
            Names::Columns {
                label,
                prefix,
                field,
            } => {
                for (instance, value) in numbers(row) {
                    let mut labels = labels.clone();
                    let instance = instance.strip_prefix(prefix).unwrap_or(instance);
                    labels.insert((*label).into(), instance.into());
                    records.push(record(
                        labels,
                        Fields::from_iter([((*field).into(), value)]),
                    ));
                }
            }
            Names::Listed { key, label, field } => {
                let items = row.get(*key).and_then(Value::as_array);
                for item in items.into_iter().flatten() {
                    let name = item.get("name").and_then(label_text);
                    let value = item.get("value").and_then(Value::as_f64);
                    if let (Some(name), Some(value)) = (name, value) {
                        let mut labels = labels.clone();
                        labels.insert((*label).into(), name.as_str().into());
                        records.push(record(
                            labels,
                            Fields::from_iter([((*field).into(), value)]),
                        ));
                    }
                }
            }
            names => {
                let mut fields = Fields::new();
                for (key, value) in numbers(row) {
                    if Some(key) == label_key {
                        continue;
                    }
                    if let Some(field) = field_name(activity, names, key) {
                        fields.insert(field.into(), value);
                    }
                }
                if activity.busy
                    && let Some(&idle) = fields.get("idle")
                {
                    let iowait = fields.get("iowait").copied().unwrap_or(0.0);
                    fields.insert("busy".into(), cpu_busy_pct(idle, iowait));
                }
                if !fields.is_empty() {
                    records.push(record(labels, fields));
                }
            }
        }
    }
}

/// The field a key of `activity` becomes, or `None` for one left out.
fn field_name(activity: &Activity, names: &Names, key: &str) -> Option<String> {
    if let Some(&(_, field)) = activity.renames.iter().find(|(from, _)| *from == key) {
        return (!field.is_empty()).then(|| field.to_string());
    }
    match names {
        Names::Same => Some(canonical_field(key)),
        Names::Rates => Some(canonical_field(key) + "_s"),
        Names::Only(keys) => keys
            .iter()
            .find(|(from, _)| *from == key)
            .map(|(_, field)| field.to_string()),
        Names::Columns { .. } | Names::Listed { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MPSTAT: &str = "{\"sysstat\": {\n\t\"hosts\": [\n\t\t{\n\t\t\t\"nodename\": \"vm\",\n\
        \t\t\t\"number-of-cpus\": 2,\n\t\t\t\"date\": \"2026-12-04\",\n\t\t\t\"statistics\": [\n\
        \t\t\t\t{\n\t\t\t\t\t\"timestamp\": \"21:53:57\",\n\
        \t\t\t\t\t\"cpu-load\": [{\"cpu\": \"all\", \"usr\": 60.00, \"iowait\": 10.00, \"idle\": 25.00}]\n\
        \t\t\t\t},\n\
        \t\t\t\t{\n\t\t\t\t\t\"timestamp\": \"21:53:58\",\n\
        \t\t\t\t\t\"cpu-load\": [{\"cpu\": \"all\", \"usr\": 50.00, \"iowait\": 0.00, \"idle\": 50.00}]\n\
        \t\t\t\t}\n\t\t\t]\n\t\t}\n\t]\n}}\n";

    #[test]
    fn mpstat_json_makes_mpstat_records_at_the_line_of_their_object() {
        let parsed = parse("m.json", MPSTAT);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert_eq!(parsed.host.cpus, Some(2));
        let lines: Vec<usize> = parsed.records.iter().map(|r| r.source.line).collect();
        assert_eq!(lines, [8, 12]);
        let first = &parsed.records[0];
        assert_eq!(first.table, "mpstat");
        assert_eq!(first.fields["busy"], 65.0);
        assert_eq!(first.labels["cpu"], "all");
        let day = 20_791.0 * 86_400.0;
        assert_eq!(first.time, day + 21.0 * 3600.0 + 53.0 * 60.0 + 57.0);
    }

    #[test]
    fn a_cut_keeps_the_complete_objects_and_names_the_line_of_the_cut_one() {
        for cut in 1..MPSTAT.len() {
            let Some(text) = MPSTAT.get(..cut) else {
                continue;
            };
            let parsed = parse("m.json", text);
            let second_object = MPSTAT
                .find("\t\t\t\t{\n\t\t\t\t\t\"timestamp\": \"21:53:58")
                .unwrap();
            let first_complete = MPSTAT.find("\t\t\t\t},").unwrap() + 5;
            let second_complete = MPSTAT.find("\t\t\t\t}\n\t\t\t]").unwrap() + 5;
            let expected = match cut {
                c if c >= second_complete => 2,
                c if c >= first_complete => 1,
                _ => 0,
            };
            assert_eq!(parsed.records.len(), expected, "cut at {cut}: {text:?}");
            if cut < MPSTAT.trim_end().len() {
                assert_eq!(parsed.warnings.len(), 1, "cut at {cut}");
                assert!(
                    parsed.warnings[0].message.contains("cut short"),
                    "{:?}",
                    parsed.warnings
                );
            }
            if cut > second_object + 5 && expected == 1 {
                assert_eq!(parsed.warnings[0].line, 12, "cut at {cut}");
            }
        }
    }

    #[test]
    fn json_rewritten_by_another_tool_reads_alike() {
        let pretty = serde_json::to_string_pretty(
            &serde_json::from_str::<Value>(MPSTAT).expect("valid JSON"),
        )
        .expect("JSON");
        assert_eq!(
            super::super::sniff::sniff(&pretty),
            Some(Format::SysstatJson)
        );
        let parsed = parse("m.json", &pretty);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let records = |p: &Parsed| -> Vec<(f64, Fields)> {
            p.records
                .iter()
                .map(|r| (r.time, r.fields.clone()))
                .collect()
        };
        assert_eq!(records(&parsed), records(&parse("m.json", MPSTAT)));
    }

    #[test]
    fn a_garbled_object_costs_only_itself() {
        let text = MPSTAT.replacen("\"usr\": 60.00", "\"usr\": 6x0.00", 1);
        let parsed = parse("m.json", &text);
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(parsed.warnings[0].line, 8);
    }

    #[test]
    fn sign_is_the_first_line() {
        assert_eq!(SysstatJson.sign("{\"sysstat\": {"), Some(Sign::Banner));
        assert_eq!(SysstatJson.sign("{ \"sysstat\" : {"), Some(Sign::Banner));
        assert_eq!(SysstatJson.sign("  \"sysstat\": {"), Some(Sign::Banner));
        assert_eq!(SysstatJson.sign("{\"other\": {"), None);
        assert_eq!(SysstatJson.sign("\"sysstat\": 12"), None);
    }
}

//! A memory cgroup's files, one snapshot per file → `cgroup_memory` {cgroup: its path below
//! the hierarchy's root, `/db.slice/db.service`}: v1 (`/sys/fs/cgroup/memory/...`:
//! memory.failcnt, limit_in_bytes, usage_in_bytes, oom_control, memory.memsw.*) or v2
//! (`/sys/fs/cgroup/unified/...` or `/sys/fs/cgroup/...`: memory.events, max, current):
//! usage_bytes, limit_bytes and usage_pct; `failcnt_s` and `failcnt_delta` (since the first
//! snapshot), the times usage hit the limit (v1's failcnt, v2's `max` event);
//! `oom_kill_delta` (v1's oom_control, v2's events); v2's `oom_delta`, the times the OOM
//! killer was invoked; v1's memsw_usage_bytes, memsw_limit_bytes, memsw_failcnt_delta.
//! A limit of v1's "none" (a huge number) or v2's `max` is left out.

use std::collections::BTreeMap;

use super::rate::{Counters, percent};
use super::snapshot::{Rounds, Snapshot, single_value};
use super::{Output, labels};
use crate::parse::Table;
use crate::record::Unit;

pub(super) fn table() -> Table {
    let mut fields: Vec<String> = CGROUP_COUNTERS
        .iter()
        .map(|(.., name)| format!("{name}_delta"))
        .collect();
    fields.extend(CGROUP_GAUGES.iter().map(|(_, field)| field.to_string()));
    fields.extend(["failcnt_s", "usage_pct"].map(String::from));
    Table::known("cgroup_memory", &fields)
}

/// A v1 memory cgroup's files read; the memsw ones exist only with swap accounting.
pub(crate) const CGROUP_V1_FILES: [&str; 7] = [
    "memory.failcnt",
    "memory.limit_in_bytes",
    "memory.usage_in_bytes",
    "memory.oom_control",
    "memory.memsw.failcnt",
    "memory.memsw.limit_in_bytes",
    "memory.memsw.usage_in_bytes",
];

/// A v2 cgroup's memory files read.
pub(crate) const CGROUP_V2_FILES: [&str; 3] = ["memory.events", "memory.max", "memory.current"];

/// v1 writes "no limit" as a huge number rounded down to a page; anything this large is none.
const NO_LIMIT: u64 = 1 << 60;

/// `key value` lines (memory.oom_control, memory.events); a bad line is warned about and left
/// out.
fn keyed_values<'a>(snapshot: &Snapshot<'a>, out: &mut Output) -> BTreeMap<&'a str, u64> {
    let mut values = BTreeMap::new();
    for line in &snapshot.lines {
        match line
            .text
            .split_once(' ')
            .and_then(|(key, value)| Some((key, value.trim().parse().ok()?)))
        {
            Some((key, value)) => {
                values.insert(key, value);
            }
            None => out.warn(line.number, "expected `name value`"),
        }
    }
    values
}

/// A memory cgroup's counters: (file, key in a `key value` file or "" for a one-value file,
/// name). v2's `max` event is v1's failcnt: usage reached the limit.
const CGROUP_COUNTERS: [(&str, &str, &str); 6] = [
    ("memory.failcnt", "", "failcnt"),
    ("memory.memsw.failcnt", "", "memsw_failcnt"),
    ("memory.events", "max", "failcnt"),
    ("memory.oom_control", "oom_kill", "oom_kill"),
    ("memory.events", "oom_kill", "oom_kill"),
    ("memory.events", "oom", "oom"),
];

/// A memory cgroup's gauges: (file, field). Limits are left out when there is none.
const CGROUP_GAUGES: [(&str, &str); 6] = [
    ("memory.usage_in_bytes", "usage_bytes"),
    ("memory.current", "usage_bytes"),
    ("memory.limit_in_bytes", "limit_bytes"),
    ("memory.max", "limit_bytes"),
    ("memory.memsw.usage_in_bytes", "memsw_usage_bytes"),
    ("memory.memsw.limit_in_bytes", "memsw_limit_bytes"),
];

/// The values of one cgroup file by key ("" for a one-value file), or `None` after a warning;
/// an empty map for a limit of `max`.
fn cgroup_file<'a>(
    file: &str,
    snapshot: &Snapshot<'a>,
    out: &mut Output,
) -> Option<BTreeMap<&'a str, u64>> {
    let keyed = CGROUP_COUNTERS
        .iter()
        .any(|(of, key, _)| *of == file && !key.is_empty());
    if keyed {
        return Some(keyed_values(snapshot, out));
    }
    let text = single_value(snapshot, out, "a number of bytes or events")?;
    if text == "max" {
        return Some(BTreeMap::new());
    }
    let Ok(number) = text.parse() else {
        out.warn(
            snapshot.first_line(),
            "expected a number of bytes or events, or `max`",
        );
        return None;
    };
    Some(BTreeMap::from([("", number)]))
}

pub(super) fn cgroup_memory(rounds: &Rounds, out: &mut Output) {
    for (cgroup, times) in rounds {
        let mut counters = Counters::default();
        for (&time_us, files) in times {
            let mut values = BTreeMap::new();
            for &(file, snapshot) in files {
                let Some(read) = cgroup_file(file, snapshot, out) else {
                    continue;
                };
                if let Some(&(_, field)) = CGROUP_GAUGES.iter().find(|(of, _)| *of == file)
                    && let Some(&number) = read.get("")
                    && (!field.ends_with("limit_bytes") || number < NO_LIMIT)
                {
                    values.insert(field.into(), number as f64);
                }
                let line = snapshot.first_line();
                for &(_, key, name) in CGROUP_COUNTERS.iter().filter(|(of, ..)| *of == file) {
                    let Some(&now) = read.get(key) else {
                        continue;
                    };
                    if let Some((per_second, since_first)) =
                        counters.update(out, name, now, time_us, line)
                    {
                        if name == "failcnt" {
                            values.insert("failcnt_s".into(), per_second);
                        }
                        values.insert(format!("{name}_delta"), since_first);
                    }
                }
            }
            if let (Some(&usage), Some(&limit)) =
                (values.get("usage_bytes"), values.get("limit_bytes"))
            {
                values.insert("usage_pct".into(), percent(usage, limit));
            }
            let line = files
                .first()
                .map_or(1, |(_, snapshot)| snapshot.first_line());
            let row_labels = labels(&[("cgroup", cgroup)]);
            out.push("cgroup_memory", time_us, line, row_labels, values);
        }
    }
}

/// Sizes in bytes; the rest as their names say.
pub(super) fn unit(field: &str) -> Option<Unit> {
    field.ends_with("_bytes").then_some(Unit::Bytes)
}

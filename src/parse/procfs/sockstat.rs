//! `/proc/net/sockstat` → `sockstat`: sockets_used, tcp_inuse, tcp_orphan, tcp_tw, tcp_alloc,
//! tcp_mem_pages (pages) and udp_inuse, all counts. procfs-core has no reader for it.

use std::collections::BTreeMap;

use super::Output;
use super::snapshot::Snapshot;
use crate::parse::Table;
use crate::record::{Feed, Labels, Rank, Unit};

pub(super) fn table() -> Table {
    Table::known("sockstat", &SOCKSTAT_FIELDS.map(|(.., field)| field))
}

/// The socket counts' own source.
pub(super) fn feeds() -> Vec<Feed> {
    [
        ("sockets_used", "sockets.used"),
        ("tcp_inuse", "sockets.tcp_inuse"),
        ("udp_inuse", "sockets.udp_inuse"),
        ("tcp_tw", "sockets.tcp_tw"),
    ]
    .into_iter()
    .map(|(field, metric)| {
        Feed::new(
            Rank::Primary,
            "/proc/net/sockstat",
            &format!("sockstat.{field}"),
            metric,
        )
    })
    .collect()
}

/// The sockstat values kept: (group, key) → field. All are gauges; `mem` is in pages.
const SOCKSTAT_FIELDS: [(&str, &str, &str); 7] = [
    ("sockets", "used", "sockets_used"),
    ("TCP", "inuse", "tcp_inuse"),
    ("TCP", "orphan", "tcp_orphan"),
    ("TCP", "tw", "tcp_tw"),
    ("TCP", "alloc", "tcp_alloc"),
    ("TCP", "mem", "tcp_mem_pages"),
    ("UDP", "inuse", "udp_inuse"),
];

/// `Group: key value key value ...`.
fn sockstat_line(line: &str) -> Option<(&str, Vec<(&str, u64)>)> {
    let (group, rest) = line.split_once(':')?;
    let cells: Vec<&str> = rest.split_whitespace().collect();
    if cells.is_empty() || !cells.len().is_multiple_of(2) {
        return None;
    }
    let pairs = cells
        .chunks(2)
        .map(|pair| match pair {
            [key, value] => Some((*key, value.parse().ok()?)),
            _ => None,
        })
        .collect::<Option<_>>()?;
    Some((group, pairs))
}

pub(super) fn sockstat(snapshots: &[Snapshot], out: &mut Output) {
    for snapshot in snapshots {
        let mut values = BTreeMap::new();
        for line in &snapshot.lines {
            let Some((group, pairs)) = sockstat_line(line.text) else {
                out.warn(line.number, "expected `Group: name value name value ...`");
                continue;
            };
            for (key, value) in pairs {
                if let Some((.., field)) = SOCKSTAT_FIELDS
                    .iter()
                    .find(|(g, k, _)| *g == group && *k == key)
                {
                    values.insert(field.to_string(), value as f64);
                }
            }
        }
        let line = snapshot.first_line();
        out.push("sockstat", snapshot.time_us, line, Labels::new(), values);
    }
}

/// Socket counts and pages of socket memory, whatever a name ends with.
pub(super) fn unit(_field: &str) -> Option<Unit> {
    Some(Unit::Count)
}

#[cfg(test)]
mod tests {
    use crate::parse::procfs::parse;
    use crate::parse::procfs::testing::{only, warning_lines};

    #[test]
    fn sockstat_keeps_the_socket_counts() {
        let parsed = parse(
            "net_sockstat.txt",
            "sockets: used 69\nTCP: inuse 54 orphan 1 tw 2 alloc 55 mem 121\n\
             UDP: inuse 3 mem 4\nFRAG: inuse 0 memory\n",
        );
        assert_eq!(warning_lines(&parsed), [4]);
        let fields = &only(&parsed, "sockstat")[0].fields;
        assert_eq!(fields.len(), 7);
        assert_eq!(
            (
                fields["sockets_used"],
                fields["tcp_tw"],
                fields["tcp_mem_pages"]
            ),
            (69.0, 2.0, 121.0)
        );
        assert_eq!(fields["udp_inuse"], 3.0);
    }
}

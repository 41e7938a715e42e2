//! `/proc/net/dev` → `net_dev` {iface}: sar -n DEV and EDEV's per-second rates, and where the
//! sampler copied link speeds, `speed_known`, `speed_mbps` and `ifutil` ([`super::link_speed`]).
//!
//! Read here, not by procfs-core's `InterfaceDeviceStatus`, which fails the whole copy on one
//! line it cannot read (its reader of one line is private).

use std::collections::BTreeMap;

use super::link_speed::{LinkSpeeds, speed_at};
use super::rate::Reading;
use super::snapshot::Snapshot;
use super::{Output, labels};
use crate::parse::Table;
use crate::record::{Feed, Rank};

pub(super) fn table() -> Table {
    let mut fields: Vec<&str> = NET_RATES.to_vec();
    fields.extend(["speed_known", "speed_mbps", "ifutil"]);
    Table::known("net_dev", &fields)
}

/// /proc/net/dev stands in for sar -n DEV's throughput, and is the drop and error counters'
/// own source (sar -n EDEV reads them from it).
pub(super) fn feeds() -> Vec<Feed> {
    let net = |rank, field: &str, metric: &str| {
        Feed::new(rank, "/proc/net/dev", &format!("net_dev.{field}"), metric)
    };
    let mut feeds = vec![net(Rank::StandIn, "ifutil", "net.util")];
    for field in ["rxkb_s", "txkb_s", "rxpck_s", "txpck_s"] {
        feeds.push(net(Rank::StandIn, field, &format!("net.{field}")));
    }
    for field in ["rxdrop_s", "txdrop_s", "rxerr_s", "txerr_s"] {
        feeds.push(net(Rank::Primary, field, &format!("net.{field}")));
    }
    feeds
}

const NET_COUNTERS: [&str; 16] = [
    "rx_bytes",
    "rx_packets",
    "rx_errs",
    "rx_drop",
    "rx_fifo",
    "rx_frame",
    "rx_compressed",
    "rx_multicast",
    "tx_bytes",
    "tx_packets",
    "tx_errs",
    "tx_drop",
    "tx_fifo",
    "tx_colls",
    "tx_carrier",
    "tx_compressed",
];

const RX_BYTES: usize = 0;
const TX_BYTES: usize = 8;

/// The rate each counter of [`NET_COUNTERS`] becomes, as sar -n DEV / EDEV name it.
const NET_RATES: [&str; 16] = [
    "rxkb_s", "rxpck_s", "rxerr_s", "rxdrop_s", "rxfifo_s", "rxfram_s", "rxcmp_s", "rxmcst_s",
    "txkb_s", "txpck_s", "txerr_s", "txdrop_s", "txfifo_s", "coll_s", "txcarr_s", "txcmp_s",
];

/// `iface: 16 numbers` (old kernels print no space after the colon).
fn net_line(line: &str) -> Option<(&str, Vec<u64>)> {
    let (name, numbers) = line.split_once(':')?;
    let numbers: Vec<u64> = numbers
        .split_whitespace()
        .map(|word| word.parse().ok())
        .collect::<Option<_>>()?;
    (numbers.len() == NET_COUNTERS.len()).then_some((name.trim(), numbers))
}

pub(super) fn net_dev(snapshots: &[Snapshot], speeds: &LinkSpeeds, out: &mut Output) {
    let mut last: BTreeMap<String, Reading<Vec<u64>>> = BTreeMap::new();
    for snapshot in snapshots {
        for line in &snapshot.lines {
            if line.text.contains('|') {
                continue;
            }
            let Some((iface, counters)) = net_line(line.text) else {
                out.warn(line.number, "expected `iface: ` and 16 numbers");
                continue;
            };
            if let Some(previous) = last.get(iface)
                && let Some(deltas) =
                    out.deltas(&NET_COUNTERS, &previous.value, &counters, line.number)
            {
                let seconds = out.seconds_between(previous.time_us, snapshot.time_us);
                let mut values: BTreeMap<String, f64> = NET_RATES
                    .iter()
                    .zip(&deltas)
                    .map(|(&rate, &delta)| {
                        let per_second = delta / seconds;
                        let value = if rate.ends_with("kb_s") {
                            per_second / 1024.0
                        } else {
                            per_second
                        };
                        (rate.to_string(), value)
                    })
                    .collect();
                let speed = speed_at(speeds, iface, snapshot.time_us);
                if let Some(speed) = speed {
                    let known = if speed.is_some() { 1.0 } else { 0.0 };
                    values.insert("speed_known".into(), known);
                }
                if let Some(Some(mbps)) = speed
                    && let (Some(rx), Some(tx)) = (deltas.get(RX_BYTES), deltas.get(TX_BYTES))
                {
                    let busiest_bytes = rx.max(*tx) / seconds;
                    values.insert("speed_mbps".into(), mbps);
                    values.insert("ifutil".into(), busiest_bytes * 8.0 / (mbps * 1e6) * 100.0);
                }
                let row_labels = labels(&[("iface", iface)]);
                out.push("net_dev", snapshot.time_us, line.number, row_labels, values);
            } else {
                let row_labels = labels(&[("iface", iface)]);
                out.push_mark("net_dev", snapshot.time_us, line.number, row_labels);
            }
            let time_us = snapshot.time_us;
            let value = counters;
            last.insert(iface.to_string(), Reading { time_us, value });
        }
    }
}
#[cfg(test)]
mod tests {
    use crate::parse::procfs::parse;
    use crate::parse::procfs::testing::{only, series, warning_lines};

    #[test]
    fn a_counter_going_down_warns_and_skips_that_interval_only() {
        let line = |bytes: u64| format!("eth0: {bytes} 1 0 0 0 0 0 0 {bytes} 1 0 0 0 0 0 0");
        let (a, b, c) = (line(4096), line(1024), line(3072));
        let text = series(
            "/proc/net/dev",
            &[("10:00:00", &a), ("10:00:01", &b), ("10:00:02", &c)],
        );
        let parsed = parse("net_dev.txt", &text);
        assert_eq!(warning_lines(&parsed), [4]);
        assert!(parsed.warnings[0].message.contains("rx_bytes went down"));
        let rows = only(&parsed, "net_dev");
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].fields["rxkb_s"], rows[0].source.line), (2.0, 6));
    }
}

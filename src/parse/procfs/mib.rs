//! `/proc/net/snmp` and `/proc/net/netstat` → `tcp` (snmp's `Tcp` and netstat's `TcpExt`
//! counters) and `udp` (snmp's `Udp`): per-second rates of the counters in `MIB_RATES`;
//! `tcp` also carries the instant `curr_estab`; `retrans_pct`, segments retransmitted per 100
//! sent (0 when none were retransmitted, absent when some were but nothing new was sent; the
//! kernel's OutSegs leaves retransmissions out, so it passes 100 when most of what was sent
//! was resent); and `listen_overflows_delta` and `listen_drops_delta`, counted since the first
//! snapshot, so one overflow in a long run still shows. Each of the two files gives its own
//! `tcp` row; the sampler stamps both with the same time.
//!
//! Read here, not by procfs-core's `Snmp`: it fails unless every counter of Ip, Icmp, Tcp,
//! Udp and UdpLite is there, and it has no reader for netstat.

use std::collections::BTreeMap;

use super::Output;
use super::rate::{Reading, percent};
use super::snapshot::Snapshot;
use crate::parse::Table;
use crate::record::{Feed, Labels, Rank, metric};

/// Every field of `table` (`tcp`, `udp`) the MIB counters give.
fn mib_fields(table: &str) -> Vec<&'static str> {
    let mut fields: Vec<&'static str> = MIB_RATES
        .iter()
        .chain(&MIB_INSTANTS)
        .chain(&MIB_RUN_DELTAS)
        .filter(|mib| mib.table == table)
        .map(|mib| mib.field)
        .collect();
    if table == "tcp" {
        fields.push("retrans_pct");
    }
    fields
}

pub(super) fn tables() -> Vec<Table> {
    ["tcp", "udp"]
        .map(|table| Table::known(table, &mib_fields(table)))
        .to_vec()
}

/// The kernel's counters are the facts' own source: each field that is a metric
/// (`tcp.retrans_segs_s`) feeds it under its own name.
pub(super) fn feeds() -> Vec<Feed> {
    ["tcp", "udp"]
        .into_iter()
        .flat_map(|table| {
            mib_fields(table).into_iter().filter_map(move |field| {
                let name = format!("{table}.{field}");
                metric::find(&name)?;
                Some(Feed::new(Rank::Primary, "/proc/net/snmp", &name, &name))
            })
        })
        .collect()
}

/// One kernel MIB counter (`Tcp` `RetransSegs`) and the field of the table it becomes.
struct MibField {
    group: &'static str,
    counter: &'static str,
    table: &'static str,
    field: &'static str,
}

const fn mib_field(
    group: &'static str,
    counter: &'static str,
    table: &'static str,
    field: &'static str,
) -> MibField {
    MibField {
        group,
        counter,
        table,
        field,
    }
}

/// The MIB counters reported as per-second rates.
const MIB_RATES: [MibField; 20] = [
    mib_field("Tcp", "ActiveOpens", "tcp", "active_opens_s"),
    mib_field("Tcp", "PassiveOpens", "tcp", "passive_opens_s"),
    mib_field("Tcp", "AttemptFails", "tcp", "attempt_fails_s"),
    mib_field("Tcp", "EstabResets", "tcp", "estab_resets_s"),
    mib_field("Tcp", "InSegs", "tcp", "in_segs_s"),
    mib_field("Tcp", "OutSegs", "tcp", "out_segs_s"),
    mib_field("Tcp", "RetransSegs", "tcp", "retrans_segs_s"),
    mib_field("Tcp", "InErrs", "tcp", "in_errs_s"),
    mib_field("Tcp", "OutRsts", "tcp", "out_rsts_s"),
    mib_field("TcpExt", "ListenOverflows", "tcp", "listen_overflows_s"),
    mib_field("TcpExt", "ListenDrops", "tcp", "listen_drops_s"),
    mib_field("TcpExt", "TCPBacklogDrop", "tcp", "tcp_backlog_drop_s"),
    mib_field("TcpExt", "TCPSynRetrans", "tcp", "syn_retrans_s"),
    mib_field("TcpExt", "TCPTimeouts", "tcp", "timeouts_s"),
    mib_field("Udp", "InDatagrams", "udp", "in_datagrams_s"),
    mib_field("Udp", "OutDatagrams", "udp", "out_datagrams_s"),
    mib_field("Udp", "InErrors", "udp", "in_errors_s"),
    mib_field("Udp", "RcvbufErrors", "udp", "rcvbuf_errors_s"),
    mib_field("Udp", "SndbufErrors", "udp", "sndbuf_errors_s"),
    mib_field("Udp", "NoPorts", "udp", "no_ports_s"),
];

/// MIB values that are gauges, not counters.
const MIB_INSTANTS: [MibField; 1] = [mib_field("Tcp", "CurrEstab", "tcp", "curr_estab")];

/// Counters also reported as the count since the first snapshot: a listen queue that
/// overflowed once in a long run is lost in the average of a rate.
const MIB_RUN_DELTAS: [MibField; 2] = [
    mib_field("TcpExt", "ListenOverflows", "tcp", "listen_overflows_delta"),
    mib_field("TcpExt", "ListenDrops", "tcp", "listen_drops_delta"),
];

/// `(group, counter)` → (value, line of the values) of one snapshot.
type MibValues<'a> = BTreeMap<(&'a str, &'a str), (u64, usize)>;

/// Read the paired lines of a MIB file: `Tcp: ActiveOpens PassiveOpens ...` names the
/// counters that the next line, `Tcp: 38 2 ...`, gives in the same order. Values that are
/// not counters (`MaxConn` is -1 when dynamic) are accepted and left out.
fn read_mib<'a>(snapshot: &Snapshot<'a>, out: &mut Output) -> MibValues<'a> {
    let mut values = MibValues::new();
    let mut names: Option<(&str, Vec<&str>, usize)> = None;
    for line in &snapshot.lines {
        let Some((group, rest)) = line.text.split_once(':') else {
            out.warn(line.number, "expected `Group: names` or `Group: values`");
            names = None;
            continue;
        };
        let cells: Vec<&str> = rest.split_whitespace().collect();
        let is_value = |cell: &&str| cell.parse::<u64>().is_ok() || cell.parse::<i64>().is_ok();
        match names.take() {
            Some((named_group, counters, _)) if named_group == group => {
                if cells.len() != counters.len() || !cells.iter().all(is_value) {
                    out.warn(
                        line.number,
                        format!(
                            "expected `{group}:` and {} numbers, one per name on the line above",
                            counters.len()
                        ),
                    );
                    continue;
                }
                for (counter, cell) in counters.into_iter().zip(cells) {
                    if let Ok(value) = cell.parse::<u64>() {
                        values.insert((group, counter), (value, line.number));
                    }
                }
            }
            unpaired => {
                if let Some((named_group, _, named_line)) = unpaired {
                    out.warn(
                        named_line,
                        format!("`{named_group}:` names not followed by a line of values"),
                    );
                }
                if !cells.is_empty() && cells.iter().all(is_value) {
                    out.warn(
                        line.number,
                        format!("`{group}:` values without a line of names above"),
                    );
                } else {
                    names = Some((group, cells, line.number));
                }
            }
        }
    }
    if let Some((group, _, line)) = names {
        out.warn(
            line,
            format!("`{group}:` names not followed by a line of values"),
        );
    }
    values
}

/// The fields one snapshot gives one table, and the line the row points at.
#[derive(Default)]
struct MibRow {
    line: Option<usize>,
    values: BTreeMap<String, f64>,
    reset: bool,
}

pub(super) fn mib(snapshots: &[Snapshot], out: &mut Output) {
    let mut last: BTreeMap<(&str, &str), Reading<u64>> = BTreeMap::new();
    let mut first: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for snapshot in snapshots {
        let counters = read_mib(snapshot, out);
        let mut rows: BTreeMap<&str, MibRow> = BTreeMap::new();
        let mut deltas: BTreeMap<&str, f64> = BTreeMap::new();
        for rate in &MIB_RATES {
            let key = (rate.group, rate.counter);
            let Some(&(now, line)) = counters.get(&key) else {
                continue;
            };
            let row = rows.entry(rate.table).or_default();
            row.line.get_or_insert(line);
            if let Some(previous) = last.get(&key) {
                match out.deltas(&[rate.counter], &[previous.value], &[now], line) {
                    Some(delta) => {
                        let delta = delta.first().copied().unwrap_or(0.0);
                        let seconds = out.seconds_between(previous.time_us, snapshot.time_us);
                        row.values.insert(rate.field.to_string(), delta / seconds);
                        deltas.insert(rate.field, delta);
                    }
                    None => row.reset = true,
                }
            }
            let time_us = snapshot.time_us;
            last.insert(
                key,
                Reading {
                    time_us,
                    value: now,
                },
            );
        }
        // Nothing resent is 0 % even when nothing was sent, so an idle host is judged, not
        // skipped; resent with nothing new sent has no share.
        if let Some(tcp) = rows.get_mut("tcp")
            && let (Some(&retransmitted), Some(&sent)) =
                (deltas.get("retrans_segs_s"), deltas.get("out_segs_s"))
            && (sent > 0.0 || retransmitted == 0.0)
        {
            tcp.values
                .insert("retrans_pct".into(), percent(retransmitted, sent));
        }
        for row in rows.values_mut().filter(|row| row.reset) {
            row.values.clear();
        }
        for instant in &MIB_INSTANTS {
            if let Some(&(value, line)) = counters.get(&(instant.group, instant.counter)) {
                let row = rows.entry(instant.table).or_default();
                row.line.get_or_insert(line);
                row.values.insert(instant.field.to_string(), value as f64);
            }
        }
        for run in &MIB_RUN_DELTAS {
            let key = (run.group, run.counter);
            let Some(&(now, line)) = counters.get(&key) else {
                continue;
            };
            // A counter below its first reading was reset: the rate above warned about it.
            match first.get(&key) {
                Some(&start) if now >= start => {
                    let row = rows.entry(run.table).or_default();
                    row.line.get_or_insert(line);
                    row.values
                        .insert(run.field.to_string(), (now - start) as f64);
                }
                Some(_) => {}
                None => {
                    first.insert(key, now);
                    if out.baseline_rows {
                        let row = rows.entry(run.table).or_default();
                        row.line.get_or_insert(line);
                        row.values.insert(run.field.to_string(), 0.0);
                    }
                }
            }
        }
        for (table, row) in rows {
            let line = row.line.unwrap_or(snapshot.first_line());
            out.push(table, snapshot.time_us, line, Labels::new(), row.values);
        }
    }
}
#[cfg(test)]
mod tests {
    use crate::parse::procfs::parse;
    use crate::parse::procfs::testing::{only, series, warning_lines};

    /// A /proc/net/snmp copy with only the Tcp group, these counters in `Tcp`'s order.
    fn snmp_tcp(active: u64, estab: u64, out_segs: u64, retrans: u64) -> String {
        format!(
            "Tcp: RtoAlgorithm MaxConn ActiveOpens CurrEstab OutSegs RetransSegs\n\
             Tcp: 1 -1 {active} {estab} {out_segs} {retrans}"
        )
    }

    #[test]
    fn snmp_gives_tcp_rates_the_retransmit_share_and_established_connections() {
        let text = series(
            "/proc/net/snmp",
            &[
                ("10:00:00", &snmp_tcp(10, 3, 1000, 5)),
                ("10:00:02", &snmp_tcp(30, 4, 1400, 9)),
                ("10:00:03", &snmp_tcp(30, 2, 1400, 9)),
                ("10:00:04", &snmp_tcp(30, 2, 1400, 12)),
            ],
        );
        let parsed = parse("net_snmp.txt", &text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let rows = only(&parsed, "tcp");
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].fields.keys().collect::<Vec<_>>(), ["curr_estab"]);
        let second = &rows[1].fields;
        assert_eq!(
            (second["active_opens_s"], second["out_segs_s"]),
            (10.0, 200.0)
        );
        assert_eq!((second["retrans_pct"], second["curr_estab"]), (1.0, 4.0));
        assert_eq!(rows[1].source.line, 6, "the line of the values");
        assert_eq!(rows[2].fields["retrans_pct"], 0.0, "idle: nothing resent");
        assert!(
            !rows[3].fields.contains_key("retrans_pct"),
            "resent with nothing new sent has no share"
        );
    }

    #[test]
    fn listen_overflows_count_from_the_first_snapshot_and_resets_skip_one_interval() {
        let netstat = |overflows: u64, drops: u64| {
            format!(
                "TcpExt: ListenOverflows ListenDrops\nTcpExt: {overflows} {drops}\n\
                 IpExt: InOctets\nIpExt: 1"
            )
        };
        let text = series(
            "/proc/net/netstat",
            &[
                ("10:00:00", &netstat(7, 7)),
                ("10:00:01", &netstat(9, 10)),
                ("10:00:02", &netstat(1, 10)),
                ("10:00:03", &netstat(2, 10)),
            ],
        );
        let parsed = parse("net_netstat.txt", &text);
        assert_eq!(warning_lines(&parsed), [13]);
        assert!(
            parsed.warnings[0]
                .message
                .contains("ListenOverflows went down")
        );
        let rows = only(&parsed, "tcp");
        assert_eq!(rows.len(), 3, "the first snapshot has nothing to report");
        let fields = |index: usize| &rows[index].fields;
        assert_eq!(
            (fields(0)["listen_overflows_s"], fields(0)["listen_drops_s"]),
            (2.0, 3.0)
        );
        assert_eq!(fields(0)["listen_overflows_delta"], 2.0);
        assert!(
            !fields(1).contains_key("listen_drops_s"),
            "interval skipped"
        );
        assert_eq!(fields(1)["listen_drops_delta"], 3.0);
        assert_eq!(fields(2)["listen_overflows_s"], 1.0);
    }

    #[test]
    fn unpaired_mib_lines_are_warned_about_and_the_rest_is_read() {
        let first = "Udp: InDatagrams NoPorts\nUdp: 1 2\nTcp: ActiveOpens\n\
                     Ip: 1 2\nTcpExt: ListenDrops ListenOverflows\nTcpExt: 3 x\nnonsense";
        let second = "Udp: InDatagrams NoPorts\nUdp: 5 2";
        let text = series(
            "/proc/net/snmp",
            &[("10:00:00", first), ("10:00:01", second)],
        );
        let parsed = parse("net_snmp.txt", &text);
        assert_eq!(warning_lines(&parsed), [4, 5, 7, 8]);
        let udp = only(&parsed, "udp");
        assert_eq!(udp.len(), 1);
        assert_eq!(
            (udp[0].fields["in_datagrams_s"], udp[0].fields["no_ports_s"]),
            (4.0, 0.0)
        );
    }
}

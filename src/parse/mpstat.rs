//! Parser for mpstat: `mpstat -P ALL 1 N` (and plain `mpstat` or `mpstat -u`, which print
//! only `all`), `mpstat -I SUM|CPU|SCPU|ALL` and `mpstat -A`.
//!
//! | report | table | labels | fields |
//! |---|---|---|---|
//! | `-u` (default) | `mpstat` | `cpu` (`all`, `0`, ...) | `usr nice sys iowait irq soft steal guest gnice idle busy` |
//! | `-N` (in `-A`) | `mpstat_node` | `node` | the same as `mpstat` |
//! | `-I SUM` | `mpstat_irq` | `cpu` | `intr_s` |
//! | `-I CPU` | `mpstat_irq` | `cpu`, `irq` (`24`, `LOC`, `NMI`) | `intr_s` |
//! | `-I SCPU` | `mpstat_softirq` | `cpu`, `irq` (`TIMER`, `NET_RX`) | `intr_s` |
//!
//! `busy` = 100 − `idle` − `iowait`, the one number a utilization rule wants. `-I CPU` prints one column
//! per interrupt line, which differ from host to host, so each cell becomes a record labelled
//! with its interrupt (as printed, without `/s`) instead of a field named after it. The
//! `-I SUM` rows have no `irq` label: they are the per-CPU totals.

use super::sniff::Sign;
use super::sysstat::{Instances, TableSpec, read_tables, stamped_header};
use super::{Format, Parser, Table};
use crate::record::{Feed, Parsed, Rank, Unit};

/// The CPU shares of `-u` and `-N`.
const SHARES: &[&str] = &[
    "usr", "nice", "sys", "iowait", "irq", "soft", "steal", "guest", "gnice", "idle", "busy",
];

const CPU: TableSpec = TableSpec {
    table: "mpstat",
    first: &["CPU"],
    marker: Some("%idle"),
    labels: &[("CPU", "cpu")],
    renames: &[],
    skip: &[],
    instances: None,
    busy: true,
    fields: SHARES,
};

const NODE: TableSpec = TableSpec {
    table: "mpstat_node",
    first: &["NODE"],
    marker: Some("%idle"),
    labels: &[("NODE", "node")],
    renames: &[],
    skip: &[],
    instances: None,
    busy: true,
    fields: SHARES,
};

const INTERRUPTS_SUM: TableSpec = TableSpec {
    table: "mpstat_irq",
    first: &["CPU"],
    marker: Some("intr/s"),
    labels: &[("CPU", "cpu")],
    renames: &[],
    skip: &[],
    instances: None,
    busy: true,
    fields: &["intr_s"],
};

/// Each interrupt's rate becomes `intr_s` of its own record.
const PER_INTERRUPT: Instances = Instances {
    label: "irq",
    prefix: "",
    suffix: "/s",
    field: "intr_s",
};

/// `TIMER/s` is the one softirq every kernel has; hard interrupts are numbers or
/// three-letter names (`LOC`, `NMI`), never `TIMER`.
const SOFTIRQS: TableSpec = TableSpec {
    table: "mpstat_softirq",
    first: &["CPU"],
    marker: Some("TIMER/s"),
    labels: &[("CPU", "cpu")],
    renames: &[],
    skip: &[],
    instances: Some(PER_INTERRUPT),
    busy: true,
    fields: &["intr_s"],
};

/// Last of the `CPU` reports: any header of `CPU` and `…/s` columns left is per-interrupt.
const INTERRUPTS: TableSpec = TableSpec {
    table: "mpstat_irq",
    first: &["CPU"],
    marker: None,
    labels: &[("CPU", "cpu")],
    renames: &[],
    skip: &[],
    instances: Some(PER_INTERRUPT),
    busy: true,
    fields: &["intr_s"],
};

/// The reports mpstat prints, in the order a header is tried against them.
pub const REPORTS: &[TableSpec] = &[CPU, NODE, INTERRUPTS_SUM, SOFTIRQS, INTERRUPTS];

pub fn parse(file: &str, text: &str) -> Parsed {
    read_tables(file, text, REPORTS)
}

/// mpstat, told by its reports' headers: `CPU` or `NODE` after the time stamp.
pub struct Mpstat;

impl Parser for Mpstat {
    fn format(&self) -> Format {
        Format::Mpstat
    }

    fn sign(&self, line: &str) -> Option<Sign> {
        let header = stamped_header(line)?;
        let is_mpstat = match *header.first()? {
            "CPU" => is_mpstat_cpu_header(&header),
            "NODE" => true,
            _ => false,
        };
        is_mpstat.then_some(Sign::Header)
    }

    fn parse(&self, file: &str, text: &str) -> Parsed {
        parse(file, text)
    }

    fn unit(&self, table: &str, _field: &str) -> Option<Unit> {
        matches!(table, "mpstat" | "mpstat_node").then_some(Unit::Percent)
    }

    fn tables(&self) -> Vec<Table> {
        REPORTS.iter().map(TableSpec::declared).collect()
    }

    /// mpstat is the tool made for per-CPU shares.
    fn feeds(&self) -> Vec<Feed> {
        [
            ("mpstat.busy", "cpu.busy"),
            ("mpstat.iowait", "cpu.iowait"),
            ("mpstat.steal", "cpu.steal"),
            ("mpstat.soft", "cpu.softirq"),
        ]
        .into_iter()
        .map(|(source, metric)| Feed::new(Rank::Primary, "mpstat", source, metric))
        .collect()
    }
}

/// mpstat and sar both head CPU reports with `CPU`: mpstat's utilization report puts `%irq`
/// before `%steal` (sar's `-u ALL` the other way round) and never says `%system` (sar's
/// `-u` does); its interrupt reports have only `…/s` columns named after interrupts
/// (`intr/s`, `24/s`, `LOC/s`, `NET_RX/s`), where sar's per-CPU reports have lower-case
/// measures (`total/s`, `MHz`).
fn is_mpstat_cpu_header(header: &[&str]) -> bool {
    let at = |name: &str| header.iter().position(|cell| *cell == name);
    if at("%idle").is_some() {
        let steal_first =
            matches!((at("%steal"), at("%irq")), (Some(steal), Some(irq)) if steal < irq);
        return at("%system").is_none() && !steal_first;
    }
    let interrupts = header.get(1..).unwrap_or_default();
    !interrupts.is_empty()
        && interrupts.iter().all(|cell| {
            cell.strip_suffix("/s").is_some_and(|name| {
                name == "intr" || !name.is_empty() && !name.bytes().any(|b| b.is_ascii_lowercase())
            })
        })
}

#[cfg(test)]
mod tests {
    use super::parse;
    use crate::record::Name;

    #[test]
    fn busy_is_what_is_neither_idle_nor_waiting_on_io() {
        let text = "Linux 6.1 (h) \t2026-11-25 \t_x86_64_\t(1 CPU)\n\n\
                    19:11:23 CPU %usr %iowait %idle\n19:11:24 all 60,00 10.00 25.00\n";
        let parsed = parse("m", text);
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.records[0].fields["busy"], 65.0);
        assert_eq!(parsed.records[0].labels["cpu"], "all");
    }

    #[test]
    fn each_interrupt_column_is_a_record_of_its_own() {
        let text = "Linux 6.1 (h) \t2026-11-25 \t_x86_64_\t(2 CPU)\n\n\
                    19:11:23 CPU intr/s\n19:11:24 all 7.00\n\n\
                    19:11:23 CPU 24/s LOC/s\n19:11:24 0 1.00 2.00\n19:11:24 1 3.00 4.00\n\n\
                    19:11:23 CPU HI/s TIMER/s\n19:11:24 0 5.00 6.00\n";
        let parsed = parse("m", text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let rows: Vec<(&str, Option<&str>, &str, f64)> = parsed
            .records
            .iter()
            .map(|r| {
                (
                    r.table.as_str(),
                    r.labels.get("irq").map(Name::as_str),
                    r.labels["cpu"].as_str(),
                    r.fields["intr_s"],
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("mpstat_irq", None, "all", 7.0),
                ("mpstat_irq", Some("24"), "0", 1.0),
                ("mpstat_irq", Some("LOC"), "0", 2.0),
                ("mpstat_irq", Some("24"), "1", 3.0),
                ("mpstat_irq", Some("LOC"), "1", 4.0),
                ("mpstat_softirq", Some("HI"), "0", 5.0),
                ("mpstat_softirq", Some("TIMER"), "0", 6.0),
            ]
        );
    }
}

//! Parser for `mpstat -P ALL 1 N` (and plain `mpstat 1 N`, which prints only `all`).
//!
//! Table `mpstat`, label `cpu` (`all`, `0`, `1`, ...), fields `usr nice sys iowait irq soft
//! steal guest gnice idle` as the header names them, plus `busy` = 100 − `idle`, the one
//! number a utilization rule wants.

use super::sysstat::{TableSpec, read_tables};
use crate::record::Parsed;

const CPU: TableSpec = TableSpec {
    table: "mpstat",
    first: &["CPU"],
    marker: Some("%idle"),
    labels: &[("CPU", "cpu")],
    renames: &[],
    skip: &[],
};

pub fn parse(file: &str, text: &str) -> Parsed {
    let mut parsed = read_tables(file, text, &[CPU]);
    for record in &mut parsed.records {
        if let Some(idle) = record.fields.get("idle").copied() {
            record.fields.insert("busy".to_string(), 100.0 - idle);
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn busy_is_the_complement_of_idle() {
        let text = "Linux 6.1 (h) \t2026-11-25 \t_x86_64_\t(1 CPU)\n\n\
                    19:11:23 CPU %usr %idle\n19:11:24 all 60,00 25.00\n";
        let parsed = parse("m", text);
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.records[0].fields["busy"], 75.0);
        assert_eq!(parsed.records[0].labels["cpu"], "all");
    }
}

//! What a rule may read: the canonical metrics ([`crate::record::metric`]), every table a
//! built-in parser declares with the fields its rows can have ([`super::Parser::tables`]; the
//! sysstat stand-ins make tables of those parsers), use-check's target tables, and the tables
//! of the parser specs. `check` refuses a rule reading anything else, with the nearest name
//! ([`Catalogue::suggestion`]).

use std::collections::{BTreeMap, BTreeSet};

use super::PARSERS;
use super::spec::{ParserSpec, SHIPPED};
use crate::record::{metric::METRICS, target};

/// Every table a rule may read, each with the fields it can have (`None`: any field).
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    tables: BTreeMap<String, Option<BTreeSet<String>>>,
}

impl Catalogue {
    /// The metrics, the built-in parsers' tables, the target tables and the shipped specs'.
    pub fn built_in() -> Catalogue {
        let mut catalogue = Catalogue::default();
        for metric in METRICS {
            let (table, field) = metric.name.split_once('.').unwrap_or((metric.name, ""));
            catalogue.add(table, Some(&[field]));
        }
        for table in PARSERS.iter().flat_map(|parser| parser.tables()) {
            catalogue.add(table.name, table.fields.as_deref());
        }
        for (table, fields) in target::TABLES {
            catalogue.add(table, Some(fields));
        }
        let shipped: Vec<ParserSpec> = SHIPPED
            .iter()
            .filter_map(|(file, text)| ParserSpec::from_toml(file, text).ok())
            .collect();
        catalogue.with_specs(&shipped)
    }

    /// With the tables of `specs` too (those in `./parsers`).
    pub fn with_specs(mut self, specs: &[ParserSpec]) -> Catalogue {
        for spec in specs {
            self.add(spec.name(), spec.fields());
        }
        self
    }

    /// Add `fields` to `table`; a table any of whose fields may be read stays so.
    fn add<S: AsRef<str>>(&mut self, table: &str, fields: Option<&[S]>) {
        let entry = self
            .tables
            .entry(table.to_string())
            .or_insert_with(|| Some(BTreeSet::new()));
        match (entry, fields) {
            (Some(known), Some(fields)) => {
                known.extend(fields.iter().map(|field| field.as_ref().to_string()));
            }
            (entry, _) => *entry = None,
        }
    }

    /// Whether something can produce `series` (`table.field`).
    pub fn knows(&self, series: &str) -> bool {
        let (table, field) = series.split_once('.').unwrap_or((series, ""));
        match self.tables.get(table) {
            Some(Some(fields)) => fields.contains(field),
            Some(None) => true,
            None => false,
        }
    }

    /// The known series nearest to `series`, at most three edits away (`vmstat.rr` →
    /// `vmstat.r`); among equals, the first in name order.
    pub fn suggestion(&self, series: &str) -> Option<String> {
        const MOST_EDITS: usize = 3;
        let (_, field) = series.split_once('.').unwrap_or((series, ""));
        let candidates = self.tables.iter().flat_map(|(table, fields)| {
            let names: Vec<String> = match fields {
                Some(fields) => fields.iter().map(|f| format!("{table}.{f}")).collect(),
                None => vec![format!("{table}.{field}")],
            };
            names
        });
        candidates
            .map(|name| (strsim::damerau_levenshtein(series, &name), name))
            .filter(|(edits, _)| *edits <= MOST_EDITS)
            .min()
            .map(|(_, name)| name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_parsers_metrics_and_specs_make_is_known_and_typos_are_not() {
        let catalogue = Catalogue::built_in();
        for series in [
            "cpu.busy",
            "procs.runnable",
            "mpstat.busy",
            "vmstat.r",
            "sar_queue.runq_sz",
            "pressure.stall",
            "meminfo.anything_the_kernel_prints",
            "free.available",
            "ss_summary.ip",
            "target.cpu_all_pct",
            "kernel_oom_kill.count",
            "offcpu_process.offcpu_pct",
        ] {
            assert!(catalogue.knows(series), "{series}");
        }
        for series in ["vmstat.rr", "cpu.bussy", "nosuch.busy", "free.avail"] {
            assert!(!catalogue.knows(series), "{series}");
        }
    }

    #[test]
    fn the_nearest_known_name_is_suggested() {
        let catalogue = Catalogue::built_in();
        let suggest = |series| catalogue.suggestion(series);
        assert_eq!(suggest("vmstat.rr").as_deref(), Some("vmstat.r"));
        assert_eq!(suggest("cpu.bussy").as_deref(), Some("cpu.busy"));
        assert_eq!(suggest("procs.runable").as_deref(), Some("procs.runnable"));
        assert_eq!(
            suggest("meminf.memfree").as_deref(),
            Some("meminfo.memfree")
        );
        assert_eq!(suggest("completely.different"), None);
    }
}

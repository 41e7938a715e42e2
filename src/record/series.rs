//! The uniform view rules query: one time series per (table.field, labels).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{HostFacts, Labels, Record, Unit};

/// One metric of one instance over time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// `table.field`, as rules name it: `iostat.util`.
    pub name: String,
    pub labels: Labels,
    pub unit: Unit,
    /// (time in seconds, value), in time order.
    pub points: Vec<(f64, f64)>,
    /// Raw files the points came from.
    pub files: BTreeSet<String>,
}

/// Every series of an investigation, plus what is known of the host.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    series: BTreeMap<String, Vec<Series>>,
    pub host: HostFacts,
    pub origin: Origin,
}

/// Where a dataset's records come from: what a series missing from them says of the host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    /// Sampled on this host just now, by a run whose /proc sampler looked: a series missing is
    /// missing from the host, and a rule's `no_data` note about hosts may say why.
    #[default]
    ThisHost,
    /// Captured earlier or elsewhere (`analyze`), or by a run without the sampler: a series
    /// missing is only missing from the data.
    Captured,
}

impl Dataset {
    /// Every series of `records`, each in the unit `unit_of(table, field)` gives it: the
    /// parse layer knows the units of the tables its parsers make (`parse::unit_of`).
    pub fn from_records(
        records: &[Record],
        host: HostFacts,
        unit_of: impl Fn(&str, &str) -> Unit,
    ) -> Self {
        let mut by_key: BTreeMap<(String, Labels), Series> = BTreeMap::new();
        for record in records {
            for (field, &value) in &record.fields {
                if !value.is_finite() {
                    continue;
                }
                let name = format!("{}.{}", record.table, field);
                let series = by_key
                    .entry((name.clone(), record.labels.clone()))
                    .or_insert_with(|| Series {
                        name,
                        labels: record.labels.clone(),
                        unit: unit_of(&record.table, field),
                        points: Vec::new(),
                        files: BTreeSet::new(),
                    });
                series.points.push((record.time, value));
                if !series.files.contains(record.source.file.as_str()) {
                    series.files.insert(record.source.file.to_string());
                }
            }
        }
        let mut series: BTreeMap<String, Vec<Series>> = BTreeMap::new();
        for (_, mut one) in by_key {
            one.points.sort_by(|a, b| a.0.total_cmp(&b.0));
            series.entry(one.name.clone()).or_default().push(one);
        }
        Dataset {
            series,
            host,
            origin: Origin::default(),
        }
    }

    /// The same series, from `origin`.
    pub(crate) fn with_origin(self, origin: Origin) -> Self {
        Dataset { origin, ..self }
    }

    /// Set the unit of the series named in `overrides` (`free.total` → KiB): tables read by
    /// parser specs carry their units in the spec, which no built-in parser knows.
    pub fn with_units(mut self, overrides: &BTreeMap<String, Unit>) -> Self {
        for (name, unit) in overrides {
            for series in self.series.get_mut(name).into_iter().flatten() {
                series.unit = *unit;
            }
        }
        self
    }

    /// All instances of the series called `name` (`mpstat.busy`).
    pub fn instances(&self, name: &str) -> &[Series] {
        self.series.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every series name present, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.series.keys().map(String::as_str)
    }

    /// A host fact by the name rules use: `host.cpus`, `host.mem_total_kib`.
    pub(crate) fn host_fact(&self, name: &str) -> Option<f64> {
        match name {
            "cpus" => self.host.cpus.map(f64::from),
            "mem_total_kib" => self.host.mem_total_kib.map(|kib| kib as f64),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(table: &str, time: f64, cpu: &str, busy: f64) -> Record {
        Record::from_pairs(
            table,
            time,
            &[("cpu", cpu)],
            &[("busy", busy)],
            "cpu/mpstat.txt",
            1,
        )
    }

    #[test]
    fn records_become_one_sorted_series_per_instance() {
        let records = [
            record("mpstat", 2.0, "all", 50.0),
            record("mpstat", 1.0, "all", 40.0),
            record("mpstat", 1.0, "0", 80.0),
        ];
        let data = Dataset::from_records(&records, HostFacts::default(), |_, field| {
            Unit::from_field_name(field)
        });
        let busy = data.instances("mpstat.busy");
        assert_eq!(busy.len(), 2);
        let all = busy.iter().find(|s| s.labels["cpu"] == "all").unwrap();
        assert_eq!(all.points, vec![(1.0, 40.0), (2.0, 50.0)]);
        assert_eq!(all.unit, Unit::Percent);
    }
}

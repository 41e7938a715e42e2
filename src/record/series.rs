//! The uniform view rules query: one time series per (table.field, labels).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::metric::{self, Feed, MetricSource, Taken};
use super::name::PairMemo;
use super::{Columns, HostFacts, Labels, Name, Record, SourceRef, Unit};

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
    /// Where each point was read, in the points' order: its 1-based line, and the file of
    /// each run of points read from one file (the index of the run's first point, an index
    /// into `source_files`): 4 bytes a point, where a [`SourceRef`] takes 16.
    #[serde(skip)]
    lines: Vec<u32>,
    #[serde(skip)]
    file_runs: Vec<(u32, u32)>,
    #[serde(skip)]
    source_files: Vec<Name>,
    /// For a canonical metric (`cpu.busy`): the tool series its points were taken from.
    pub taken: Option<Taken>,
    /// When the interval the first point speaks for is known: the time of the row before it
    /// of the same table and instance. A rate between two /proc snapshots starts at the
    /// first (which gave gauges and counts, no rate), so two hand-taken copies make one
    /// point that measured the whole time between them. `None` for a first row: its
    /// interval is then taken to be the gap to the next point.
    #[serde(skip)]
    pub first_from: Option<f64>,
}

/// Every series of an investigation, plus what is known of the host.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    series: BTreeMap<String, Vec<Series>>,
    /// For each canonical metric built, every source that had it, best first.
    sources: BTreeMap<String, Vec<MetricSource>>,
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

impl Series {
    fn empty(name: String, labels: Labels, unit: Unit) -> Series {
        Series {
            name,
            labels,
            unit,
            points: Vec::new(),
            files: BTreeSet::new(),
            lines: Vec::new(),
            file_runs: Vec::new(),
            source_files: Vec::new(),
            taken: None,
            first_from: None,
        }
    }

    /// The series whose first point measured since `row` (the row before it, of the same
    /// table and instance), whose file is then among the series' files.
    fn measured_since(mut self, row: Option<Row>) -> Series {
        if let Some((time, file)) = row {
            self.first_from = Some(time);
            self.files.insert(file.to_string());
        }
        self
    }

    fn push(&mut self, time: f64, value: f64, source: &SourceRef) {
        let at = self.points.len();
        self.points.push((time, value));
        let last = self.file_runs.last().map(|&(_, file)| file as usize);
        let same = last.is_some_and(|last| self.source_files[last].same(&source.file));
        if !same {
            let file = match self
                .source_files
                .iter()
                .position(|file| *file == source.file)
            {
                Some(known) => known,
                None => {
                    self.files.insert(source.file.to_string());
                    self.source_files.push(source.file.clone());
                    self.source_files.len() - 1
                }
            };
            if last != Some(file) {
                self.file_runs.push((index_u32(at), index_u32(file)));
            }
        }
        self.lines
            .push(u32::try_from(source.line).unwrap_or(u32::MAX));
    }

    /// Where each point was read (file and 1-based line), in the points' order.
    pub fn sources(&self) -> impl Iterator<Item = (&str, usize)> {
        let mut runs = self.file_runs.iter().peekable();
        let mut file = "";
        self.lines.iter().enumerate().map(move |(at, &line)| {
            while let Some(&&(start, index)) = runs.peek() {
                if start as usize > at {
                    break;
                }
                file = self.source_files[index as usize].as_str();
                runs.next();
            }
            (file, line as usize)
        })
    }

    /// The index into `source_files` of each point's file.
    fn file_of_each(&self) -> Vec<u32> {
        let mut files = Vec::with_capacity(self.points.len());
        for (run, &(start, file)) in self.file_runs.iter().enumerate() {
            let end = self
                .file_runs
                .get(run + 1)
                .map_or(self.points.len(), |&(next, _)| next as usize);
            files.resize(end.max(start as usize), file);
        }
        files
    }

    /// Put the points, and their sources with them, in time order.
    fn sort(&mut self) {
        self.sort_points();
        let first = self.points.first().map(|point| point.0);
        if self
            .first_from
            .zip(first)
            .is_some_and(|(from, first)| from >= first)
        {
            self.first_from = None;
        }
    }

    fn sort_points(&mut self) {
        // Most series come in time order: then there is nothing to sort (and no order of
        // millions of indices to build).
        if self.points.windows(2).all(|pair| pair[0].0 <= pair[1].0) {
            return;
        }
        let mut order: Vec<usize> = (0..self.points.len()).collect();
        order.sort_by(|&a, &b| self.points[a].0.total_cmp(&self.points[b].0));
        let files = self.file_of_each();
        self.points = order.iter().map(|&index| self.points[index]).collect();
        self.lines = order.iter().map(|&index| self.lines[index]).collect();
        self.file_runs.clear();
        for (at, &index) in order.iter().enumerate() {
            let file = files[index];
            if self.file_runs.last().is_none_or(|&(_, last)| last != file) {
                self.file_runs.push((index_u32(at), file));
            }
        }
    }
}

/// An index as stored in a series (a series of more than 4 billion points is not read).
fn index_u32(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// What a dataset is made of: the records held whole, and the rows of big tables kept as
/// [`Columns`].
#[derive(Clone, Copy)]
pub struct Rows<'a> {
    pub records: &'a [Record],
    pub columns: Option<&'a Columns>,
}

impl<'a> Rows<'a> {
    /// The records held whole and the rows of the big tables read as columns.
    pub fn with_columns(records: &'a [Record], columns: &'a Columns) -> Self {
        Rows {
            records,
            columns: Some(columns),
        }
    }

    pub fn of(records: &'a [Record]) -> Self {
        Rows {
            records,
            columns: None,
        }
    }

    /// Every row: the records in time order (the files they came from in any order; rows of
    /// one time in the order given), then the columns' rows, which are one file's, in its
    /// order. A row of the columns is a record reused from one call to the next.
    fn each(&self, visit: &mut dyn FnMut(&Record)) {
        let mut order: Vec<u32> = (0..self.records.len() as u32).collect();
        order.sort_by(|&a, &b| {
            self.records[a as usize]
                .time
                .total_cmp(&self.records[b as usize].time)
        });
        for index in order {
            visit(&self.records[index as usize]);
        }
        if let Some(columns) = self.columns {
            columns.for_each_record(visit);
        }
    }

    /// Every row, in no particular order (the records as held, then the columns' rows): for
    /// sums over them, which need no sorting of the records first.
    pub(crate) fn each_unordered(&self, visit: &mut dyn FnMut(&Record)) {
        self.records.iter().for_each(&mut *visit);
        if let Some(columns) = self.columns {
            columns.for_each_record(visit);
        }
    }
}

/// The latest rows seen of each table and instance (time and file): what a series starting at
/// a later row of the same instance measured from (a rate after a snapshot of gauges). Rows
/// come in time order ([`Rows::each`]).
#[derive(Default)]
struct PreviousRows {
    /// Each instance's place in `latest`, by table and labels.
    index: BTreeMap<Name, BTreeMap<Labels, usize>>,
    /// The latest row of each instance, and the one before it at an earlier time.
    latest: Vec<Option<(Row, Option<Row>)>>,
}

/// When a row was taken, and the file it was read from.
type Row = (f64, Name);

impl PreviousRows {
    /// The place of `record`'s table and instance: looked up once for a run of its rows.
    fn slot(&mut self, record: &Record) -> usize {
        let of_table = match self.index.get_mut(&record.table) {
            Some(of_table) => of_table,
            None => self.index.entry(record.table.clone()).or_default(),
        };
        match of_table.get(&record.labels) {
            Some(&slot) => slot,
            None => {
                self.latest.push(None);
                of_table.insert(record.labels.clone(), self.latest.len() - 1);
                self.latest.len() - 1
            }
        }
    }

    /// Take `record`, of the instance at `slot`, as its latest row; whether the row before it
    /// ([`PreviousRows::earlier`]) is then known. Rows of one time (two files of one table)
    /// share the one before.
    fn advance(&mut self, slot: usize, record: &Record) -> bool {
        let time = record.time;
        match &mut self.latest[slot] {
            Some((latest, earlier)) if time > latest.0 => {
                let file = match latest.1.same(&record.source.file) {
                    true => latest.1.clone(),
                    false => record.source.file.clone(),
                };
                *earlier = Some(std::mem::replace(latest, (time, file)));
                true
            }
            Some((latest, earlier)) if time == latest.0 => earlier.is_some(),
            Some(_) => false,
            none => {
                *none = Some(((time, record.source.file.clone()), None));
                false
            }
        }
    }

    /// The row before the latest of the instance at `slot`, at an earlier time.
    fn earlier(&self, slot: usize) -> Option<Row> {
        self.latest[slot].as_ref()?.1.clone()
    }
}

/// A run of rows of one table and instance (the rows of [`Columns`] come instance by
/// instance): what they feed is worked out at its first row, not for every row.
struct Run<T> {
    table: Name,
    labels: Labels,
    slot: usize,
    /// Per field or feed: where its values go.
    targets: Vec<T>,
}

impl<T> Run<T> {
    fn holds(run: &Option<Run<T>>, record: &Record) -> bool {
        run.as_ref()
            .is_some_and(|run| run.table.same(&record.table) && run.labels == record.labels)
    }
}

/// Where a feed's values of a run go: nowhere (its instance is not the metric's), into the
/// series not made yet of the metric's instance, or into a series made.
enum Target {
    Skip,
    Pending(Labels),
    At(usize),
}

impl Dataset {
    /// Every series of `records`, each in the unit `unit_of(table, field)` gives it: the
    /// parse layer knows the units of the tables its parsers make (`parse::unit_of`).
    pub fn from_records(
        records: &[Record],
        host: HostFacts,
        unit_of: impl Fn(&str, &str) -> Unit,
    ) -> Self {
        Dataset::from_rows(Rows::of(records), host, unit_of, &|_, _| true)
    }

    /// The series `table.field` of `rows` for which `wanted(table, field)` holds (those some
    /// rule reads: a series nobody reads costs 24 bytes a point for nothing).
    pub fn from_rows(
        rows: Rows<'_>,
        host: HostFacts,
        unit_of: impl Fn(&str, &str) -> Unit,
        wanted: &dyn Fn(&str, &str) -> bool,
    ) -> Self {
        let mut made: Vec<Series> = Vec::new();
        let mut by_key: BTreeMap<(String, Labels), usize> = BTreeMap::new();
        let mut previous = PreviousRows::default();
        let mut wanted = PairMemo::new(wanted);
        // Per field of the run's rows: its name, and the series its values go into (`None`
        // for a field nobody reads).
        let mut run: Option<Run<(Name, Option<usize>)>> = None;
        rows.each(&mut |record| {
            if !Run::holds(&run, record) {
                run = Some(Run {
                    table: record.table.clone(),
                    labels: record.labels.clone(),
                    slot: previous.slot(record),
                    targets: Vec::new(),
                });
            }
            let Some(run) = run.as_mut() else { return };
            let later = previous.advance(run.slot, record);
            for (at, (field, &value)) in record.fields.iter().enumerate() {
                if !value.is_finite() {
                    continue;
                }
                let known = run
                    .targets
                    .get(at)
                    .filter(|(name, _)| name.same(field))
                    .map(|&(_, target)| target);
                let target = match known {
                    Some(target) => target,
                    None => {
                        let target = wanted.get(&record.table, field).then(|| {
                            let name = format!("{}.{}", record.table, field);
                            let key = (name, record.labels.clone());
                            *by_key.entry(key).or_insert_with_key(|(name, labels)| {
                                let before = later.then(|| previous.earlier(run.slot)).flatten();
                                let unit = unit_of(&record.table, field);
                                made.push(
                                    Series::empty(name.clone(), labels.clone(), unit)
                                        .measured_since(before),
                                );
                                made.len() - 1
                            })
                        });
                        run.targets.truncate(at);
                        run.targets.push((field.clone(), target));
                        target
                    }
                };
                if let Some(target) = target {
                    made[target].push(record.time, value, &record.source);
                }
            }
        });
        let mut series: BTreeMap<String, Vec<Series>> = BTreeMap::new();
        let mut made: Vec<Option<Series>> = made.into_iter().map(Some).collect();
        for (_, at) in by_key {
            if let Some(mut one) = made[at].take() {
                one.sort();
                series.entry(one.name.clone()).or_default().push(one);
            }
        }
        Dataset {
            series,
            sources: BTreeMap::new(),
            host,
            origin: Origin::default(),
        }
    }

    /// Add the canonical metrics ([`metric::METRICS`]) `feeds` make of `records`: for each
    /// metric and instance, the series of the best-ranked feed that had values for it (the
    /// first declared among equals), its points keeping where they were read. A metric built
    /// here takes the place of a tool series of the same name (`pressure.stall`, which the
    /// /proc table of that name feeds as it is). `measured` says which tables hold what a
    /// tool measured: a table of stand-in rows (`record::fallback`) feeds nothing, as its
    /// source feeds the metrics itself.
    pub fn with_metrics(
        self,
        records: &[Record],
        feeds: &[Feed],
        measured: impl Fn(&str) -> bool,
    ) -> Self {
        self.with_metrics_of(Rows::of(records), feeds, measured)
    }

    /// [`Dataset::with_metrics`] of records and columns.
    pub fn with_metrics_of(
        mut self,
        rows: Rows<'_>,
        feeds: &[Feed],
        measured: impl Fn(&str) -> bool,
    ) -> Self {
        type Candidates = BTreeMap<(&'static str, Labels), BTreeMap<usize, usize>>;
        type TableFeeds<'f> = Vec<(usize, &'f Feed, &'static metric::Metric)>;
        let mut by_table: BTreeMap<&str, TableFeeds> = BTreeMap::new();
        for (index, feed) in feeds.iter().enumerate() {
            if let Some(metric) = metric::find(&feed.metric) {
                by_table
                    .entry(feed.table.as_str())
                    .or_default()
                    .push((index, feed, metric));
            }
        }
        let mut made: Vec<Series> = Vec::new();
        let mut candidates: Candidates = BTreeMap::new();
        let mut previous = PreviousRows::default();
        let no_feeds = Vec::new();
        // The feeds of the table a row is of, looked up once per table name (rows of one
        // header share it), not compared as text for every row.
        let mut of_table: Vec<(Name, &TableFeeds)> = Vec::new();
        // The feeds of the run's table, and where each one's values go.
        let mut run: Option<Run<Target>> = None;
        let mut run_feeds: &TableFeeds = &no_feeds;
        rows.each(&mut |record| {
            if !Run::holds(&run, record) {
                let known = match of_table
                    .iter()
                    .position(|(table, _)| table.same(&record.table))
                {
                    Some(at) => Some(at),
                    // The same table's name made anew (a parser that names each row's table):
                    // the entry follows the newest, so there is one per table.
                    None => of_table
                        .iter()
                        .position(|(table, _)| *table == record.table)
                        .inspect(|&at| of_table[at].0 = record.table.clone()),
                };
                run_feeds = match known {
                    Some(at) => of_table[at].1,
                    None => {
                        let feeds = match measured(&record.table) {
                            true => by_table.get(record.table.as_str()).unwrap_or(&no_feeds),
                            false => &no_feeds,
                        };
                        of_table.push((record.table.clone(), feeds));
                        feeds
                    }
                };
                let targets = run_feeds
                    .iter()
                    .map(|&(_, feed, metric)| match feed.instance(record, metric) {
                        Some(labels) => Target::Pending(labels),
                        None => Target::Skip,
                    })
                    .collect();
                run = Some(Run {
                    table: record.table.clone(),
                    labels: record.labels.clone(),
                    slot: previous.slot(record),
                    targets,
                });
            }
            if run_feeds.is_empty() {
                return;
            }
            let Some(run) = run.as_mut() else { return };
            let later = previous.advance(run.slot, record);
            for (target, &(index, feed, metric)) in run.targets.iter_mut().zip(run_feeds) {
                if matches!(target, Target::Skip) {
                    continue;
                }
                let Some(value) = feed.value(record) else {
                    continue;
                };
                let at = match target {
                    Target::At(at) => *at,
                    Target::Skip => continue,
                    Target::Pending(labels) => {
                        let key = (metric.name, labels.clone());
                        let by_feed = match candidates.get_mut(&key) {
                            Some(by_feed) => by_feed,
                            None => candidates.entry(key).or_default(),
                        };
                        let at = *by_feed.entry(index).or_insert_with(|| {
                            let before = later.then(|| previous.earlier(run.slot)).flatten();
                            let empty =
                                Series::empty(metric.name.into(), labels.clone(), metric.unit);
                            made.push(empty.measured_since(before));
                            made.len() - 1
                        });
                        *target = Target::At(at);
                        at
                    }
                };
                made[at].push(record.time, value, &record.source);
            }
        });
        let mut made: Vec<Option<Series>> = made.into_iter().map(Some).collect();
        let mut built: BTreeMap<&str, Vec<Series>> = BTreeMap::new();
        let mut sources: BTreeMap<&str, BTreeMap<usize, MetricSource>> = BTreeMap::new();
        for ((name, _), by_feed) in candidates {
            let mut by_feed: BTreeMap<usize, Series> = by_feed
                .into_iter()
                .filter_map(|(index, at)| Some((index, made[at].take()?)))
                .collect();
            let Some(&best) = by_feed
                .keys()
                .min_by_key(|&&index| (feeds[index].rank, index))
            else {
                continue;
            };
            let used = sources.entry(name).or_default();
            for (&index, series) in &by_feed {
                let feed = &feeds[index];
                let source = used.entry(index).or_insert_with(|| MetricSource {
                    taken: feed.taken(),
                    instances: 0,
                    chosen: 0,
                    files: BTreeSet::new(),
                });
                source.instances += 1;
                source.chosen += usize::from(index == best);
                source.files.extend(series.files.iter().cloned());
            }
            if let Some(mut series) = by_feed.remove(&best) {
                series.sort();
                series.taken = Some(feeds[best].taken());
                built.entry(name).or_default().push(series);
            }
        }
        for (name, series) in built {
            self.series.insert(name.to_string(), series);
        }
        for (name, used) in sources {
            let mut list: Vec<(usize, MetricSource)> = used.into_iter().collect();
            list.sort_by_key(|(index, _)| (feeds[*index].rank, *index));
            self.sources
                .insert(name.to_string(), list.into_iter().map(|(_, s)| s).collect());
        }
        self
    }

    /// Every source that had the canonical metric `name`, best first; empty for any other
    /// series.
    pub fn sources_of(&self, name: &str) -> &[MetricSource] {
        self.sources.get(name).map(Vec::as_slice).unwrap_or(&[])
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

    #[test]
    fn each_point_keeps_its_file_and_line_when_sorted() {
        let at = |time: f64, file: &str, line: usize| {
            Record::from_pairs(
                "mpstat",
                time,
                &[("cpu", "all")],
                &[("busy", time)],
                file,
                line,
            )
        };
        // Two files of one table, the second's rows earlier than the first's last.
        let records = [
            at(1.0, "a.txt", 3),
            at(4.0, "a.txt", 9),
            at(2.0, "b.txt", 5),
        ];
        let mut series = Series::empty("mpstat.busy".into(), Labels::new(), Unit::Percent);
        for record in &records {
            series.push(record.time, record.time, &record.source);
        }
        series.sort();
        let times: Vec<f64> = series.points.iter().map(|point| point.0).collect();
        assert_eq!(times, [1.0, 2.0, 4.0]);
        let sources: Vec<(&str, usize)> = series.sources().collect();
        assert_eq!(sources, [("a.txt", 3), ("b.txt", 5), ("a.txt", 9)]);
        assert_eq!(series.files.len(), 2);
    }
}

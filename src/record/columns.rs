//! The rows of big tables, kept as columns: what a file too large to hold as [`Record`]s
//! (a day of `sar -A` or `mpstat -P ALL` from a big host) is folded into as it is read.
//!
//! A [`Record`] costs a few hundred bytes, about three times the line it came from; a row
//! here costs its time, its line number (no file name: the file is the group's) and the
//! fields someone reads, 8 bytes each, with the labels and names held once per instance.
//! Fields nobody reads are not kept, and a row with none of them only marks its table as
//! seen. Rules read these rows through [`Columns::for_each_record`], one record reused for
//! every row of an instance, so no record is made per row.

use std::collections::{BTreeMap, BTreeSet};

use smallvec::SmallVec;

use super::name::PairMemo;
use super::{Fields, Labels, Name, Record, SourceRef};

/// The rows of one instance (one table, one set of labels) of one file, by column; where
/// rows of one instance hold different fields (pidstat's `-u`, `-w` and `-d` blocks), a
/// group per kind of row, told by its first kept field, so no row pads the others' fields.
#[derive(Debug, Clone, Default, PartialEq)]
struct Group {
    table: Name,
    labels: Labels,
    file: Name,
    times: Vec<f64>,
    /// 1-based line of each row.
    lines: Vec<u32>,
    /// Each field kept, with a value per row (NaN where a row lacked it).
    fields: Vec<(Name, Vec<f64>)>,
}

/// The groups of one file's table: by labels, each kind of row's group (by its first kept
/// field).
type Kinds = BTreeMap<Labels, Vec<(Name, usize)>>;

/// Rows of tables folded into columns, keeping only the fields `keep` asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns {
    groups: Vec<Group>,
    /// Each group's place, by file, table, labels and first kept field: looked up by
    /// reference, so a row clones no key.
    index: BTreeMap<Name, BTreeMap<Name, Kinds>>,
    /// Every table a row was read of, kept fields or not.
    tables: BTreeSet<Name>,
    rows: usize,
}

impl Columns {
    /// Fold `record` in, keeping the fields for which `keep` (a memo of `keep(table, field)`)
    /// holds.
    pub fn push(&mut self, record: &Record, keep: &mut PairMemo<'_>) {
        self.rows += 1;
        if !self.tables.contains(record.table.as_str()) {
            self.tables.insert(record.table.clone());
        }
        let kept: SmallVec<[(&Name, f64); 16]> = record
            .fields
            .iter()
            .filter(|(name, _)| keep.get(&record.table, name))
            .map(|(name, &value)| (name, value))
            .collect();
        if kept.is_empty() {
            return;
        }
        let at = self.group_of(
            &record.source.file,
            &record.table,
            &record.labels,
            kept[0].0,
        );
        let group = &mut self.groups[at];
        let row = group.times.len();
        group.times.push(record.time);
        group
            .lines
            .push(u32::try_from(record.source.line).unwrap_or(u32::MAX));
        for (name, value) in kept {
            match group.fields.iter_mut().find(|(field, _)| field == name) {
                Some((_, values)) => values.push(value),
                None => {
                    let mut values = vec![f64::NAN; row];
                    values.push(value);
                    group.fields.push((name.clone(), values));
                }
            }
        }
        // A field this row lacked stays NaN, which nothing reads as a value.
        for (_, values) in &mut group.fields {
            if values.len() == row {
                values.push(f64::NAN);
            }
        }
    }

    /// The place of the group of `file`, `table`, `labels` and first kept field `kind`, made
    /// when it is new.
    fn group_of(&mut self, file: &Name, table: &Name, labels: &Labels, kind: &Name) -> usize {
        if let Some(at) = self.find(file, table, labels, kind) {
            return at;
        }
        self.groups.push(Group {
            table: table.clone(),
            labels: labels.clone(),
            file: file.clone(),
            ..Group::default()
        });
        let at = self.groups.len() - 1;
        self.index
            .entry(file.clone())
            .or_default()
            .entry(table.clone())
            .or_default()
            .entry(labels.clone())
            .or_default()
            .push((kind.clone(), at));
        at
    }

    fn find(&self, file: &Name, table: &Name, labels: &Labels, kind: &Name) -> Option<usize> {
        let kinds = self.index.get(file)?.get(table)?.get(labels)?;
        kinds
            .iter()
            .find(|(first, _)| first.same(kind))
            .or_else(|| kinds.iter().find(|(first, _)| first == kind))
            .map(|&(_, at)| at)
    }

    /// Add `other`'s rows after this one's.
    pub fn append(&mut self, other: Columns) {
        self.rows += other.rows;
        self.tables.extend(other.tables);
        for group in other.groups {
            let Some(kind) = group.fields.first().map(|(name, _)| name.clone()) else {
                continue;
            };
            match self.find(&group.file, &group.table, &group.labels, &kind) {
                None => {
                    let at = self.group_of(&group.file, &group.table, &group.labels, &kind);
                    self.groups[at] = group;
                }
                Some(at) => {
                    let own = &mut self.groups[at];
                    let before = own.times.len();
                    let added = group.times.len();
                    own.times.extend(group.times);
                    own.lines.extend(group.lines);
                    for (name, values) in group.fields {
                        match own.fields.iter_mut().find(|(field, _)| *field == name) {
                            Some((_, own_values)) => own_values.extend(values),
                            None => {
                                let mut padded = vec![f64::NAN; before];
                                padded.extend(values);
                                own.fields.push((name, padded));
                            }
                        }
                    }
                    for (_, values) in &mut own.fields {
                        values.resize(before + added, f64::NAN);
                    }
                }
            }
        }
    }

    /// Move every row's time on by `offset` seconds.
    pub fn shift_times(&mut self, offset: f64) {
        for group in &mut self.groups {
            for time in &mut group.times {
                *time += offset;
            }
        }
    }

    /// Forget `field` of the instances of `table` whose labels `which` picks.
    pub(crate) fn drop_field(&mut self, table: &str, field: &str, which: impl Fn(&Labels) -> bool) {
        for group in self
            .groups
            .iter_mut()
            .filter(|group| group.table == table && which(&group.labels))
        {
            group.fields.retain(|(name, _)| name != field);
        }
    }

    /// Forget the rows of the instances of `table` for which `keep` does not hold.
    pub(crate) fn retain_instances(&mut self, table: &str, keep: impl Fn(&Labels) -> bool) {
        for group in &mut self.groups {
            if group.table == table && !keep(&group.labels) {
                group.times = Vec::new();
                group.lines = Vec::new();
                group.fields = Vec::new();
            }
        }
    }

    /// How many rows were folded in, kept or not.
    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Every table rows were read of, sorted.
    pub fn tables(&self) -> impl Iterator<Item = &Name> {
        self.tables.iter()
    }

    /// Call `visit` with each row as a record holding the kept fields (a field the row
    /// lacked is NaN), instance by instance, in the order the rows were read. One record is
    /// reused for every row of an instance: copy what outlives the call.
    pub fn for_each_record(&self, visit: &mut dyn FnMut(&Record)) {
        for group in &self.groups {
            let mut record = Record {
                table: group.table.clone(),
                time: 0.0,
                labels: group.labels.clone(),
                fields: group
                    .fields
                    .iter()
                    .map(|(name, _)| (name.clone(), f64::NAN))
                    .collect::<Fields>(),
                source: SourceRef {
                    file: group.file.clone(),
                    line: 0,
                },
            };
            for (row, (&time, &line)) in group.times.iter().zip(&group.lines).enumerate() {
                record.time = time;
                record.source.line = line as usize;
                for (name, values) in &group.fields {
                    if let Some(value) = record.fields.get_mut(name) {
                        *value = values[row];
                    }
                }
                visit(&record);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(time: f64, cpu: &str, busy: f64, line: usize) -> Record {
        Record::from_pairs(
            "mpstat",
            time,
            &[("cpu", cpu)],
            &[("busy", busy), ("usr", busy / 2.0)],
            "mpstat.txt",
            line,
        )
    }

    #[test]
    fn rows_come_back_as_records_with_the_kept_fields_only() {
        let keep = |table: &str, field: &str| table == "mpstat" && field == "busy";
        let mut keep = PairMemo::new(&keep);
        let mut first = Columns::default();
        first.push(&row(1.0, "all", 50.0, 3), &mut keep);
        first.push(&row(1.0, "0", 80.0, 4), &mut keep);
        let mut second = Columns::default();
        second.push(&row(2.0, "all", 60.0, 7), &mut keep);
        first.append(second);
        let mut seen = Vec::new();
        first.for_each_record(&mut |record| {
            seen.push(Record::from_pairs(
                &record.table,
                record.time,
                &[("cpu", &record.labels["cpu"])],
                &[("busy", record.fields["busy"])],
                &record.source.file,
                record.source.line,
            ));
        });
        assert_eq!(
            seen,
            [
                Record::from_pairs(
                    "mpstat",
                    1.0,
                    &[("cpu", "all")],
                    &[("busy", 50.0)],
                    "mpstat.txt",
                    3
                ),
                Record::from_pairs(
                    "mpstat",
                    2.0,
                    &[("cpu", "all")],
                    &[("busy", 60.0)],
                    "mpstat.txt",
                    7
                ),
                Record::from_pairs(
                    "mpstat",
                    1.0,
                    &[("cpu", "0")],
                    &[("busy", 80.0)],
                    "mpstat.txt",
                    4
                ),
            ]
        );
        assert_eq!(first.rows(), 3);
        assert_eq!(first.tables().collect::<Vec<_>>(), ["mpstat"]);
    }

    #[test]
    fn a_row_without_kept_fields_only_marks_its_table() {
        let mut columns = Columns::default();
        columns.push(&row(1.0, "all", 50.0, 3), &mut PairMemo::new(&|_, _| false));
        let mut count = 0;
        columns.for_each_record(&mut |_| count += 1);
        assert_eq!((count, columns.rows()), (0, 1));
        assert_eq!(columns.tables().count(), 1);
    }
}

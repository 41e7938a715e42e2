//! The cheap names records are keyed by, and the small sorted maps that hold them.
//!
//! A parser reads millions of rows that repeat a handful of names (`mpstat`, `cpu`, `usr`).
//! A [`Name`] is made once per header column and shared by every row under it, so a record
//! costs no string allocation per key; a [`NameMap`] is one exact-size allocation per record,
//! where a `BTreeMap` allocates a node of eleven slots. Together they made parsing
//! `mpstat -I CPU` (a record per cell) several times faster. Both serialize as a string and
//! a JSON object, exactly as `String` and `BTreeMap<String, _>` did.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::{Deref, Index};

use arcstr::ArcStr;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smallvec::SmallVec;

/// An immutable, shared string: cloning it counts a reference instead of copying the text.
/// Reads like a `&str` (`Deref`, `as_str`, `==` against `&str` and `String`); build one with
/// `.into()`. One pointer wide (the length lives with the text), so a label pair is 16 bytes
/// and a record of `mpstat -I CPU` fits its maps inline.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(ArcStr);

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the text lives: the same for every clone of one name.
    fn address(&self) -> usize {
        self.0.as_ptr() as usize
    }

    /// Whether `other` is a clone of this very name (not merely the same text): a test of one
    /// comparison, for code that meets the same few names millions of times.
    pub fn same(&self, other: &Name) -> bool {
        self.address() == other.address()
    }
}

/// A decision about a pair of names (`keep(table, field)`), made once per pair of shared
/// names: rows of one header share their names, so a table of millions of rows asks a
/// handful of times, where comparing the strings for every field of every row cost more than
/// the parsing. The memo holds a clone of each name it saw, so no other text can come to
/// live at its address while it is remembered.
pub struct PairMemo<'f> {
    decide: &'f dyn Fn(&str, &str) -> bool,
    /// A few dozen pairs at most, scanned.
    seen: Vec<Remembered>,
}

/// (the names' addresses, the names kept alive, the decision).
type Remembered = ((usize, usize), (Name, Name), bool);

impl<'f> PairMemo<'f> {
    pub fn new(decide: &'f dyn Fn(&str, &str) -> bool) -> PairMemo<'f> {
        PairMemo {
            decide,
            seen: Vec::new(),
        }
    }

    /// `decide(first, second)`, remembered for these two names. Names made anew for each
    /// row (same text, another address) are found by their text and take the entry's place,
    /// so the memo holds one entry per pair of texts.
    pub fn get(&mut self, first: &Name, second: &Name) -> bool {
        let key = (first.address(), second.address());
        if let Some((_, _, decided)) = self.seen.iter().find(|(seen, _, _)| *seen == key) {
            return *decided;
        }
        if let Some(entry) = self
            .seen
            .iter_mut()
            .find(|(_, (a, b), _)| a == first && b == second)
        {
            *entry = (key, (first.clone(), second.clone()), entry.2);
            return entry.2;
        }
        let decided = (self.decide)(first, second);
        self.seen
            .push((key, (first.clone(), second.clone()), decided));
        decided
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Self {
        Name(text.into())
    }
}

impl From<String> for Name {
    fn from(text: String) -> Self {
        Name(text.as_str().into())
    }
}

impl From<&String> for Name {
    fn from(text: &String) -> Self {
        Name(text.as_str().into())
    }
}

impl From<Name> for String {
    fn from(name: Name) -> Self {
        name.as_str().to_owned()
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == other.as_str()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Cow::<str>::deserialize(deserializer).map(|text| Name(text.as_ref().into()))
    }
}

impl schemars::JsonSchema for Name {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        String::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        String::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(generator)
    }
}

/// A map from [`Name`] to `V`, sorted by name: the API of a `BTreeMap` that records use
/// (`get("usr")`, `insert("busy".into(), v)`, `["cpu"]`, iteration in key order), held in
/// one vector sized to its entries.
///
/// Up to `N` entries live inside the map itself, so a record whose map is that small costs
/// no allocation for it: `mpstat -I CPU` makes a record per cell with two labels and one
/// field, and allocating those was half the cost of parsing it.
#[derive(Clone, PartialEq, Default)]
pub struct NameMap<V, const N: usize = 1> {
    entries: SmallVec<[(Name, V); N]>,
}

impl<V, const N: usize> NameMap<V, N> {
    pub fn new() -> Self {
        NameMap {
            entries: SmallVec::new(),
        }
    }

    pub fn with_capacity(capacity: usize) -> Self {
        NameMap {
            entries: SmallVec::with_capacity(capacity),
        }
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(name, _)| name.as_str().cmp(key))
    }

    /// Where `key` is, if present. Most maps hold a few entries, where comparing for
    /// equality (lengths first) beats ordering each probe.
    fn position(&self, key: &str) -> Option<usize> {
        if self.entries.len() <= 8 {
            self.entries
                .iter()
                .position(|(name, _)| name.as_str() == key)
        } else {
            self.find(key).ok()
        }
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.position(key).map(|index| &self.entries[index].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.position(key).map(|index| &mut self.entries[index].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Insert or replace; the old value, if there was one.
    pub fn insert(&mut self, key: Name, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(index) => Some(std::mem::replace(&mut self.entries[index].1, value)),
            Err(index) => {
                self.entries.insert(index, (key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        self.position(key).map(|index| self.entries.remove(index).1)
    }

    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Name, &mut V) -> bool) {
        self.entries.retain_mut(|(name, value)| keep(name, value));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Name, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(name, value)| (name, value))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Name> + ExactSizeIterator {
        self.entries.iter().map(|(name, _)| name)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, value)| value)
    }

    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> + ExactSizeIterator {
        self.entries.into_iter().map(|(_, value)| value)
    }

    /// Build from entries already sorted by name, without duplicates (a parser's compiled
    /// header); checked in debug builds.
    pub(crate) fn from_sorted(entries: impl Into<SmallVec<[(Name, V); N]>>) -> Self {
        let entries = entries.into();
        debug_assert!(entries.windows(2).all(|pair| pair[0].0 < pair[1].0));
        NameMap { entries }
    }
}

impl<V: fmt::Debug, const N: usize> fmt::Debug for NameMap<V, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V, const N: usize> Index<&str> for NameMap<V, N> {
    type Output = V;
    fn index(&self, key: &str) -> &V {
        self.get(key)
            .unwrap_or_else(|| panic!("no entry {key:?} in the map"))
    }
}

impl<V, const N: usize> Extend<(Name, V)> for NameMap<V, N> {
    fn extend<I: IntoIterator<Item = (Name, V)>>(&mut self, items: I) {
        for (name, value) in items {
            self.insert(name, value);
        }
    }
}

impl<V, const N: usize> FromIterator<(Name, V)> for NameMap<V, N> {
    fn from_iter<I: IntoIterator<Item = (Name, V)>>(items: I) -> Self {
        let mut entries: SmallVec<[(Name, V); N]> = items.into_iter().collect();
        // Keep the last of equal keys, as repeated inserts would: a stable sort keeps them in
        // order, reversed `dedup_by` keeps the first it sees of each run.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.reverse();
        entries.dedup_by(|later, earlier| later.0 == earlier.0);
        entries.reverse();
        NameMap { entries }
    }
}

impl<V, const N: usize, const M: usize> From<[(Name, V); M]> for NameMap<V, N> {
    fn from(entries: [(Name, V); M]) -> Self {
        entries.into_iter().collect()
    }
}

/// For parsers that gather a row in a `BTreeMap` first: its entries are already in order.
impl<V, const N: usize> From<std::collections::BTreeMap<String, V>> for NameMap<V, N> {
    fn from(map: std::collections::BTreeMap<String, V>) -> Self {
        NameMap::from_sorted(
            map.into_iter()
                .map(|(name, value)| (name.into(), value))
                .collect::<SmallVec<_>>(),
        )
    }
}

impl<V, const N: usize> IntoIterator for NameMap<V, N> {
    type Item = (Name, V);
    type IntoIter = smallvec::IntoIter<[(Name, V); N]>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, V, const N: usize> IntoIterator for &'a NameMap<V, N> {
    type Item = (&'a Name, &'a V);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, (Name, V)>, fn(&'a (Name, V)) -> Self::Item>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(name, value)| (name, value))
    }
}

impl<V: Eq, const N: usize> Eq for NameMap<V, N> {}

impl<V: PartialOrd, const N: usize> PartialOrd for NameMap<V, N> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.entries.partial_cmp(&other.entries)
    }
}

impl<V: Ord, const N: usize> Ord for NameMap<V, N> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.entries.cmp(&other.entries)
    }
}

impl<V: std::hash::Hash, const N: usize> std::hash::Hash for NameMap<V, N> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.entries.hash(state);
    }
}

impl<V: Serialize, const N: usize> Serialize for NameMap<V, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, V: Deserialize<'de>, const N: usize> Deserialize<'de> for NameMap<V, N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = std::collections::BTreeMap::<Name, V>::deserialize(deserializer)?;
        Ok(NameMap::from_sorted(
            map.into_iter().collect::<SmallVec<_>>(),
        ))
    }
}

impl<V: schemars::JsonSchema, const N: usize> schemars::JsonSchema for NameMap<V, N> {
    fn inline_schema() -> bool {
        <std::collections::BTreeMap<String, V>>::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        <std::collections::BTreeMap<String, V>>::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        <std::collections::BTreeMap<String, V>>::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <std::collections::BTreeMap<String, V>>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_map_reads_like_a_btree_map_and_serializes_like_one() {
        let mut map: NameMap<f64> = [("usr".into(), 1.0), ("idle".into(), 2.0)].into();
        assert_eq!(map.insert("busy".into(), 3.0), None);
        assert_eq!(map.insert("usr".into(), 4.0), Some(1.0));
        assert_eq!(map["usr"], 4.0);
        assert_eq!(map.get("nice"), None);
        let keys: Vec<&str> = map.keys().map(Name::as_str).collect();
        assert_eq!(keys, ["busy", "idle", "usr"]);
        let json = serde_json::to_string(&map).unwrap();
        let btree: std::collections::BTreeMap<String, f64> = [
            ("usr".into(), 4.0),
            ("idle".into(), 2.0),
            ("busy".into(), 3.0),
        ]
        .into();
        assert_eq!(json, serde_json::to_string(&btree).unwrap());
        assert_eq!(serde_json::from_str::<NameMap<f64>>(&json).unwrap(), map);
        let repeated: NameMap<f64> = [("a".into(), 1.0), ("a".into(), 2.0)].into();
        assert_eq!(repeated.len(), 1);
        assert_eq!(repeated["a"], 2.0);
    }

    #[test]
    fn a_name_compares_with_strings() {
        let name: Name = "cpu".into();
        assert_eq!(name, "cpu");
        assert_eq!(name, String::from("cpu"));
        assert_eq!(name.to_string(), "cpu");
        assert_eq!(format!("{name:?}"), "\"cpu\"");
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"cpu\"");
    }
}

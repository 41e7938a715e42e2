//! What changed between two profiles: the hotspot-shift table (each function's share before
//! and after, sorted by how much it moved) and, for each, Amdahl's ceiling: how much faster
//! the whole program would be if that function's own time went to zero.

use std::collections::HashMap;

use serde::Serialize;

use super::{Folded, frames::FrameKind, frames::classify};

/// One function's share before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shift {
    pub function: String,
    pub process: String,
    /// Its self samples as a share of its process's samples (perf's overhead and idle left
    /// out), before and after, in %.
    pub before_percent: f64,
    pub after_percent: f64,
    /// `after_percent - before_percent`, in percentage points.
    pub change: f64,
    /// The whole program's speed-up if the function's own time went to zero, after:
    /// `1 / (1 - share)`; `None` when it held every sample (no ceiling).
    pub ceiling_after: Option<f64>,
    /// The same, before.
    pub ceiling_before: Option<f64>,
    pub kind: FrameKind,
}

/// Amdahl's law with the function's part gone: `1 / (1 - share)`, share in 0..=1.
pub fn amdahl_ceiling(share: f64) -> Option<f64> {
    (share < 1.0).then(|| 1.0 / (1.0 - share.max(0.0)))
}

/// Self-sample shares per (process, function), of each process's workload samples.
fn shares(folded: &Folded) -> HashMap<(String, String), f64> {
    let mut per_process: HashMap<&str, u64> = HashMap::new();
    let mut self_samples: HashMap<(&str, &str), u64> = HashMap::new();
    for (stack, samples) in &folded.lines {
        let mut frames = stack.split(';');
        let Some(process) = frames.next() else {
            continue;
        };
        let Some(leaf) = frames.next_back() else {
            continue;
        };
        if !classify(process, leaf).is_workload() {
            continue;
        }
        *per_process.entry(process).or_default() += samples;
        *self_samples.entry((process, leaf)).or_default() += samples;
    }
    self_samples
        .into_iter()
        .map(|((process, function), samples)| {
            let total = per_process.get(process).copied().unwrap_or(1).max(1);
            (
                (process.to_owned(), function.to_owned()),
                samples as f64 / total as f64,
            )
        })
        .collect()
}

/// The `n` functions whose share moved most between `before` and `after`, largest move
/// first (ties: larger share after, then name). Shares are of each process's own samples,
/// so two recordings of different length or load compare as they are.
pub fn hotspot_shift(before: &Folded, after: &Folded, n: usize) -> Vec<Shift> {
    let before = shares(before);
    let after = shares(after);
    let mut keys: Vec<&(String, String)> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut table: Vec<Shift> = keys
        .into_iter()
        .map(|key| {
            let was = before.get(key).copied().unwrap_or(0.0);
            let is = after.get(key).copied().unwrap_or(0.0);
            Shift {
                function: key.1.clone(),
                process: key.0.clone(),
                before_percent: was * 100.0,
                after_percent: is * 100.0,
                change: (is - was) * 100.0,
                ceiling_after: amdahl_ceiling(is),
                ceiling_before: amdahl_ceiling(was),
                kind: classify(&key.0, &key.1),
            }
        })
        .collect();
    // Moves equal to a millionth of a point are equal: two functions trading places move
    // by the same amount, up to rounding.
    let moved = |shift: &Shift| (shift.change.abs() * 1e6).round();
    table.sort_by(|a, b| {
        moved(b)
            .total_cmp(&moved(a))
            .then(b.after_percent.total_cmp(&a.after_percent))
            .then_with(|| a.function.cmp(&b.function))
    });
    table.truncate(n);
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_function_made_slower_moves_most_and_its_ceiling_is_its_share() {
        let before = Folded::from_text("app;main;parse 50\napp;main;hash 50\n").unwrap();
        // hash made 2x slower: 100 of 150 samples; perf's own samples are left out.
        let after = Folded::from_text(
            "app;main;parse 50\napp;main;hash 100\napp;main;perf_swevent_hrtimer 30\n",
        )
        .unwrap();
        let table = hotspot_shift(&before, &after, 10);
        assert_eq!(table.len(), 2);
        let hash = &table[0];
        assert_eq!(hash.function, "hash");
        assert!((hash.before_percent - 50.0).abs() < 1e-9);
        assert!((hash.after_percent - 100.0 * 2.0 / 3.0).abs() < 1e-9);
        assert!(hash.change > 16.0);
        assert!((hash.ceiling_after.unwrap() - 3.0).abs() < 1e-9);
        assert!((hash.ceiling_before.unwrap() - 2.0).abs() < 1e-9);
        assert!(table[1].change < 0.0);
    }

    #[test]
    fn a_function_that_is_everything_has_no_ceiling() {
        assert_eq!(amdahl_ceiling(1.0), None);
        assert_eq!(amdahl_ceiling(0.0), Some(1.0));
        assert_eq!(amdahl_ceiling(0.5), Some(2.0));
        let only = Folded::from_text("app;work 10\n").unwrap();
        let table = hotspot_shift(&Folded::default(), &only, 5);
        assert_eq!(table[0].ceiling_after, None);
        assert_eq!(table[0].before_percent, 0.0);
    }
}

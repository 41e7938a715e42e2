//! The hotspot table: which functions the samples were in, and under which functions.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::{
    Folded,
    frames::{FrameKind, classify},
};

/// One function of one process, with its share of the profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HotFunction {
    pub function: String,
    /// The comm the stacks are rooted at, spaces written `_` as in the folded stacks.
    pub process: String,
    /// Samples taken in the function itself (it was the leaf).
    pub self_samples: u64,
    pub self_percent: f64,
    /// Samples taken in the function or anything it called.
    pub total_samples: u64,
    pub total_percent: f64,
    /// Whether it is the workload's code, perf's overhead, idle, JIT or unsymbolized.
    pub kind: FrameKind,
}

/// The `n` functions with most self samples, most first.
///
/// A function is counted per process (the root frame of its stacks), so `memcpy` in
/// nginx and in postgres are two rows. Its total counts each stack once even when the
/// function recurses, so totals never exceed 100%. Percentages are of all samples of the
/// profile. Ties are broken by total samples, then by name, so the table is stable.
pub fn top_functions(folded: &Folded, n: usize) -> Vec<HotFunction> {
    #[derive(Default)]
    struct Counts {
        self_samples: u64,
        total_samples: u64,
    }

    let mut counts: HashMap<(&str, &str), Counts> = HashMap::new();
    let mut seen_in_stack: HashSet<&str> = HashSet::new();
    for (stack, samples) in &folded.lines {
        let mut frames = stack.split(';');
        let Some(process) = frames.next() else {
            continue;
        };
        seen_in_stack.clear();
        let mut leaf = None;
        for function in frames {
            if seen_in_stack.insert(function) {
                let entry = counts.entry((process, function)).or_default();
                entry.total_samples = entry.total_samples.saturating_add(*samples);
            }
            leaf = Some(function);
        }
        if let Some(leaf) = leaf {
            let entry = counts.entry((process, leaf)).or_default();
            entry.self_samples = entry.self_samples.saturating_add(*samples);
        }
    }

    let percent = |samples: u64| {
        if folded.total_samples == 0 {
            0.0
        } else {
            samples as f64 * 100.0 / folded.total_samples as f64
        }
    };
    let mut table: Vec<HotFunction> = counts
        .into_iter()
        .map(|((process, function), counts)| HotFunction {
            function: function.to_owned(),
            process: process.to_owned(),
            self_samples: counts.self_samples,
            self_percent: percent(counts.self_samples),
            total_samples: counts.total_samples,
            total_percent: percent(counts.total_samples),
            kind: classify(process, function),
        })
        .collect();
    table.sort_by(|a, b| {
        b.self_samples
            .cmp(&a.self_samples)
            .then(b.total_samples.cmp(&a.total_samples))
            .then_with(|| a.function.cmp(&b.function))
            .then_with(|| a.process.cmp(&b.process))
    });
    table.truncate(n);
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(lines: &[(&str, u64)]) -> Folded {
        Folded {
            lines: lines.iter().map(|(s, c)| (s.to_string(), *c)).collect(),
            total_samples: lines.iter().map(|(_, c)| c).sum(),
            tasks: Vec::new(),
        }
    }

    #[test]
    fn self_and_total_are_counted_per_process() {
        let profile = folded(&[
            ("app;main;work;memcpy", 6),
            ("app;main;work", 2),
            ("db;main;memcpy", 2),
        ]);
        let top = top_functions(&profile, 10);
        let row = |function: &str, process: &str| {
            top.iter()
                .find(|h| h.function == function && h.process == process)
                .unwrap()
        };
        assert_eq!(top[0].function, "memcpy");
        assert_eq!(top[0].process, "app");
        assert_eq!(top[0].self_samples, 6);
        assert_eq!(top[0].self_percent, 60.0);
        assert_eq!(row("work", "app").self_samples, 2);
        assert_eq!(row("work", "app").total_samples, 8);
        assert_eq!(row("main", "app").self_samples, 0);
        assert_eq!(row("main", "app").total_percent, 80.0);
        assert_eq!(row("memcpy", "db").total_samples, 2);
        assert_eq!(top.len(), 5);
        assert_eq!(top_functions(&profile, 2).len(), 2);
    }

    #[test]
    fn recursion_counts_once_in_the_total() {
        let profile = folded(&[("app;fib;fib;fib", 4), ("app;main", 1)]);
        let fib = &top_functions(&profile, 1)[0];
        assert_eq!(fib.function, "fib");
        assert_eq!(fib.self_samples, 4);
        assert_eq!(fib.total_samples, 4);
        assert_eq!(fib.total_percent, 80.0);
    }

    #[test]
    fn an_empty_profile_has_no_hot_functions() {
        assert!(top_functions(&Folded::default(), 10).is_empty());
        assert!(top_functions(&folded(&[("only_comm", 3)]), 10).is_empty());
    }
}

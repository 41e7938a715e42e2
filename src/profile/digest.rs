//! What one profile says at first sight: which processes the samples were in, the hottest
//! functions, how much was perf's own overhead or idle, and which binaries lack symbols.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{
    Folded, HotFunction,
    frames::{FrameKind, classify, symbol_hint, unsymbolized_binary},
    top_functions,
};

/// One process's share of the samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessShare {
    pub process: String,
    pub samples: u64,
    pub percent: f64,
    /// The kind of the process's samples: `code` for a workload, `overhead` (perf), `idle`.
    pub kind: FrameKind,
}

/// One thread's samples (from a perf script: a folded file has no threads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ThreadShare {
    /// The thread's name, as perf printed it (spaces as `_`): its stacks' root.
    pub comm: String,
    /// Its process, when perf printed it (`pid/tid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    pub tid: u32,
    pub samples: u64,
    pub percent: f64,
    pub kind: FrameKind,
}

/// How many threads a digest lists, busiest first.
pub const THREADS_LISTED: usize = 10;

/// A binary some of whose frames perf could not name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingSymbols {
    /// The binary's file name, or `[unknown]` when perf could not tell the binary.
    pub binary: String,
    /// Samples with at least one unnamed frame of it in their stack.
    pub samples: u64,
    pub percent: f64,
    /// Samples taken in an unnamed frame of it (it was the leaf).
    pub leaf_samples: u64,
    pub hint: String,
}

/// The digest of a profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Digest {
    pub total_samples: u64,
    /// Every process, most samples first.
    pub processes: Vec<ProcessShare>,
    /// The busiest threads (at most [`THREADS_LISTED`]), most samples first, and how many
    /// threads had samples in all.
    pub threads: Vec<ThreadShare>,
    pub thread_count: usize,
    /// The functions with most self samples, each marked with its kind.
    pub top: Vec<HotFunction>,
    /// The first of `top` that is the workload's (not perf's overhead, not idle).
    pub hottest: Option<HotFunction>,
    /// Samples taken in perf's own code (its sampling path, or the perf process).
    pub overhead_samples: u64,
    pub overhead_percent: f64,
    /// Samples taken while a CPU was idle (system-wide profiles).
    pub idle_samples: u64,
    pub idle_percent: f64,
    /// Samples with a frame named from a perf map (JIT code).
    pub jit_samples: u64,
    pub missing_symbols: Vec<MissingSymbols>,
}

/// The digest of `folded`, with its `top` hottest functions.
pub fn digest(folded: &Folded, top: usize) -> Digest {
    let total = folded.total_samples;
    let percent = |samples: u64| {
        if total == 0 {
            0.0
        } else {
            samples as f64 * 100.0 / total as f64
        }
    };
    let mut processes: BTreeMap<&str, u64> = BTreeMap::new();
    let mut overhead = 0_u64;
    let mut idle = 0_u64;
    let mut jit = 0_u64;
    // binary → (samples with it in the stack, samples with it as the leaf)
    let mut missing: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut binaries_in_stack: HashSet<&str> = HashSet::new();
    for (stack, samples) in &folded.lines {
        let mut frames = stack.split(';');
        let Some(process) = frames.next() else {
            continue;
        };
        *processes.entry(process).or_default() += samples;
        binaries_in_stack.clear();
        let mut leaf = None;
        let mut has_jit = false;
        for function in frames {
            if let Some(binary) = unsymbolized_binary(function) {
                binaries_in_stack.insert(binary);
            }
            has_jit |= function.ends_with("_[j]");
            leaf = Some(function);
        }
        let leaf_kind = classify(process, leaf.unwrap_or(""));
        match leaf_kind {
            FrameKind::Overhead => overhead += samples,
            FrameKind::Idle => idle += samples,
            _ => {}
        }
        if has_jit {
            jit += samples;
        }
        for binary in &binaries_in_stack {
            missing.entry(binary).or_default().0 += samples;
        }
        if let Some(binary) = leaf.and_then(unsymbolized_binary) {
            missing.entry(binary).or_default().1 += samples;
        }
    }
    let mut processes: Vec<ProcessShare> = processes
        .into_iter()
        .map(|(process, samples)| ProcessShare {
            process: process.to_owned(),
            samples,
            percent: percent(samples),
            kind: match classify(process, "") {
                FrameKind::Overhead => FrameKind::Overhead,
                FrameKind::Idle => FrameKind::Idle,
                _ => FrameKind::Code,
            },
        })
        .collect();
    processes.sort_by(|a, b| b.samples.cmp(&a.samples).then(a.process.cmp(&b.process)));
    let mut missing_symbols: Vec<MissingSymbols> = missing
        .into_iter()
        .map(|(binary, (samples, leaf_samples))| MissingSymbols {
            binary: binary.to_owned(),
            samples,
            percent: percent(samples),
            leaf_samples,
            hint: symbol_hint(binary),
        })
        .collect();
    missing_symbols.sort_by(|a, b| b.samples.cmp(&a.samples).then(a.binary.cmp(&b.binary)));
    let threads = folded
        .tasks
        .iter()
        .take(THREADS_LISTED)
        .map(|task| ThreadShare {
            comm: task.comm.clone(),
            pid: task.pid,
            tid: task.tid,
            samples: task.samples,
            percent: percent(task.samples),
            kind: match classify(&task.comm, "") {
                FrameKind::Overhead => FrameKind::Overhead,
                FrameKind::Idle => FrameKind::Idle,
                _ => FrameKind::Code,
            },
        })
        .collect();
    let top = top_functions(folded, top);
    let hottest = top
        .iter()
        .find(|function| function.kind.is_workload())
        .cloned();
    Digest {
        total_samples: total,
        processes,
        threads,
        thread_count: folded.tasks.len(),
        top,
        hottest,
        overhead_samples: overhead,
        overhead_percent: percent(overhead),
        idle_samples: idle,
        idle_percent: percent(idle),
        jit_samples: jit,
        missing_symbols,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perf_overhead_and_idle_are_counted_and_never_the_hot_spot() {
        let folded = Folded::from_text(
            "app;main;work 30\n\
             app;main;asm_sysvec_apic_timer_interrupt;perf_swevent_hrtimer 50\n\
             swapper;do_idle;pv_native_safe_halt 15\n\
             perf;main;write 5\n",
        )
        .unwrap();
        let digest = digest(&folded, 10);
        assert_eq!(digest.top[0].function, "perf_swevent_hrtimer");
        assert_eq!(digest.top[0].kind, FrameKind::Overhead);
        let hottest = digest.hottest.unwrap();
        assert_eq!(
            (hottest.function.as_str(), hottest.kind),
            ("work", FrameKind::Code)
        );
        assert_eq!(digest.overhead_samples, 55);
        assert_eq!(digest.idle_samples, 15);
        assert_eq!(digest.processes[0].process, "app");
        assert_eq!(digest.processes[0].samples, 80);
        assert_eq!(digest.processes[1].kind, FrameKind::Idle);
    }

    #[test]
    fn unnamed_frames_are_counted_per_binary() {
        let folded = Folded::from_text(
            "stress-ng;[stress-ng];[stress-ng] 60\n\
             stress-ng;[stress-ng];__sin_fma 30\n\
             node;[unknown];LazyCompile:*hot_[j] 10\n",
        )
        .unwrap();
        let digest = digest(&folded, 10);
        let stress = &digest.missing_symbols[0];
        assert_eq!(stress.binary, "stress-ng");
        assert_eq!((stress.samples, stress.leaf_samples), (90, 60));
        assert_eq!(stress.percent, 90.0);
        let unknown = &digest.missing_symbols[1];
        assert_eq!(unknown.binary, "[unknown]");
        assert_eq!((unknown.samples, unknown.leaf_samples), (10, 0));
        assert_eq!(digest.jit_samples, 10);
        assert_eq!(digest.hottest.unwrap().function, "[stress-ng]");
    }
}

//! perf script → folded stacks (inferno), flamegraphs and hotspot tables.
//!
//! The pipeline is `perf script` text → [`fold_perf_script`] → [`Folded`] → either
//! [`flamegraph_svg`] or [`top_functions`]. A [`Folded`] is also what an investigation keeps
//! on disk (`raw_data/profile/perf.folded`, written with [`Folded::to_text`] and read back
//! with [`Folded::from_text`]), so a profile can be judged again without perf.
//!
//! [`digest`] says what a reader needs first: the processes, the hottest function of the
//! workload (perf's own sampling frames and the idle task are counted apart, see
//! `frames.rs`), and which binaries lack symbols; [`hotspot_shift`] and
//! [`differential_svg`] compare two profiles.
//!
//! Counts are samples: every sample counts once, whatever period perf printed (see
//! [`fold_perf_script`]).
//!
//! What was found to work with perf 6.1 on a VM without hardware counters:
//!
//! ```text
//! perf record -e cpu-clock -F 99 --call-graph dwarf -a -o perf.data -- sleep 10
//! perf script -i perf.data --no-inline -F comm,pid,tid,cpu,time,event,ip,sym,dso
//! ```
//!
//! `--call-graph dwarf` because Debian builds without frame pointers (`-g` stacks stop after
//! a frame or two); `--no-inline` because perf 6.1 without libbfd resolves inline frames
//! with addr2line, which took 7 minutes instead of 2 seconds on a profile that had
//! touched rustc's libLLVM; `time` must stay in `-F`, the event name is found after it.

mod collapse;
mod depth;
mod diff;
mod digest;
mod flamegraph;
mod fold;
mod frames;
mod header;
mod hot;
mod kind;
mod offcpu;

pub use depth::{CUT_FRAME, DepthCap, cap_depth};
pub use diff::{Shift, amdahl_ceiling, hotspot_shift};
pub use digest::{Digest, MissingSymbols, ProcessShare, ThreadShare, digest};
pub use flamegraph::{differential_svg, flamegraph_svg};
pub use fold::{Folded, fold_perf_script, fold_perf_script_from, script_event};
pub use frames::{FrameKind, classify, symbol_hint, unsymbolized_binary};
pub use header::{Caption, ScriptHeader, thousands};
pub use hot::{HotFunction, top_functions};
pub use kind::ProfileKind;
pub use offcpu::{OffCpu, WaitShare, fold_switches, wait_kind};

/// Why a profile could not be built or drawn.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The first event line of the input is not one perf script writes, so the input is
    /// something else (a perf.data binary, a `perf report`, a log) rather than a profile.
    #[error(
        "line {line}: not perf script output: expected an event line like \
         `comm pid [cpu] time: [period] event:`, found {found:?}"
    )]
    NotPerfScript { line: usize, found: String },
    /// A line of a folded file is not `frame;frame;... count`.
    #[error("line {line}: not a folded stack (`frame;frame;... count`): {found:?}")]
    NotFolded { line: usize, found: String },
    /// A flamegraph of nothing would be an SVG that says only "no samples"; the caller
    /// reports the empty profile instead.
    #[error("the profile has no samples to draw")]
    NoSamples,
    /// inferno failed while reading or writing (it works in memory, so this is unexpected).
    #[error("inferno: {0}")]
    Inferno(#[from] std::io::Error),
}

//! What a frame of a folded stack is: the workload's own code, JIT code named by a perf map,
//! code perf could not name, perf's own sampling machinery, or the idle loop.
//!
//! A reader of a top-functions table wants the workload's hot spot. On a VM without
//! hardware counters perf samples with the cpu-clock software event, whose hrtimer path
//! (`perf_swevent_hrtimer`, `__perf_event_overflow`, ...) can end up in the stacks, and a
//! system-wide profile also samples perf itself and the idle task; those are counted and
//! said, never presented as the hot spot.

use serde::{Deserialize, Serialize};

/// What kind of code a frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FrameKind {
    /// A named function of the workload (user or kernel).
    Code,
    /// A function named by a perf map (`/tmp/perf-PID.map`): JIT-compiled code (Java, Node,
    /// .NET); inferno marks it `_[j]`.
    Jit,
    /// Code perf could not name: `[binary]` (a binary without symbols) or `[unknown]`.
    Unsymbolized,
    /// perf's own sampling code, or the perf process itself: the cost of measuring.
    Overhead,
    /// The idle task (`swapper`) or the idle loop: a CPU with nothing to run.
    Idle,
}

impl FrameKind {
    /// Whether the frame is the workload's (named or not) rather than measurement or idle.
    pub fn is_workload(self) -> bool {
        matches!(
            self,
            FrameKind::Code | FrameKind::Jit | FrameKind::Unsymbolized
        )
    }
}

/// Kernel functions of perf's sampling path. A cpu-clock sample is taken from an hrtimer
/// interrupt; where the unwinder does not skip that path, these are the leaf frames.
const OVERHEAD_PREFIXES: &[&str] = &[
    "perf_swevent_",
    "__perf_event_overflow",
    "perf_event_overflow",
    "perf_prepare_sample",
    "perf_output_",
    "__perf_output_",
    "perf_event_output",
    "perf_callchain",
    "perf_pending_",
    "perf_event_nmi_handler",
];

/// The idle loop's leaf functions (x86 guests halt in `pv_native_safe_halt`).
const IDLE_FUNCTIONS: &[&str] = &[
    "default_idle",
    "pv_native_safe_halt",
    "native_safe_halt",
    "cpu_idle_poll",
    "poll_idle",
    "intel_idle",
    "acpi_idle_do_entry",
    "mwait_idle_with_hints",
    "cpuidle_enter_state",
];

/// The processes whose samples are not the workload's: perf itself, the idle task.
fn process_kind(process: &str) -> Option<FrameKind> {
    match process {
        "perf" | "perf-exec" => Some(FrameKind::Overhead),
        "swapper" => Some(FrameKind::Idle),
        _ => None,
    }
}

/// What `function`, a frame of a stack rooted at `process`, is.
pub fn classify(process: &str, function: &str) -> FrameKind {
    if let Some(kind) = process_kind(process) {
        return kind;
    }
    if OVERHEAD_PREFIXES
        .iter()
        .any(|prefix| function.starts_with(prefix))
    {
        return FrameKind::Overhead;
    }
    if IDLE_FUNCTIONS.contains(&function) {
        return FrameKind::Idle;
    }
    if function.ends_with("_[j]") {
        return FrameKind::Jit;
    }
    if unsymbolized_binary(function).is_some() {
        return FrameKind::Unsymbolized;
    }
    FrameKind::Code
}

/// The binary of a frame perf could not name: `[stress-ng]` is in stress-ng, `[unknown]` in
/// no binary perf could tell (`"[unknown]"` is returned). `None` for a named frame.
pub fn unsymbolized_binary(function: &str) -> Option<&str> {
    let inner = function.strip_prefix('[')?.strip_suffix(']')?;
    (!inner.is_empty() && !inner.contains(['[', ']'])).then_some(if inner == "unknown" {
        "[unknown]"
    } else {
        inner
    })
}

/// Where to get the symbols of `binary` (as [`unsymbolized_binary`] names it).
pub fn symbol_hint(binary: &str) -> String {
    match binary {
        "[unknown]" => "perf could not tell which binary these frames are in: JIT code \
            without a perf map (Java: -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit or \
            perf-map-agent; Node: --perf-basic-prof; .NET: DOTNET_PerfMapEnabled=1), or stacks \
            that stop early in code built without frame pointers (record with --call-graph \
            dwarf, or rebuild with -fno-omit-frame-pointer)"
            .into(),
        "kernel.kallsyms" | "vmlinux" => "the kernel's symbols are hidden: profile as root, \
            or sysctl kernel.kptr_restrict=0"
            .into(),
        _ => format!(
            "install the debug symbols of the package that ships {binary} (Debian: `dpkg -S \
             {binary}` names it, then its -dbgsym package from the debian-debug archive; \
             Fedora: `dnf debuginfo-install`), or let perf fetch them from debuginfod \
             (DEBUGINFOD_URLS=https://debuginfod.debian.net), or rebuild it with symbols and \
             frame pointers (-g -fno-omit-frame-pointer; Rust: -C force-frame-pointers=yes)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_classified_by_name_and_process() {
        assert_eq!(classify("app", "work"), FrameKind::Code);
        assert_eq!(classify("app", "perf_swevent_hrtimer"), FrameKind::Overhead);
        assert_eq!(
            classify("app", "__perf_event_overflow"),
            FrameKind::Overhead
        );
        assert_eq!(classify("perf", "main"), FrameKind::Overhead);
        assert_eq!(classify("swapper", "do_idle"), FrameKind::Idle);
        assert_eq!(classify("app", "pv_native_safe_halt"), FrameKind::Idle);
        assert_eq!(classify("java", "Lfoo;::bar_[j]"), FrameKind::Jit);
        assert_eq!(classify("app", "[stress-ng]"), FrameKind::Unsymbolized);
        assert_eq!(classify("app", "[unknown]"), FrameKind::Unsymbolized);
        assert_eq!(classify("app", "perf_event_open_wrapper"), FrameKind::Code);
    }

    #[test]
    fn unsymbolized_frames_name_their_binary() {
        assert_eq!(unsymbolized_binary("[stress-ng]"), Some("stress-ng"));
        assert_eq!(unsymbolized_binary("[libc.so.6]"), Some("libc.so.6"));
        assert_eq!(unsymbolized_binary("[unknown]"), Some("[unknown]"));
        assert_eq!(unsymbolized_binary("main"), None);
        assert_eq!(unsymbolized_binary("[]"), None);
        assert_eq!(unsymbolized_binary("f_[k]"), None);
        assert!(symbol_hint("stress-ng").contains("dpkg -S stress-ng"));
        assert!(symbol_hint("stress-ng").contains("debuginfod"));
        assert!(symbol_hint("stress-ng").contains("frame-pointer"));
    }
}

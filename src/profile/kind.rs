//! What a profile's counts are, told from the perf event its samples came from: a perf.data
//! or script read later says itself whether it is on-CPU time, off-CPU time or page faults,
//! and its flamegraph is titled and weighted accordingly.

use serde::Serialize;

/// What a profile measures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileKind {
    /// Samples of time on a CPU (cpu-clock, task-clock, cycles and the other hardware events).
    #[default]
    OnCpu,
    /// Time blocked, from sched_switch: counts are microseconds off the CPU.
    OffCpu,
    /// Page faults, minor and major (the `page-faults`, `faults` or `minor-faults` event).
    PageFaults,
    /// Major faults only: pages read from disk (a file, or swap).
    MajorFaults,
    /// Another tracepoint: where it fired, counted per sample.
    Tracepoint,
}

impl ProfileKind {
    /// The kind of samples of the perf event `event` as perf script names it
    /// (`cpu-clock`, `page-faults`, `major-faults`, `sched:sched_switch`, `cycles:ppp`).
    pub fn of_event(event: &str) -> ProfileKind {
        let event = event.trim().trim_end_matches(':');
        if event.ends_with("sched_switch") {
            return ProfileKind::OffCpu;
        }
        if event.contains(':') && !is_modifier(event) {
            return ProfileKind::Tracepoint;
        }
        let name = event.split(':').next().unwrap_or(event);
        match name {
            "major-faults" | "maj-faults" => ProfileKind::MajorFaults,
            "page-faults" | "faults" | "minor-faults" | "min-faults" => ProfileKind::PageFaults,
            _ => ProfileKind::OnCpu,
        }
    }

    /// How titles and reports name it.
    pub fn label(self) -> &'static str {
        match self {
            ProfileKind::OnCpu => "On-CPU",
            ProfileKind::OffCpu => "Off-CPU",
            ProfileKind::PageFaults => "Page faults",
            ProfileKind::MajorFaults => "Major faults",
            ProfileKind::Tracepoint => "Tracepoint",
        }
    }

    /// What one count is, when it is not a sample.
    pub fn unit(self) -> &'static str {
        match self {
            ProfileKind::OffCpu => "µs off-CPU",
            _ => "",
        }
    }
}

/// `cycles:ppp`, `cpu-clock:u`: an event with modifiers, not a tracepoint's `system:name`.
fn is_modifier(event: &str) -> bool {
    event
        .rsplit_once(':')
        .is_some_and(|(_, modifiers)| modifiers.chars().all(|c| "ukhpPGHISDWe".contains(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_tell_what_a_profile_measures() {
        for (event, kind) in [
            ("cpu-clock", ProfileKind::OnCpu),
            ("cpu-clock:", ProfileKind::OnCpu),
            ("cycles:ppp", ProfileKind::OnCpu),
            ("cpu-clock:u", ProfileKind::OnCpu),
            ("page-faults", ProfileKind::PageFaults),
            ("major-faults", ProfileKind::MajorFaults),
            ("sched:sched_switch", ProfileKind::OffCpu),
            ("syscalls:sys_enter_read", ProfileKind::Tracepoint),
        ] {
            assert_eq!(ProfileKind::of_event(event), kind, "{event}");
        }
        assert_eq!(ProfileKind::OffCpu.unit(), "µs off-CPU");
    }
}

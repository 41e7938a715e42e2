//! From a checked playbook to a plan: phases in order, each with its time box and the steps
//! that run concurrently in it. No I/O: the plan is values only.

use std::time::Duration;

use serde::Serialize;

use crate::playbook::{Collector, Playbook, StepArgs, check::resolve_step};

/// What a run will do, in order.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub playbook: String,
    pub interval: Duration,
    pub phases: Vec<PlannedPhase>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedPhase {
    pub name: String,
    pub time_box: Duration,
    /// Condition on earlier findings; the phase is skipped when it does not hold.
    pub when: Option<String>,
    pub steps: Vec<PlannedStep>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    pub name: String,
    pub collector: Collector,
    pub args: StepArgs,
    /// Output file relative to raw_data/.
    pub output: String,
}

impl Plan {
    pub fn total_time(&self) -> Duration {
        self.phases.iter().map(|phase| phase.time_box).sum()
    }
}

impl Plan {
    /// Aim every step that takes a target (the perf steps) at one process (`run --pid`).
    pub fn target_pid(&mut self, pid: u32) {
        for step in self.phases.iter_mut().flat_map(|phase| &mut phase.steps) {
            if step.collector.aimed_by_pid() {
                step.args.target = Some(pid.to_string());
            }
        }
    }
}

/// Build the plan. `total` (from `--duration`) scales every time box so they add up to it.
/// The playbook must have passed `check`; unknown steps are left out here.
pub fn plan(playbook: &Playbook, total: Option<Duration>) -> Plan {
    let declared: Duration = playbook.phases.iter().map(|p| p.time_box.0).sum();
    let scale = match total {
        Some(total) if !declared.is_zero() => total.as_secs_f64() / declared.as_secs_f64(),
        _ => 1.0,
    };
    let interval = playbook.interval.0;
    let phases = playbook
        .phases
        .iter()
        .map(|phase| {
            let time_box =
                Duration::from_secs_f64(phase.time_box.0.as_secs_f64() * scale).max(interval * 2);
            let steps = phase
                .steps
                .iter()
                .filter_map(|name| {
                    let step = resolve_step(playbook, name)?;
                    Some(PlannedStep {
                        name: name.clone(),
                        collector: step.collector,
                        output: step
                            .output
                            .clone()
                            .unwrap_or_else(|| step.collector.default_output(name)),
                        args: step.args,
                    })
                })
                .collect();
            PlannedPhase {
                name: phase.name.clone(),
                time_box,
                when: phase.when.clone(),
                steps,
            }
        })
        .collect();
    Plan {
        playbook: playbook.name.clone(),
        interval,
        phases,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbook::load::load_str;

    const PLAYBOOK: &str = r#"
name = "t"
interval = "1s"
[[phase]]
name = "use"
time_box = "10s"
steps = ["mpstat", "custom"]
[[phase]]
name = "drill"
time_box = "20s"
steps = ["perf-record"]
[step.custom]
collector = "vmstat"
output = "memory/vm.txt"
"#;

    #[test]
    fn duration_scales_every_time_box() {
        let loaded = load_str("t.toml", PLAYBOOK).unwrap();
        let plan = plan(&loaded.playbook, Some(Duration::from_secs(60)));
        assert_eq!(plan.phases[0].time_box, Duration::from_secs(20));
        assert_eq!(plan.phases[1].time_box, Duration::from_secs(40));
        assert_eq!(plan.total_time(), Duration::from_secs(60));
    }

    #[test]
    fn steps_resolve_to_collectors_and_outputs() {
        let loaded = load_str("t.toml", PLAYBOOK).unwrap();
        let plan = plan(&loaded.playbook, None);
        let outputs: Vec<_> = plan.phases[0]
            .steps
            .iter()
            .map(|s| s.output.as_str())
            .collect();
        assert_eq!(outputs, ["cpu/mpstat.txt", "memory/vm.txt"]);
        assert_eq!(plan.phases[0].steps[1].collector.name(), "vmstat");
    }
}

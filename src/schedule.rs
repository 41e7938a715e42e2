//! From a checked playbook to a plan: phases in order, each with its time box and the steps
//! that run concurrently in it. No I/O: the plan is values only.
//!
//! `--duration D` is how long the first phase, the USE phase every shipped playbook opens
//! with, observes: like `mpstat 1 D`, D seconds of samples. Its time box is D and the
//! [`FINISH_GRACE`] an interval tool needs to print its summary and exit. Later phases keep the
//! time boxes their playbook gives them: a drill-down records for as long as its profile or
//! trace needs, whatever the length of the window that pointed at it, and a phase whose
//! condition does not hold is skipped and costs nothing. So a run takes at least the boxes of
//! the phases without a condition ([`Plan::shortest`]) and at most all of them
//! ([`Plan::longest`]); `run --dry-run` shows both and every box.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use crate::collect::tools::FINISH_GRACE;
use crate::playbook::{Collector, Playbook, StepArgs, check::resolve_step, outputs::step_outputs};

/// What a run will do, in order. Printed by `run --dry-run --format json` (as [`PlanJson`]).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct Plan {
    pub playbook: String,
    /// Time between two samples of the interval tools.
    #[serde(rename = "interval_seconds", serialize_with = "seconds")]
    #[schemars(with = "f64")]
    pub interval: Duration,
    pub phases: Vec<PlannedPhase>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PlannedPhase {
    pub name: String,
    /// How long the phase may take: its steps are ended at the end of it.
    #[serde(rename = "time_box_seconds", serialize_with = "seconds")]
    #[schemars(with = "f64")]
    pub time_box: Duration,
    /// The observation `--duration` asked of this phase (the first), when it did: its time box
    /// is this and the second the interval tools take to finish.
    #[serde(
        rename = "observe_seconds",
        serialize_with = "optional_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<f64>")]
    pub observe: Option<Duration>,
    /// Condition on earlier findings; the phase is skipped when it does not hold.
    pub when: Option<String>,
    pub steps: Vec<PlannedStep>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PlannedStep {
    pub name: String,
    pub collector: Collector,
    pub args: StepArgs,
    /// Output file relative to raw_data/.
    pub output: String,
}

/// The plan as `run --dry-run --format json` prints it: the plan and how long it takes.
/// Published in schemas/plan.schema.json.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Plan")]
pub(crate) struct PlanJson<'a> {
    #[serde(flatten)]
    pub plan: &'a Plan,
    /// The time boxes of the phases that run whatever is found: the shortest run.
    pub shortest_seconds: f64,
    /// Every time box, as when every conditional phase runs: the longest run.
    pub longest_seconds: f64,
}

impl Plan {
    /// The boxes of the phases without a condition: how long the run takes at least.
    pub(crate) fn shortest(&self) -> Duration {
        self.phases
            .iter()
            .filter(|phase| phase.when.is_none())
            .map(|phase| phase.time_box)
            .sum()
    }

    /// Every box: how long the run takes when every conditional phase runs.
    pub fn longest(&self) -> Duration {
        self.phases.iter().map(|phase| phase.time_box).sum()
    }

    pub fn json(&self) -> PlanJson<'_> {
        PlanJson {
            plan: self,
            shortest_seconds: self.shortest().as_secs_f64(),
            longest_seconds: self.longest().as_secs_f64(),
        }
    }

    /// Aim every step that takes a target (the perf steps) at one process (`run --pid`).
    pub(crate) fn target_pid(&mut self, pid: u32) {
        for step in self.phases.iter_mut().flat_map(|phase| &mut phase.steps) {
            if step.collector.aimed_by_pid() {
                step.args.target = Some(pid.to_string());
            }
        }
    }
}

/// Build the plan. `observe` (from `--duration`) is how long the first phase observes; see the
/// module's doc. It may not be shorter than the playbook's interval: not one sample would be
/// taken. The playbook must have passed `check`; unknown steps are left out here.
pub fn plan(playbook: &Playbook, observe: Option<Duration>) -> Result<Plan, String> {
    let interval = playbook.interval.0;
    if let Some(observe) = observe.filter(|observe| *observe < interval) {
        return Err(format!(
            "--duration {observe:?} is shorter than the playbook's interval ({interval:?}): \
             not one sample would be taken"
        ));
    }
    let outputs = step_outputs(playbook);
    let phases = playbook
        .phases
        .iter()
        .enumerate()
        .map(|(index, phase)| {
            let observe = observe.filter(|_| index == 0);
            let time_box = match observe {
                Some(observe) => observe + FINISH_GRACE,
                None => phase.time_box.0.max(interval * 2),
            };
            let steps = outputs
                .iter()
                .filter(|output| output.phase == index)
                .filter_map(|output| {
                    let step = resolve_step(playbook, &output.step)?;
                    Some(PlannedStep {
                        name: output.step.clone(),
                        collector: step.collector,
                        output: output.path.clone(),
                        args: step.args,
                    })
                })
                .collect();
            PlannedPhase {
                name: phase.name.clone(),
                time_box,
                observe,
                when: phase.when.clone(),
                steps,
            }
        })
        .collect();
    Ok(Plan {
        playbook: playbook.name.clone(),
        interval,
        phases,
    })
}

fn seconds<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64())
}

fn optional_seconds<S: Serializer>(
    duration: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    duration
        .map(|duration| duration.as_secs_f64())
        .serialize(serializer)
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
when = "any_finding(resource = 'cpu')"
steps = ["perf-record"]
[[phase]]
name = "after"
time_box = "5s"
steps = ["vmstat"]
[step.custom]
collector = "vmstat"
output = "memory/vm.txt"
"#;

    fn boxes(plan: &Plan) -> Vec<Duration> {
        plan.phases.iter().map(|phase| phase.time_box).collect()
    }

    #[test]
    fn duration_is_what_the_first_phase_observes_and_later_boxes_stay() {
        let loaded = load_str("t.toml", PLAYBOOK).unwrap();
        let plan = plan(&loaded.playbook, Some(Duration::from_secs(60))).unwrap();
        // Sixty seconds of samples, and the second mpstat takes to print its summary.
        assert_eq!(boxes(&plan), [61, 20, 5].map(Duration::from_secs).to_vec());
        assert_eq!(plan.phases[0].observe, Some(Duration::from_secs(60)));
        assert_eq!(plan.phases[1].observe, None);
        // The drill-down costs nothing when its condition does not hold.
        assert_eq!(plan.shortest(), Duration::from_secs(66));
        assert_eq!(plan.longest(), Duration::from_secs(86));
    }

    #[test]
    fn a_short_duration_is_not_spread_over_phases_that_may_not_run() {
        // The case of the issue: cpu-bottleneck's 10 s + 15 s with `--duration 5s` once gave
        // the USE phase 2 s; it now observes the 5 s asked for.
        let loaded = load_str("t.toml", PLAYBOOK).unwrap();
        let plan = plan(&loaded.playbook, Some(Duration::from_secs(5))).unwrap();
        assert_eq!(plan.phases[0].time_box, Duration::from_secs(6));
        assert_eq!(plan.phases[0].observe, Some(Duration::from_secs(5)));
    }

    #[test]
    fn without_duration_every_phase_keeps_its_box() {
        let loaded = load_str("t.toml", PLAYBOOK).unwrap();
        let plan = plan(&loaded.playbook, None).unwrap();
        assert_eq!(boxes(&plan), [10, 20, 5].map(Duration::from_secs).to_vec());
        assert!(plan.phases.iter().all(|phase| phase.observe.is_none()));
        assert_eq!(plan.shortest(), Duration::from_secs(15));
        assert_eq!(plan.longest(), Duration::from_secs(35));
    }

    #[test]
    fn a_duration_shorter_than_the_interval_is_refused() {
        let loaded = load_str("t.toml", PLAYBOOK).unwrap();
        let error = plan(&loaded.playbook, Some(Duration::from_millis(500))).unwrap_err();
        assert!(
            error.contains("shorter than the playbook's interval"),
            "{error}"
        );
        assert!(plan(&loaded.playbook, Some(Duration::from_secs(1))).is_ok());
    }

    #[test]
    fn the_json_plan_gives_boxes_and_totals_in_seconds() {
        let loaded = load_str("t.toml", PLAYBOOK).unwrap();
        let plan = plan(&loaded.playbook, Some(Duration::from_secs(5))).unwrap();
        let json = serde_json::to_value(plan.json()).unwrap();
        assert_eq!(json["interval_seconds"], 1.0);
        assert_eq!(json["phases"][0]["time_box_seconds"], 6.0);
        assert_eq!(json["phases"][0]["observe_seconds"], 5.0);
        assert!(json["phases"][1].get("observe_seconds").is_none());
        assert_eq!(json["phases"][1]["when"], "any_finding(resource = 'cpu')");
        assert_eq!(json["shortest_seconds"], 11.0);
        assert_eq!(json["longest_seconds"], 31.0);
    }

    #[test]
    fn steps_resolve_to_collectors_and_outputs() {
        let loaded = load_str("t.toml", PLAYBOOK).unwrap();
        let plan = plan(&loaded.playbook, None).unwrap();
        let outputs: Vec<_> = plan.phases[0]
            .steps
            .iter()
            .map(|s| s.output.as_str())
            .collect();
        assert_eq!(outputs, ["cpu/mpstat.txt", "memory/vm.txt"]);
        assert_eq!(plan.phases[0].steps[1].collector.name(), "vmstat");
    }
}

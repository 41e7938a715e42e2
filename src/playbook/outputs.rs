//! Where each step of each phase writes, relative to `raw_data/`: one place per step and
//! phase, inside the investigation. `check` refuses what would write elsewhere or twice;
//! the plan takes its paths from here, so the dry run shows what the run will write.

use std::{
    collections::BTreeMap,
    path::{Component, Path},
};

use super::{check::resolve_step, model::Playbook};

/// One step of one phase and the file it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StepOutput {
    /// The phase's index in the playbook.
    pub phase: usize,
    /// The step's index in that phase's `steps`.
    pub slot: usize,
    pub step: String,
    /// Relative to `raw_data/`.
    pub path: String,
}

/// A problem with where a step writes: the TOML path it is at, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutputProblem {
    pub at: Vec<String>,
    pub message: String,
}

/// Every step of every phase with its output: the step's `output`, else its collector's own
/// place. A step a later phase runs again writes beside the first, the phase's name before the
/// extension (`memory/vmstat.drill.txt`), so no phase truncates another's data. Unknown steps
/// are left out (`check` reports them).
pub(crate) fn step_outputs(playbook: &Playbook) -> Vec<StepOutput> {
    let mut first_phase: BTreeMap<&str, usize> = BTreeMap::new();
    let mut outputs = Vec::new();
    for (phase_index, phase) in playbook.phases.iter().enumerate() {
        for (slot, name) in phase.steps.iter().enumerate() {
            let Some(step) = resolve_step(playbook, name) else {
                continue;
            };
            let path = step
                .output
                .clone()
                .unwrap_or_else(|| step.collector.default_output(name));
            let first = *first_phase.entry(name.as_str()).or_insert(phase_index);
            let path = if first == phase_index {
                path
            } else {
                with_phase(&path, &phase.name)
            };
            outputs.push(StepOutput {
                phase: phase_index,
                slot,
                step: name.clone(),
                path,
            });
        }
    }
    outputs
}

/// `memory/vmstat.txt` for phase `drill`: `memory/vmstat.drill.txt`.
fn with_phase(path: &str, phase: &str) -> String {
    let phase: String = phase
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let (folder, file) = match path.rsplit_once('/') {
        Some((folder, file)) => (format!("{folder}/"), file),
        None => (String::new(), path),
    };
    match file.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => {
            format!("{folder}{stem}.{phase}.{extension}")
        }
        _ => format!("{folder}{file}.{phase}"),
    }
}

/// Why `output` may not be a step's output: it must name a file inside `raw_data/`.
pub(crate) fn outside(output: &str) -> Option<&'static str> {
    let path = Path::new(output);
    if output.trim().is_empty() {
        return Some("is empty");
    }
    if output.ends_with('/') {
        return Some("names a folder, not a file");
    }
    if path.is_absolute() {
        return Some("is absolute: outputs are written inside the investigation's raw_data/");
    }
    if path
        .components()
        .any(|component| !matches!(component, Component::Normal(_) | Component::CurDir))
    {
        return Some("leaves raw_data/ (`..`): outputs are written inside the investigation");
    }
    None
}

/// Outputs that would be written outside the investigation, a step listed twice in one
/// phase, and two steps writing one file.
pub(crate) fn output_problems(playbook: &Playbook) -> Vec<OutputProblem> {
    let mut problems = Vec::new();
    for (name, step) in &playbook.steps {
        if let Some(why) = step.output.as_deref().and_then(outside) {
            problems.push(OutputProblem {
                at: vec!["step".into(), name.clone(), "output".into()],
                message: format!(
                    "step {name:?}: output {:?} {why}",
                    step.output.as_deref().unwrap_or_default()
                ),
            });
        }
    }
    let mut writers: BTreeMap<String, &StepOutput> = BTreeMap::new();
    let outputs = step_outputs(playbook);
    for output in &outputs {
        if outside(&output.path).is_some() {
            continue;
        }
        let at = vec![
            "phase".into(),
            output.phase.to_string(),
            "steps".into(),
            output.slot.to_string(),
        ];
        let phase = &playbook.phases[output.phase].name;
        let key = normalized(&output.path);
        match writers.get(&key) {
            Some(earlier) if earlier.phase == output.phase && earlier.step == output.step => {
                problems.push(OutputProblem {
                    at,
                    message: format!("phase {phase:?} lists step {:?} twice", output.step),
                });
            }
            Some(earlier) => problems.push(OutputProblem {
                at,
                message: format!(
                    "step {:?} of phase {phase:?} writes {}, as step {:?} of phase {:?} does: \
                     give one of them its own `output`",
                    output.step, output.path, earlier.step, playbook.phases[earlier.phase].name
                ),
            }),
            None => {
                writers.insert(key, output);
            }
        }
    }
    problems
}

/// `./cpu//mpstat.txt` and `cpu/mpstat.txt` are one file.
fn normalized(path: &str) -> String {
    Path::new(path)
        .components()
        .filter_map(|component| match component {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::{outside, with_phase};

    #[test]
    fn a_later_phase_writes_beside_the_first() {
        assert_eq!(
            with_phase("memory/vmstat.txt", "drill"),
            "memory/vmstat.drill.txt"
        );
        assert_eq!(with_phase("ss", "drill down"), "ss.drill_down");
        assert_eq!(with_phase("x/.hidden", "p"), "x/.hidden.p");
    }

    #[test]
    fn outputs_stay_inside_raw_data() {
        assert!(outside("cpu/mpstat.txt").is_none());
        assert!(outside("./cpu/mpstat.txt").is_none());
        assert!(outside("/etc/passwd").is_some());
        assert!(outside("../../x").is_some());
        assert!(outside("cpu/../../x").is_some());
        assert!(outside("").is_some());
        assert!(outside("cpu/").is_some());
    }
}

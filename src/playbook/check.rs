//! Checks beyond the types: the JSON schema, then what only the meaning can tell
//! (unknown steps, rule expressions that do not parse, arguments a collector does not take).
//! Rules and phase conditions are compiled here, once: what passes the check is judged as it
//! was compiled, never parsed again.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Collector, StepArgs,
    load::Loaded,
    model::{Playbook, Step},
};
use crate::{
    base::{SourceError, SourceFile},
    parse::catalogue::Catalogue,
    rules::{CompiledRule, Condition, compile, parse_condition},
};

/// A playbook that passed every check, with its rules and phase conditions compiled.
#[derive(Debug, Clone)]
pub struct Checked {
    pub playbook: Playbook,
    /// The playbook file first, then each included rule file.
    pub sources: Vec<SourceFile>,
    /// `playbook.rules`, compiled, in the same order.
    pub rules: Vec<CompiledRule>,
    /// Each phase's `when`, compiled, by phase name.
    pub conditions: BTreeMap<String, Condition>,
}

/// The playbook JSON schema, generated from the model types; published by `crate::schemas`.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Playbook)).unwrap_or_default()
}

/// How many errors `check` locates (file:line:col) before it only counts the rest.
const ERRORS_LOCATED: usize = 50;

/// The checked playbook, or every problem found, each located in its file; its rules may read
/// what the built-in parsers and the shipped parser specs produce.
pub fn check(loaded: Loaded) -> Result<Checked, Vec<SourceError>> {
    check_with(loaded, &Catalogue::built_in())
}

/// [`check`], the rules reading what `catalogue` knows (the parser specs of `./parsers` too).
pub fn check_with(loaded: Loaded, catalogue: &Catalogue) -> Result<Checked, Vec<SourceError>> {
    let mut errors = check_schema(&loaded);
    let mut conditions = BTreeMap::new();
    let playbook = &loaded.playbook;
    let main = &loaded.sources[0];

    if playbook.phases.is_empty() {
        errors.push(main.error_at(Some(0..0), "the playbook has no [[phase]]: nothing to run"));
    }
    if playbook.interval.0.is_zero() {
        errors.push(main.error_at_path(&["interval"], None, "interval must be more than 0"));
    }
    let mut phase_names = BTreeSet::new();
    for (index, phase) in playbook.phases.iter().enumerate() {
        let at = index.to_string();
        if !phase_names.insert(phase.name.as_str()) {
            errors.push(main.error_at_path(
                &["phase", &at, "name"],
                None,
                format!("phase {:?} is defined twice", phase.name),
            ));
        }
        if phase.time_box < playbook.interval {
            errors.push(main.error_at_path(
                &["phase", &at, "time_box"],
                None,
                format!(
                    "time_box {} is shorter than the interval {}: no sample would be taken",
                    phase.time_box, playbook.interval
                ),
            ));
        }
        if phase.steps.is_empty() {
            errors.push(main.error_at_path(
                &["phase", &at, "steps"],
                None,
                format!("phase {:?} has no steps", phase.name),
            ));
        }
        for (step_index, step) in phase.steps.iter().enumerate() {
            if resolve_step(playbook, step).is_none() {
                errors.push(main.error_at_path(
                    &["phase", &at, "steps", &step_index.to_string()],
                    None,
                    format!(
                        "unknown step {step:?}{}; define [step.{step}] or use a built-in collector ({})",
                        suggestion(playbook, step),
                        Collector::names().join(", ")
                    ),
                ));
            }
        }
        if let Some(when) = &phase.when {
            match parse_condition(when) {
                Ok(condition) => {
                    conditions.insert(phase.name.clone(), condition);
                }
                Err(err) => errors.push(main.error_at_path(
                    &["phase", &at, "when"],
                    Some(err.offset),
                    format!("bad phase condition: {err}"),
                )),
            }
        }
    }
    for problem in super::outputs::output_problems(playbook) {
        let at: Vec<&str> = problem.at.iter().map(String::as_str).collect();
        errors.push(main.error_at_path(&at, None, problem.message));
    }
    for (name, step) in &playbook.steps {
        for problem in step.collector.arg_problems(&step.args) {
            errors.push(main.error_at_path(&["step", name, "args"], None, problem));
        }
    }
    let mut rule_ids = BTreeSet::new();
    let mut rules = Vec::with_capacity(playbook.rules.len());
    // Each located error reads the file again to find its line: past a few dozen, the rest
    // are counted, not located, so a playbook with thousands of bad rules is told at once.
    let mut unlocated = 0usize;
    for (rule, &(source_index, index)) in playbook.rules.iter().zip(&loaded.rule_origins) {
        let source = &loaded.sources[source_index];
        let at = index.to_string();
        let first = rule_ids.insert(rule.id.as_str());
        let compiled = compile(rule.clone());
        if errors.len() >= ERRORS_LOCATED {
            let bad = !first
                || compiled.expression().is_err()
                || super::series::reads_unknown(&compiled, catalogue);
            unlocated += usize::from(bad);
            rules.push(compiled);
            continue;
        }
        if !first {
            errors.push(source.error_at_path(
                &["rule", &at, "id"],
                None,
                format!("rule id {:?} is used twice", rule.id),
            ));
        }
        if let Err(err) = compiled.expression() {
            errors.push(source.error_at_path(
                &["rule", &at, "when"],
                Some(err.offset),
                format!("bad rule expression in {:?}: {err}", rule.id),
            ));
        }
        errors.extend(super::series::unknown_series(
            source, &at, &compiled, catalogue,
        ));
        rules.push(compiled);
    }
    if unlocated > 0 {
        errors.push(main.error_at(
            None,
            format!("... and {unlocated} more rule(s) with problems like these: fix these and check again"),
        ));
    }
    errors.extend(unknown_links(&loaded, &rules));
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Checked {
        playbook: loaded.playbook,
        sources: loaded.sources,
        rules,
        conditions,
    })
}

/// Links (`explained_by`, `corroborated_by`) naming a rule that is neither in the playbook nor
/// in the shipped sets: a typo, which would leave the link silently unused.
fn unknown_links(loaded: &Loaded, rules: &[CompiledRule]) -> Vec<SourceError> {
    let shipped = crate::rules::builtin::use_rules().unwrap_or_default();
    let known: Vec<&str> = rules
        .iter()
        .chain(&shipped)
        .map(|compiled| compiled.rule().id.as_str())
        .collect();
    let mut errors = Vec::new();
    for (rule_id, field, name) in crate::rules::links::unknown_links(rules, &known) {
        let Some(index) = rules.iter().position(|c| c.rule().id == rule_id) else {
            continue;
        };
        let (source_index, at) = loaded.rule_origins[index];
        errors.push(loaded.sources[source_index].error_at_path(
            &["rule", &at.to_string(), field],
            None,
            format!("rule {rule_id:?}: {field} names {name:?}, which is no rule"),
        ));
    }
    errors
}

/// `, did you mean "mpstat"?` when a known step name is close to `name`.
fn suggestion(playbook: &Playbook, name: &str) -> String {
    let known = playbook
        .steps
        .keys()
        .map(String::as_str)
        .chain(Collector::names().iter().copied());
    known
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), candidate))
        .filter(|&(distance, _)| distance <= 2)
        .min()
        .map(|(_, candidate)| format!(" (did you mean {candidate:?}?)"))
        .unwrap_or_default()
}

/// The step a phase names: a `[step.NAME]` table or a built-in collector with defaults.
pub(crate) fn resolve_step(playbook: &Playbook, name: &str) -> Option<Step> {
    playbook.steps.get(name).cloned().or_else(|| {
        Collector::from_name(name).map(|collector| Step {
            collector,
            args: StepArgs::default(),
            output: None,
        })
    })
}

/// Validate the playbook file and its rule files against the JSON schema.
fn check_schema(loaded: &Loaded) -> Vec<SourceError> {
    let Ok(validator) = jsonschema::validator_for(&schema()) else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    for (index, source) in loaded.sources.iter().enumerate() {
        // Included files hold only rules: check them as a playbook fragment.
        let Ok(mut value) = toml::from_str::<serde_json::Value>(&source.text) else {
            continue;
        };
        if index > 0
            && let Some(object) = value.as_object_mut()
        {
            object.insert("name".into(), "included".into());
        }
        for error in validator.iter_errors(&value) {
            let pointer = error.instance_path().as_str().to_string();
            let path: Vec<&str> = pointer.split('/').filter(|s| !s.is_empty()).collect();
            errors.push(source.error_at_path(&path, None, format!("schema: {error}")));
        }
    }
    errors
}

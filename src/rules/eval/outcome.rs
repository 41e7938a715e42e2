//! What judging a rule gives: its outcome, the finding of a rule that fired (its message filled
//! in), and what a judged rule saw.

use std::collections::{BTreeMap, BTreeSet};

use super::Judge;
use super::crossing::Crossing;
use super::truth::ComparisonInfo;
use crate::record::{Labels, Name};
use crate::rules::Rule;
use crate::rules::expr::Expr;
use crate::rules::finding::{Evidence, EvidenceSource, Finding, Window};

/// How many files and instances a finding's evidence lists where its series came from.
const SOURCES_SHOWN: usize = 8;

/// What became of one rule. `Fired` is large beside the others, but outcomes are few and
/// short-lived, and callers match on a plain `Finding`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Fired(Finding),
    Quiet,
    /// The data needed to judge the rule are missing; the reason, for the report.
    NotEvaluated(String),
    /// The rule itself is wrong (bad expression, units that do not match).
    Error(String),
}

/// What a set of rules concluded about a dataset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Judgement {
    /// Linked and ranked with [`crate::rules::link`], most important first.
    pub findings: Vec<Finding>,
    /// (rule id, why it could not be judged).
    pub not_evaluated: Vec<(String, String)>,
    /// (rule id, what is wrong with it).
    pub errors: Vec<(String, String)>,
    /// (rule id, the series and host facts it reads that the data lack), for the rules of
    /// `not_evaluated` that lack one outright rather than have too little of it.
    pub absent: Vec<(String, Vec<String>)>,
    /// (rule id, what the rule saw), for every rule that was judged, fired or not.
    pub observed: Vec<(String, String)>,
}

/// Lookups into a [`Judgement`] by rule id, made once for a pass over many rules (a table,
/// the verdict, a JUnit report), so that the pass stays linear in the rules: a playbook may
/// hold many thousand.
pub(crate) struct JudgementIndex<'a> {
    pub judgement: &'a Judgement,
    unjudged: BTreeSet<&'a str>,
    errors: BTreeMap<&'a str, &'a str>,
    not_evaluated: BTreeMap<&'a str, &'a str>,
    absent: BTreeSet<&'a str>,
    observed: BTreeMap<&'a str, &'a str>,
    /// Each rule's findings, by their place in the ranked list.
    fired: BTreeMap<&'a str, Vec<usize>>,
}

impl<'a> JudgementIndex<'a> {
    /// Whether rule `id` was judged: evaluated, not left without data or in error.
    pub fn was_judged(&self, id: &str) -> bool {
        !self.unjudged.contains(id)
    }

    /// What is wrong with rule `id`, if it is in error.
    pub fn error(&self, id: &str) -> Option<&'a str> {
        self.errors.get(id).copied()
    }

    /// Why rule `id` could not be judged, if it could not.
    pub fn not_evaluated(&self, id: &str) -> Option<&'a str> {
        self.not_evaluated.get(id).copied()
    }

    /// Whether rule `id` lacks one of its series outright.
    pub fn is_absent(&self, id: &str) -> bool {
        self.absent.contains(id)
    }

    /// What rule `id` saw; empty for a rule that was not judged.
    pub fn observed(&self, id: &str) -> &'a str {
        self.observed.get(id).copied().unwrap_or_default()
    }

    /// Rule `id`'s findings, most important first.
    pub fn fired(&self, id: &str) -> impl Iterator<Item = &'a Finding> + '_ {
        self.fired
            .get(id)
            .into_iter()
            .flatten()
            .map(|&at| &self.judgement.findings[at])
    }

    /// The findings of the rules `ids`, in the judgement's rank order.
    pub fn fired_by(&self, ids: &[&str]) -> Vec<&'a Finding> {
        let mut at: Vec<usize> = ids
            .iter()
            .filter_map(|id| self.fired.get(id))
            .flatten()
            .copied()
            .collect();
        at.sort_unstable();
        at.dedup();
        at.into_iter()
            .map(|at| &self.judgement.findings[at])
            .collect()
    }
}

impl Judgement {
    /// Its lookups by rule id, for a pass over many rules.
    pub(crate) fn index(&self) -> JudgementIndex<'_> {
        let mut fired: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (at, finding) in self.findings.iter().enumerate() {
            fired.entry(finding.id.as_str()).or_default().push(at);
        }
        fn first(list: &[(String, String)]) -> BTreeMap<&str, &str> {
            let mut map = BTreeMap::new();
            for (id, text) in list {
                map.entry(id.as_str()).or_insert(text.as_str());
            }
            map
        }
        JudgementIndex {
            judgement: self,
            unjudged: self
                .not_evaluated
                .iter()
                .chain(&self.errors)
                .map(|(id, _)| id.as_str())
                .collect(),
            errors: first(&self.errors),
            not_evaluated: first(&self.not_evaluated),
            absent: self.absent.iter().map(|(id, _)| id.as_str()).collect(),
            observed: first(&self.observed),
            fired,
        }
    }

    /// What a judged rule saw (`highest 45% against > 90%`); empty for other rules.
    pub fn observed(&self, rule: &str) -> String {
        self.observed
            .iter()
            .find(|(id, _)| id == rule)
            .map(|(_, text)| text.clone())
            .unwrap_or_default()
    }
}

impl ComparisonInfo {
    /// `highest 45% against > 90%`.
    pub(super) fn observed(&self) -> Option<String> {
        let extreme = self.extreme?;
        let word = if self.lower_is_worse() {
            "lowest"
        } else {
            "highest"
        };
        let mut text = format!("{word} {}{}", format_number(extreme), self.unit);
        if let Some(threshold) = self.threshold {
            text.push_str(&format!(
                " against {} {}{}",
                self.op.symbol(),
                format_number(threshold),
                self.unit
            ));
        }
        Some(text)
    }
}

impl Judge<'_> {
    pub(super) fn finding(&self, rule: &Rule, expr: &Expr, crossing: Crossing) -> Finding {
        let info = self.comparisons.get(crossing.witness.comparison);
        let threshold = info.and_then(|info| info.threshold);
        let unit = info.map(|info| info.unit.clone()).unwrap_or_default();
        let mut message = rule.message.clone();
        for (name, text) in [
            ("value", format_number(crossing.witness.value)),
            (
                "threshold",
                threshold.map(format_number).unwrap_or_default(),
            ),
            ("instance", instance_text(&crossing.witness.labels)),
        ] {
            message = message
                .replace(&format!("{{{{{name}}}}}"), &text)
                .replace(&format!("{{{{ {name} }}}}"), &text);
        }
        let sources = self.sources(expr, &crossing.witness.labels, crossing.window);
        Finding {
            id: rule.id.clone(),
            resource: rule.resource.clone(),
            signal: rule.signal,
            severity: rule.severity,
            value: crossing.witness.value,
            threshold,
            unit,
            message,
            meaning: rule.meaning.clone(),
            next: rule.next.clone(),
            evidence: Evidence {
                expression: rule.when.clone(),
                series: expr.series_names().to_vec(),
                instance: std::rc::Rc::unwrap_or_clone(crossing.witness.labels),
                files: crossing.files.into_iter().collect(),
                window: crossing.window,
                held_seconds: crossing.held,
                asked_seconds: None,
                sources,
            },
            consequence_of: None,
            explains: Vec::new(),
            corroborated_by: Vec::new(),
            neighbours: Vec::new(),
            about_target: false,
        }
    }

    /// Where the points behind a finding were read: for each selector, its instances that
    /// agree with the `witness`'s labels, the lines of each file their points in `window` (all
    /// of them for a whole-run value without one) came from.
    fn sources(
        &self,
        expr: &Expr,
        witness: &Labels,
        window: Option<Window>,
    ) -> Vec<EvidenceSource> {
        let mut sources: Vec<EvidenceSource> = Vec::new();
        for selector in expr.selectors() {
            let agree = |labels: &Labels| {
                witness
                    .iter()
                    .all(|(key, value)| labels.get(key).is_none_or(|own| own == value))
            };
            for series in self.data.instances(&selector.name) {
                if !selector.matches(&series.labels) || !agree(&series.labels) {
                    continue;
                }
                let in_window =
                    series
                        .points
                        .iter()
                        .zip(series.sources())
                        .filter(|((time, _), _)| {
                            window.is_none_or(|window| *time > window.start && *time <= window.end)
                        });
                for (_, (file, line)) in in_window {
                    let known = sources.iter().position(|known| {
                        known.series == selector.name
                            && known.instance == series.labels
                            && known.file == file
                    });
                    match known {
                        Some(index) => {
                            let known = &mut sources[index];
                            known.first_line = known.first_line.min(line);
                            known.last_line = known.last_line.max(line);
                        }
                        None if sources.len() < SOURCES_SHOWN => sources.push(EvidenceSource {
                            series: selector.name.clone(),
                            instance: series.labels.clone(),
                            measured_as: series
                                .taken
                                .as_ref()
                                .map_or_else(|| series.name.clone(), |taken| taken.series.clone()),
                            tool: series
                                .taken
                                .as_ref()
                                .map(|taken| taken.tool.clone())
                                .unwrap_or_default(),
                            file: file.to_string(),
                            first_line: line,
                            last_line: line,
                        }),
                        None => {}
                    }
                }
            }
        }
        sources
    }
}

/// At most two decimals, no trailing zeros: `92.5`, `20`, `0.33`.
pub fn format_number(number: f64) -> String {
    if !number.is_finite() {
        return number.to_string();
    }
    let text = format!("{number:.2}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

/// `sda` for one label, `cpu=0, node=1` for several, `host` for none.
fn instance_text(labels: &Labels) -> String {
    match labels.len() {
        0 => "host".to_string(),
        1 => labels
            .values()
            .next()
            .map(Name::to_string)
            .unwrap_or_default(),
        _ => labels_text(labels),
    }
}

pub(super) fn labels_text(labels: &Labels) -> String {
    if labels.is_empty() {
        return "no labels".to_string();
    }
    labels
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(", ")
}

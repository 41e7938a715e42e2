//! The USE table: for each resource, one verdict per signal (utilization, saturation, errors),
//! decided from the findings and from which rules could be judged at all.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Finding, Signal, eval::Judgement};
use crate::playbook::Rule;

/// The resources a USE table always shows, in order; others follow when rules name them.
pub const RESOURCES: [&str; 5] = ["cpu", "memory", "disk", "network", "mutex"];
const SIGNALS: [Signal; 3] = [Signal::Utilization, Signal::Saturation, Signal::Errors];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CellStatus {
    /// A rule fired; `severity` says how bad.
    Finding,
    /// Every rule for this cell was judged and none fired.
    Ok,
    /// Rules exist but none had data.
    NoData,
    /// No rule looks at this cell.
    NotChecked,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UseCell {
    pub status: CellStatus,
    /// The worst finding's severity, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<super::Severity>,
    /// The numbers behind the verdict: the finding's value and threshold, or which rules passed.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UseRow {
    pub resource: String,
    pub utilization: UseCell,
    pub saturation: UseCell,
    pub errors: UseCell,
}

/// Build the table from the rules and how they were judged.
pub fn use_table(rules: &[Rule], judgement: &Judgement) -> Vec<UseRow> {
    // The usual resources in their usual order, then any other a rule names; a resource no
    // USE rule looks at is left out rather than shown as an empty row.
    let judged = |resource: &str| {
        rules
            .iter()
            .any(|rule| rule.resource == resource && SIGNALS.contains(&rule.signal))
    };
    let mut resources: Vec<String> = RESOURCES
        .iter()
        .filter(|resource| judged(resource))
        .map(|resource| resource.to_string())
        .collect();
    for rule in rules {
        if SIGNALS.contains(&rule.signal) && !resources.contains(&rule.resource) {
            resources.push(rule.resource.clone());
        }
    }
    resources
        .into_iter()
        .map(|resource| {
            let cell = |signal| cell(&resource, signal, rules, judgement);
            UseRow {
                utilization: cell(Signal::Utilization),
                saturation: cell(Signal::Saturation),
                errors: cell(Signal::Errors),
                resource,
            }
        })
        .collect()
}

fn cell(resource: &str, signal: Signal, rules: &[Rule], judgement: &Judgement) -> UseCell {
    let findings: Vec<&Finding> = judgement
        .findings
        .iter()
        .filter(|f| f.resource == resource && f.signal == signal)
        .collect();
    if let Some(worst) = findings.iter().max_by_key(|f| f.severity) {
        let detail = findings
            .iter()
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join("; ");
        return UseCell {
            status: CellStatus::Finding,
            severity: Some(worst.severity),
            detail,
        };
    }
    let cell_rules: Vec<&Rule> = rules
        .iter()
        .filter(|r| r.resource == resource && r.signal == signal)
        .collect();
    if cell_rules.is_empty() {
        return UseCell {
            status: CellStatus::NotChecked,
            severity: None,
            detail: String::new(),
        };
    }
    let unjudged = |rule: &&Rule| {
        judgement
            .not_evaluated
            .iter()
            .chain(&judgement.errors)
            .any(|(id, _)| id == &rule.id)
    };
    let judged: Vec<&Rule> = cell_rules
        .iter()
        .copied()
        .filter(|r| !unjudged(r))
        .collect();
    if judged.is_empty() {
        return UseCell {
            status: CellStatus::NoData,
            severity: None,
            detail: "no data for its rules".into(),
        };
    }
    UseCell {
        status: CellStatus::Ok,
        severity: None,
        detail: judged
            .iter()
            .map(|rule| format!("{}: {}", rule.id, judgement.observed(&rule.id)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

//! The USE table: for each resource, one verdict per signal (utilization, saturation, errors),
//! decided from the findings and from which rules could be judged at all.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{CompiledRule, Rule};
use super::{
    Finding, Signal,
    eval::{Judgement, JudgementIndex},
};

/// The resources a USE table always shows, in order; others follow when rules name them.
pub(crate) const RESOURCES: [&str; 5] = ["cpu", "memory", "disk", "network", "mutex"];
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
pub fn use_table(rules: &[CompiledRule], judgement: &Judgement) -> Vec<UseRow> {
    let index = judgement.index();
    // A resource no USE rule looks at is left out rather than shown as an empty row.
    resources(
        rules
            .iter()
            .map(CompiledRule::rule)
            .filter(|rule| SIGNALS.contains(&rule.signal)),
    )
    .into_iter()
    .map(|resource| {
        let cell = |signal| cell(&resource, signal, rules, &index);
        UseRow {
            utilization: cell(Signal::Utilization),
            saturation: cell(Signal::Saturation),
            errors: cell(Signal::Errors),
            resource,
        }
    })
    .collect()
}

/// The resources `rules` look at: the usual ones in their usual order, then any other in the
/// order the rules name them.
pub fn resources<'r>(rules: impl Iterator<Item = &'r Rule> + Clone) -> Vec<String> {
    let mut resources: Vec<String> = RESOURCES
        .iter()
        .filter(|resource| rules.clone().any(|rule| rule.resource == **resource))
        .map(|resource| resource.to_string())
        .collect();
    for rule in rules {
        if !resources.contains(&rule.resource) {
            resources.push(rule.resource.clone());
        }
    }
    resources
}

/// How the rules of one USE cell were judged: what they raised and which of them had data.
/// The run report's table and `use-check`'s table both decide their cells from this.
#[derive(Debug)]
pub(crate) struct CellJudgement<'a> {
    /// The findings the cell's rules raised.
    pub fired: Vec<&'a Finding>,
    /// The cell's rules that were evaluated (had data and no error).
    pub judged: Vec<&'a Rule>,
    /// Whether any rule looks at the cell at all.
    pub has_rules: bool,
}

impl CellJudgement<'_> {
    pub fn status(&self) -> CellStatus {
        if !self.fired.is_empty() {
            CellStatus::Finding
        } else if !self.judged.is_empty() {
            CellStatus::Ok
        } else if self.has_rules {
            CellStatus::NoData
        } else {
            CellStatus::NotChecked
        }
    }

    /// The worst severity among the findings, when there is one.
    pub fn worst(&self) -> Option<super::Severity> {
        self.fired.iter().map(|f| f.severity).max()
    }
}

/// Judge one cell from its rules: the findings they raised and which were evaluated.
pub(crate) fn judge_cell<'a>(
    cell_rules: &[&'a Rule],
    index: &JudgementIndex<'a>,
) -> CellJudgement<'a> {
    let ids: Vec<&str> = cell_rules.iter().map(|rule| rule.id.as_str()).collect();
    CellJudgement {
        fired: index.fired_by(&ids),
        judged: cell_rules
            .iter()
            .copied()
            .filter(|rule| index.was_judged(&rule.id))
            .collect(),
        has_rules: !cell_rules.is_empty(),
    }
}

fn cell(resource: &str, signal: Signal, rules: &[CompiledRule], index: &JudgementIndex) -> UseCell {
    let cell_rules: Vec<&Rule> = rules
        .iter()
        .map(CompiledRule::rule)
        .filter(|r| r.resource == resource && r.signal == signal)
        .collect();
    let judged = judge_cell(&cell_rules, index);
    let status = judged.status();
    let detail = match status {
        CellStatus::Finding => judged
            .fired
            .iter()
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        CellStatus::Ok => judged
            .judged
            .iter()
            .map(|rule| format!("{}: {}", rule.id, index.observed(&rule.id)))
            .collect::<Vec<_>>()
            .join("; "),
        CellStatus::NoData => "no data for its rules".into(),
        CellStatus::NotChecked => String::new(),
    };
    UseCell {
        severity: judged.worst(),
        status,
        detail,
    }
}

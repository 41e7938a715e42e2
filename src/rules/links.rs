//! What the findings say of each other, as the rule files declare it: which rules corroborate a
//! finding (`corroborated_by`, and the severity it takes without them, `alone`) and which
//! explain it (`explained_by`). Teams extend these links in TOML, without Rust.
//!
//! - **Corroboration.** A finding's `corroborated_by` lists the rules among its rule's
//!   `corroborated_by` that fired too. When none did and the rule says `alone = "low"`, the
//!   finding takes that severity: one sampled signal is a hint, not a verdict.
//! - **Explanation.** A finding is the consequence of the first finding, in rank order, of a
//!   rule in its `explained_by` that fired above info and is not a consequence itself (in a
//!   cycle of links, the better ranked finding is the cause). It is ranked right under that finding, which lists
//!   it in `explains`, and takes no part in the verdict's choice of resource. A neighbour's
//!   finding (one with `neighbours`, see `judge::Analysis::attribute`) never explains the
//!   target's own above info: the target's finding stays first, the neighbour's load is listed
//!   after it; a hint of the target's (info) is ranked under the neighbour's finding that
//!   explains it.

use std::collections::{BTreeMap, BTreeSet};

use super::{CompiledRule, Finding, Rule, Severity, rank};

/// Corroborate, explain and rank `findings`, the fired findings of `rules`. Linear in the
/// findings and the links: a playbook may hold many thousand rules.
pub fn link(rules: &[CompiledRule], findings: &mut Vec<Finding>) {
    let rule_of: BTreeMap<&str, &Rule> = rules
        .iter()
        .map(|compiled| (compiled.rule().id.as_str(), compiled.rule()))
        .collect();
    let fired: BTreeSet<String> = findings.iter().map(|finding| finding.id.clone()).collect();
    for finding in findings.iter_mut() {
        let Some(rule) = rule_of.get(finding.id.as_str()) else {
            continue;
        };
        finding.corroborated_by = rule
            .corroborated_by
            .iter()
            .filter(|id| fired.contains(*id))
            .cloned()
            .collect();
        if finding.corroborated_by.is_empty()
            && let Some(alone) = rule.alone
        {
            finding.severity = finding.severity.min(alone);
        }
    }
    rank(findings);
    let order = Order::of(findings);
    let mut decided: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (id, _) in &order.findings {
        cause_of(id, &order, &rule_of, &mut decided, &mut Vec::new());
    }
    // Each cause's consequences, in rank order.
    let mut explained: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (id, _) in &order.findings {
        if let Some(Some(cause)) = decided.get(id) {
            explained
                .entry(cause.as_str())
                .or_default()
                .push(id.clone());
        }
    }
    for finding in findings.iter_mut() {
        finding.consequence_of = decided.get(&finding.id).cloned().flatten();
        finding.explains = explained.remove(finding.id.as_str()).unwrap_or_default();
    }
    rank(findings);
}

/// The findings in rank order, and where each id first stands in it.
struct Order {
    findings: Vec<(String, Severity)>,
    position: BTreeMap<String, usize>,
    /// The findings that are a neighbour's load, not the target's.
    neighbours: BTreeSet<String>,
}

impl Order {
    fn of(findings_in: &[Finding]) -> Order {
        let findings: Vec<(String, Severity)> = findings_in
            .iter()
            .map(|finding| (finding.id.clone(), finding.severity))
            .collect();
        let mut position = BTreeMap::new();
        for (index, (id, _)) in findings.iter().enumerate() {
            position.entry(id.clone()).or_insert(index);
        }
        let neighbours = findings_of_neighbours(findings_in);
        Order {
            findings,
            position,
            neighbours,
        }
    }

    /// The findings of `ids` that fired, in rank order.
    fn among<'a>(&'a self, ids: &[String]) -> Vec<&'a (String, Severity)> {
        let mut at: Vec<usize> = ids
            .iter()
            .filter_map(|id| self.position.get(id).copied())
            .collect();
        at.sort_unstable();
        at.dedup();
        at.into_iter().map(|index| &self.findings[index]).collect()
    }
}

/// The finding that explains finding `id`, if any, deciding its explainers first; `visiting`
/// holds the findings being decided, so a cycle of links ends where it closes.
fn cause_of(
    id: &str,
    order: &Order,
    rule_of: &BTreeMap<&str, &Rule>,
    decided: &mut BTreeMap<String, Option<String>>,
    visiting: &mut Vec<String>,
) -> Option<String> {
    if let Some(cause) = decided.get(id) {
        return cause.clone();
    }
    let explainers = rule_of
        .get(id)
        .map_or(&[][..], |rule| rule.explained_by.as_slice());
    visiting.push(id.to_string());
    let mut cause = None;
    // The target's own findings stay first, unless one is a hint (info): a context-switch
    // storm beside a neighbour's disk load is that load's, ranked under it.
    let hint = order
        .position
        .get(id)
        .is_some_and(|&at| order.findings[at].1 <= Severity::Info);
    let own = !order.neighbours.contains(id) && !hint;
    for (candidate, severity) in order.among(explainers) {
        if *severity <= Severity::Info || (own && order.neighbours.contains(candidate)) {
            continue;
        }
        // A finding being decided further up is taken as a cause: the cycle closes here, and
        // the one decided first, the better ranked, stays the cause.
        if visiting.contains(candidate)
            || cause_of(candidate, order, rule_of, decided, visiting).is_none()
        {
            cause = Some(candidate.clone());
            break;
        }
    }
    visiting.pop();
    decided.insert(id.to_string(), cause.clone());
    cause
}

fn findings_of_neighbours(findings: &[Finding]) -> BTreeSet<String> {
    findings
        .iter()
        .filter(|finding| !finding.neighbours.is_empty())
        .map(|finding| finding.id.clone())
        .collect()
}

/// The links of `rules` that name no rule of `known` (a typo, or a rule file left out):
/// (rule id, the field, the name).
pub fn unknown_links<'r>(
    rules: &'r [CompiledRule],
    known: &[&str],
) -> Vec<(&'r str, &'static str, &'r str)> {
    let mut unknown = Vec::new();
    for rule in rules.iter().map(CompiledRule::rule) {
        for (field, names) in [
            ("explained_by", &rule.explained_by),
            ("corroborated_by", &rule.corroborated_by),
        ] {
            for name in names {
                if !known.contains(&name.as_str()) {
                    unknown.push((rule.id.as_str(), field, name.as_str()));
                }
            }
        }
    }
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Signal, compile};

    fn rule(id: &str, resource: &str, explained_by: &[&str], corroborated_by: &[&str]) -> Rule {
        Rule {
            id: id.into(),
            resource: resource.into(),
            signal: Signal::Saturation,
            when: "avg(t.x) > 1".into(),
            severity: Severity::Medium,
            message: String::new(),
            meaning: String::new(),
            next: String::new(),
            source: String::new(),
            no_data: String::new(),
            explained_by: explained_by.iter().map(|id| id.to_string()).collect(),
            corroborated_by: corroborated_by.iter().map(|id| id.to_string()).collect(),
            alone: None,
        }
    }

    fn ids(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|finding| finding.id.as_str()).collect()
    }

    /// A context-switch storm (high) explained by I/O pressure (medium) ranks under it and says
    /// so; a finding nothing explains keeps its place by severity.
    #[test]
    fn a_consequence_ranks_under_its_cause_whatever_its_severity() {
        let rules: Vec<CompiledRule> = [
            rule("storm", "mutex", &["io", "futex"], &[]),
            rule("io", "disk", &[], &[]),
            rule("memory", "memory", &[], &[]),
        ]
        .into_iter()
        .map(compile)
        .collect();
        let mut findings = vec![
            Finding::bare("memory", "memory", Signal::Saturation, Severity::Low),
            Finding::bare("storm", "mutex", Signal::Saturation, Severity::High),
            Finding::bare("io", "disk", Signal::Saturation, Severity::Medium),
        ];
        link(&rules, &mut findings);
        assert_eq!(ids(&findings), ["io", "storm", "memory"]);
        assert_eq!(findings[1].consequence_of.as_deref(), Some("io"));
        assert_eq!(findings[0].explains, ["storm"]);
    }

    /// Two rules that explain each other: the better ranked is the cause, and the cycle ends.
    #[test]
    fn a_cycle_of_links_is_cut_where_it_closes() {
        let rules: Vec<CompiledRule> = [
            rule("a", "cpu", &["b"], &[]),
            rule("b", "disk", &["a"], &[]),
        ]
        .into_iter()
        .map(compile)
        .collect();
        let mut findings = vec![
            Finding::bare("a", "cpu", Signal::Saturation, Severity::Medium),
            Finding::bare("b", "disk", Signal::Saturation, Severity::High),
        ];
        link(&rules, &mut findings);
        assert_eq!(ids(&findings), ["b", "a"]);
        assert_eq!(findings[0].consequence_of, None);
        assert_eq!(findings[1].consequence_of.as_deref(), Some("b"));
    }

    /// At one severity, two measures that agree outrank one, whatever the excess; a single
    /// sampled signal with no measure to agree takes its `alone` severity.
    #[test]
    fn corroborated_findings_outrank_single_measures_and_alone_lowers_severity() {
        let mut queue = rule("queue", "cpu", &[], &["psi"]);
        queue.alone = Some(Severity::Low);
        let rules: Vec<CompiledRule> = [
            queue,
            rule("psi", "cpu", &[], &["queue"]),
            rule("io", "disk", &[], &["latency"]),
            rule("latency", "disk", &[], &["io"]),
        ]
        .into_iter()
        .map(compile)
        .collect();
        let mut io = Finding::bare("io", "disk", Signal::Saturation, Severity::Medium);
        io.value = 1.1;
        io.threshold = Some(1.0);
        let mut lone = Finding::bare("queue", "cpu", Signal::Saturation, Severity::Medium);
        lone.value = 50.0;
        lone.threshold = Some(1.0);
        let mut findings = vec![
            lone,
            io,
            Finding::bare("latency", "disk", Signal::Saturation, Severity::Medium),
        ];
        link(&rules, &mut findings);
        assert_eq!(ids(&findings), ["io", "latency", "queue"]);
        assert_eq!(findings[0].corroborated_by, ["latency"]);
        assert_eq!(findings[2].severity, Severity::Low);
    }

    /// `check` refuses a link that names no rule: a typo would leave it silently unused.
    #[test]
    fn links_naming_no_rule_are_found() {
        let rules: Vec<CompiledRule> = [rule("storm", "mutex", &["io-presure"], &["futex"])]
            .into_iter()
            .map(compile)
            .collect();
        assert_eq!(
            unknown_links(&rules, &["storm", "futex", "io-pressure"]),
            [("storm", "explained_by", "io-presure")]
        );
    }
}

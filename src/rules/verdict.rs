//! The verdict: the report's first line and what kind it is, decided from the findings and from
//! which rules could be judged.
//!
//! "Healthy" is said only of what was judged. A resource counts as judged when at least one of
//! its rules had the data to be evaluated. A rule that was not judged leaves a *gap*, unless the
//! data lack outright what it reads and the rule's `no_data` note says why a host may lack it (a
//! virtual NIC has no link speed, a kernel may have no pressure stall information): that is a
//! known limit of the host or of the capture, named in the verdict, not a doubt on the rest. Too
//! little data, a rule in error, or a series no note explains (a tool that did not run, a series
//! nothing produces) is a gap; so is every rule of a resource none of whose rules was judged.
//!
//! - **bottleneck**: findings above info, all about one resource, leaving out the consequences
//!   of others (`links.rs`: a run queue inflated by I/O is the disk's, not the CPU's);
//! - **several**: findings above info, consequences left out, about more than one resource:
//!   independent bottlenecks, the best ranked first;
//! - **inconclusive**: no finding above info, and gaps, or no rule at all: the line names what
//!   was not judged and why;
//! - **healthy**: no finding above info and no gap: the line names the resources judged, and the
//!   USE cells the notes excuse.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::use_table::resources;
use super::{CompiledRule, Finding, Judgement, Rule, Severity, Signal};

/// What the verdict says, for machines (`verdict_kind` in the report's JSON).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    /// No finding above info, and every rule that could say otherwise was judged.
    Healthy,
    /// Findings above info, all about one resource.
    Bottleneck,
    /// Findings above info about more than one resource.
    Several,
    /// No finding above info, but something could not be judged (`not_judged` says what).
    #[default]
    Inconclusive,
}

impl VerdictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Healthy => "healthy",
            VerdictKind::Bottleneck => "bottleneck",
            VerdictKind::Several => "several",
            VerdictKind::Inconclusive => "inconclusive",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub kind: VerdictKind,
    /// The report's first line.
    pub line: String,
    /// The rules that make the gaps, in the rule set's order: what, judged, might have said
    /// more. Possibly not empty beside findings: they were judged with what there was.
    pub not_judged: Vec<String>,
}

/// Whether something could not be judged, so that nothing found at a level does not show that
/// nothing is there (`--fail-on` then exits [`crate::exit::INCONCLUSIVE`]).
pub(crate) fn is_open(kind: VerdictKind, not_judged: &[String]) -> bool {
    kind == VerdictKind::Inconclusive || !not_judged.is_empty()
}

/// How many names a verdict line lists before it says "and N more".
const NAMES_SHOWN: usize = 6;

pub fn verdict(compiled: &[CompiledRule], judgement: &Judgement) -> Verdict {
    let rules: Vec<&Rule> = compiled.iter().map(CompiledRule::rule).collect();
    let index = judgement.index();
    let judged = |rule: &Rule| index.was_judged(&rule.id);
    let excused = |rule: &Rule| !rule.no_data.is_empty() && index.is_absent(&rule.id);
    let all_resources = resources(rules.iter().copied());
    let judged_resources: std::collections::BTreeSet<&str> = rules
        .iter()
        .filter(|rule| judged(rule))
        .map(|rule| rule.resource.as_str())
        .collect();
    let unjudged: Vec<&String> = all_resources
        .iter()
        .filter(|resource| !judged_resources.contains(resource.as_str()))
        .collect();
    let gaps: Vec<&Rule> = rules
        .iter()
        .copied()
        .filter(|rule| !judged(rule) && (!excused(rule) || unjudged.contains(&&rule.resource)))
        .collect();
    let not_judged = gaps.iter().map(|rule| rule.id.clone()).collect();
    // A consequence is shown under its cause, not weighed as a rival resource; a neighbour's
    // load is the verdict only where the target itself shows nothing.
    let primary =
        |finding: &&Finding| finding.severity > Severity::Info && finding.consequence_of.is_none();
    let mut loud: Vec<&Finding> = judgement
        .findings
        .iter()
        .filter(primary)
        .filter(|finding| finding.neighbours.is_empty())
        .collect();
    if loud.is_empty() {
        loud = judgement.findings.iter().filter(primary).collect();
    }
    let (kind, line) = if let Some(top) = loud.first() {
        let kind = if loud.iter().all(|finding| finding.resource == top.resource) {
            VerdictKind::Bottleneck
        } else {
            VerdictKind::Several
        };
        let mut line = format!(
            "{} {} {}: {}",
            top.severity.as_str().to_uppercase(),
            top.resource,
            top.signal.as_str(),
            top.message
        );
        if !top.explains.is_empty() {
            line.push_str(&format!(" (explains {})", and_list(&top.explains)));
        }
        (kind, line)
    } else if rules.is_empty() {
        let line = "Inconclusive: there is no rule to judge the data with.".to_string();
        (VerdictKind::Inconclusive, line)
    } else if !gaps.is_empty() {
        let line = inconclusive_line(compiled, &unjudged, &gaps, judgement);
        (VerdictKind::Inconclusive, line)
    } else {
        let line = healthy_line(&rules, &all_resources, &judged);
        (VerdictKind::Healthy, line)
    };
    Verdict {
        kind,
        line,
        not_judged,
    }
}

/// `No finding above info: cpu and memory look healthy (no data for memory errors).`: the
/// resources, and the cells whose every rule lacked data its note excuses.
fn healthy_line(rules: &[&Rule], resources: &[String], judged: &dyn Fn(&Rule) -> bool) -> String {
    const SIGNALS: [Signal; 5] = [
        Signal::Utilization,
        Signal::Saturation,
        Signal::Errors,
        Signal::Rate,
        Signal::Duration,
    ];
    let excused: Vec<String> = resources
        .iter()
        .flat_map(|resource| SIGNALS.iter().map(move |signal| (resource, *signal)))
        .filter(|(resource, signal)| {
            let mut cell = rules
                .iter()
                .filter(|rule| &rule.resource == *resource && rule.signal == *signal)
                .peekable();
            cell.peek().is_some() && !cell.any(|rule| judged(rule))
        })
        .map(|(resource, signal)| format!("{resource} {}", signal.as_str()))
        .collect();
    let verb = if resources.len() == 1 {
        "looks"
    } else {
        "look"
    };
    let mut line = format!(
        "No finding above info: {} {verb} healthy",
        and_list(resources)
    );
    if !excused.is_empty() {
        line.push_str(&format!(" (no data for {})", excused.join(", ")));
    }
    line.push('.');
    line
}

/// `Inconclusive: no finding above info, but cpu was not judged: too little data for
/// mpstat.busy.`: the resources none of whose rules was judged, the other rules not judged, and
/// why: what the data lack, what they have too little of, which rules are wrong.
fn inconclusive_line(
    compiled: &[CompiledRule],
    unjudged: &[&String],
    gaps: &[&Rule],
    judgement: &Judgement,
) -> String {
    let mut subjects: Vec<String> = unjudged
        .iter()
        .map(|resource| resource.to_string())
        .collect();
    subjects.extend(
        gaps.iter()
            .filter(|rule| !unjudged.contains(&&rule.resource))
            .map(|rule| format!("rule {}", rule.id)),
    );
    let mut absent: Vec<&str> = Vec::new();
    let mut short: Vec<&str> = Vec::new();
    let mut wrong: Vec<&str> = Vec::new();
    for rule in gaps {
        if let Some((_, names)) = judgement.absent.iter().find(|(id, _)| id == &rule.id) {
            absent.extend(names.iter().map(String::as_str));
        } else if judgement.errors.iter().any(|(id, _)| id == &rule.id) {
            wrong.push(&rule.id);
        } else if let Some(rule) = compiled.iter().find(|c| c.rule().id == rule.id) {
            short.extend(rule.series_names().iter().map(String::as_str));
        }
    }
    let causes: Vec<String> = [
        ("no data for", absent),
        ("too little data for", short),
        ("rules in error:", wrong),
    ]
    .into_iter()
    .filter(|(_, names)| !names.is_empty())
    .map(|(what, mut names)| {
        let mut seen = std::collections::BTreeSet::new();
        names.retain(|name| seen.insert(*name));
        format!("{what} {}", capped(&names))
    })
    .collect();
    if gaps.len() == compiled.len() {
        return format!("Inconclusive: nothing was judged: {}.", causes.join("; "));
    }
    let verb = if subjects.len() == 1 { "was" } else { "were" };
    format!(
        "Inconclusive: no finding above info, but {} {verb} not judged: {}.",
        capped(&subjects),
        causes.join("; ")
    )
}

/// `a, b and c`.
fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// At most [`NAMES_SHOWN`] names, then how many more.
fn capped<S: AsRef<str>>(names: &[S]) -> String {
    let shown: Vec<&str> = names.iter().take(NAMES_SHOWN).map(AsRef::as_ref).collect();
    let mut text = shown.join(", ");
    if names.len() > shown.len() {
        text.push_str(&format!(" and {} more", names.len() - shown.len()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Dataset, HostFacts, Origin, Record, Unit};
    use crate::rules::{compile, evaluate_all};

    fn rule(id: &str, resource: &str, signal: Signal, when: &str, no_data: &str) -> CompiledRule {
        compile(Rule {
            id: id.into(),
            resource: resource.into(),
            signal,
            when: when.into(),
            severity: Severity::Medium,
            message: format!("{id} fired"),
            meaning: String::new(),
            next: String::new(),
            source: String::new(),
            no_data: no_data.into(),
            explained_by: Vec::new(),
            corroborated_by: Vec::new(),
            alone: None,
        })
    }

    /// The CPU rules of a small playbook: utilization and run queue, and PSI with a note.
    fn cpu_rules() -> Vec<CompiledRule> {
        vec![
            rule(
                "busy",
                "cpu",
                Signal::Utilization,
                "avg(t.busy) > 90 for 5s",
                "",
            ),
            rule(
                "queue",
                "cpu",
                Signal::Saturation,
                "avg(t.queue) > 2 for 5s",
                "",
            ),
            rule(
                "psi",
                "cpu",
                Signal::Saturation,
                "avg(p.stall) > 20",
                "no PSI here",
            ),
        ]
    }

    fn memory_rule() -> CompiledRule {
        rule("mem", "memory", Signal::Utilization, "max(t.used) > 90", "")
    }

    /// `samples` one-second samples of each field of table `t` with the same value.
    fn data(samples: usize, fields: &[(&str, f64)]) -> Dataset {
        let records: Vec<Record> = (1..=samples)
            .map(|second| Record::from_pairs("t", second as f64, &[], fields, "t.txt", second))
            .collect();
        Dataset::from_records(&records, HostFacts::default(), |_, _| Unit::Count)
            .with_origin(Origin::Captured)
    }

    fn judged(rules: &[CompiledRule], data: &Dataset) -> Verdict {
        verdict(rules, &evaluate_all(rules, data))
    }

    #[test]
    fn nothing_judged_is_never_healthy() {
        let empty = judged(&cpu_rules(), &Dataset::default());
        assert_eq!(empty.kind, VerdictKind::Inconclusive);
        assert!(
            empty
                .line
                .starts_with("Inconclusive: nothing was judged: no data for t.busy")
        );
        assert_eq!(empty.not_judged, ["busy", "queue", "psi"]);
        assert!(is_open(empty.kind, &empty.not_judged));
        let no_rules = judged(&[], &data(5, &[("busy", 10.0)]));
        assert_eq!(no_rules.kind, VerdictKind::Inconclusive);
        assert!(is_open(no_rules.kind, &no_rules.not_judged));
    }

    /// Two samples against `for 5s`: too little to judge a window over, so the CPU is not
    /// judged at all, whatever the numbers.
    #[test]
    fn too_little_data_leaves_the_resource_unjudged() {
        let verdict = judged(&cpu_rules(), &data(2, &[("busy", 99.0), ("queue", 8.0)]));
        assert_eq!(verdict.kind, VerdictKind::Inconclusive);
        assert_eq!(
            verdict.line,
            "Inconclusive: nothing was judged: no data for p.stall; too little data for t.busy, \
             t.queue."
        );
    }

    /// PSI and a link speed missing, as their notes allow, while the rest was judged: healthy,
    /// naming the cell no rule could judge (PSI shares its cell with the judged run queue).
    #[test]
    fn a_gap_a_note_excuses_is_named_but_leaves_the_verdict_healthy() {
        let mut rules = cpu_rules();
        rules.push(rule(
            "link",
            "network",
            Signal::Utilization,
            "avg(n.util) > 70",
            "no speed",
        ));
        rules.push(rule(
            "drops",
            "network",
            Signal::Saturation,
            "avg(t.drops) > 10",
            "",
        ));
        let data = data(5, &[("busy", 10.0), ("queue", 0.0), ("drops", 0.0)]);
        let verdict = judged(&rules, &data);
        assert_eq!(verdict.kind, VerdictKind::Healthy);
        assert_eq!(
            verdict.line,
            "No finding above info: cpu and network look healthy (no data for network \
             utilization)."
        );
        assert!(verdict.not_judged.is_empty());
    }

    /// A rule reading a series nothing produces (`vmstat.rr`) is a gap even where the rest of
    /// its resource was judged: the verdict says which rule.
    #[test]
    fn a_rule_without_data_and_without_a_note_makes_it_inconclusive() {
        let mut rules = cpu_rules();
        rules.push(rule(
            "typo",
            "cpu",
            Signal::Saturation,
            "avg(vmstat.rr) > 1",
            "",
        ));
        rules.push(memory_rule());
        let data = data(
            5,
            &[
                ("busy", 10.0),
                ("queue", 0.0),
                ("used", 50.0),
                ("stall", 0.0),
            ],
        );
        let verdict = judged(&rules, &data);
        assert_eq!(verdict.kind, VerdictKind::Inconclusive);
        assert_eq!(
            verdict.line,
            "Inconclusive: no finding above info, but rule typo was not judged: no data for \
             vmstat.rr."
        );
        assert_eq!(verdict.not_judged, ["typo"]);
    }

    #[test]
    fn findings_make_a_bottleneck_or_several_and_gaps_keep_it_open() {
        let mut rules = cpu_rules();
        rules.push(memory_rule());
        let one = judged(
            &rules,
            &data(5, &[("busy", 99.0), ("queue", 0.0), ("used", 50.0)]),
        );
        assert_eq!(one.kind, VerdictKind::Bottleneck);
        assert_eq!(one.line, "MEDIUM cpu utilization: busy fired");
        assert!(one.not_judged.is_empty() && !is_open(one.kind, &one.not_judged));
        let two = judged(
            &rules,
            &data(5, &[("busy", 99.0), ("queue", 0.0), ("used", 95.0)]),
        );
        assert_eq!(two.kind, VerdictKind::Several);
        // Memory not judged: the CPU finding stands, but a finding elsewhere cannot be ruled out.
        let open = judged(&rules, &data(5, &[("busy", 99.0), ("queue", 0.0)]));
        assert_eq!(open.kind, VerdictKind::Bottleneck);
        assert_eq!(open.not_judged, ["mem"]);
        assert!(is_open(open.kind, &open.not_judged));
    }

    /// A run queue the disk explains is shown under it: one bottleneck, the disk, whose line
    /// names what it explains; a neighbour's CPU load gives way to the target's own finding.
    #[test]
    fn consequences_and_neighbours_are_no_rival_resources() {
        let mut rules = cpu_rules();
        rules.push(rule("io", "disk", Signal::Saturation, "avg(t.io) > 10", ""));
        let mut cause = Finding::bare("io", "disk", Signal::Saturation, Severity::Medium);
        cause.message = "tasks stalled on I/O".into();
        cause.explains = vec!["queue".into()];
        let mut consequence = Finding::bare("queue", "cpu", Signal::Saturation, Severity::High);
        consequence.consequence_of = Some("io".into());
        let judgement = Judgement {
            findings: vec![cause.clone(), consequence],
            ..Judgement::default()
        };
        let verdict = verdict(&rules, &judgement);
        assert_eq!(verdict.kind, VerdictKind::Bottleneck);
        assert_eq!(
            verdict.line,
            "MEDIUM disk saturation: tasks stalled on I/O (explains queue)"
        );
        let mut busy = Finding::bare("busy", "cpu", Signal::Utilization, Severity::High);
        busy.neighbours = vec![crate::rules::Neighbour {
            pid: 7,
            command: "rustc".into(),
            cpu_pct: 180.0,
            io_kib_s: None,
        }];
        cause.explains.clear();
        let judgement = Judgement {
            findings: vec![cause, busy.clone()],
            ..Judgement::default()
        };
        assert_eq!(verdict_of(&rules, &judgement), VerdictKind::Bottleneck);
        let judgement = Judgement {
            findings: vec![busy],
            ..Judgement::default()
        };
        assert_eq!(verdict_of(&rules, &judgement), VerdictKind::Bottleneck);
    }

    fn verdict_of(rules: &[CompiledRule], judgement: &Judgement) -> VerdictKind {
        verdict(rules, judgement).kind
    }
}

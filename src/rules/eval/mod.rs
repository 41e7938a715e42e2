//! Evaluation of compiled rules over a [`Dataset`]: fired, quiet, not evaluated (and why), or
//! an error. The grammar is written down in [`super::expr`]'s module doc; what it means is here.
//!
//! # Meaning
//!
//! A selector picks every instance (every set of labels) of a series. Values flow per instance:
//!
//! - **Time.** A sample at time `t` stands for the interval since the previous sample, which is
//!   how sysstat reports. So five samples one second apart cover five seconds. The first sample
//!   stands for the interval since the row before it of the same table and instance when there
//!   is one (a rate between two /proc snapshots: two copies taken by hand 11 s apart give one
//!   sample that measured those 11 s, and alone covers a `for` of 5 s), else it is taken to
//!   cover one interval too. After a gap of more than two intervals (a tool restarted, two
//!   days' files), a sample stands for one interval only: nothing holds across a gap. A sample
//!   that alone stands for longer than a rolling window is that window's aggregate (the finest
//!   the data allow).
//! - **Without `for`**, an aggregate reduces each instance's whole series to one number, and a
//!   bare selector stays a series: a comparison on it fires if any sample holds.
//! - **With `for D`**, every aggregate is rolling: at each sample it reduces the samples of the
//!   window of length `D` that ends there, and has no value until a full window is available.
//!   A rule fires when its condition holds over a stretch of consecutive samples that covers at
//!   least `D` (one true rolling value covers its whole window, so an aggregate needs one full
//!   window; a bare selector must hold at every sample of the stretch). A quarter of a sample
//!   interval of slack absorbs timestamp jitter, never a whole missing sample.
//! - **`for D` longer than the data.** When the series cover less than `D` (a short run, a
//!   capture of a few seconds), the rule is judged over the whole window they cover, as if `for`
//!   asked for that: it fires only if it held all along, and its message says "held for the
//!   4 s the data cover, shorter than the 5 s its `for` asks" (the finding's `asked_seconds`
//!   is then set). What the data cover is their longest stretch without a gap. Series sampled at different instants share a little less than each covers:
//!   the window is then one sample interval shorter. Only over at least [`MIN_SAMPLES`] samples
//!   of every series the rule reads: below that the rule is *not evaluated* (too little data).
//! - **Aggregates**: `avg`, `min`, `max`, `sum`, `last`, `count` (number of samples), `delta`
//!   (last − first), `rate` ((last − first) / (t_last − t_first), per second; needs two samples)
//!   and `pNN`, the nearest-rank percentile: sort the n values, take the ⌈NN/100 · n⌉-th. In a
//!   rolling window, `delta` and `rate` use the first and last samples inside the window.
//! - **Joining.** An operator between two sets of instances pairs instances whose shared labels
//!   agree (`iostat.r_await{device="sda"}` with `iostat.util{device="sda"}`); a set of one
//!   instance, a number and a host fact apply to every instance of the other side. Series from
//!   different tables are aligned by nearest time (within half the larger sample interval; the
//!   nearest sample counts as taken at the same time). An operator has a value only where both
//!   sides have one, so a stretch also ends at a sample missing on either side; a division by
//!   zero leaves no value at that sample.
//! - **Quantifiers.** `any(C)`, the default when no quantifier is written, judges each instance
//!   on its own: the rule fires if one instance holds (written inside `and` or `or` it changes
//!   nothing either). `all(C)` holds at a time when every instance holds then (for whole-run
//!   aggregates, when every instance's value holds), and then counts as a single instance.
//! - **Units.** A number with a unit is converted into the unit of the series it meets (`20ms`
//!   against seconds is `0.02`); `90%` against a percent series is 90. A plain number takes the
//!   unit of the other side. Comparing or adding values of different dimensions (`5ms` with a
//!   percentage) is an evaluation error naming both units. Dividing two values of the same
//!   dimension gives a ratio; multiplying or dividing by a count keeps the unit (so
//!   `avg(vmstat.r) / host.cpus` is a ratio and `mpstat.busy / 2` a percentage). A ratio
//!   compared with a percentage is read as a percentage: `red.errors / red.requests > 1%`
//!   holds when more than one request in a hundred failed, and its finding says `2%`.
//! - A number compared with a series (`90% < iostat.util`) is turned round so that the series is
//!   on the left: the finding's value is always the series side.
//! - **No data.** If a series the rule reads has no instance at all, or none matches its labels,
//!   or a host fact is unknown, the rule is *not evaluated* (a distinct outcome with the reason),
//!   and likewise when `for D` asks for more time than fewer than [`MIN_SAMPLES`] samples cover.
//!
//! The finding of a rule that fires reports the worst left-hand value that crossed (the highest
//! for `>`/`>=`, the lowest for `<`/`<=`) in the worst instance (for `all(...)`, the instance
//! with that value), the right-hand number when it is a constant, in the left side's unit, and
//! where it held: the stretch of samples (from the start of the interval of its first sample),
//! or the whole series' span for a whole-run aggregate. When `and` or `or` join comparisons, the
//! first comparison that held speaks for the finding.
//!
//! `{{value}}`, `{{threshold}}` and `{{instance}}` in the rule's message are filled in: numbers
//! with at most two decimals and no unit, so the message writes its own (`busy {{value}}%`,
//! `took {{value}} ms`; the finding's `unit` field has it too), the instance as its label value
//! when it has one label (`sda`), `key=value, ...` when it has several, `host` when it has none.
//!
//! # Where things are
//!
//! Values flow as *tracks* (`track`): one per instance, holding either one number for the whole
//! run (a whole-run aggregate) or timed points. Each point remembers from when it speaks
//! (`from`): a raw sample since the previous sample, a rolling aggregate since the start of its
//! window. That is what lets "holds for 5 s" be measured the same way for raw samples and
//! rolling aggregates. `value` computes numbers (selectors, host facts, arithmetic; their units
//! in `measure`), `aggregate` whole-run and rolling aggregates, `truth` comparisons, `and`, `or`
//! and the quantifiers, `crossing` the stretches where a rule held and whether they last the
//! `for` duration, `outcome` the finding and what a judged rule saw.
//!
//! [`Dataset`]: crate::record::Dataset

mod aggregate;
mod crossing;
mod measure;
mod outcome;
mod track;
mod truth;
mod value;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::record::{Dataset, Labels, Name, Origin, Series};

use super::Rule;
use super::compiled::CompiledRule;
use super::expr::{Cond, Expr, Selector};
use super::links::link;
use crossing::coverage;
pub(crate) use outcome::JudgementIndex;
use outcome::labels_text;
pub use outcome::{Judgement, Outcome, format_number};
use truth::ComparisonInfo;

/// The fewest samples, in every series a rule reads, over which a rule whose `for` is longer
/// than the data is judged on the whole window instead. A `for` is there so that a moment does
/// not raise a finding, and below three samples the window is hardly more than a moment: one
/// sample's interval is assumed, not measured (the first sample borrows the gap to the second),
/// and two are a single measured interval that one spike fills. Three samples are at least two
/// measured intervals in which the condition must hold (or average) throughout.
pub const MIN_SAMPLES: usize = 3;

/// Judge every rule; sequential, as a rule takes microseconds to milliseconds.
pub fn evaluate_all(rules: &[CompiledRule], data: &Dataset) -> Judgement {
    let mut judgement = Judgement::default();
    for compiled in rules {
        let id = &compiled.rule().id;
        let Judged {
            outcome,
            observed,
            absent,
        } = judge_rule(compiled, data);
        if let Some(observed) = observed {
            judgement.observed.push((id.clone(), observed));
        }
        if !absent.is_empty() {
            judgement.absent.push((id.clone(), absent));
        }
        match outcome {
            Outcome::Fired(finding) => judgement.findings.push(finding),
            Outcome::Quiet => {}
            Outcome::NotEvaluated(why) => judgement.not_evaluated.push((id.clone(), why)),
            Outcome::Error(what) => judgement.errors.push((id.clone(), what)),
        }
    }
    link(rules, &mut judgement.findings);
    judgement
}

pub fn evaluate(rule: &CompiledRule, data: &Dataset) -> Outcome {
    judge_rule(rule, data).outcome
}

/// What judging one rule gave.
struct Judged {
    outcome: Outcome,
    /// What the rule saw, when it was judged.
    observed: Option<String>,
    /// The series and host facts it lacks, when that is why it was not evaluated.
    absent: Vec<String>,
}

impl From<(Outcome, Option<String>)> for Judged {
    fn from((outcome, observed): (Outcome, Option<String>)) -> Self {
        Judged {
            outcome,
            observed,
            absent: Vec::new(),
        }
    }
}

fn judge_rule(compiled: &CompiledRule, data: &Dataset) -> Judged {
    judge_rule_with(compiled, data, true)
}

/// [`judge_rule`], with the choice to judge one instance at a time where the expression allows
/// it (`one_at_a_time`); the outcome is the same either way, which the tests check.
fn judge_rule_with(compiled: &CompiledRule, data: &Dataset, one_at_a_time: bool) -> Judged {
    let rule = compiled.rule();
    let expr = match compiled.expression() {
        Ok(expr) => expr,
        Err(error) => {
            let what = format!(
                "bad `when` expression {:?} at byte {}: {error}",
                rule.when, error.offset
            );
            return (Outcome::Error(what), None).into();
        }
    };
    if let Some((why, absent)) = missing_data(expr, data) {
        // A rule's note speaks of hosts: it holds where the sampler looked at this one. Of data
        // someone captured, all that is known is that the capture lacks it.
        let why = match (rule.no_data.as_str(), data.origin) {
            ("", Origin::ThisHost) => why,
            (note, Origin::ThisHost) => format!("{why}: {note}"),
            (_, Origin::Captured) => format!("{why}: not in the data given"),
        };
        return Judged {
            outcome: Outcome::NotEvaluated(why),
            observed: None,
            absent,
        };
    }
    match judge_over(rule, expr, data, expr.hold, one_at_a_time) {
        Pass::Done(outcome, observed) => (outcome, observed).into(),
        Pass::TooShort(why) => judge_whole_window(rule, expr, data, why, one_at_a_time).into(),
    }
}

/// What judging a rule over one `for` window gave. Large beside `TooShort` as [`Outcome`] is,
/// and as short-lived.
#[allow(clippy::large_enum_variant)]
enum Pass {
    /// An outcome, and for a rule that was judged, what it saw.
    Done(Outcome, Option<String>),
    /// `for` asks for more time than the data cover (why, for the report).
    TooShort(String),
}

/// Judge `expr` with `hold` as its `for` window: in one pass over every instance, or, where the
/// expression allows it ([`Split`]), one pass per instance, so that only one instance's values
/// are held at a time (a day of `mpstat -P ALL` from a 32-CPU host is 33 instances of
/// millions of samples each). Both give the same outcome: each instance is judged on its own
/// either way, the worst crossing wins, and what each comparison saw is the most extreme over
/// all passes.
fn judge_over(
    rule: &Rule,
    expr: &Expr,
    data: &Dataset,
    hold: Option<f64>,
    one_at_a_time: bool,
) -> Pass {
    let split = Split::of(expr, data).filter(|_| one_at_a_time);
    let passes = split.as_ref().map_or(1, |split| split.parts.len());
    let mut judge = Judge {
        data,
        hold,
        comparisons: Vec::new(),
        met: 0,
        split,
        part: None,
    };
    let mut best: Option<crossing::Crossing> = None;
    let mut covered: f64 = 0.0;
    let mut judged = false;
    let mut no_data: Option<String> = None;
    for pass in 0..passes {
        judge.part = judge.split.as_ref().map(|_| pass);
        judge.met = 0;
        match judge.top_condition(&expr.condition) {
            Ok(tracks) => {
                judged = true;
                judge.decide(&tracks, &mut best);
                covered = covered.max(judge.covered(&tracks));
            }
            // One instance without data of its own (an operator's other side lacks it) adds
            // nothing, as it would add no track in one pass over all of them.
            Err(Stop::NoData(why)) => {
                no_data.get_or_insert(why);
            }
            Err(Stop::Error(what)) => return Pass::Done(Outcome::Error(what), None),
        }
    }
    if !judged {
        return Pass::Done(Outcome::NotEvaluated(no_data.unwrap_or_default()), None);
    }
    let outcome = match best {
        Some(crossing) => Outcome::Fired(judge.finding(rule, expr, crossing)),
        None => match judge.too_short(expr, covered) {
            Some(why) => return Pass::TooShort(why),
            None => Outcome::Quiet,
        },
    };
    let observed: Vec<String> = judge
        .comparisons
        .iter()
        .filter_map(ComparisonInfo::observed)
        .collect();
    Pass::Done(outcome, Some(observed.join("; ")))
}

/// `for` asks for more time than the data cover: judge the longest window they allow instead,
/// and say so, when every series the rule reads has at least [`MIN_SAMPLES`] samples; else the
/// rule is not evaluated (`why`). The longest window is the shortest series' span; series
/// sampled at other instants share less of it (the /proc sampler starts a fraction of a second
/// after vmstat), so failing that, one sample interval shorter, down to [`MIN_SAMPLES`] samples.
fn judge_whole_window(
    rule: &Rule,
    expr: &Expr,
    data: &Dataset,
    why: String,
    one_at_a_time: bool,
) -> (Outcome, Option<String>) {
    let asked = expr.hold.unwrap_or_default();
    let coverage = coverage(expr, data);
    if coverage.samples < MIN_SAMPLES {
        let why = format!(
            "{why}, in {} sample(s): a shorter window is judged over {MIN_SAMPLES} at least",
            coverage.samples
        );
        return (Outcome::NotEvaluated(why), None);
    }
    let step = coverage.step;
    let shortest = step * MIN_SAMPLES as f64 - track::slack(step);
    let mut window = if coverage.seconds < asked {
        coverage.seconds
    } else {
        asked - step
    };
    while step > 0.0 && window >= shortest {
        let caveat = format!(
            "the {} s the data cover, shorter than the {} s its `for` asks",
            format_number(window),
            format_number(asked)
        );
        match judge_over(rule, expr, data, Some(window), one_at_a_time) {
            Pass::TooShort(_) => window -= step,
            Pass::Done(Outcome::Fired(mut finding), observed) => {
                finding.message.push_str(&format!(" (held for {caveat})"));
                finding.evidence.asked_seconds = Some(asked);
                return (Outcome::Fired(finding), observed);
            }
            Pass::Done(Outcome::Quiet, observed) => {
                let observed = observed.map(|observed| format!("{observed}, over {caveat}"));
                return (Outcome::Quiet, observed);
            }
            Pass::Done(other, observed) => return (other, observed),
        }
    }
    (Outcome::NotEvaluated(why), None)
}

/// Why a rule cannot be judged, and what it lacks: the series and host facts it reads that have
/// no data, or else the first selector that matches no instance (its series).
fn missing_data(expr: &Expr, data: &Dataset) -> Option<(String, Vec<String>)> {
    let mut absent: Vec<String> = expr
        .series_names()
        .iter()
        .filter(|name| data.instances(name).is_empty())
        .cloned()
        .collect();
    for fact in expr.host_facts() {
        let name = format!("host.{}", fact.name());
        if data.host_fact(fact.name()).is_none() && !absent.contains(&name) {
            absent.push(name);
        }
    }
    if !absent.is_empty() {
        return Some((format!("no data for {}", absent.join(", ")), absent));
    }
    expr.selectors().into_iter().find_map(|selector| {
        let instances = data.instances(&selector.name);
        if instances
            .iter()
            .any(|series| selector.matches(&series.labels))
        {
            return None;
        }
        let present: Vec<String> = instances
            .iter()
            .take(8)
            .map(|series| labels_text(&series.labels))
            .collect();
        let why = format!(
            "no instance of {} matches {selector} (present: {}{})",
            selector.name,
            present.join("; "),
            if instances.len() > present.len() {
                "; ..."
            } else {
                ""
            }
        );
        Some((why, vec![selector.name.clone()]))
    })
}

/// Why a rule's evaluation stopped before a verdict.
enum Stop {
    NoData(String),
    Error(String),
}

/// The state of judging one rule: its data, its `for` window, and what each comparison saw.
struct Judge<'d> {
    data: &'d Dataset,
    hold: Option<f64>,
    /// What each comparison saw, over every pass, in the order the expression has them.
    comparisons: Vec<ComparisonInfo>,
    /// The comparisons met so far in this pass.
    met: usize,
    /// When the rule is judged one instance at a time, the instances, and which one this
    /// pass judges.
    split: Option<Split<'d>>,
    part: Option<usize>,
}

/// A rule judged one instance at a time. That gives what one pass over every instance gives
/// when each track of the result comes from one instance of each selector picking several
/// (no `all(...)`, which joins every instance into one) and those instances pair only with
/// their namesakes: every instance of every such selector has the same label names, so two
/// of them agree on their labels exactly when they are the same instance. Selectors picking
/// one instance apply to every pass, as they apply to every instance.
struct Split<'d> {
    /// The labels of each instance, in the order of the first selector picking several.
    parts: Vec<&'d Labels>,
    /// Each selector picking several instances (by address: each mention on its own), with
    /// its instances by labels.
    narrowed: Vec<(*const Selector, BTreeMap<&'d Labels, Vec<&'d Series>>)>,
}

impl<'d> Split<'d> {
    fn of(expr: &Expr, data: &'d Dataset) -> Option<Split<'d>> {
        if has_all(&expr.condition) {
            return None;
        }
        let mut names: Option<Vec<&Name>> = None;
        let mut parts: Vec<&'d Labels> = Vec::new();
        let mut narrowed = Vec::new();
        for selector in expr.selectors() {
            let chosen: Vec<&'d Series> = data
                .instances(&selector.name)
                .iter()
                .filter(|series| selector.matches(&series.labels))
                .collect();
            if chosen.len() < 2 {
                continue;
            }
            let mut by_labels: BTreeMap<&'d Labels, Vec<&'d Series>> = BTreeMap::new();
            for series in chosen {
                let these: Vec<&Name> = series.labels.keys().collect();
                match &names {
                    None if these.is_empty() => return None,
                    None => names = Some(these),
                    Some(known) if *known == these => {}
                    Some(_) => return None,
                }
                if narrowed.is_empty() && !by_labels.contains_key(&series.labels) {
                    parts.push(&series.labels);
                }
                by_labels.entry(&series.labels).or_default().push(series);
            }
            narrowed.push((std::ptr::from_ref(selector), by_labels));
        }
        (!parts.is_empty()).then_some(Split { parts, narrowed })
    }
}

fn has_all(cond: &Cond) -> bool {
    match cond {
        Cond::All(_) => true,
        Cond::Compare(_) => false,
        Cond::Any(inner) => has_all(inner),
        Cond::And(left, right) | Cond::Or(left, right) => has_all(left) || has_all(right),
    }
}

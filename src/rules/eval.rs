//! Evaluation of rule expressions over a [`Dataset`]: fired, quiet, not evaluated (and why), or
//! an error. The grammar is written down in [`super::expr`]'s module doc; what it means is here.
//!
//! # Meaning
//!
//! A selector picks every instance (every set of labels) of a series. Values flow per instance:
//!
//! - **Time.** A sample at time `t` stands for the interval since the previous sample (the first
//!   sample is taken to cover one interval too), which is how sysstat reports. So five samples
//!   one second apart cover five seconds.
//! - **Without `for`**, an aggregate reduces each instance's whole series to one number, and a
//!   bare selector stays a series: a comparison on it fires if any sample holds.
//! - **With `for D`**, every aggregate is rolling: at each sample it reduces the samples of the
//!   window of length `D` that ends there, and has no value until a full window is available.
//!   A rule fires when its condition holds over a stretch of consecutive samples that covers at
//!   least `D` (one true rolling value covers its whole window, so an aggregate needs one full
//!   window; a bare selector must hold at every sample of the stretch). A quarter of a sample
//!   interval of slack absorbs timestamp jitter, never a whole missing sample.
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
//!   dimension gives a count (a ratio); multiplying or dividing by a count keeps the unit (so
//!   `avg(vmstat.r) / host.cpus` is a count and `mpstat.busy / 2` a percentage).
//! - A number compared with a series (`90% < iostat.util`) is turned round so that the series is
//!   on the left: the finding's value is always the series side.
//! - **No data.** If a series the rule reads has no instance at all, or none matches its labels,
//!   or a host fact is unknown, the rule is *not evaluated* (a distinct outcome with the reason),
//!   and likewise when `for D` asks for more time than the data cover.
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
//! Values flow as *tracks*: one per instance, holding either one number for the whole run (a
//! whole-run aggregate) or timed points. Each point remembers from when it speaks (`from`): a raw
//! sample since the previous sample, a rolling aggregate since the start of its window. That is
//! what lets "holds for 5 s" be measured the same way for raw samples and rolling aggregates.
//!
//! [`Dataset`]: crate::record::Dataset

use std::cell::Cell;
use std::collections::BTreeSet;

use super::Rule;
use crate::record::{Dataset, Labels, Name, Series, Unit};

use super::expr::parse_expression;
use super::expr::{Aggregate, ArithOp, CmpOp, Comparison, Cond, Expr, Selector, Value};
use super::finding::{Evidence, Finding, Window, rank};

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
    /// Ranked with [`rank`], most important first.
    pub findings: Vec<Finding>,
    /// (rule id, why it could not be judged).
    pub not_evaluated: Vec<(String, String)>,
    /// (rule id, what is wrong with it).
    pub errors: Vec<(String, String)>,
    /// (rule id, what the rule saw), for every rule that was judged, fired or not.
    pub observed: Vec<(String, String)>,
}

impl Judgement {
    /// What a judged rule saw (`highest 45% against > 90%`); empty for other rules.
    pub fn observed(&self, rule: &str) -> String {
        self.observed
            .iter()
            .find(|(id, _)| id == rule)
            .map(|(_, text)| text.clone())
            .unwrap_or_default()
    }
}

/// Judge every rule; sequential, as a rule takes microseconds to milliseconds.
pub fn evaluate_all(rules: &[Rule], data: &Dataset) -> Judgement {
    let mut judgement = Judgement::default();
    for rule in rules {
        let (outcome, observed) = judge_rule(rule, data);
        if let Some(observed) = observed {
            judgement.observed.push((rule.id.clone(), observed));
        }
        match outcome {
            Outcome::Fired(finding) => judgement.findings.push(finding),
            Outcome::Quiet => {}
            Outcome::NotEvaluated(why) => judgement.not_evaluated.push((rule.id.clone(), why)),
            Outcome::Error(what) => judgement.errors.push((rule.id.clone(), what)),
        }
    }
    rank(&mut judgement.findings);
    judgement
}

pub fn evaluate(rule: &Rule, data: &Dataset) -> Outcome {
    judge_rule(rule, data).0
}

/// The outcome, and for a rule that was judged, what it saw.
fn judge_rule(rule: &Rule, data: &Dataset) -> (Outcome, Option<String>) {
    let expr = match parse_expression(&rule.when) {
        Ok(expr) => expr,
        Err(error) => {
            let what = format!(
                "bad `when` expression {:?} at byte {}: {error}",
                rule.when, error.offset
            );
            return (Outcome::Error(what), None);
        }
    };
    if let Some(why) = missing_data(&expr, data) {
        let why = if rule.no_data.is_empty() {
            why
        } else {
            format!("{why}: {}", rule.no_data)
        };
        return (Outcome::NotEvaluated(why), None);
    }
    let mut judge = Judge {
        data,
        hold: expr.hold,
        comparisons: Vec::new(),
    };
    let tracks = match judge.top_condition(&expr.condition) {
        Ok(tracks) => tracks,
        Err(Stop::NoData(why)) => return (Outcome::NotEvaluated(why), None),
        Err(Stop::Error(what)) => return (Outcome::Error(what), None),
    };
    let outcome = match judge.decide(&tracks) {
        Some(crossing) => Outcome::Fired(judge.finding(rule, &expr, crossing)),
        None => match judge.too_short(&expr, &tracks) {
            Some(why) => return (Outcome::NotEvaluated(why), None),
            None => Outcome::Quiet,
        },
    };
    let observed: Vec<String> = judge
        .comparisons
        .iter()
        .filter_map(ComparisonInfo::observed)
        .collect();
    (outcome, Some(observed.join("; ")))
}

/// Why a rule cannot be judged: the series and host facts it reads that have no data, or else
/// the first selector that matches no instance.
fn missing_data(expr: &Expr, data: &Dataset) -> Option<String> {
    let mut absent: Vec<String> = Vec::new();
    for selector in expr.selectors() {
        if data.instances(&selector.name).is_empty() && !absent.contains(&selector.name) {
            absent.push(selector.name.clone());
        }
    }
    for fact in expr.host_facts() {
        let name = format!("host.{}", fact.name());
        if data.host_fact(fact.name()).is_none() && !absent.contains(&name) {
            absent.push(name);
        }
    }
    if !absent.is_empty() {
        return Some(format!("no data for {}", absent.join(", ")));
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
        Some(format!(
            "no instance of {} matches {selector} (present: {}{})",
            selector.name,
            present.join("; "),
            if instances.len() > present.len() {
                "; ..."
            } else {
                ""
            }
        ))
    })
}

enum Stop {
    NoData(String),
    Error(String),
}

/// What a value is measured in, as far as the evaluator can tell.
#[derive(Debug, Clone, PartialEq)]
enum Measure {
    /// A number written without a unit, or a ratio: takes the unit of what it meets.
    Plain,
    Of(Unit),
    /// A product or quotient no [`Unit`] names (`ms*KiB`); only plain numbers meet it.
    Derived(String),
}

impl Measure {
    fn name(&self) -> String {
        match self {
            Measure::Plain => "a plain number".into(),
            Measure::Of(unit) => unit_name(*unit).into(),
            Measure::Derived(name) => name.clone(),
        }
    }

    fn suffix(&self) -> String {
        match self {
            Measure::Plain => String::new(),
            Measure::Of(unit) => unit.suffix().into(),
            Measure::Derived(name) => format!(" {name}"),
        }
    }
}

fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Count => "count",
        other => other.suffix().trim_start(),
    }
}

#[derive(Debug, Clone)]
struct Point<T> {
    time: f64,
    /// The start of the interval this point speaks for.
    from: f64,
    value: T,
}

#[derive(Debug, Clone)]
enum Shape<T> {
    /// One value for the whole run (`span` is `None` for constants).
    Whole {
        value: T,
        span: Option<Window>,
    },
    Timed(Vec<Point<T>>),
}

/// One instance's value.
#[derive(Debug, Clone)]
struct Track<T> {
    labels: Labels,
    files: BTreeSet<String>,
    /// Typical sample interval (median gap), 0 when unknown.
    step: f64,
    shape: Shape<T>,
}

enum Val {
    Constant(f64),
    Tracks(Vec<Track<f64>>),
}

struct Evaluated {
    val: Val,
    measure: Measure,
}

/// A comparison that held: its left-hand value and where.
#[derive(Debug, Clone)]
struct Witness {
    value: f64,
    /// Index into `Judge::comparisons`.
    comparison: usize,
    labels: Labels,
}

/// `Some` where the condition holds.
type Truth = Option<Witness>;

struct ComparisonInfo {
    op: CmpOp,
    threshold: Option<f64>,
    unit: String,
    /// The most extreme left-hand value seen, crossing or not (the highest for `>`, `>=`, `==`
    /// and `!=`, the lowest for `<` and `<=`): what a quiet rule reports it saw.
    extreme: Option<f64>,
}

impl ComparisonInfo {
    fn lower_is_worse(&self) -> bool {
        matches!(self.op, CmpOp::Lt | CmpOp::Le)
    }

    /// `highest 45% against > 90%`.
    fn observed(&self) -> Option<String> {
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

/// The best stretch where the rule held.
struct Crossing {
    witness: Witness,
    window: Option<Window>,
    held: f64,
    files: BTreeSet<String>,
}

/// One side of a pairwise combination: its value and from when it speaks.
struct Side<'v, T> {
    value: &'v T,
    from: f64,
}

struct Judge<'d> {
    data: &'d Dataset,
    hold: Option<f64>,
    comparisons: Vec<ComparisonInfo>,
}

/// A quarter of a sample interval: timestamps jitter, but never by a whole sample.
fn slack(step: f64) -> f64 {
    (step * 0.25).max(1e-3)
}

impl Judge<'_> {
    /// `any(...)` at the top is the default: every instance is judged on its own.
    fn top_condition(&mut self, cond: &Cond) -> Result<Vec<Track<Truth>>, Stop> {
        match cond {
            Cond::Any(inner) => self.top_condition(inner),
            other => self.condition(other),
        }
    }

    fn condition(&mut self, cond: &Cond) -> Result<Vec<Track<Truth>>, Stop> {
        match cond {
            Cond::Compare(comparison) => self.compare(comparison),
            Cond::And(left, right) => {
                let left = self.condition(left)?;
                let right = self.condition(right)?;
                Ok(join(left, right, |a: Side<Truth>, b: Side<Truth>| {
                    let both = a.value.is_some() && b.value.is_some();
                    Some((
                        if both { a.value.clone() } else { None },
                        a.from.max(b.from),
                    ))
                }))
            }
            Cond::Or(left, right) => {
                let left = self.condition(left)?;
                let right = self.condition(right)?;
                Ok(join(left, right, |a: Side<Truth>, b: Side<Truth>| {
                    Some(match (a.value, b.value) {
                        (Some(_), Some(_)) => (a.value.clone(), a.from.min(b.from)),
                        (Some(_), None) => (a.value.clone(), a.from),
                        (None, Some(_)) => (b.value.clone(), b.from),
                        (None, None) => (None, a.from.min(b.from)),
                    })
                }))
            }
            Cond::Any(inner) => self.condition(inner),
            Cond::All(inner) => {
                let tracks = self.condition(inner)?;
                Ok(self.all(tracks).into_iter().collect())
            }
        }
    }

    fn compare(&mut self, comparison: &Comparison) -> Result<Vec<Track<Truth>>, Stop> {
        let mut left = self.value(&comparison.left)?;
        let mut right = self.value(&comparison.right)?;
        let mut op = comparison.op;
        if matches!(left.val, Val::Constant(_)) && matches!(right.val, Val::Tracks(_)) {
            std::mem::swap(&mut left, &mut right);
            op = op.swapped();
        }
        let (left_scale, right_scale, measure) = reconcile(&left, &right, &comparison.text)?;
        let threshold = match right.val {
            Val::Constant(value) => Some(value * right_scale),
            Val::Tracks(_) => None,
        };
        let index = self.comparisons.len();
        let mut info = ComparisonInfo {
            op,
            threshold,
            unit: measure.suffix(),
            extreme: None,
        };
        let extreme: Cell<Option<f64>> = Cell::new(None);
        let lower_is_worse = info.lower_is_worse();
        let judge_pair = |a: f64, b: f64, labels: &Labels| -> Truth {
            let value = a * left_scale;
            extreme.set(Some(match extreme.get() {
                Some(seen) if lower_is_worse => seen.min(value),
                Some(seen) => seen.max(value),
                None => value,
            }));
            op.holds(value, b * right_scale).then(|| Witness {
                value,
                comparison: index,
                labels: labels.clone(),
            })
        };
        let tracks = match (left.val, right.val) {
            (Val::Constant(a), Val::Constant(b)) => vec![Track {
                labels: Labels::new(),
                files: BTreeSet::new(),
                step: 0.0,
                shape: Shape::Whole {
                    value: judge_pair(a, b, &Labels::new()),
                    span: None,
                },
            }],
            // A constant is never on the left here: it was turned round above.
            (Val::Tracks(tracks), Val::Constant(b)) | (Val::Constant(b), Val::Tracks(tracks)) => {
                tracks
                    .into_iter()
                    .map(|track| {
                        let labels = track.labels.clone();
                        map_track(track, |a| Some(judge_pair(*a, b, &labels)))
                    })
                    .collect()
            }
            (Val::Tracks(left), Val::Tracks(right)) => join_labelled(
                left,
                right,
                |a: Side<f64>, b: Side<f64>, labels: &Labels| {
                    Some((judge_pair(*a.value, *b.value, labels), a.from.max(b.from)))
                },
            ),
        };
        info.extreme = extreme.get();
        self.comparisons.push(info);
        Ok(tracks)
    }

    fn value(&mut self, value: &Value) -> Result<Evaluated, Stop> {
        match value {
            Value::Literal { value, unit } => Ok(Evaluated {
                val: Val::Constant(*value),
                measure: unit.map_or(Measure::Plain, Measure::Of),
            }),
            Value::HostFact(fact) => {
                let number = self
                    .data
                    .host_fact(fact.name())
                    .ok_or_else(|| Stop::NoData(format!("no data for host.{}", fact.name())))?;
                Ok(Evaluated {
                    val: Val::Constant(number),
                    measure: Measure::Of(fact.unit()),
                })
            }
            Value::Series(selector) => {
                let series = self.select(selector)?;
                let measure = Measure::Of(series.first().map_or(Unit::Count, |one| one.unit));
                let tracks = series.into_iter().map(raw_track).collect();
                Ok(Evaluated {
                    val: Val::Tracks(tracks),
                    measure,
                })
            }
            Value::Aggregate {
                aggregate,
                of,
                text,
            } => self.aggregate(*aggregate, of, text),
            Value::Negate(inner) => {
                let inner = self.value(inner)?;
                Ok(Evaluated {
                    val: map_val(inner.val, |value| -value),
                    measure: inner.measure,
                })
            }
            Value::Arith {
                op,
                left,
                right,
                text,
            } => {
                let left = self.value(left)?;
                let right = self.value(right)?;
                arithmetic(*op, left, right, text)
            }
        }
    }

    /// The instances a selector picks; never empty (see `missing_data`).
    fn select(&self, selector: &Selector) -> Result<Vec<&Series>, Stop> {
        let chosen: Vec<&Series> = self
            .data
            .instances(&selector.name)
            .iter()
            .filter(|series| selector.matches(&series.labels))
            .collect();
        if chosen.is_empty() {
            return Err(Stop::NoData(format!("no data for {selector}")));
        }
        Ok(chosen)
    }

    /// Each instance's samples of `of` (computed sample by sample), reduced over the whole run
    /// or, with `for`, over rolling windows.
    fn aggregate(
        &mut self,
        aggregate: Aggregate,
        of: &Value,
        text: &str,
    ) -> Result<Evaluated, Stop> {
        let inner = self.value(of)?;
        let Val::Tracks(inner_tracks) = inner.val else {
            return Err(Stop::Error(format!("`{text}` reads no series")));
        };
        let mut tracks = Vec::new();
        for track in inner_tracks {
            let shape = match (&track.shape, self.hold) {
                (Shape::Whole { .. }, _) => continue,
                (Shape::Timed(points), Some(window)) => {
                    Shape::Timed(rolling(aggregate, points, window, track.step))
                }
                (Shape::Timed(points), None) => match reduce(aggregate, points) {
                    Some(value) => Shape::Whole {
                        value,
                        span: span_of(points),
                    },
                    None => continue,
                },
            };
            tracks.push(Track { shape, ..track });
        }
        if tracks.is_empty() {
            return Err(Stop::NoData(format!(
                "`{text}` has no value: it needs at least two samples"
            )));
        }
        Ok(Evaluated {
            val: Val::Tracks(tracks),
            measure: aggregate_measure(aggregate, inner.measure),
        })
    }

    /// `all(...)`: one track that holds where every instance holds.
    fn all(&self, tracks: Vec<Track<Truth>>) -> Option<Track<Truth>> {
        let first = tracks.first()?;
        let mut labels = first.labels.clone();
        let mut files = BTreeSet::new();
        let mut step: f64 = 0.0;
        for track in &tracks {
            labels.retain(|key, value| track.labels.get(key) == Some(value));
            files.extend(track.files.iter().cloned());
            step = step.max(track.step);
        }
        let reference = tracks.iter().find_map(|track| match &track.shape {
            Shape::Timed(points) => Some(points),
            Shape::Whole { .. } => None,
        });
        let shape = match reference {
            None => {
                let mut every = true;
                let mut worst: Truth = None;
                let mut span: Option<Window> = None;
                for track in &tracks {
                    if let Shape::Whole { value, span: one } = &track.shape {
                        every &= value.is_some();
                        worst = self.worse_of(worst.as_ref(), value.as_ref());
                        span = union(span, *one);
                    }
                }
                Shape::Whole {
                    value: worst.filter(|_| every),
                    span,
                }
            }
            Some(reference) => {
                let points = reference
                    .iter()
                    .map(|at| {
                        let mut from = at.from;
                        let mut worst: Truth = None;
                        let mut every = true;
                        for track in &tracks {
                            match value_near(&track.shape, at.time, (step / 2.0).max(1e-3)) {
                                Some((Some(witness), other_from)) => {
                                    from = from.max(other_from);
                                    worst = self.worse_of(worst.as_ref(), Some(witness));
                                }
                                _ => every = false,
                            }
                        }
                        Point {
                            time: at.time,
                            from,
                            value: if every { worst } else { None },
                        }
                    })
                    .collect();
                Shape::Timed(points)
            }
        };
        Some(Track {
            labels,
            files,
            step,
            shape,
        })
    }

    /// The worse of two witnesses: the first comparison of the expression wins over later ones;
    /// within one, the higher value for `>`/`>=` and the lower for `<`/`<=`.
    fn worse_of(&self, a: Option<&Witness>, b: Option<&Witness>) -> Truth {
        match (a, b) {
            (Some(a), Some(b)) => Some(if self.is_worse(b, a) { b } else { a }.clone()),
            (one, other) => one.or(other).cloned(),
        }
    }

    fn is_worse(&self, candidate: &Witness, than: &Witness) -> bool {
        if candidate.comparison != than.comparison {
            return candidate.comparison < than.comparison;
        }
        match self
            .comparisons
            .get(candidate.comparison)
            .map(|info| info.op)
        {
            Some(CmpOp::Gt | CmpOp::Ge) => candidate.value > than.value,
            Some(CmpOp::Lt | CmpOp::Le) => candidate.value < than.value,
            _ => false,
        }
    }

    /// The worst stretch, over all instances, where the condition held (for long enough).
    fn decide(&self, tracks: &[Track<Truth>]) -> Option<Crossing> {
        let mut best: Option<Crossing> = None;
        let consider = |candidate: Crossing, best: &mut Option<Crossing>| {
            let better = match best {
                None => true,
                Some(current) => {
                    self.is_worse(&candidate.witness, &current.witness)
                        || (!self.is_worse(&current.witness, &candidate.witness)
                            && candidate.held > current.held)
                }
            };
            if better {
                *best = Some(candidate);
            }
        };
        for track in tracks {
            match &track.shape {
                Shape::Whole {
                    value: Some(witness),
                    span,
                } => consider(
                    Crossing {
                        witness: witness.clone(),
                        window: *span,
                        held: span.map_or(0.0, |span| span.end - span.start),
                        files: track.files.clone(),
                    },
                    &mut best,
                ),
                Shape::Whole { value: None, .. } => {}
                Shape::Timed(points) => {
                    for run in self.runs(points, track.step) {
                        let long_enough = self
                            .hold
                            .is_none_or(|hold| run.held >= hold - slack(track.step));
                        if long_enough {
                            consider(
                                Crossing {
                                    files: track.files.clone(),
                                    ..run
                                },
                                &mut best,
                            );
                        }
                    }
                }
            }
        }
        best
    }

    /// Maximal stretches of consecutive points that hold, each with its worst witness. A stretch
    /// also ends where a point does not reach back to the previous one (a sample left out
    /// because the other side of an operator had none near it).
    fn runs(&self, points: &[Point<Truth>], step: f64) -> Vec<Crossing> {
        let mut runs: Vec<Crossing> = Vec::new();
        let mut open = false;
        for point in points {
            let Some(witness) = &point.value else {
                open = false;
                continue;
            };
            let reaches = |run: &&mut Crossing| {
                run.window
                    .is_some_and(|window| point.from <= window.end + slack(step))
            };
            match runs.last_mut().filter(|_| open).filter(reaches) {
                Some(run) => {
                    let start = run.window.map_or(point.from, |w| w.start.min(point.from));
                    run.window = Some(Window {
                        start,
                        end: point.time,
                    });
                    run.held = point.time - start;
                    if self.is_worse(witness, &run.witness) {
                        run.witness = witness.clone();
                    }
                }
                None => runs.push(Crossing {
                    witness: witness.clone(),
                    window: Some(Window {
                        start: point.from,
                        end: point.time,
                    }),
                    held: point.time - point.from,
                    files: BTreeSet::new(),
                }),
            }
            open = true;
        }
        runs
    }

    /// With `for D`: why the rule cannot be judged when no instance has data covering `D`.
    fn too_short(&self, expr: &Expr, tracks: &[Track<Truth>]) -> Option<String> {
        let hold = self.hold?;
        let covered = tracks
            .iter()
            .map(|track| match &track.shape {
                Shape::Whole { .. } => f64::INFINITY,
                Shape::Timed(points) => match (points.first(), points.last()) {
                    (Some(first), Some(last)) => {
                        let start = points.iter().map(|p| p.from).fold(first.from, f64::min);
                        last.time - start + slack(track.step)
                    }
                    _ => 0.0,
                },
            })
            .fold(0.0, f64::max);
        (covered < hold).then(|| {
            format!(
                "too little data: {} cover{} less than the {} s that `for` asks for",
                expr.series_names().join(", "),
                if expr.series_names().len() == 1 {
                    "s"
                } else {
                    ""
                },
                format_number(hold)
            )
        })
    }

    fn finding(&self, rule: &Rule, expr: &Expr, crossing: Crossing) -> Finding {
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
                series: expr.series_names(),
                instance: crossing.witness.labels,
                files: crossing.files.into_iter().collect(),
                window: crossing.window,
                held_seconds: crossing.held,
            },
        }
    }
}

/// Scale factors that bring two operands of `+`, `-` or a comparison into one unit, and that
/// unit. A constant is converted into the unit of the series it meets; otherwise the right
/// side into the left side's unit.
fn reconcile(left: &Evaluated, right: &Evaluated, text: &str) -> Result<(f64, f64, Measure), Stop> {
    let mismatch = || {
        Stop::Error(format!(
            "unit mismatch in `{text}`: {} and {}",
            left.measure.name(),
            right.measure.name()
        ))
    };
    match (&left.measure, &right.measure) {
        (Measure::Plain, other) | (other, Measure::Plain) => Ok((1.0, 1.0, other.clone())),
        (Measure::Of(a), Measure::Of(b)) => {
            let left_is_constant =
                matches!(left.val, Val::Constant(_)) && matches!(right.val, Val::Tracks(_));
            if left_is_constant {
                let scale = a.convert(1.0, *b).ok_or_else(mismatch)?;
                Ok((scale, 1.0, Measure::Of(*b)))
            } else {
                let scale = b.convert(1.0, *a).ok_or_else(mismatch)?;
                Ok((1.0, scale, Measure::Of(*a)))
            }
        }
        (a, b) if a == b => Ok((1.0, 1.0, a.clone())),
        _ => Err(mismatch()),
    }
}

fn arithmetic(
    op: ArithOp,
    left: Evaluated,
    right: Evaluated,
    text: &str,
) -> Result<Evaluated, Stop> {
    let (left_scale, right_scale, measure) = match op {
        ArithOp::Add | ArithOp::Sub => reconcile(&left, &right, text)?,
        ArithOp::Mul | ArithOp::Div => product_measure(op, &left.measure, &right.measure),
    };
    let apply = move |a: f64, b: f64| {
        let result = op.apply(a * left_scale, b * right_scale);
        result.is_finite().then_some(result)
    };
    let val = match (left.val, right.val) {
        (Val::Constant(a), Val::Constant(b)) => match apply(a, b) {
            Some(value) => Val::Constant(value),
            None => {
                return Err(Stop::Error(format!("`{text}` has no finite value")));
            }
        },
        (Val::Tracks(tracks), Val::Constant(b)) => Val::Tracks(
            tracks
                .into_iter()
                .map(|track| map_track(track, |a| apply(*a, b)))
                .collect(),
        ),
        (Val::Constant(a), Val::Tracks(tracks)) => Val::Tracks(
            tracks
                .into_iter()
                .map(|track| map_track(track, |b| apply(a, *b)))
                .collect(),
        ),
        (Val::Tracks(left), Val::Tracks(right)) => Val::Tracks(join(left, right, |a, b| {
            apply(*a.value, *b.value).map(|value| (value, a.from.max(b.from)))
        })),
    };
    Ok(Evaluated { val, measure })
}

/// The unit of a product or quotient, and the factor that makes a same-dimension quotient a
/// plain ratio (`ms / s`).
fn product_measure(op: ArithOp, left: &Measure, right: &Measure) -> (f64, f64, Measure) {
    let counted = |measure: &Measure| matches!(measure, Measure::Plain | Measure::Of(Unit::Count));
    match (left, right) {
        (_, r) if counted(r) => (1.0, 1.0, left.clone()),
        (l, _) if counted(l) && op == ArithOp::Mul => (1.0, 1.0, right.clone()),
        (Measure::Of(a), Measure::Of(b)) if op == ArithOp::Div => match b.convert(1.0, *a) {
            Some(scale) => (1.0, scale, Measure::Of(Unit::Count)),
            None => (
                1.0,
                1.0,
                Measure::Derived(format!("{}/{}", left.name(), right.name())),
            ),
        },
        _ => (
            1.0,
            1.0,
            Measure::Derived(format!("{}{}{}", left.name(), op.symbol(), right.name())),
        ),
    }
}

fn aggregate_measure(aggregate: Aggregate, measure: Measure) -> Measure {
    match (aggregate, measure) {
        (Aggregate::Count, _) => Measure::Of(Unit::Count),
        (Aggregate::Rate, Measure::Plain | Measure::Of(Unit::Count)) => {
            Measure::Of(Unit::PerSecond)
        }
        (Aggregate::Rate, Measure::Of(Unit::KiB)) => Measure::Of(Unit::KiBPerSecond),
        (Aggregate::Rate, Measure::Of(Unit::Bytes)) => Measure::Of(Unit::BytesPerSecond),
        (Aggregate::Rate, other) => Measure::Derived(format!("{}/s", other.name())),
        (_, other) => other,
    }
}

/// A series as a timed track: each sample speaks for the interval since the previous one.
fn raw_track(series: &Series) -> Track<f64> {
    let points = &series.points;
    let first_gap = match (points.first(), points.get(1)) {
        (Some(first), Some(second)) => second.0 - first.0,
        _ => 0.0,
    };
    let mut gaps: Vec<f64> = points
        .windows(2)
        .map(|pair| match pair {
            [earlier, later] => later.0 - earlier.0,
            _ => 0.0,
        })
        .collect();
    gaps.sort_by(f64::total_cmp);
    let step = gaps.get(gaps.len() / 2).copied().unwrap_or(0.0);
    let mut previous: Option<f64> = None;
    let timed = points
        .iter()
        .map(|&(time, value)| {
            let from = previous.unwrap_or(time - first_gap);
            previous = Some(time);
            Point { time, from, value }
        })
        .collect();
    Track {
        labels: series.labels.clone(),
        files: series.files.clone(),
        step,
        shape: Shape::Timed(timed),
    }
}

fn span_of<T>(points: &[Point<T>]) -> Option<Window> {
    Some(Window {
        start: points.first()?.from,
        end: points.last()?.time,
    })
}

fn union(a: Option<Window>, b: Option<Window>) -> Option<Window> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Window {
            start: a.start.min(b.start),
            end: a.end.max(b.end),
        }),
        (one, other) => one.or(other),
    }
}

/// The aggregate of the windows of length `window` that end at each sample, where the samples
/// cover the whole window.
fn rolling(aggregate: Aggregate, points: &[Point<f64>], window: f64, step: f64) -> Vec<Point<f64>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (end, point) in points.iter().enumerate() {
        let window_start = point.time - window;
        while points
            .get(start)
            .is_some_and(|first| first.from < window_start - slack(step))
        {
            start += 1;
        }
        let Some(inside) = points.get(start..=end) else {
            continue;
        };
        let full = inside
            .first()
            .is_some_and(|first| first.from <= window_start + slack(step));
        if let (true, Some(value)) = (full, reduce(aggregate, inside)) {
            out.push(Point {
                time: point.time,
                from: window_start,
                value,
            });
        }
    }
    out
}

fn reduce(aggregate: Aggregate, points: &[Point<f64>]) -> Option<f64> {
    let first = points.first()?;
    let last = points.last()?;
    let values = points.iter().map(|point| point.value);
    let count = points.len() as f64;
    match aggregate {
        Aggregate::Avg => Some(values.sum::<f64>() / count),
        Aggregate::Min => values.reduce(f64::min),
        Aggregate::Max => values.reduce(f64::max),
        Aggregate::Sum => Some(values.sum()),
        Aggregate::Count => Some(count),
        Aggregate::Last => Some(last.value),
        Aggregate::Delta => Some(last.value - first.value),
        Aggregate::Rate => {
            let elapsed = last.time - first.time;
            (elapsed > 0.0).then(|| (last.value - first.value) / elapsed)
        }
        Aggregate::Percentile(rank) => {
            let mut sorted: Vec<f64> = values.collect();
            sorted.sort_by(f64::total_cmp);
            let position = (f64::from(rank) / 100.0 * count).ceil() as usize;
            sorted.get(position.clamp(1, sorted.len()) - 1).copied()
        }
    }
}

fn map_val(val: Val, f: impl Fn(f64) -> f64) -> Val {
    match val {
        Val::Constant(value) => Val::Constant(f(value)),
        Val::Tracks(tracks) => Val::Tracks(
            tracks
                .into_iter()
                .map(|track| map_track(track, |value| Some(f(*value))))
                .collect(),
        ),
    }
}

/// Apply `f` to every value of a track; points where it gives `None` are dropped.
fn map_track<A, B>(track: Track<A>, f: impl Fn(&A) -> Option<B>) -> Track<B> {
    let shape = match track.shape {
        Shape::Whole { value, span } => match f(&value) {
            Some(value) => Shape::Whole { value, span },
            None => Shape::Timed(Vec::new()),
        },
        Shape::Timed(points) => Shape::Timed(
            points
                .into_iter()
                .filter_map(|point| {
                    f(&point.value).map(|value| Point {
                        time: point.time,
                        from: point.from,
                        value,
                    })
                })
                .collect(),
        ),
    };
    Track {
        labels: track.labels,
        files: track.files,
        step: track.step,
        shape,
    }
}

/// Whether two instances belong together: they agree on every label both have.
fn compatible(a: &Labels, b: &Labels) -> bool {
    a.iter()
        .all(|(key, value)| b.get(key).is_none_or(|other| other == value))
}

fn join<A, B, C>(
    left: Vec<Track<A>>,
    right: Vec<Track<B>>,
    f: impl Fn(Side<A>, Side<B>) -> Option<(C, f64)>,
) -> Vec<Track<C>> {
    join_labelled(left, right, |a, b, _| f(a, b))
}

/// Pair instances (see the module doc) and combine their values sample by sample.
fn join_labelled<A, B, C>(
    left: Vec<Track<A>>,
    right: Vec<Track<B>>,
    f: impl Fn(Side<A>, Side<B>, &Labels) -> Option<(C, f64)>,
) -> Vec<Track<C>> {
    let mut pairs = Vec::new();
    for (i, a) in left.iter().enumerate() {
        for (j, b) in right.iter().enumerate() {
            if left.len() == 1 || right.len() == 1 || compatible(&a.labels, &b.labels) {
                pairs.push((i, j));
            }
        }
    }
    pairs
        .into_iter()
        .filter_map(|(i, j)| {
            let (a, b) = (left.get(i)?, right.get(j)?);
            let mut labels = b.labels.clone();
            labels.extend(a.labels.clone());
            let mut files = a.files.clone();
            files.extend(b.files.iter().cloned());
            let step = a.step.max(b.step);
            let shape = combine_shapes(&a.shape, &b.shape, step, |x, y| f(x, y, &labels))?;
            Some(Track {
                labels,
                files,
                step,
                shape,
            })
        })
        .collect()
}

fn combine_shapes<A, B, C>(
    a: &Shape<A>,
    b: &Shape<B>,
    step: f64,
    f: impl Fn(Side<A>, Side<B>) -> Option<(C, f64)>,
) -> Option<Shape<C>> {
    // A whole-run value speaks from the start of its run; a constant from wherever the other does.
    let whole_from = |span: &Option<Window>, other: f64| span.map_or(other, |w| w.start);
    Some(match (a, b) {
        (Shape::Whole { value: x, span: s }, Shape::Whole { value: y, span: t }) => {
            let side_a = Side {
                value: x,
                from: whole_from(s, f64::NEG_INFINITY),
            };
            let side_b = Side {
                value: y,
                from: whole_from(t, f64::NEG_INFINITY),
            };
            let (value, _) = f(side_a, side_b)?;
            Shape::Whole {
                value,
                span: union(*s, *t),
            }
        }
        (Shape::Whole { value: x, span }, Shape::Timed(points)) => {
            Shape::Timed(timed(points, |p| {
                let whole = Side {
                    value: x,
                    from: whole_from(span, p.from),
                };
                f(
                    whole,
                    Side {
                        value: &p.value,
                        from: p.from,
                    },
                )
            }))
        }
        (Shape::Timed(points), Shape::Whole { value: y, span }) => {
            Shape::Timed(timed(points, |p| {
                let whole = Side {
                    value: y,
                    from: whole_from(span, p.from),
                };
                f(
                    Side {
                        value: &p.value,
                        from: p.from,
                    },
                    whole,
                )
            }))
        }
        (Shape::Timed(xs), Shape::Timed(ys)) => {
            let tolerance = (step / 2.0).max(1e-3);
            Shape::Timed(timed(xs, |p| {
                let q = nearest(ys, p.time, tolerance)?;
                // The nearest sample is taken as if it were taken at `p.time`.
                let shifted_from = q.from + (p.time - q.time);
                f(
                    Side {
                        value: &p.value,
                        from: p.from,
                    },
                    Side {
                        value: &q.value,
                        from: shifted_from,
                    },
                )
            }))
        }
    })
}

fn timed<A, C>(points: &[Point<A>], f: impl Fn(&Point<A>) -> Option<(C, f64)>) -> Vec<Point<C>> {
    points
        .iter()
        .filter_map(|point| {
            f(point).map(|(value, from)| Point {
                time: point.time,
                from,
                value,
            })
        })
        .collect()
}

/// The point nearest `time`, if within `tolerance`; `points` are in time order.
fn nearest<T>(points: &[Point<T>], time: f64, tolerance: f64) -> Option<&Point<T>> {
    let after = points.partition_point(|point| point.time < time);
    let candidates = [after.checked_sub(1), Some(after)];
    candidates
        .into_iter()
        .flatten()
        .filter_map(|index| points.get(index))
        .filter(|point| (point.time - time).abs() <= tolerance)
        .min_by(|a, b| (a.time - time).abs().total_cmp(&(b.time - time).abs()))
}

/// A track's value at `time` and from when it speaks, as if sampled at `time`.
fn value_near<T>(shape: &Shape<T>, time: f64, tolerance: f64) -> Option<(&T, f64)> {
    match shape {
        Shape::Whole { value, span } => Some((value, span.map_or(f64::NEG_INFINITY, |w| w.start))),
        Shape::Timed(points) => {
            nearest(points, time, tolerance).map(|p| (&p.value, p.from + (time - p.time)))
        }
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

fn labels_text(labels: &Labels) -> String {
    if labels.is_empty() {
        return "no labels".to_string();
    }
    labels
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(", ")
}

//! Truth per instance and time: comparisons (their operands in one unit), `and`, `or`, and the
//! quantifiers `any(...)` and `all(...)`. Where a condition holds, a witness says by how much.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;

use super::measure::reconcile;
use super::track::{Point, Shape, Side, Track, join, join_labelled, map_track, union, value_near};
use super::value::Val;
use super::{Judge, Stop};
use crate::record::Labels;
use crate::rules::expr::{CmpOp, Comparison, Cond};
use crate::rules::finding::Window;

/// A comparison that held: its left-hand value and where.
#[derive(Debug, Clone)]
pub(super) struct Witness {
    pub(super) value: f64,
    /// Index into `Judge::comparisons`.
    pub(super) comparison: usize,
    /// The instance's labels, shared by every point of its track: a witness per sample of
    /// millions must not copy them.
    pub(super) labels: Rc<Labels>,
}

/// `Some` where the condition holds.
pub(super) type Truth = Option<Witness>;

/// What one comparison of the expression is and saw: the finding's threshold and unit, and what
/// a quiet rule reports.
pub(super) struct ComparisonInfo {
    pub(super) op: CmpOp,
    pub(super) threshold: Option<f64>,
    pub(super) unit: String,
    /// The most extreme left-hand value seen, crossing or not (the highest for `>`, `>=`, `==`
    /// and `!=`, the lowest for `<` and `<=`): what a quiet rule reports it saw.
    pub(super) extreme: Option<f64>,
}

impl ComparisonInfo {
    pub(super) fn lower_is_worse(&self) -> bool {
        matches!(self.op, CmpOp::Lt | CmpOp::Le)
    }
}

impl Judge<'_> {
    /// `any(...)` at the top is the default: every instance is judged on its own.
    pub(super) fn top_condition(&mut self, cond: &Cond) -> Result<Vec<Track<Truth>>, Stop> {
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
        let index = self.met;
        self.met += 1;
        let mut info = ComparisonInfo {
            op,
            threshold,
            unit: measure.suffix(),
            extreme: None,
        };
        let extreme: Cell<Option<f64>> = Cell::new(None);
        let lower_is_worse = info.lower_is_worse();
        // The labels of the instance being judged, shared by its witnesses.
        let shared: RefCell<Option<Rc<Labels>>> = RefCell::new(None);
        let judge_pair = |a: f64, b: f64, labels: &Labels| -> Truth {
            let value = a * left_scale;
            extreme.set(Some(match extreme.get() {
                Some(seen) if lower_is_worse => seen.min(value),
                Some(seen) => seen.max(value),
                None => value,
            }));
            op.holds(value, b * right_scale).then(|| {
                let mut shared = shared.borrow_mut();
                let labels = match shared.as_ref() {
                    Some(known) if **known == *labels => Rc::clone(known),
                    _ => shared.insert(Rc::new(labels.clone())).clone(),
                };
                Witness {
                    value,
                    comparison: index,
                    labels,
                }
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
        // A later pass (`Split`) meets the same comparison again: the most extreme value wins.
        match self.comparisons.get_mut(index) {
            Some(earlier) => {
                earlier.extreme = match (earlier.extreme, info.extreme) {
                    (Some(a), Some(b)) if lower_is_worse => Some(a.min(b)),
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                }
            }
            None => self.comparisons.push(info),
        }
        Ok(tracks)
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

    pub(super) fn is_worse(&self, candidate: &Witness, than: &Witness) -> bool {
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
}

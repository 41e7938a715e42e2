//! Values: a number per instance and time, or a constant. Selectors pick series, host facts and
//! literals are constants, arithmetic combines two values sample by sample.

use super::measure::{Measure, product_measure, reconcile};
use super::track::{Track, join, map_track, raw_track};
use super::{Judge, Stop};
use crate::record::{Series, Unit};
use crate::rules::expr::{ArithOp, Selector, Value};

/// A value: one constant, or one track per instance.
pub(super) enum Val {
    Constant(f64),
    Tracks(Vec<Track<f64>>),
}

/// A value and what it is measured in.
pub(super) struct Evaluated {
    pub(super) val: Val,
    pub(super) measure: Measure,
}

impl Judge<'_> {
    pub(super) fn value(&mut self, value: &Value) -> Result<Evaluated, Stop> {
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
                let (unit, series) = self.select(selector)?;
                let measure = Measure::Of(unit);
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

    /// The unit of the instances a selector picks, and those of them this pass judges: all of
    /// them, or in a pass for one instance (`Split`) that instance's namesake, if it has one.
    fn select(&self, selector: &Selector) -> Result<(Unit, Vec<&Series>), Stop> {
        let mut chosen = self
            .data
            .instances(&selector.name)
            .iter()
            .filter(|series| selector.matches(&series.labels));
        let Some(first) = chosen.next() else {
            return Err(Stop::NoData(format!("no data for {selector}")));
        };
        let narrowed = match (&self.split, self.part) {
            (Some(split), Some(part)) => split
                .narrowed
                .iter()
                .find(|(mention, _)| std::ptr::eq(*mention, selector))
                .map(|(_, by_labels)| {
                    split
                        .parts
                        .get(part)
                        .and_then(|labels| by_labels.get(labels))
                        .cloned()
                        .unwrap_or_default()
                }),
            _ => None,
        };
        let picked = match narrowed {
            Some(picked) => picked,
            None => std::iter::once(first).chain(chosen).collect(),
        };
        Ok((first.unit, picked))
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

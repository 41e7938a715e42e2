//! Aggregates: each instance's samples reduced to one number over the whole run or, with `for`,
//! over the rolling windows that end at each sample, and the unit that gives.

use super::measure::Measure;
use super::track::{Point, Shape, Track, slack, span_of};
use super::value::{Evaluated, Val};
use super::{Judge, Stop};
use crate::record::Unit;
use crate::rules::expr::{Aggregate, Value};

impl Judge<'_> {
    /// Each instance's samples of `of` (computed sample by sample), reduced over the whole run
    /// or, with `for`, over rolling windows.
    pub(super) fn aggregate(
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
}

/// The aggregate of the windows of length `window` that end at each sample, where the samples
/// cover the whole window. A sample that alone speaks for longer than the window (two copies
/// of a /proc file taken 11 s apart, judged `for 5s`) is the finest the data allow: it stands
/// for the window, and speaks from where its own interval starts.
fn rolling(aggregate: Aggregate, points: &[Point<f64>], window: f64, step: f64) -> Vec<Point<f64>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (end, point) in points.iter().enumerate() {
        let window_start = point.time - window;
        while start < end
            && points
                .get(start)
                .is_some_and(|first| first.from < window_start - slack(step))
        {
            start += 1;
        }
        if start == end && point.from < window_start - slack(step) {
            if let Some(value) = reduce(aggregate, std::slice::from_ref(point)) {
                out.push(Point {
                    time: point.time,
                    from: point.from,
                    value,
                });
            }
            continue;
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

/// The unit of an aggregate of values measured in `measure`.
fn aggregate_measure(aggregate: Aggregate, measure: Measure) -> Measure {
    match (aggregate, measure) {
        (Aggregate::Count, _) => Measure::Of(Unit::Count),
        (Aggregate::Rate, Measure::Plain | Measure::Ratio | Measure::Of(Unit::Count)) => {
            Measure::Of(Unit::PerSecond)
        }
        (Aggregate::Rate, Measure::Of(Unit::KiB)) => Measure::Of(Unit::KiBPerSecond),
        (Aggregate::Rate, Measure::Of(Unit::Bytes)) => Measure::Of(Unit::BytesPerSecond),
        (Aggregate::Rate, other) => Measure::Derived(format!("{}/s", other.name())),
        (_, other) => other,
    }
}

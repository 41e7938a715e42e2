//! Tracks: one instance's values, whole-run or timed, and how two sets of them are joined
//! (instances paired by their shared labels, samples by nearest time).

use std::collections::BTreeSet;

use crate::record::{Labels, Series};
use crate::rules::finding::Window;

#[derive(Debug, Clone)]
pub(super) struct Point<T> {
    pub(super) time: f64,
    /// The start of the interval this point speaks for.
    pub(super) from: f64,
    pub(super) value: T,
}

#[derive(Debug, Clone)]
pub(super) enum Shape<T> {
    /// One value for the whole run (`span` is `None` for constants).
    Whole {
        value: T,
        span: Option<Window>,
    },
    Timed(Vec<Point<T>>),
}

/// One instance's value.
#[derive(Debug, Clone)]
pub(super) struct Track<T> {
    pub(super) labels: Labels,
    pub(super) files: BTreeSet<String>,
    /// Typical sample interval (median gap), 0 when unknown.
    pub(super) step: f64,
    pub(super) shape: Shape<T>,
}

/// One side of a pairwise combination: its value and from when it speaks.
pub(super) struct Side<'v, T> {
    pub(super) value: &'v T,
    pub(super) from: f64,
}

/// A quarter of a sample interval: timestamps jitter, but never by a whole sample.
pub(super) fn slack(step: f64) -> f64 {
    (step * 0.25).max(1e-3)
}

/// A series as a timed track: each sample speaks for the interval since the previous one (after
/// a gap of more than two typical intervals, for one typical interval), the first since the
/// row before it when that is known (`Series::first_from`), else for as long as the gap to the
/// second. A lone sample of a known interval has that interval as its step.
pub(super) fn raw_track(series: &Series) -> Track<f64> {
    let points = &series.points;
    let first_gap = match (points.first(), points.get(1), series.first_from) {
        (Some(first), _, Some(from)) => first.0 - from,
        (Some(first), Some(second), None) => second.0 - first.0,
        _ => 0.0,
    };
    let mut gaps: Vec<f64> = points
        .windows(2)
        .map(|pair| match pair {
            [earlier, later] => later.0 - earlier.0,
            _ => 0.0,
        })
        .collect();
    if gaps.is_empty() && first_gap > 0.0 {
        gaps.push(first_gap);
    }
    gaps.sort_by(f64::total_cmp);
    let step = gaps.get(gaps.len() / 2).copied().unwrap_or(0.0);
    let mut previous: Option<f64> = None;
    let timed = points
        .iter()
        .map(|&(time, value)| {
            // After a gap of more than two intervals (a tool restarted, files of two days) a
            // sample speaks for its own interval, not for the time nothing was measured.
            let from = match previous {
                Some(previous) if step > 0.0 && time - previous > 2.0 * step => time - step,
                Some(previous) => previous,
                None => time - first_gap,
            };
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

/// The longest time the points cover without a break: consecutive points each reaching back
/// to the one before (within `slack(step)`), from the first's interval start to the last.
pub(super) fn longest_stretch<T>(points: &[Point<T>], step: f64) -> f64 {
    let mut longest: f64 = 0.0;
    let mut start: Option<f64> = None;
    let mut previous: Option<f64> = None;
    for point in points {
        let joined = previous.is_some_and(|previous| point.from <= previous + slack(step));
        let from = match start {
            Some(start) if joined => start.min(point.from),
            _ => point.from,
        };
        start = Some(from);
        previous = Some(point.time);
        longest = longest.max(point.time - from);
    }
    longest
}

pub(super) fn span_of<T>(points: &[Point<T>]) -> Option<Window> {
    Some(Window {
        start: points.first()?.from,
        end: points.last()?.time,
    })
}

pub(super) fn union(a: Option<Window>, b: Option<Window>) -> Option<Window> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Window {
            start: a.start.min(b.start),
            end: a.end.max(b.end),
        }),
        (one, other) => one.or(other),
    }
}

/// Apply `f` to every value of a track; points where it gives `None` are dropped.
pub(super) fn map_track<A, B>(track: Track<A>, f: impl Fn(&A) -> Option<B>) -> Track<B> {
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

pub(super) fn join<A, B, C>(
    left: Vec<Track<A>>,
    right: Vec<Track<B>>,
    f: impl Fn(Side<A>, Side<B>) -> Option<(C, f64)>,
) -> Vec<Track<C>> {
    join_labelled(left, right, |a, b, _| f(a, b))
}

/// Pair instances (see [`crate::rules::eval`]) and combine their values sample by sample.
pub(super) fn join_labelled<A, B, C>(
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
pub(super) fn nearest<T>(points: &[Point<T>], time: f64, tolerance: f64) -> Option<&Point<T>> {
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
pub(super) fn value_near<T>(shape: &Shape<T>, time: f64, tolerance: f64) -> Option<(&T, f64)> {
    match shape {
        Shape::Whole { value, span } => Some((value, span.map_or(f64::NEG_INFINITY, |w| w.start))),
        Shape::Timed(points) => {
            nearest(points, time, tolerance).map(|p| (&p.value, p.from + (time - p.time)))
        }
    }
}

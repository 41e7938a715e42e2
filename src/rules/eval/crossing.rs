//! Crossings: the stretches of consecutive samples where a rule held, the worst of them, and
//! whether the data cover the `for` duration at all.

use std::collections::BTreeSet;

use super::Judge;
use super::format_number;
use super::track::{Point, Shape, Track, longest_stretch, raw_track, slack};
use super::truth::{Truth, Witness};
use crate::record::Dataset;
use crate::rules::expr::Expr;
use crate::rules::finding::Window;

/// The best stretch where the rule held.
pub(super) struct Crossing {
    pub(super) witness: Witness,
    pub(super) window: Option<Window>,
    pub(super) held: f64,
    pub(super) files: BTreeSet<String>,
}

impl Judge<'_> {
    /// The worst stretch, over all instances, where the condition held (for long enough):
    /// `best`, or one of `tracks` if worse.
    pub(super) fn decide(&self, tracks: &[Track<Truth>], best: &mut Option<Crossing>) {
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
                    best,
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
                                best,
                            );
                        }
                    }
                }
            }
        }
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

    /// How long the longest stretch of any track lasts, each point reaching back to the one
    /// before (a whole-run value covers everything).
    pub(super) fn covered(&self, tracks: &[Track<Truth>]) -> f64 {
        tracks
            .iter()
            .map(|track| match &track.shape {
                Shape::Whole { .. } => f64::INFINITY,
                Shape::Timed(points) if points.is_empty() => 0.0,
                Shape::Timed(points) => longest_stretch(points, track.step) + slack(track.step),
            })
            .fold(0.0, f64::max)
    }

    /// With `for D`: why the rule cannot be judged when no instance has data covering `D`
    /// (the longest stretch of any is `covered`).
    pub(super) fn too_short(&self, expr: &Expr, covered: f64) -> Option<String> {
        let hold = self.hold?;
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
}

/// How much of a rule's data there is: in the series each selector reads, the instance with the
/// most samples; of those, the fewest samples, the shortest span (the longest stretch without
/// a break, from the start of its first sample's interval to its last sample) and the longest
/// sample interval. Samples taken at the
/// same time (two copies of one file) count once.
#[derive(Clone, Copy)]
pub(super) struct Coverage {
    pub(super) samples: usize,
    pub(super) seconds: f64,
    pub(super) step: f64,
}

pub(super) fn coverage(expr: &Expr, data: &Dataset) -> Coverage {
    let none = Coverage {
        samples: 0,
        seconds: 0.0,
        step: 0.0,
    };
    expr.selectors()
        .into_iter()
        .map(|selector| {
            data.instances(&selector.name)
                .iter()
                .filter(|series| selector.matches(&series.labels))
                .map(|series| {
                    let track = raw_track(series);
                    let seconds = match &track.shape {
                        Shape::Timed(points) => longest_stretch(points, track.step),
                        Shape::Whole { .. } => 0.0,
                    };
                    Coverage {
                        samples: distinct_times(&series.points),
                        seconds,
                        step: track.step,
                    }
                })
                .max_by(|a, b| {
                    a.samples
                        .cmp(&b.samples)
                        .then(a.seconds.total_cmp(&b.seconds))
                })
                .unwrap_or(none)
        })
        .reduce(|a, b| Coverage {
            samples: a.samples.min(b.samples),
            seconds: a.seconds.min(b.seconds),
            step: a.step.max(b.step),
        })
        .unwrap_or(none)
}

/// How many different times `points` (in time order) were taken at.
fn distinct_times(points: &[(f64, f64)]) -> usize {
    let repeats = points
        .windows(2)
        .filter(|pair| matches!(pair, [earlier, later] if later.0 <= earlier.0))
        .count();
    points.len() - repeats
}

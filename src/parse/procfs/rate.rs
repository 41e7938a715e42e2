//! Counters into rates: the change of a counter between two readings of one instance, over
//! the time between them, computed here once. Rates use each instance's last good reading, so
//! one garbled line costs one point, not two. A counter that goes down (a 32-bit wrap, a
//! device or interface re-created, a reboot) yields a warning and that interval is skipped.

use std::collections::BTreeMap;

use super::Output;

/// The last good reading of one instance's counters.
#[derive(Clone)]
pub(super) struct Reading<T> {
    pub(super) time_us: i64,
    pub(super) value: T,
}

/// `part / whole × 100`, or 0 when nothing happened.
pub(super) fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole * 100.0
    } else {
        0.0
    }
}

impl Output<'_> {
    /// Microseconds between two snapshots, or NaN when their times are not known (copies
    /// taken without one): a rate over them then has no value, and is left out of its row.
    pub(super) fn micros_between(&self, earlier_us: i64, later_us: i64) -> f64 {
        if self.timed {
            (later_us - earlier_us) as f64
        } else {
            f64::NAN
        }
    }

    /// [`Output::micros_between`] in seconds.
    pub(super) fn seconds_between(&self, earlier_us: i64, later_us: i64) -> f64 {
        self.micros_between(earlier_us, later_us) / 1e6
    }

    /// `current − previous` for each counter, or `None` after a warning when one went down.
    pub(super) fn deltas(
        &mut self,
        names: &[&str],
        previous: &[u64],
        current: &[u64],
        line: usize,
    ) -> Option<Vec<f64>> {
        let mut deltas = Vec::with_capacity(current.len());
        for ((name, &before), &now) in names.iter().zip(previous).zip(current) {
            if now < before {
                self.warn(
                    line,
                    format!(
                        "counter {name} went down from {before} to {now} (wrapped or reset); \
                         interval skipped"
                    ),
                );
                return None;
            }
            deltas.push((now - before) as f64);
        }
        Some(deltas)
    }
}

/// One instance's counters over its rounds: the rate over the last interval and the count
/// since the first reading. A counter that went down (reset, or the instance made again)
/// skips that interval in both, after a warning.
#[derive(Default)]
pub(super) struct Counters {
    last: BTreeMap<&'static str, Reading<u64>>,
    since_first: BTreeMap<&'static str, f64>,
}

impl Counters {
    /// `(per second, since the first reading)`, or `None` on the first reading or a reset.
    pub(super) fn update(
        &mut self,
        out: &mut Output,
        name: &'static str,
        now: u64,
        time_us: i64,
        line: usize,
    ) -> Option<(f64, f64)> {
        let previous = self.last.insert(
            name,
            Reading {
                time_us,
                value: now,
            },
        )?;
        let delta = *out
            .deltas(&[name], &[previous.value], &[now], line)?
            .first()?;
        let total = self.since_first.entry(name).or_default();
        *total += delta;
        Some((
            delta / out.seconds_between(previous.time_us, time_us),
            *total,
        ))
    }
}

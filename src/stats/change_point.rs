//! When did it change? E-divisive change points (Matteson & James, "A Nonparametric Approach
//! for Multiple Change Point Analysis of Multivariate Data", 2014, with α = 1), found by
//! binary segmentation, each one kept only when a permutation test says it is significant.
//!
//! For a split of a series into `x` (before) and `y` (after) the energy statistic is
//!
//! ```text
//! Q = (n·m / (n+m)) · ( 2/(n·m) Σ|xᵢ−yⱼ| − 1/C(n,2) Σ_{i<k}|xᵢ−xₖ| − 1/C(m,2) Σ_{j<k}|yⱼ−yₖ| )
//! ```
//!
//! large when the two sides differ in distribution, not only in mean. The best split of a
//! segment is the one with the largest Q; it is a change point when Q is larger than the best
//! of most random reorderings of the same segment. Reorderings come from a fixed-seed
//! generator, so the same history always gives the same answer.

use serde::{Deserialize, Serialize};

/// How the search is done.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// The fewest values on either side of a change point.
    pub min_size: usize,
    /// Random reorderings per permutation test.
    pub permutations: usize,
    /// A change point is kept when its permutation p-value is below this.
    pub significance: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            min_size: 3,
            permutations: 199,
            significance: 0.01,
        }
    }
}

/// Where a series changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChangePoint {
    /// The index of the first value after the change.
    pub index: usize,
    /// Mean of the values from the previous change point (or the start) up to this one.
    pub before_mean: f64,
    /// Mean of the values from this change point up to the next (or the end).
    pub after_mean: f64,
    /// `after_mean / before_mean − 1`, when `before_mean` is not 0.
    pub change: Option<f64>,
    /// The permutation test's p-value when the point was found.
    pub p_value: f64,
}

/// Every significant change point of `series`, in order, with [`Options::default`].
pub fn change_points(series: &[f64]) -> Vec<ChangePoint> {
    change_points_with(series, Options::default())
}

/// Every significant change point of `series`, in order.
pub fn change_points_with(series: &[f64], options: Options) -> Vec<ChangePoint> {
    let min_size = options.min_size.max(2);
    let mut random = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut found: Vec<(usize, f64)> = Vec::new();
    let mut segments = vec![(0, series.len())];
    while let Some((start, end)) = segments.pop() {
        let segment = &series[start..end];
        let Some((split, q)) = best_split(segment, min_size) else {
            continue;
        };
        let mut shuffled = segment.to_vec();
        let as_large = (0..options.permutations)
            .filter(|_| {
                random.shuffle(&mut shuffled);
                best_split(&shuffled, min_size).is_some_and(|(_, other)| other >= q)
            })
            .count();
        let p_value = (as_large + 1) as f64 / (options.permutations + 1) as f64;
        if p_value < options.significance {
            found.push((start + split, p_value));
            segments.push((start, start + split));
            segments.push((start + split, end));
        }
    }
    found.sort_by_key(|(index, _)| *index);
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(found.iter().map(|(index, _)| *index))
        .chain(std::iter::once(series.len()))
        .collect();
    found
        .iter()
        .enumerate()
        .map(|(i, &(index, p_value))| {
            let before_mean = super::summary::mean(&series[bounds[i]..index]);
            let after_mean = super::summary::mean(&series[index..bounds[i + 2]]);
            ChangePoint {
                index,
                before_mean,
                after_mean,
                change: (before_mean != 0.0).then(|| after_mean / before_mean - 1.0),
                p_value,
            }
        })
        .collect()
}

/// The split of `series` (the index of the first value after it) with the largest energy
/// statistic, and that statistic; `None` when the series is too short to split.
fn best_split(series: &[f64], min_size: usize) -> Option<(usize, f64)> {
    let n = series.len();
    if n < 2 * min_size {
        return None;
    }
    // within_left[t]: Σ|xᵢ−xₖ| over i < k < t; within_right[t]: over t ≤ i < k.
    let mut within_left = vec![0.0; n + 1];
    for t in 1..=n {
        let added: f64 = series[..t - 1]
            .iter()
            .map(|x| (x - series[t - 1]).abs())
            .sum();
        within_left[t] = within_left[t - 1] + added;
    }
    let mut within_right = vec![0.0; n + 1];
    for t in (0..n).rev() {
        let added: f64 = series[t + 1..].iter().map(|x| (x - series[t]).abs()).sum();
        within_right[t] = within_right[t + 1] + added;
    }
    let total = within_left[n];
    let pairs = |count: f64| count * (count - 1.0) / 2.0;
    (min_size..=n - min_size)
        .map(|t| {
            let (left, right) = (t as f64, (n - t) as f64);
            let between = total - within_left[t] - within_right[t];
            let energy = 2.0 * between / (left * right)
                - within_left[t] / pairs(left)
                - within_right[t] / pairs(right);
            (t, left * right / n as f64 * energy)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// A small deterministic generator (xorshift64*): reorderings must be the same every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Fisher–Yates.
    fn shuffle(&mut self, values: &mut [f64]) {
        for i in (1..values.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            values.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noisy(count: usize, centre: f64, spread: f64, seed: u64) -> Vec<f64> {
        let mut random = XorShift(seed.wrapping_mul(2_654_435_761).max(1));
        (0..count)
            .map(|_| {
                let unit = (random.next() >> 11) as f64 / (1u64 << 53) as f64;
                centre * (1.0 + spread * (2.0 * unit - 1.0))
            })
            .collect()
    }

    #[test]
    fn a_planted_step_is_found_at_its_run() {
        for (seed, step_at) in [(1, 18), (2, 5), (3, 40), (4, 25)] {
            let mut series = noisy(step_at, 1.0, 0.05, seed);
            series.extend(noisy(50 - step_at, 1.2, 0.05, seed + 100));
            let found = change_points(&series);
            assert_eq!(found.len(), 1, "seed {seed}: {found:?}");
            assert_eq!(found[0].index, step_at, "seed {seed}: {found:?}");
            assert!((found[0].change.unwrap() - 0.2).abs() < 0.03, "{found:?}");
        }
    }

    #[test]
    fn two_steps_are_both_found() {
        let mut series = noisy(15, 1.0, 0.02, 5);
        series.extend(noisy(15, 1.3, 0.02, 6));
        series.extend(noisy(15, 1.1, 0.02, 7));
        let found: Vec<usize> = change_points(&series).iter().map(|c| c.index).collect();
        assert_eq!(found, vec![15, 30]);
    }

    #[test]
    fn noise_alone_has_no_change_point() {
        let quiet = (0..20)
            .filter(|&seed| change_points(&noisy(40, 1.0, 0.1, seed)).is_empty())
            .count();
        // At a 1% significance an occasional false alarm is expected, never many.
        assert!(
            quiet >= 17,
            "{quiet} of 20 noise-only series had no change point"
        );
        assert!(
            change_points(&[1.0, 2.0, 3.0]).is_empty(),
            "too short to split"
        );
    }
}

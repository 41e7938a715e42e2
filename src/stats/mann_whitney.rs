//! The Mann–Whitney U test: is one set of samples stochastically larger than the other? It
//! reads ranks only, so a few wild outliers (a benchmark preempted once) do not sway it.
//!
//! Like [`super::welch`], the test is asked of `current` against `factor × baseline`. The
//! p-values use the normal approximation with the tie correction and a continuity correction
//! (as scipy's `mannwhitneyu(method="asymptotic")`); the interval is the Hodges–Lehmann
//! shift's, from the order statistics of the pairwise differences.

use statrs::distribution::{ContinuousCDF, Normal};

/// Above this many pairs the Hodges–Lehmann shift is not computed (its sorted differences
/// would take more memory than the comparison is worth): 3,000 samples against 3,000.
const MAX_PAIRS: usize = 9_000_000;

/// What the test says of `current` against `factor × baseline`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U of current: pairs where current is above factor × baseline, ties counting half.
    pub u: f64,
    /// One-sided p-value of "current is above factor × baseline".
    pub p_above: f64,
    /// One-sided p-value of "current is below factor × baseline".
    pub p_below: f64,
    /// Rank-biserial correlation of current against baseline, −1 to 1: positive when
    /// current tends to be larger.
    pub rank_biserial: f64,
    /// Hodges–Lehmann estimate of the shift current − baseline (the median of the pairwise
    /// differences), and its interval at the confidence asked.
    pub shift: f64,
    pub interval: (f64, f64),
}

/// The Mann–Whitney U test of `current` against `factor × baseline`, with an interval at
/// `confidence`. `None` when a side is empty or the samples are too many for the interval.
pub fn mann_whitney(
    baseline: &[f64],
    current: &[f64],
    factor: f64,
    confidence: f64,
) -> Option<MannWhitney> {
    let (n_b, n_c) = (baseline.len(), current.len());
    if n_b == 0 || n_c == 0 || n_b * n_c > MAX_PAIRS {
        return None;
    }
    let scaled: Vec<f64> = baseline.iter().map(|x| x * factor).collect();
    let u = u_statistic(&scaled, current);
    let pairs = (n_b * n_c) as f64;
    let n = (n_b + n_c) as f64;
    let mean_u = pairs / 2.0;
    let sigma = (pairs / 12.0 * ((n + 1.0) - tie_term(&scaled, current) / (n * (n - 1.0)))).sqrt();
    let standard = Normal::standard();
    let (p_above, p_below) = if sigma > 0.0 {
        (
            1.0 - standard.cdf((u - mean_u - 0.5) / sigma),
            standard.cdf((u - mean_u + 0.5) / sigma),
        )
    } else {
        // Every value equal: neither side is larger.
        (1.0, 1.0)
    };

    let plain_u = u_statistic(baseline, current);
    let rank_biserial = 2.0 * plain_u / pairs - 1.0;
    let mut differences: Vec<f64> = current
        .iter()
        .flat_map(|c| baseline.iter().map(move |b| c - b))
        .collect();
    differences.sort_by(f64::total_cmp);
    let shift = super::summary::median(&differences);
    let z = standard.inverse_cdf(0.5 + confidence / 2.0);
    let plain_sigma = (pairs * (n + 1.0) / 12.0).sqrt();
    let below = (mean_u - z * plain_sigma).floor().max(0.0) as usize;
    let below = below.min(differences.len() - 1);
    let interval = (
        differences[below],
        differences[differences.len() - 1 - below],
    );
    Some(MannWhitney {
        u,
        p_above,
        p_below,
        rank_biserial,
        shift,
        interval,
    })
}

/// Pairs (b, c) with c above b, ties counting half.
fn u_statistic(baseline: &[f64], current: &[f64]) -> f64 {
    let mut sorted = baseline.to_vec();
    sorted.sort_by(f64::total_cmp);
    current
        .iter()
        .map(|&c| {
            let below = sorted.partition_point(|&b| b < c);
            let not_above = sorted.partition_point(|&b| b <= c);
            below as f64 + (not_above - below) as f64 / 2.0
        })
        .sum()
}

/// Σ (t³ − t) over groups of tied values in both sets together.
fn tie_term(a: &[f64], b: &[f64]) -> f64 {
    let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
    all.sort_by(f64::total_cmp);
    all.chunk_by(|x, y| x == y)
        .map(|group| {
            let t = group.len() as f64;
            t * t * t - t
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scipy: mannwhitneyu(current, baseline, alternative="greater", method="asymptotic")
    /// gives U = 42, p = 0.0016807 (and 0.9989498 for "less").
    #[test]
    fn matches_scipy_without_ties() {
        let baseline = [21.2, 22.8, 20.9, 23.1, 22.0, 21.7, 22.8];
        let current = [24.1, 25.3, 26.0, 23.8, 25.9, 24.6];
        let result = mann_whitney(&baseline, &current, 1.0, 0.95).unwrap();
        assert_eq!(result.u, 42.0);
        assert!((result.p_above - 0.001_680_67).abs() < 1e-7, "{result:?}");
        assert!((result.p_below - 0.998_949_8).abs() < 1e-6, "{result:?}");
        assert_eq!(result.rank_biserial, 1.0);
        assert!((result.shift - 2.9).abs() < 1e-9);
        assert!(result.interval.0 > 0.0 && result.interval.1 > result.interval.0);
    }

    /// scipy: mannwhitneyu([2,3,3,4,4,5,5,6], [1,2,2,3,3,3,4], alternative="greater") with
    /// ties: U = 45, p = 0.0249422.
    #[test]
    fn matches_scipy_with_ties() {
        let baseline = [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0];
        let current = [2.0, 3.0, 3.0, 4.0, 4.0, 5.0, 5.0, 6.0];
        let result = mann_whitney(&baseline, &current, 1.0, 0.95).unwrap();
        assert_eq!(result.u, 45.0);
        assert!((result.p_above - 0.024_942_2).abs() < 1e-6, "{result:?}");
    }

    #[test]
    fn all_equal_favours_neither_side() {
        let result = mann_whitney(&[1.0, 1.0], &[1.0, 1.0], 1.0, 0.95).unwrap();
        assert_eq!((result.p_above, result.p_below), (1.0, 1.0));
        assert!(mann_whitney(&[], &[1.0], 1.0, 0.95).is_none());
    }
}

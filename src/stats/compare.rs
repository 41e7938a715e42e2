//! The question a threshold asks — "may `current` be worse than `baseline` by more than a
//! limit?" — answered three ways:
//!
//! - **regression**: the data show, at the significance asked, that current is worse than
//!   baseline by more than the limit (`mean(current) > 1.05 × mean(baseline)` at p < α);
//! - **pass**: they show it is not (`mean(current) < 1.05 × mean(baseline)` at p < α);
//! - **inconclusive**: neither: the samples are too noisy, or too few, for the limit and the
//!   significance asked. Noise is never taken for a regression, nor for a pass.

use serde::{Deserialize, Serialize};

use statrs::distribution::{ContinuousCDF, Normal};

use super::{Summary, mann_whitney::mann_whitney, welch::welch};

/// Which test compares the two sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Test {
    /// Welch's t-test on the means.
    Welch,
    /// The Mann–Whitney U test, the medians compared.
    MannWhitney,
}

impl Test {
    pub fn as_str(self) -> &'static str {
        match self {
            Test::Welch => "Welch's t-test",
            Test::MannWhitney => "Mann–Whitney U",
        }
    }
}

/// Which way is worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A rise is worse (time, memory).
    Rise,
    /// A fall is worse (throughput).
    Fall,
}

/// How much worse is allowed: `fraction` 0.05 is 5%.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub direction: Direction,
    pub fraction: f64,
}

/// What the data show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Regression,
    Pass,
    Inconclusive,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Regression => "regression",
            Decision::Pass => "pass",
            Decision::Inconclusive => "inconclusive",
        }
    }
}

/// A comparison of two sets of samples under one limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Comparison {
    pub decision: Decision,
    pub test: Test,
    pub baseline: Option<Summary>,
    pub current: Option<Summary>,
    /// Relative change, over the baseline's statistic (mean for Welch, median for
    /// Mann–Whitney), of the difference of means or of the Hodges–Lehmann shift: 0.2 is 20%
    /// higher than the baseline. `None` when the baseline's statistic is 0 or unknown.
    pub change: Option<f64>,
    /// The relative change's interval at `confidence`: of the difference of means (Welch) or
    /// the Hodges–Lehmann shift (Mann–Whitney), over the baseline's statistic.
    pub change_low: Option<f64>,
    pub change_high: Option<f64>,
    /// The interval's confidence: 1 − 2α, the two-sided interval whose one-sided halves are
    /// the decision's tests.
    pub confidence: f64,
    /// The p-value of "worse than the limit allows" (decides a regression below α).
    pub p_regression: Option<f64>,
    /// The p-value of "within the limit" (decides a pass below α).
    pub p_within: Option<f64>,
    /// Hedges' g (Welch) or the rank-biserial correlation (Mann–Whitney) of current against
    /// baseline; positive when current is larger.
    pub effect_size: Option<f64>,
    pub effect_size_kind: String,
    /// Why the decision is what it is, in a sentence.
    pub reason: String,
}

/// Compare `current` against `baseline` under `limit` at significance `alpha`.
pub fn compare(
    baseline: &[f64],
    current: &[f64],
    test: Test,
    limit: Limit,
    alpha: f64,
) -> Comparison {
    let confidence = 1.0 - 2.0 * alpha;
    let factor = match limit.direction {
        Direction::Rise => 1.0 + limit.fraction,
        Direction::Fall => 1.0 - limit.fraction,
    };
    let summary_b = Summary::of(baseline);
    let summary_c = Summary::of(current);
    let mut comparison = Comparison {
        decision: Decision::Inconclusive,
        test,
        baseline: summary_b,
        current: summary_c,
        change: None,
        change_low: None,
        change_high: None,
        confidence,
        p_regression: None,
        p_within: None,
        effect_size: None,
        effect_size_kind: match test {
            Test::Welch => "hedges_g",
            Test::MannWhitney => "rank_biserial",
        }
        .to_string(),
        reason: String::new(),
    };
    let (Some(b), Some(c)) = (summary_b, summary_c) else {
        comparison.reason = "no samples, or a sample that is not a number, on a side".into();
        return comparison;
    };
    // (p above factor × baseline, p below it, the baseline's statistic, the estimated
    // difference and its interval, effect size)
    let tested = match test {
        Test::Welch => welch(baseline, current, factor, confidence).map(|w| {
            (
                w.p_above,
                w.p_below,
                (b.mean, c.mean - b.mean),
                w.interval,
                w.hedges_g,
            )
        }),
        Test::MannWhitney => mann_whitney(baseline, current, factor, confidence).map(|m| {
            (
                m.p_above,
                m.p_below,
                (b.median, m.shift),
                m.interval,
                m.rank_biserial,
            )
        }),
    };
    let Some((p_above, p_below, (stat_b, difference), interval, effect)) = tested else {
        comparison.reason = format!(
            "{} needs at least 2 samples on each side (baseline {}, current {})",
            test.as_str(),
            b.count,
            c.count
        );
        return comparison;
    };
    let relative = |value: f64| (stat_b != 0.0).then(|| value / stat_b.abs());
    comparison.change = relative(difference);
    comparison.change_low = relative(interval.0);
    comparison.change_high = relative(interval.1);
    comparison.effect_size = Some(effect);
    let (p_worse, p_within) = match limit.direction {
        Direction::Rise => (p_above, p_below),
        Direction::Fall => (p_below, p_above),
    };
    comparison.p_regression = Some(p_worse);
    comparison.p_within = Some(p_within);
    let moved = match limit.direction {
        Direction::Rise => "rise",
        Direction::Fall => "fall",
    };
    let limit_text = format!("{}%", format_percent(limit.fraction));
    (comparison.decision, comparison.reason) = if p_worse < alpha {
        (
            Decision::Regression,
            format!("a {moved} of more than {limit_text} is shown at p = {p_worse:.2e} < {alpha}"),
        )
    } else if p_within < alpha {
        (
            Decision::Pass,
            format!("staying within {limit_text} is shown at p = {p_within:.2e} < {alpha}"),
        )
    } else {
        (
            Decision::Inconclusive,
            format!(
                "too noisy to tell at p < {alpha}: neither a {moved} of more than {limit_text} \
                 (p = {p_worse:.3}) nor staying within it (p = {p_within:.3}) is shown; relative \
                 standard deviations {}% (baseline) and {}% (current): more repetitions or a \
                 quieter machine",
                format_percent(b.relative_stddev()),
                format_percent(c.relative_stddev())
            ),
        )
    };
    comparison
}

/// Whether `samples` pin the statistic `test` compares (the mean for Welch, the median for
/// Mann–Whitney) precisely enough for `limit` at significance `alpha`: its one-sided
/// `1 − alpha` bound lies within half the limit of it. A set measured to be compared later (a
/// stored baseline) is then no obstacle to deciding. The median's standard error is taken
/// from the median absolute deviation, so that a few stalls do not make it look imprecise.
pub fn precise_enough(samples: &[f64], test: Test, limit: Limit, alpha: f64) -> bool {
    let Some(summary) = Summary::of(samples) else {
        return false;
    };
    if summary.count < 2 {
        return false;
    }
    let root_n = (summary.count as f64).sqrt();
    let (centre, error) = match test {
        Test::Welch => (summary.mean, summary.stddev / root_n),
        Test::MannWhitney => {
            let deviations: Vec<f64> = samples.iter().map(|x| (x - summary.median).abs()).collect();
            let spread = 1.4826 * super::summary::median(&deviations);
            (summary.median, 1.2533 * spread / root_n)
        }
    };
    if centre == 0.0 {
        return error == 0.0;
    }
    let z = Normal::standard().inverse_cdf(1.0 - alpha);
    z * error / centre.abs() <= limit.fraction / 2.0
}

/// A fraction as a percentage with at most one decimal (`0.05` → `5`, `0.125` → `12.5`).
pub fn format_percent(fraction: f64) -> String {
    let percent = (fraction * 1000.0).round() / 10.0;
    if percent.fract() == 0.0 {
        format!("{percent:.0}")
    } else {
        format!("{percent:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic noise around 1.0: a small linear congruential generator.
    fn noisy(count: usize, centre: f64, spread: f64, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..count)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
                centre * (1.0 + spread * (2.0 * unit - 1.0))
            })
            .collect()
    }

    const RISE_5: Limit = Limit {
        direction: Direction::Rise,
        fraction: 0.05,
    };

    #[test]
    fn a_twenty_percent_slowdown_is_a_regression_by_either_test() {
        let baseline = noisy(20, 1.0, 0.03, 1);
        let current = noisy(20, 1.2, 0.03, 2);
        for test in [Test::Welch, Test::MannWhitney] {
            let result = compare(&baseline, &current, test, RISE_5, 0.01);
            assert_eq!(result.decision, Decision::Regression, "{result:?}");
            let change = result.change.unwrap();
            assert!((change - 0.2).abs() < 0.03, "{result:?}");
            assert!(result.change_low.unwrap() < change && change < result.change_high.unwrap());
        }
    }

    #[test]
    fn the_same_program_passes() {
        let baseline = noisy(20, 1.0, 0.03, 3);
        let current = noisy(20, 1.0, 0.03, 4);
        for test in [Test::Welch, Test::MannWhitney] {
            let result = compare(&baseline, &current, test, RISE_5, 0.01);
            assert_eq!(result.decision, Decision::Pass, "{result:?}");
        }
    }

    #[test]
    fn thirty_percent_noise_is_never_a_regression() {
        for seed in 0..50 {
            let baseline = noisy(10, 1.0, 0.3, seed);
            let current = noisy(10, 1.0, 0.3, seed + 1000);
            for test in [Test::Welch, Test::MannWhitney] {
                let result = compare(&baseline, &current, test, RISE_5, 0.01);
                assert_ne!(result.decision, Decision::Regression, "{result:?}");
            }
        }
        let result = compare(
            &noisy(10, 1.0, 0.3, 7),
            &noisy(10, 1.0, 0.3, 8),
            Test::Welch,
            RISE_5,
            0.01,
        );
        assert_eq!(result.decision, Decision::Inconclusive, "{result:?}");
        assert!(result.reason.contains("too noisy"), "{}", result.reason);
    }

    #[test]
    fn a_fall_in_throughput_is_the_regression_when_falls_are_worse() {
        let limit = Limit {
            direction: Direction::Fall,
            fraction: 0.05,
        };
        let result = compare(
            &noisy(15, 1000.0, 0.02, 5),
            &noisy(15, 800.0, 0.02, 6),
            Test::Welch,
            limit,
            0.01,
        );
        assert_eq!(result.decision, Decision::Regression, "{result:?}");
        let faster = compare(
            &noisy(15, 1000.0, 0.02, 5),
            &noisy(15, 1200.0, 0.02, 6),
            Test::Welch,
            limit,
            0.01,
        );
        assert_eq!(faster.decision, Decision::Pass, "{faster:?}");
    }

    #[test]
    fn precision_grows_with_the_samples_and_shrinks_with_the_noise() {
        let quiet = noisy(20, 1.0, 0.02, 9);
        let loud = noisy(20, 1.0, 0.3, 9);
        let loud_many = noisy(1280, 1.0, 0.3, 9);
        for test in [Test::Welch, Test::MannWhitney] {
            assert!(precise_enough(&quiet, test, RISE_5, 0.01));
            assert!(!precise_enough(&loud, test, RISE_5, 0.01));
            assert!(precise_enough(&loud_many, test, RISE_5, 0.01));
        }
        assert!(!precise_enough(&[1.0], Test::Welch, RISE_5, 0.01));
    }

    #[test]
    fn one_sample_is_inconclusive_not_an_error() {
        let result = compare(&[1.0], &[2.0], Test::Welch, RISE_5, 0.05);
        assert_eq!(result.decision, Decision::Inconclusive);
        assert!(
            result.reason.contains("at least 2 samples"),
            "{}",
            result.reason
        );
    }
}

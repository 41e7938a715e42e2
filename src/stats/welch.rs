//! Welch's t-test: are two means different, without assuming equal variances?
//!
//! The test is asked of `current` against `factor × baseline`, so that "the mean may not rise
//! more than 5%" is a test of `current > 1.05 × baseline` (factor 1.05), not of any rise at
//! all. The effect size and the interval describe the plain difference (factor 1).

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::summary::{mean, variance};

/// What the test says of `current` against `factor × baseline`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    /// The t statistic of `mean(current) − factor × mean(baseline)`.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub degrees_of_freedom: f64,
    /// One-sided p-value of "current is above factor × baseline".
    pub p_above: f64,
    /// One-sided p-value of "current is below factor × baseline".
    pub p_below: f64,
    /// Hedges' g of current against baseline: the difference of means in pooled standard
    /// deviations, corrected for small samples.
    pub hedges_g: f64,
    /// Interval of `mean(current) − mean(baseline)` at the confidence asked.
    pub interval: (f64, f64),
}

/// Welch's t-test of `current` against `factor × baseline`, with an interval at `confidence`
/// (0.95 for 95%). `None` with fewer than two samples on a side.
pub fn welch(baseline: &[f64], current: &[f64], factor: f64, confidence: f64) -> Option<Welch> {
    let (n_b, n_c) = (baseline.len() as f64, current.len() as f64);
    if baseline.len() < 2 || current.len() < 2 {
        return None;
    }
    let (mean_b, mean_c) = (mean(baseline), mean(current));
    let (var_b, var_c) = (variance(baseline, mean_b), variance(current, mean_c));

    // The shifted test: factor × baseline has factor² times the variance.
    let term_b = factor * factor * var_b / n_b;
    let term_c = var_c / n_c;
    let difference = mean_c - factor * mean_b;
    let (t, degrees_of_freedom, p_above, p_below) = match satterthwaite(term_b, n_b, term_c, n_c) {
        Some(df) => {
            let t = difference / (term_b + term_c).sqrt();
            let below = student(df).cdf(t);
            (t, df, 1.0 - below, below)
        }
        // No spread on either side: the difference is what it is.
        None => exact(difference),
    };

    let pooled = (((n_b - 1.0) * var_b + (n_c - 1.0) * var_c) / (n_b + n_c - 2.0)).sqrt();
    let correction = 1.0 - 3.0 / (4.0 * (n_b + n_c) - 9.0);
    let hedges_g = if pooled > 0.0 {
        (mean_c - mean_b) / pooled * correction
    } else {
        0.0
    };

    let plain = mean_c - mean_b;
    let interval = match satterthwaite(var_b / n_b, n_b, var_c / n_c, n_c) {
        Some(df) => {
            let half = student(df).inverse_cdf(0.5 + confidence / 2.0)
                * (var_b / n_b + var_c / n_c).sqrt();
            (plain - half, plain + half)
        }
        None => (plain, plain),
    };
    Some(Welch {
        t,
        degrees_of_freedom,
        p_above,
        p_below,
        hedges_g,
        interval,
    })
}

/// Welch–Satterthwaite degrees of freedom of two variance-of-mean terms; `None` when both are 0.
fn satterthwaite(term_b: f64, n_b: f64, term_c: f64, n_c: f64) -> Option<f64> {
    let sum = term_b + term_c;
    if sum <= 0.0 {
        return None;
    }
    Some(sum * sum / (term_b * term_b / (n_b - 1.0) + term_c * term_c / (n_c - 1.0)))
}

fn student(degrees_of_freedom: f64) -> StudentsT {
    // Valid for any positive, finite degrees of freedom, which satterthwaite returns.
    StudentsT::new(0.0, 1.0, degrees_of_freedom)
        .unwrap_or_else(|_| StudentsT::new(0.0, 1.0, 1.0).expect("1 degree of freedom"))
}

/// Without spread the sign of the difference is certain; equal means favour neither side.
pub(crate) fn exact(difference: f64) -> (f64, f64, f64, f64) {
    let (p_above, p_below) = if difference > 0.0 {
        (0.0, 1.0)
    } else if difference < 0.0 {
        (1.0, 0.0)
    } else {
        (0.5, 0.5)
    };
    let t = if difference == 0.0 {
        0.0
    } else {
        difference.signum() * f64::INFINITY
    };
    (t, f64::INFINITY, p_above, p_below)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scipy 1.x: ttest_ind(current, baseline, equal_var=False): t = 5.784224, df = 9.958651,
    /// p = 0.00017956 (two-sided); confidence_interval(0.95) = (1.843720, 4.156280).
    #[test]
    fn matches_r_on_a_textbook_pair() {
        let baseline = [21.2, 22.8, 20.9, 23.1, 22.0, 21.7];
        let current = [24.1, 25.3, 26.0, 23.8, 25.9, 24.6];
        let result = welch(&baseline, &current, 1.0, 0.95).unwrap();
        assert!((result.t - 5.784_224).abs() < 1e-5, "{result:?}");
        assert!(
            (result.degrees_of_freedom - 9.958_651).abs() < 1e-5,
            "{result:?}"
        );
        assert!(
            (2.0 * result.p_above - 0.000_179_56).abs() < 1e-7,
            "{result:?}"
        );
        assert!((result.interval.0 - 1.843_720).abs() < 1e-5, "{result:?}");
        assert!((result.interval.1 - 4.156_280).abs() < 1e-5, "{result:?}");
        assert!(result.hedges_g > 2.0);
    }

    #[test]
    fn the_factor_moves_the_question_not_the_effect() {
        let baseline = [10.0, 10.2, 9.8, 10.1, 9.9];
        let current = [10.4, 10.6, 10.2, 10.5, 10.3];
        let any_rise = welch(&baseline, &current, 1.0, 0.95).unwrap();
        let over_ten_percent = welch(&baseline, &current, 1.10, 0.95).unwrap();
        assert!(any_rise.p_above < 0.01);
        assert!(over_ten_percent.p_below < 0.01, "4% is surely under 10%");
        assert_eq!(any_rise.hedges_g, over_ten_percent.hedges_g);
    }

    #[test]
    fn no_spread_is_decided_by_the_sign() {
        let result = welch(&[1.0, 1.0], &[2.0, 2.0], 1.0, 0.95).unwrap();
        assert_eq!((result.p_above, result.p_below), (0.0, 1.0));
        assert_eq!(result.interval, (1.0, 1.0));
        assert!(welch(&[1.0], &[2.0, 2.0], 1.0, 0.95).is_none());
    }
}

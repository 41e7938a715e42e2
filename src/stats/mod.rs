//! Statistics for before/after numbers: is the second set of samples worse than the first by
//! more than a limit, better than that, or can the data not tell? Shared by `regress` and, to
//! come, `diff` of two investigations. Pure arithmetic on slices: no I/O, nothing of the crate.
//!
//! - [`summary`]: mean, standard deviation, median of one set of samples.
//! - [`welch`]: Welch's t-test on means, with Hedges' g and a confidence interval.
//! - [`mann_whitney`]: the Mann–Whitney U test on medians, with the rank-biserial correlation
//!   and the Hodges–Lehmann shift's interval.
//! - [`compare`]: the three-way decision a threshold asks for (regression, pass, inconclusive);
//!   whether one set pins its statistic precisely enough for a limit.
//! - [`change_point`]: E-divisive change points over a history of runs.
//!
//! The distributions (Student's t, the normal) are statrs's.

pub mod change_point;
pub mod compare;
pub mod mann_whitney;
pub mod summary;
pub mod welch;

pub use change_point::{ChangePoint, change_points};
pub use compare::{Comparison, Decision, Direction, Limit, Test, compare, precise_enough};
pub use summary::Summary;

//! Regression recipes (`perf_manual regress RECIPE.toml`): the model users write, its checks,
//! the results of runs (stored, read back, kept as a history), the numbers taken from a
//! run's output, and the judgement of a current run against its baseline through `stats`.
//! Runs nothing: `collect::bench` runs the benchmarks, `commands/regress.rs` the pipeline.

pub mod check;
pub mod judge;
pub mod model;
pub mod result;
pub mod threshold;

pub use check::{BaselineSource, Checked, load};
pub use model::Recipe;
pub use result::{BenchmarkResult, RunResult};

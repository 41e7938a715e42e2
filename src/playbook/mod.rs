//! Playbooks: the model, loading with file:line:col errors, and checks.

pub mod check;
pub mod load;
pub(crate) mod model;
pub(crate) mod outputs;
mod series;

pub use crate::collect::tools::{Collector, StepArgs};
pub use check::Checked;
pub use load::{Loaded, load};
pub use model::{Phase, Playbook, Step};

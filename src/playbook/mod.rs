//! Playbooks: the model, loading with file:line:col errors, and checks.

pub mod check;
pub mod duration;
pub mod load;
pub mod model;

pub use duration::Span;
pub use load::{Loaded, PlaybookError, load};
pub use model::{Collector, Phase, Playbook, Rule, RuleFile, Step, StepArgs};

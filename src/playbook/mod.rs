//! Playbooks: the model, loading with file:line:col errors, and checks.

pub mod duration;
pub mod model;

pub use duration::Span;
pub use model::{Collector, Phase, Playbook, Rule, RuleFile, Step, StepArgs};

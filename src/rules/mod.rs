//! Rules as users write them, compiled once (the expression language, nom), evaluation over a
//! [`Dataset`], and findings. No I/O here: rules are judged on values alone.
//!
//! [`Dataset`]: crate::record::Dataset

pub mod builtin;
pub(crate) mod compiled;
pub mod condition;
pub mod eval;
pub(crate) mod expr;
pub mod finding;
pub mod links;
pub mod rule;
pub mod use_table;
pub mod verdict;

pub use compiled::{CompiledRule, compile};
pub use condition::{Condition, parse_condition};
pub use eval::{Judgement, Outcome, evaluate, evaluate_all};
pub use expr::{Expr, ExprError, parse_expression};
pub use finding::{Evidence, EvidenceSource, Finding, Neighbour, Severity, Signal, Window, rank};
pub use links::link;
pub use rule::{Rule, RuleFile};
pub use verdict::{Verdict, VerdictKind, verdict};

//! A rule compiled once: its `when` parsed and typed, and what it reads found, when the playbook
//! is checked or a built-in rule set is read. Judging it, between phases and at the end, never
//! reads the text again.

use super::Rule;
use super::expr::{Expr, ExprError, parse_expression};

/// A rule and its compiled expression.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    rule: Rule,
    /// The expression, or where and why `when` does not compile. A playbook with such a rule
    /// fails its check; judged anyway, the rule is an error and the others are judged.
    expression: Result<Expr, ExprError>,
}

/// Compile a rule's `when`.
pub fn compile(rule: Rule) -> CompiledRule {
    let expression = parse_expression(&rule.when);
    CompiledRule { rule, expression }
}

impl CompiledRule {
    /// The rule as written.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// The typed expression, or the error with its byte offset into `when`.
    pub fn expression(&self) -> Result<&Expr, &ExprError> {
        self.expression.as_ref()
    }

    /// The series the rule reads (`mpstat.busy`), each once; none when it does not compile.
    pub(crate) fn series_names(&self) -> &[String] {
        self.expression.as_ref().map_or(&[], Expr::series_names)
    }
}

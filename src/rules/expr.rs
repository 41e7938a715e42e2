//! The rule expression grammar and its nom parser. (Being written.)

/// A parse error at a byte offset of the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for ExprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr;

pub fn parse_expression(_text: &str) -> Result<Expr, ExprError> {
    Ok(Expr)
}

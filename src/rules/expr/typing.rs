//! Typing: the untyped tree told apart into conditions (true or false) and values (numbers).
//! The grammar places neither, so `(a + b) > c` and `(a > b) and c > d` parse alike; here a
//! condition where a number belongs, or a number where a condition belongs, is an error.

use super::ast::{Comparison, Cond, Value};
use super::error::ExprError;
use super::grammar::{Kind, Node, snippet};

/// The tree of a whole expression, or of an operand of `and`, `or`, `any` or `all`.
pub(super) fn condition(text: &str, node: Node) -> Result<Cond, ExprError> {
    let boxed = |node: Box<Node>| condition(text, *node).map(Box::new);
    match node.kind {
        Kind::Compare(op, left, right) => Ok(Cond::Compare(Comparison {
            left: value(text, *left)?,
            op,
            right: value(text, *right)?,
            text: snippet(text, node.start, node.end),
        })),
        Kind::And(left, right) => Ok(Cond::And(boxed(left)?, boxed(right)?)),
        Kind::Or(left, right) => Ok(Cond::Or(boxed(left)?, boxed(right)?)),
        Kind::Any(inner) => Ok(Cond::Any(boxed(inner)?)),
        Kind::All(inner) => Ok(Cond::All(boxed(inner)?)),
        _ => Err(node.comparison_expected(text)),
    }
}

fn value(text: &str, node: Node) -> Result<Value, ExprError> {
    let written = snippet(text, node.start, node.end);
    let boxed = |node: Box<Node>| value(text, *node).map(Box::new);
    match node.kind {
        Kind::Literal(value, unit) => Ok(Value::Literal { value, unit }),
        Kind::Host(fact) => Ok(Value::HostFact(fact)),
        Kind::Series(selector) => Ok(Value::Series(selector)),
        Kind::Aggregate(aggregate, inner) => Ok(Value::Aggregate {
            aggregate,
            of: boxed(inner)?,
            text: written,
        }),
        Kind::Negate(inner) => Ok(Value::Negate(boxed(inner)?)),
        Kind::Arith(op, left, right) => Ok(Value::Arith {
            op,
            left: boxed(left)?,
            right: boxed(right)?,
            text: written,
        }),
        Kind::Compare(..) | Kind::And(..) | Kind::Or(..) | Kind::Any(_) | Kind::All(_) => {
            Err(ExprError {
                offset: node.start,
                message: format!("`{written}` is a condition (true or false), not a number"),
            })
        }
    }
}

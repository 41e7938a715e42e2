//! Units as the evaluator sees them: what a value is measured in, how two operands are brought
//! into one unit, and the unit of a product or a quotient.

use super::Stop;
use super::value::{Evaluated, Val};
use crate::record::Unit;
use crate::rules::expr::ArithOp;

/// What a value is measured in, as far as the evaluator can tell.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Measure {
    /// A number written without a unit, or a ratio: takes the unit of what it meets.
    Plain,
    Of(Unit),
    /// A quotient of two values of one dimension (`red.errors / red.requests`): a fraction,
    /// which a percentage meets as a hundredth of itself (`> 1%` is `> 0.01`).
    Ratio,
    /// A product or quotient no [`Unit`] names (`ms*KiB`); only plain numbers meet it.
    Derived(String),
}

impl Measure {
    pub(super) fn name(&self) -> String {
        match self {
            Measure::Plain => "a plain number".into(),
            Measure::Ratio => "a ratio".into(),
            Measure::Of(unit) => unit_name(*unit).into(),
            Measure::Derived(name) => name.clone(),
        }
    }

    pub(super) fn suffix(&self) -> String {
        match self {
            Measure::Plain | Measure::Ratio => String::new(),
            Measure::Of(unit) => unit.suffix().into(),
            Measure::Derived(name) => format!(" {name}"),
        }
    }
}

fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Count => "count",
        other => other.suffix().trim_start(),
    }
}

/// Scale factors that bring two operands of `+`, `-` or a comparison into one unit, and that
/// unit. A constant is converted into the unit of the series it meets; otherwise the right
/// side into the left side's unit.
pub(super) fn reconcile(
    left: &Evaluated,
    right: &Evaluated,
    text: &str,
) -> Result<(f64, f64, Measure), Stop> {
    let mismatch = || {
        Stop::Error(format!(
            "unit mismatch in `{text}`: {} and {}",
            left.measure.name(),
            right.measure.name()
        ))
    };
    match (&left.measure, &right.measure) {
        (Measure::Plain, other) | (other, Measure::Plain) => Ok((1.0, 1.0, other.clone())),
        // A fraction met by a percentage is read as a percentage: the finding says `5%`.
        (Measure::Ratio, Measure::Of(Unit::Percent)) => {
            Ok((100.0, 1.0, Measure::Of(Unit::Percent)))
        }
        (Measure::Of(Unit::Percent), Measure::Ratio) => {
            Ok((1.0, 100.0, Measure::Of(Unit::Percent)))
        }
        (Measure::Ratio, Measure::Of(Unit::Count)) | (Measure::Of(Unit::Count), Measure::Ratio) => {
            Ok((1.0, 1.0, Measure::Of(Unit::Count)))
        }
        (Measure::Of(a), Measure::Of(b)) => {
            let left_is_constant =
                matches!(left.val, Val::Constant(_)) && matches!(right.val, Val::Tracks(_));
            if left_is_constant {
                let scale = a.convert(1.0, *b).ok_or_else(mismatch)?;
                Ok((scale, 1.0, Measure::Of(*b)))
            } else {
                let scale = b.convert(1.0, *a).ok_or_else(mismatch)?;
                Ok((1.0, scale, Measure::Of(*a)))
            }
        }
        (a, b) if a == b => Ok((1.0, 1.0, a.clone())),
        _ => Err(mismatch()),
    }
}

/// The unit of a product or quotient, and the factor that makes a same-dimension quotient a
/// plain ratio (`ms / s`).
pub(super) fn product_measure(op: ArithOp, left: &Measure, right: &Measure) -> (f64, f64, Measure) {
    let counted = |measure: &Measure| {
        matches!(
            measure,
            Measure::Plain | Measure::Ratio | Measure::Of(Unit::Count)
        )
    };
    match (left, right) {
        // Two counts divided (errors per request) are a fraction, not a count.
        (Measure::Of(Unit::Count), Measure::Of(Unit::Count)) if op == ArithOp::Div => {
            (1.0, 1.0, Measure::Ratio)
        }
        (_, r) if counted(r) => (1.0, 1.0, left.clone()),
        (l, _) if counted(l) && op == ArithOp::Mul => (1.0, 1.0, right.clone()),
        (Measure::Of(a), Measure::Of(b)) if op == ArithOp::Div => match b.convert(1.0, *a) {
            Some(scale) => (1.0, scale, Measure::Ratio),
            None => (
                1.0,
                1.0,
                Measure::Derived(format!("{}/{}", left.name(), right.name())),
            ),
        },
        _ => (
            1.0,
            1.0,
            Measure::Derived(format!("{}{}{}", left.name(), op.symbol(), right.name())),
        ),
    }
}

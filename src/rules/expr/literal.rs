//! Literals: numbers with their units (`90%`, `20ms`, `100MiB`, `50MiB/s`) and `for` durations.

use nom::{
    Parser,
    bytes::complete::take_while,
    character::complete::{char, digit1},
    combinator::{opt, recognize},
    sequence::pair,
};

use super::error::{Parsed, SyntaxError};
use super::lex::{is_identifier_char, skip_space};
use crate::base::parse_duration;
use crate::record::Unit;

/// A number and its unit, the value scaled into that unit (`100MiB` is 102400 KiB).
pub(super) fn number(input: &str) -> Parsed<'_, (f64, Option<Unit>)> {
    let (after_digits, digits) =
        recognize(pair(digit1, opt(pair(char('.'), digit1)))).parse(input)?;
    let value: f64 = digits
        .parse()
        .ok()
        .filter(|value: &f64| value.is_finite())
        .ok_or_else(|| SyntaxError::at(input, format!("number `{digits}` is too large")))?;
    let (rest, unit_text) = unit_suffix(after_digits);
    let (scale, unit) = match unit_text {
        "" => (1.0, None),
        "%" => (1.0, Some(Unit::Percent)),
        "ns" => (1e-3, Some(Unit::Microseconds)),
        "us" | "µs" => (1.0, Some(Unit::Microseconds)),
        "ms" => (1.0, Some(Unit::Milliseconds)),
        "s" => (1.0, Some(Unit::Seconds)),
        "B" => (1.0, Some(Unit::Bytes)),
        "KiB" => (1.0, Some(Unit::KiB)),
        "MiB" => (1024.0, Some(Unit::KiB)),
        "GiB" => (1024.0 * 1024.0, Some(Unit::KiB)),
        "/s" => (1.0, Some(Unit::PerSecond)),
        "B/s" => (1.0, Some(Unit::BytesPerSecond)),
        "KiB/s" => (1.0, Some(Unit::KiBPerSecond)),
        "MiB/s" => (1024.0, Some(Unit::KiBPerSecond)),
        "GiB/s" => (1024.0 * 1024.0, Some(Unit::KiBPerSecond)),
        other => {
            return Err(SyntaxError::at(
                after_digits,
                format!(
                    "unknown unit `{other}`; units are %, ns, us, ms, s, B, KiB, MiB, GiB, \
                     /s, B/s, KiB/s, MiB/s, GiB/s"
                ),
            ));
        }
    };
    Ok((rest, (value * scale, unit)))
}

/// Split a unit suffix off the text right after a number: `%`, letters, letters + `/s`, `/s`.
fn unit_suffix(input: &str) -> (&str, &str) {
    if let Some(rest) = input.strip_prefix('%') {
        return (rest, "%");
    }
    let letters = input
        .find(|c: char| !c.is_alphabetic())
        .unwrap_or(input.len());
    let per_second = input
        .get(letters..)
        .and_then(|after| after.strip_prefix("/s"))
        .is_some_and(|after| !after.starts_with(|c: char| is_identifier_char(c) || c == '.'));
    let length = if per_second { letters + 2 } else { letters };
    match (input.get(length..), input.get(..length)) {
        (Some(rest), Some(unit)) => (rest, unit),
        _ => (input, ""),
    }
}

/// The duration after `for`, in seconds.
pub(super) fn duration(after_for: &str) -> Parsed<'_, f64> {
    let token_start = skip_space(after_for);
    let (rest, token) =
        take_while::<_, _, SyntaxError>(|c: char| c.is_ascii_alphanumeric() || c == '.')(
            token_start,
        )?;
    let seconds = parse_duration(token)
        .map_err(|message| SyntaxError::at(token_start, message))?
        .as_secs_f64();
    if seconds <= 0.0 {
        return Err(SyntaxError::at(
            token_start,
            "a `for` duration must be longer than zero",
        ));
    }
    Ok((rest, seconds))
}

#[cfg(test)]
mod tests {
    use super::super::ast::{ArithOp, Comparison, Cond, Value};
    use super::super::tests::parsed;
    use super::*;

    /// The literal on the right of the only comparison.
    fn threshold(text: &str) -> (f64, Option<Unit>) {
        match parsed(text).condition {
            Cond::Compare(Comparison {
                right: Value::Literal { value, unit },
                ..
            }) => (value, unit),
            other => panic!("{text:?}: {other:?}"),
        }
    }

    #[test]
    fn numbers_take_units() {
        assert_eq!(threshold("t.a > 1.0"), (1.0, None));
        assert_eq!(threshold("t.a > 90%"), (90.0, Some(Unit::Percent)));
        assert_eq!(threshold("t.a > 20ms"), (20.0, Some(Unit::Milliseconds)));
        assert_eq!(threshold("t.a > 1.5s"), (1.5, Some(Unit::Seconds)));
        assert_eq!(threshold("t.a > 500us"), (500.0, Some(Unit::Microseconds)));
        assert_eq!(threshold("t.a > 500µs"), (500.0, Some(Unit::Microseconds)));
        assert_eq!(threshold("t.a > 100MiB"), (102400.0, Some(Unit::KiB)));
        assert_eq!(threshold("t.a > 10KiB"), (10.0, Some(Unit::KiB)));
        assert_eq!(
            threshold("t.a > 50MiB/s"),
            (51200.0, Some(Unit::KiBPerSecond))
        );
        assert_eq!(threshold("t.a > 1000/s"), (1000.0, Some(Unit::PerSecond)));
        assert_eq!(threshold("t.a > 10B/s"), (10.0, Some(Unit::BytesPerSecond)));
        // `/` followed by a name is a division, not a unit.
        assert!(matches!(
            parsed("t.a > 1000/s.b").condition,
            Cond::Compare(Comparison {
                right: Value::Arith {
                    op: ArithOp::Div,
                    ..
                },
                ..
            })
        ));
    }
}

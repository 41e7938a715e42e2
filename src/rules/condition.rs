//! Phase conditions: whether a phase runs, judged on the findings of the phases before it.
//!
//! ```text
//! condition = conjunction { "or" conjunction }
//! conjunction = atom { "and" atom }
//! atom      = "always" | "never" | "(" condition ")"
//!           | "any_finding" "(" [ filter { "," filter } ] ")"
//! filter    = ( "resource" | "signal" | "min_severity" ) "=" string    string: '...' or "..."
//! ```
//!
//! `any_finding(resource = 'cpu', signal = 'saturation', min_severity = 'medium')` holds when at
//! least one finding matches every filter given; `any_finding()` when there is any finding.

use super::expr::{
    ExprError, Parsed, SyntaxError, finish, found, identifier, keyword, quoted, skip_space,
};
use super::finding::{Finding, Severity, Signal};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Always,
    Never,
    AnyFinding(FindingFilter),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
}

/// What `any_finding(...)` asks of a finding; `None` accepts anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingFilter {
    pub resource: Option<String>,
    pub signal: Option<Signal>,
    pub min_severity: Option<Severity>,
}

impl FindingFilter {
    /// Whether `finding` matches every filter given. A neighbour's finding (`neighbours`, set
    /// where the target is known) never does: a drill-down is aimed at the target's problem.
    pub fn accepts(&self, finding: &Finding) -> bool {
        finding.neighbours.is_empty()
            && self
                .resource
                .as_ref()
                .is_none_or(|resource| *resource == finding.resource)
            && self.signal.is_none_or(|signal| signal == finding.signal)
            && self
                .min_severity
                .is_none_or(|severity| finding.severity >= severity)
    }
}

impl Condition {
    pub fn holds(&self, findings: &[Finding]) -> bool {
        match self {
            Condition::Always => true,
            Condition::Never => false,
            Condition::AnyFinding(filter) => findings.iter().any(|finding| filter.accepts(finding)),
            Condition::And(left, right) => left.holds(findings) && right.holds(findings),
            Condition::Or(left, right) => left.holds(findings) || right.holds(findings),
        }
    }
}

/// Parentheses nest at most this deep, so no input can exhaust the stack.
const MAX_DEPTH: usize = 32;

/// Parse a phase's `when`. Never panics; rejects anything after the condition.
pub fn parse_condition(text: &str) -> Result<Condition, ExprError> {
    let (rest, condition) = finish(text, disjunction(text, 0))?;
    let rest = skip_space(rest);
    if rest.is_empty() {
        Ok(condition)
    } else {
        Err(ExprError {
            offset: text.len() - rest.len(),
            message: format!(
                "expected `and`, `or` or the end of the condition, found {}",
                found(rest)
            ),
        })
    }
}

fn disjunction(input: &str, depth: usize) -> Parsed<'_, Condition> {
    let (mut rest, mut condition) = conjunction(input, depth)?;
    while let Some(after) = keyword(skip_space(rest), "or") {
        let (next, right) = conjunction(after, depth)?;
        condition = Condition::Or(Box::new(condition), Box::new(right));
        rest = next;
    }
    Ok((rest, condition))
}

fn conjunction(input: &str, depth: usize) -> Parsed<'_, Condition> {
    let (mut rest, mut condition) = atom(input, depth)?;
    while let Some(after) = keyword(skip_space(rest), "and") {
        let (next, right) = atom(after, depth)?;
        condition = Condition::And(Box::new(condition), Box::new(right));
        rest = next;
    }
    Ok((rest, condition))
}

fn atom(input: &str, depth: usize) -> Parsed<'_, Condition> {
    let input = skip_space(input);
    if depth > MAX_DEPTH {
        return Err(SyntaxError::at(input, "condition nested too deeply"));
    }
    if let Some(inside) = input.strip_prefix('(') {
        let (rest, condition) = disjunction(inside, depth + 1)?;
        let rest = skip_space(rest);
        let rest = rest
            .strip_prefix(')')
            .ok_or_else(|| SyntaxError::at(rest, format!("expected `)`, found {}", found(rest))))?;
        return Ok((rest, condition));
    }
    let expected = || {
        SyntaxError::at(
            input,
            format!(
                "expected `any_finding(...)`, `always` or `never`, found {}",
                found(input)
            ),
        )
    };
    let (after, name) = identifier(input).map_err(|_| expected())?;
    match name {
        "always" => Ok((after, Condition::Always)),
        "never" => Ok((after, Condition::Never)),
        "any_finding" => {
            let spaced = skip_space(after);
            let inside = spaced
                .strip_prefix('(')
                .ok_or_else(|| SyntaxError::at(spaced, "expected `(` after `any_finding`"))?;
            let (rest, filter) = filters(inside)?;
            Ok((rest, Condition::AnyFinding(filter)))
        }
        _ => Err(expected()),
    }
}

/// `name = 'value', ...)` after `any_finding(`.
fn filters(inside: &str) -> Parsed<'_, FindingFilter> {
    let mut filter = FindingFilter::default();
    let mut rest = skip_space(inside);
    loop {
        if let Some(after) = rest.strip_prefix(')') {
            return Ok((after, filter));
        }
        let name_at = rest;
        let (after_name, name) = identifier(rest).map_err(|_| {
            SyntaxError::at(
                rest,
                format!(
                    "expected `resource`, `signal`, `min_severity` or `)`, found {}",
                    found(rest)
                ),
            )
        })?;
        let spaced = skip_space(after_name);
        let after_equals = spaced
            .strip_prefix('=')
            .ok_or_else(|| SyntaxError::at(spaced, format!("expected `=` after `{name}`")))?;
        let value_at = skip_space(after_equals);
        let (after_value, value) = quoted(value_at)?;
        let duplicate = || SyntaxError::at(name_at, format!("`{name}` is given twice"));
        match name {
            "resource" => {
                if filter.resource.replace(value).is_some() {
                    return Err(duplicate());
                }
            }
            "signal" => {
                let signal = parse_signal(&value).ok_or_else(|| {
                    SyntaxError::at(
                        value_at,
                        format!(
                            "unknown signal {value:?}, expected one of utilization, saturation, \
                             errors, rate, duration"
                        ),
                    )
                })?;
                if filter.signal.replace(signal).is_some() {
                    return Err(duplicate());
                }
            }
            "min_severity" => {
                let severity: Severity = value
                    .parse()
                    .map_err(|message: String| SyntaxError::at(value_at, message))?;
                if filter.min_severity.replace(severity).is_some() {
                    return Err(duplicate());
                }
            }
            _ => {
                return Err(SyntaxError::at(
                    name_at,
                    format!(
                        "unknown filter `{name}`, expected `resource`, `signal` or `min_severity`"
                    ),
                ));
            }
        }
        rest = skip_space(after_value);
        if let Some(after_comma) = rest.strip_prefix(',') {
            rest = skip_space(after_comma);
        } else if !rest.starts_with(')') {
            return Err(SyntaxError::at(
                rest,
                format!("expected `,` or `)`, found {}", found(rest)),
            ));
        }
    }
}

fn parse_signal(name: &str) -> Option<Signal> {
    [
        Signal::Utilization,
        Signal::Saturation,
        Signal::Errors,
        Signal::Rate,
        Signal::Duration,
    ]
    .into_iter()
    .find(|signal| signal.as_str() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(resource: &str, signal: Signal, severity: Severity) -> Finding {
        let id = format!("{resource}-{}", signal.as_str());
        Finding::bare(&id, resource, signal, severity)
    }

    fn holds(text: &str, findings: &[Finding]) -> bool {
        match parse_condition(text) {
            Ok(condition) => condition.holds(findings),
            Err(error) => panic!("{text:?}: {error}"),
        }
    }

    #[test]
    fn filters_select_findings() {
        let cpu = [finding("cpu", Signal::Saturation, Severity::Medium)];
        assert!(holds("any_finding()", &cpu));
        assert!(!holds("any_finding()", &[]));
        assert!(holds("any_finding(resource = 'cpu')", &cpu));
        assert!(holds(r#"any_finding(resource="cpu")"#, &cpu));
        assert!(!holds("any_finding(resource = 'disk')", &cpu));
        assert!(holds(
            "any_finding(resource = 'cpu', signal = 'saturation', min_severity = 'medium')",
            &cpu
        ));
        assert!(!holds(
            "any_finding(resource = 'cpu', min_severity = 'high')",
            &cpu
        ));
        assert!(!holds("any_finding(signal = 'errors')", &cpu));
        assert!(holds("always", &[]));
        assert!(!holds("never", &cpu));
        assert!(holds(
            "any_finding(resource = 'disk') or any_finding(resource = 'cpu')",
            &cpu
        ));
        assert!(!holds(
            "any_finding(resource = 'disk') and any_finding(resource = 'cpu')",
            &cpu
        ));
        assert!(holds("never and never or always", &[]));
        assert!(!holds("never and (never or always)", &[]));
    }

    #[test]
    fn errors_point_at_the_problem() {
        for (text, offset, message) in [
            ("any_finding(resource = 'cpu'", 28, "expected `,` or `)`"),
            ("any_finding(colour = 'red')", 12, "unknown filter `colour`"),
            ("any_finding(signal = 'speed')", 21, "unknown signal"),
            ("any_finding(min_severity = 'huge')", 27, "unknown severity"),
            (
                "any_finding(resource = cpu)",
                23,
                "expected a quoted string",
            ),
            (
                "any_finding(resource = 'a', resource = 'b')",
                28,
                "given twice",
            ),
            (
                "sometimes",
                0,
                "expected `any_finding(...)`, `always` or `never`",
            ),
            ("always never", 7, "expected `and`, `or` or the end"),
            ("", 0, "expected `any_finding(...)`"),
            ("any_finding", 11, "expected `(`"),
        ] {
            let error = parse_condition(text).expect_err(text);
            assert!(error.message.contains(message), "{text:?}: {error}");
            assert_eq!(error.offset, offset, "{text:?}: {error}");
        }
        assert!(parse_condition(&"(".repeat(100_000)).is_err());
    }
}

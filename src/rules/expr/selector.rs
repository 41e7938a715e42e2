//! Selectors: `mpstat.busy{cpu!="all"}`, a series and matchers on its instances' labels.

use std::fmt;

use nom::bytes::complete::take_while1;
use regex::Regex;

use super::error::{Parsed, SyntaxError, found};
use super::lex::{identifier, is_identifier_char, quoted, skip_space};
use crate::record::{Labels, Name};

/// `mpstat.busy{cpu!="all"}`: a series name and conditions on the instance labels.
#[derive(Debug, Clone)]
pub struct Selector {
    /// `table.field`.
    pub name: String,
    pub matchers: Vec<LabelMatcher>,
}

impl Selector {
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matchers.iter().all(|matcher| matcher.matches(labels))
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if self.matchers.is_empty() {
            return Ok(());
        }
        f.write_str("{")?;
        for (index, matcher) in self.matchers.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            let op = match matcher.op {
                MatchOp::Equal => "=",
                MatchOp::NotEqual => "!=",
                MatchOp::Regex(_) => "=~",
                MatchOp::NotRegex(_) => "!~",
            };
            write!(f, "{}{op}{:?}", matcher.label, matcher.value)?;
        }
        f.write_str("}")
    }
}

#[derive(Debug, Clone)]
pub struct LabelMatcher {
    pub label: String,
    /// The string as written (the pattern, for regular expressions).
    pub value: String,
    pub op: MatchOp,
}

#[derive(Debug, Clone)]
pub enum MatchOp {
    Equal,
    NotEqual,
    /// Anchored at both ends.
    Regex(Regex),
    NotRegex(Regex),
}

impl LabelMatcher {
    pub fn matches(&self, labels: &Labels) -> bool {
        let actual = labels.get(&self.label).map_or("", Name::as_str);
        match &self.op {
            MatchOp::Equal => actual == self.value,
            MatchOp::NotEqual => actual != self.value,
            MatchOp::Regex(regex) => regex.is_match(actual),
            MatchOp::NotRegex(regex) => !regex.is_match(actual),
        }
    }
}

/// The rest of a selector after `table.`.
pub(super) fn selector<'a>(table: &str, after_dot: &'a str) -> Parsed<'a, Selector> {
    let (rest, field) =
        take_while1::<_, _, SyntaxError>(is_identifier_char)(after_dot).map_err(|_| {
            SyntaxError::at(
                after_dot,
                format!(
                    "expected a field name after `{table}.`, found {}",
                    found(after_dot)
                ),
            )
        })?;
    let name = format!("{table}.{field}");
    let Some(inside) = skip_space(rest).strip_prefix('{') else {
        return Ok((
            rest,
            Selector {
                name,
                matchers: Vec::new(),
            },
        ));
    };
    let (rest, matchers) = label_matchers(inside)?;
    Ok((rest, Selector { name, matchers }))
}

/// `label op "value", ...}` after the opening `{`.
fn label_matchers(inside: &str) -> Parsed<'_, Vec<LabelMatcher>> {
    let mut matchers = Vec::new();
    let mut rest = skip_space(inside);
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((after, matchers));
        }
        let (after_label, label) = identifier(rest).map_err(|_| {
            SyntaxError::at(
                rest,
                format!(
                    "expected a label name like `cpu` or `}}`, found {}",
                    found(rest)
                ),
            )
        })?;
        let after_label = skip_space(after_label);
        let (after_op, symbol) = ["=~", "!~", "!=", "="]
            .into_iter()
            .find_map(|symbol| {
                after_label
                    .strip_prefix(symbol)
                    .map(|after| (after, symbol))
            })
            .ok_or_else(|| {
                SyntaxError::at(
                    after_label,
                    format!("expected `=`, `!=`, `=~` or `!~` after label `{label}`"),
                )
            })?;
        let value_at = skip_space(after_op);
        let (after_value, value) = quoted(value_at)?;
        let regex = || {
            crate::base::user_regex(&format!("^(?:{value})$")).map_err(|error| {
                let reason = error.to_string().replace('\n', " ");
                SyntaxError::at(
                    value_at,
                    format!("bad regular expression {value:?}: {reason}"),
                )
            })
        };
        let op = match symbol {
            "=~" => MatchOp::Regex(regex()?),
            "!~" => MatchOp::NotRegex(regex()?),
            "!=" => MatchOp::NotEqual,
            _ => MatchOp::Equal,
        };
        matchers.push(LabelMatcher {
            label: label.to_string(),
            value,
            op,
        });
        rest = skip_space(after_value);
        if let Some(after_comma) = rest.strip_prefix(',') {
            rest = skip_space(after_comma);
        } else if !rest.starts_with('}') {
            return Err(SyntaxError::at(
                rest,
                format!(
                    "expected `,` or `}}` after a label matcher, found {}",
                    found(rest)
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::parsed;
    use super::*;

    #[test]
    fn selectors_keep_their_matchers() {
        let expr = parsed(r#"t.a{cpu="0", dev!="x", name=~"sd.*", other!~'a\'b'} > 1"#);
        let selectors = expr.selectors();
        let [selector] = selectors.as_slice() else {
            panic!("one selector expected");
        };
        assert_eq!(
            selector.to_string(),
            r#"t.a{cpu="0",dev!="x",name=~"sd.*",other!~"a'b"}"#
        );
        let labels = |pairs: &[(&str, &str)]| -> Labels {
            pairs.iter().map(|&(k, v)| (k.into(), v.into())).collect()
        };
        assert!(selector.matches(&labels(&[("cpu", "0"), ("name", "sda")])));
        assert!(!selector.matches(&labels(&[("cpu", "0"), ("name", "nvme0")])));
        assert!(!selector.matches(&labels(&[("cpu", "0"), ("name", "xsda")])));
        assert!(!selector.matches(&labels(&[("cpu", "0"), ("name", "sda"), ("dev", "x")])));
    }
}

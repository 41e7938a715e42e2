//! The threshold language: `mean(wall) may not rise more than 5% at p < 0.01`.
//!
//! ```text
//! check     = statistic "(" metric ")" "may" "not" ("rise" | "fall") "more" "than" number "%"
//!             [ "at" "p" "<" number ]
//! statistic = "mean" (Welch's t-test) | "median" (Mann–Whitney U)
//! ```
//!
//! Keywords are case-insensitive; the significance defaults to [`DEFAULT_ALPHA`].

use serde::{Deserialize, Serialize};

use crate::stats::{Direction, Limit, Test};

/// The significance when a check does not say `at p < ...`.
pub const DEFAULT_ALPHA: f64 = 0.05;

/// The metrics every benchmark has, measured by its supervisor.
pub const BUILT_IN_METRICS: [&str; 4] = ["wall", "user", "sys", "max_rss"];

/// Which summary of the samples a check compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    Mean,
    Median,
}

impl Statistic {
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::Mean => "mean",
            Statistic::Median => "median",
        }
    }

    /// The test that compares this statistic.
    pub fn test(self) -> Test {
        match self {
            Statistic::Mean => Test::Welch,
            Statistic::Median => Test::MannWhitney,
        }
    }
}

/// A check, read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check<'a> {
    pub statistic: Statistic,
    pub metric: &'a str,
    /// Where the metric's name starts in the text, for errors that point at it.
    pub metric_offset: usize,
    pub limit: Limit,
    pub alpha: f64,
}

/// A mistake in a check: what was wrong and at which byte of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckError {
    pub offset: usize,
    pub message: String,
}

/// Read a check.
pub fn parse(text: &str) -> Result<Check<'_>, CheckError> {
    let tokens = tokens(text);
    let mut at = 0;
    let end = text.len();
    let mut next = |expected: &str| -> Result<(usize, &str), CheckError> {
        let token = tokens.get(at).copied();
        at += 1;
        token.ok_or_else(|| CheckError {
            offset: end,
            message: format!("expected {expected}, found the end"),
        })
    };
    let error = |offset: usize, message: String| CheckError { offset, message };
    let keyword = |(offset, word): (usize, &str), wanted: &str| {
        if word.eq_ignore_ascii_case(wanted) {
            Ok(())
        } else {
            Err(error(
                offset,
                format!("expected `{wanted}`, found `{word}`"),
            ))
        }
    };

    let (offset, word) = next("`mean` or `median`")?;
    let statistic = match word.to_ascii_lowercase().as_str() {
        "mean" => Statistic::Mean,
        "median" => Statistic::Median,
        _ => {
            return Err(error(
                offset,
                format!(
                    "unknown statistic `{word}`: expected `mean` (Welch's t-test) or `median` (Mann–Whitney U)"
                ),
            ));
        }
    };
    keyword(next("`(`")?, "(")?;
    let (metric_offset, metric) = next("a metric")?;
    if !metric.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return Err(error(
            metric_offset,
            format!("expected a metric, found `{metric}`"),
        ));
    }
    keyword(next("`)`")?, ")")?;
    for word in ["may", "not"] {
        keyword(next(&format!("`{word}`"))?, word)?;
    }
    let (offset, word) = next("`rise` or `fall`")?;
    let direction = match word.to_ascii_lowercase().as_str() {
        "rise" => Direction::Rise,
        "fall" => Direction::Fall,
        _ => {
            return Err(error(
                offset,
                format!("expected `rise` or `fall`, found `{word}`"),
            ));
        }
    };
    for word in ["more", "than"] {
        keyword(next(&format!("`{word}`"))?, word)?;
    }
    let (offset, number) = next("a percentage")?;
    let percent = number_at(offset, number)?;
    keyword(next("`%`")?, "%")?;
    let fraction = percent / 100.0;
    if direction == Direction::Fall && fraction >= 1.0 {
        return Err(error(
            offset,
            format!("a fall of {number}% or more cannot happen to a positive number"),
        ));
    }
    let mut alpha = DEFAULT_ALPHA;
    if let Ok(token) = next("") {
        keyword(token, "at")?;
        keyword(next("`p`")?, "p")?;
        keyword(next("`<`")?, "<")?;
        let (offset, number) = next("a significance such as 0.01")?;
        alpha = number_at(offset, number)?;
        if !(alpha > 0.0 && alpha <= 0.25) {
            return Err(error(
                offset,
                format!("the significance {number} is outside (0, 0.25]: 0.01 or 0.05 are usual"),
            ));
        }
        if let Ok((offset, extra)) = next("") {
            return Err(error(
                offset,
                format!("unexpected `{extra}` after the significance"),
            ));
        }
    }
    Ok(Check {
        statistic,
        metric,
        metric_offset,
        limit: Limit {
            direction,
            fraction,
        },
        alpha,
    })
}

fn number_at(offset: usize, text: &str) -> Result<f64, CheckError> {
    text.parse::<f64>()
        .ok()
        .filter(|value| value.is_finite() && *value >= 0.0)
        .ok_or_else(|| CheckError {
            offset,
            message: format!("expected a number, found `{text}`"),
        })
}

/// Words, numbers and the symbols `( ) % <`, each with its byte offset.
fn tokens(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut start = None;
    for (index, ch) in text.char_indices() {
        let symbol = matches!(ch, '(' | ')' | '%' | '<');
        if ch.is_whitespace() || symbol {
            if let Some(begun) = start.take() {
                found.push((begun, &text[begun..index]));
            }
            if symbol {
                found.push((index, &text[index..index + 1]));
            }
        } else if start.is_none() {
            start = Some(index);
        }
    }
    if let Some(begun) = start {
        found.push((begun, &text[begun..]));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_reads() {
        let check = parse("mean(wall) may not rise more than 5% at p < 0.01").unwrap();
        assert_eq!(check.statistic, Statistic::Mean);
        assert_eq!((check.metric, check.metric_offset), ("wall", 5));
        assert_eq!(check.limit.direction, Direction::Rise);
        assert!((check.limit.fraction - 0.05).abs() < 1e-12);
        assert_eq!(check.alpha, 0.01);
        let check = parse("Median( throughput ) may not fall more than 2.5 %").unwrap();
        assert_eq!(check.statistic.test(), Test::MannWhitney);
        assert_eq!(check.alpha, DEFAULT_ALPHA);
    }

    #[test]
    fn mistakes_point_at_their_word() {
        let text = "mean(wall) may not grow more than 5%";
        let err = parse(text).unwrap_err();
        assert_eq!(&text[err.offset..err.offset + 4], "grow", "{err:?}");
        assert!(parse("mode(wall) may not rise more than 5%").is_err());
        let err = parse("mean(wall) may not rise more than 5% at p < 0.5").unwrap_err();
        assert!(err.message.contains("outside"), "{err:?}");
        let err = parse("mean(wall) may not rise more than").unwrap_err();
        assert!(err.message.contains("the end"), "{err:?}");
        assert!(parse("mean(wall) may not fall more than 100%").is_err());
        assert!(parse("mean(wall) may not rise more than 5% at p < 0.01 please").is_err());
    }
}

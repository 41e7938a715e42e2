//! Errors that point: where in the expression text a problem is, and what was expected there.

use std::fmt;

use nom::{
    IResult,
    error::{ErrorKind, ParseError},
};

/// A syntax error in an expression, pointing into the text. Displays as its message alone: the
/// caller knows where the expression sits in its file and turns `offset` into a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset into the expression where the problem was found.
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}

/// The error type of the nom parsers of expressions and phase conditions: a message and where
/// it applies (as the length of the input left, which `finish` turns into an offset).
#[derive(Debug)]
pub(crate) struct SyntaxError {
    rest_len: usize,
    message: String,
}

impl SyntaxError {
    /// A committed error: no alternative is tried after it.
    pub(crate) fn at(rest: &str, message: impl Into<String>) -> nom::Err<SyntaxError> {
        nom::Err::Failure(SyntaxError {
            rest_len: rest.len(),
            message: message.into(),
        })
    }
}

impl<'a> ParseError<&'a str> for SyntaxError {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        SyntaxError {
            rest_len: input.len(),
            message: format!("unexpected {}", found(input)),
        }
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

pub(crate) type Parsed<'a, T> = IResult<&'a str, T, SyntaxError>;

/// Turn a nom result into an [`ExprError`] with an offset into `text`.
pub(crate) fn finish<'a, T>(text: &str, result: Parsed<'a, T>) -> Result<(&'a str, T), ExprError> {
    result.map_err(|error| match error {
        nom::Err::Error(error) | nom::Err::Failure(error) => ExprError {
            offset: text.len().saturating_sub(error.rest_len),
            message: error.message,
        },
        nom::Err::Incomplete(_) => ExprError {
            offset: text.len(),
            message: "the expression ended too early".into(),
        },
    })
}

/// What the input holds next, for "found ..." in messages.
pub(crate) fn found(input: &str) -> String {
    let token: String = input
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(16)
        .collect();
    if token.is_empty() {
        "the end of the expression".to_string()
    } else {
        format!("`{token}`")
    }
}

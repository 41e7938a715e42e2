//! The tokens expressions and phase conditions are made of: space, names, keywords, quoted
//! strings and comparison operators.

use nom::{
    Parser,
    bytes::complete::{take_while, take_while1},
    combinator::recognize,
    sequence::pair,
};

use super::ast::CmpOp;
use super::error::{Parsed, SyntaxError, found};

pub(crate) fn skip_space(input: &str) -> &str {
    input.trim_start_matches([' ', '\t', '\r', '\n'])
}

pub(super) fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub(crate) fn identifier(input: &str) -> Parsed<'_, &str> {
    recognize(pair(
        take_while1(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(is_identifier_char),
    ))
    .parse(input)
}

/// The input after `word` when it starts with `word` as a whole word.
pub(crate) fn keyword<'a>(input: &'a str, word: &str) -> Option<&'a str> {
    let rest = input.strip_prefix(word)?;
    (!rest.starts_with(is_identifier_char)).then_some(rest)
}

/// A string in single or double quotes; a backslash takes the next character as it is.
pub(crate) fn quoted(input: &str) -> Parsed<'_, String> {
    let quote = match input.chars().next() {
        Some(quote @ ('"' | '\'')) => quote,
        _ => {
            return Err(SyntaxError::at(
                input,
                format!("expected a quoted string, found {}", found(input)),
            ));
        }
    };
    let body = input.get(quote.len_utf8()..).unwrap_or("");
    let mut text = String::new();
    let mut chars = body.char_indices();
    while let Some((index, c)) = chars.next() {
        if c == quote {
            return Ok((body.get(index + c.len_utf8()..).unwrap_or(""), text));
        }
        if c == '\\' {
            match chars.next() {
                Some((_, escaped)) => text.push(escaped),
                None => break,
            }
        } else {
            text.push(c);
        }
    }
    Err(SyntaxError::at(
        input,
        format!("unterminated string: expected a closing {quote}"),
    ))
}

pub(super) fn comparison_operator(input: &str) -> Option<(&str, CmpOp)> {
    [
        (">=", CmpOp::Ge),
        ("<=", CmpOp::Le),
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        (">", CmpOp::Gt),
        ("<", CmpOp::Lt),
    ]
    .into_iter()
    .find_map(|(symbol, op)| input.strip_prefix(symbol).map(|rest| (rest, op)))
}

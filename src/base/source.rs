//! Files users write (playbooks, rule files, parser specs) and errors that point into them:
//! `playbooks/x.toml:14:9: unknown field "severty"`.

use std::{
    fmt,
    ops::Range,
    path::{Path, PathBuf},
};

use toml::{Spanned, de::DeTable, de::DeValue};

/// A problem in a file a user wrote (a playbook, a rule file, a parser spec), located in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub file: PathBuf,
    /// 1-based; 0 when no position is known.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                self.line,
                self.column,
                self.message
            )
        }
    }
}

impl std::error::Error for SourceError {}

/// The text of one file a user wrote, kept to locate later (semantic) errors.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    /// An error at a byte range of this file.
    pub(crate) fn error_at(
        &self,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> SourceError {
        let (line, column) = span
            .map(|span| line_column(&self.text, span.start))
            .unwrap_or((0, 0));
        SourceError {
            file: self.path.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An error at the value found under `path` (`["rule", "2", "when"]`), or at the start of
    /// the nearest enclosing value that exists; `offset` moves into a string value's text.
    pub(crate) fn error_at_path(
        &self,
        path: &[&str],
        offset: Option<usize>,
        message: impl Into<String>,
    ) -> SourceError {
        let span = locate(&self.text, path).map(|span| match offset {
            Some(offset) => {
                let raw = self.text.get(span.clone()).unwrap_or("");
                let start = span.start + source_offset(raw, offset);
                start..start
            }
            None => span,
        });
        self.error_at(span, message)
    }
}

/// Where byte `offset` of a TOML string's value lies in its source text `raw` (quotes and
/// escapes included), so an error inside a rule expression points at the right column.
fn source_offset(raw: &str, offset: usize) -> usize {
    let (opener, escapes) = if raw.starts_with("\"\"\"") {
        (3, true)
    } else if raw.starts_with("'''") {
        (3, false)
    } else {
        (1, raw.starts_with('"'))
    };
    let mut position = opener.min(raw.len());
    // A newline right after a multi-line opener is not part of the value.
    if opener == 3 && raw[position..].starts_with('\n') {
        position += 1;
    }
    let mut decoded = 0;
    while decoded < offset {
        let rest = &raw[position..];
        let Some(ch) = rest.chars().next() else { break };
        let (source_len, value_len) = if escapes && ch == '\\' {
            let hex_digits = match rest[1..].chars().next() {
                Some('u') => 4,
                Some('U') => 8,
                _ => 0,
            };
            let value_len = rest
                .get(2..2 + hex_digits)
                .filter(|_| hex_digits > 0)
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .and_then(char::from_u32)
                .map_or(1, char::len_utf8);
            (2 + hex_digits, value_len)
        } else {
            (ch.len_utf8(), ch.len_utf8())
        };
        position = (position + source_len).min(raw.len());
        decoded += value_len;
    }
    position
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before
        .get(line_start..)
        .map_or(1, |s| s.chars().count() + 1);
    (line, column)
}

/// Read a file whole, or say which one could not be read.
pub fn read(path: &Path) -> Result<SourceFile, SourceError> {
    let text = std::fs::read_to_string(path).map_err(|err| SourceError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read: {err}"),
    })?;
    Ok(SourceFile {
        path: path.to_path_buf(),
        text,
    })
}

/// Deserialize a TOML file; an error points at the line and column serde stopped at.
pub(crate) fn deserialize<T: serde::de::DeserializeOwned>(
    source: &SourceFile,
) -> Result<T, SourceError> {
    toml::from_str(&source.text).map_err(|err| {
        let message = err.message().trim().replace('\n', " ");
        source.error_at(err.span(), message)
    })
}

/// The byte span of the value at `path` in a TOML document, or of the nearest existing parent.
pub(crate) fn locate(text: &str, path: &[&str]) -> Option<Range<usize>> {
    let document = DeTable::parse(text).ok()?;
    let mut span = document.span();
    let mut current: Option<&DeValue<'_>> = None;
    let mut table: Option<&DeTable<'_>> = Some(document.get_ref());
    for segment in path {
        let next: Option<&Spanned<DeValue<'_>>> = match (table, current) {
            (Some(table), _) => table
                .iter()
                .find(|(key, _)| key.get_ref().as_ref() == *segment)
                .map(|(_, value)| value),
            (None, Some(DeValue::Array(array))) => {
                segment.parse::<usize>().ok().and_then(|i| array.get(i))
            }
            _ => None,
        };
        let Some(next) = next else { break };
        span = next.span();
        current = Some(next.get_ref());
        table = match next.get_ref() {
            DeValue::Table(inner) => Some(inner),
            _ => None,
        };
    }
    Some(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_from_one() {
        let text = "a = 1\nbb = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 11), (2, 6));
    }

    #[test]
    fn offsets_inside_strings_step_over_escapes() {
        let raw = r#""a\"b\"c""#;
        assert_eq!(&raw[source_offset(raw, 0)..], r#"a\"b\"c""#);
        assert_eq!(&raw[source_offset(raw, 3)..], r#"\"c""#);
        assert_eq!(&raw[source_offset(raw, 4)..], r#"c""#);
        assert_eq!(&"'x>'"[source_offset("'x>'", 1)..], ">'");
    }

    #[test]
    fn paths_locate_values_inside_arrays_of_tables() {
        let text = "name = \"x\"\n[[rule]]\nwhen = \"a\"\n[[rule]]\nwhen = \"bad\"\n";
        let span = locate(text, &["rule", "1", "when"]).unwrap();
        assert_eq!(&text[span], "\"bad\"");
    }
}

//! Reading playbooks and their rule files, with errors that point at file:line:col.

use std::{
    fmt,
    ops::Range,
    path::{Path, PathBuf},
};

use toml::{Spanned, de::DeTable, de::DeValue};

use super::model::{Playbook, Rule, RuleFile};

/// A problem in a playbook, located in its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybookError {
    pub file: PathBuf,
    /// 1-based; 0 when no position is known.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for PlaybookError {
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

impl std::error::Error for PlaybookError {}

/// The text of one file a playbook was read from, kept to locate later (semantic) errors.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    /// An error at a byte range of this file.
    pub fn error_at(
        &self,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> PlaybookError {
        let (line, column) = span
            .map(|span| line_column(&self.text, span.start))
            .unwrap_or((0, 0));
        PlaybookError {
            file: self.path.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An error at the value found under `path` (`["rule", "2", "when"]`), or at the start of
    /// the nearest enclosing value that exists; `offset` moves into a string value's text.
    pub fn error_at_path(
        &self,
        path: &[&str],
        offset: Option<usize>,
        message: impl Into<String>,
    ) -> PlaybookError {
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

/// A playbook with its rule files merged in, and the sources it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub playbook: Playbook,
    /// The playbook file first, then each included rule file.
    pub sources: Vec<SourceFile>,
    /// For each rule of `playbook.rules`: the index in `sources` of its file and its index there.
    pub rule_origins: Vec<(usize, usize)>,
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
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before
        .get(line_start..)
        .map_or(1, |s| s.chars().count() + 1);
    (line, column)
}

fn read(path: &Path) -> Result<SourceFile, PlaybookError> {
    let text = std::fs::read_to_string(path).map_err(|err| PlaybookError {
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

fn deserialize<T: serde::de::DeserializeOwned>(source: &SourceFile) -> Result<T, PlaybookError> {
    toml::from_str(&source.text).map_err(|err| {
        let message = err.message().trim().replace('\n', " ");
        source.error_at(err.span(), message)
    })
}

/// Read a playbook and the rule files it includes (relative to the playbook's folder).
pub fn load(path: &Path) -> Result<Loaded, PlaybookError> {
    let main = read(path)?;
    let mut playbook: Playbook = deserialize(&main)?;
    let mut rule_origins: Vec<(usize, usize)> = (0..playbook.rules.len()).map(|i| (0, i)).collect();
    let mut sources = vec![main];
    let base = path.parent().unwrap_or(Path::new("."));
    for (index, include) in playbook.include.clone().iter().enumerate() {
        let included_path = base.join(include);
        let included = read(&included_path).map_err(|err| {
            sources[0].error_at_path(
                &["include", &index.to_string()],
                None,
                format!(
                    "cannot read included rule file {include:?}: {}",
                    err.message
                ),
            )
        })?;
        let file: RuleFile = deserialize(&included)?;
        let source_index = sources.len();
        rule_origins.extend((0..file.rules.len()).map(|i| (source_index, i)));
        let rules: Vec<Rule> = file.rules;
        playbook.rules.extend(rules);
        sources.push(included);
    }
    Ok(Loaded {
        playbook,
        sources,
        rule_origins,
    })
}

/// Parse a playbook from text (for tests and `analyze` of a saved copy).
pub fn load_str(name: &str, text: &str) -> Result<Loaded, PlaybookError> {
    let source = SourceFile {
        path: PathBuf::from(name),
        text: text.to_string(),
    };
    let playbook: Playbook = deserialize(&source)?;
    let rule_origins = (0..playbook.rules.len()).map(|i| (0, i)).collect();
    Ok(Loaded {
        playbook,
        sources: vec![source],
        rule_origins,
    })
}

/// The byte span of the value at `path` in a TOML document, or of the nearest existing parent.
fn locate(text: &str, path: &[&str]) -> Option<Range<usize>> {
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
    fn a_typo_names_line_and_column() {
        let text = "name = \"x\"\n\n[[rule]]\nid = \"a\"\nresource = \"cpu\"\nsignal = \"saturation\"\nwhen = \"max(vmstat.r) > 1\"\nseverty = \"high\"\nmessage = \"m\"\n";
        let err = load_str("x.toml", text).unwrap_err();
        assert_eq!((err.line, err.column), (8, 1), "{err}");
        assert!(err.message.contains("severty"), "{err}");
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

//! The series a rule reads must be ones a parser, a stand-in or a parser spec can produce
//! ([`Catalogue`]): `avg(vmstat.rr) > 1` would otherwise pass the check and never be judged.

use crate::base::{SourceError, SourceFile};
use crate::parse::catalogue::Catalogue;
use crate::rules::CompiledRule;

/// An error for each series `rule` (the `index`-th of `source`) reads that nothing produces,
/// pointing at its first mention in `when`, with the nearest known name.
pub(super) fn unknown_series(
    source: &SourceFile,
    index: &str,
    compiled: &CompiledRule,
    catalogue: &Catalogue,
) -> Vec<SourceError> {
    let rule = compiled.rule();
    compiled
        .series_names()
        .iter()
        .filter(|series| !catalogue.knows(series))
        .map(|series| {
            let hint = catalogue
                .suggestion(series)
                .map(|near| format!(" (did you mean {near}?)"))
                .unwrap_or_default();
            source.error_at_path(
                &["rule", index, "when"],
                mention(&rule.when, series),
                format!(
                    "rule {:?} reads {series}, which no parser, stand-in or parser spec \
                     produces{hint}",
                    rule.id
                ),
            )
        })
        .collect()
}

/// Whether `compiled` reads a series nothing produces (what [`unknown_series`] reports,
/// without locating it).
pub(super) fn reads_unknown(compiled: &CompiledRule, catalogue: &Catalogue) -> bool {
    compiled
        .series_names()
        .iter()
        .any(|series| !catalogue.knows(series))
}

/// The byte offset of the first mention of `series` in `when`, as a whole name.
fn mention(when: &str, series: &str) -> Option<usize> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    when.match_indices(series).map(|(at, _)| at).find(|&at| {
        let before = when[..at].chars().next_back();
        let after = when[at + series.len()..].chars().next();
        !before.is_some_and(is_name) && !after.is_some_and(is_name)
    })
}

#[cfg(test)]
mod tests {
    use super::mention;

    #[test]
    fn a_mention_is_a_whole_name() {
        assert_eq!(mention("avg(vmstat.rr) > 1", "vmstat.rr"), Some(4));
        assert_eq!(mention("x.ab + x.a > 1", "x.a"), Some(7));
        assert_eq!(mention("x.ab > 1", "x.a"), None);
    }
}

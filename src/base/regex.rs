//! Regular expressions users write in recipes.

/// Compile a regular expression a user wrote in a recipe (a rule's label matcher, a parser
/// spec's patterns), with a compiled-size limit a tenth of the regex crate's default.
///
/// Nested counted repetitions (`.+{544}{54}`) expand into a huge automaton, and the regex
/// crate only refuses it after building it up to the limit: 150 ms at the default 10 MB,
/// and over 10 s in the fuzzer's instrumented build (found by fuzzing rule expressions).
/// A pattern that matches a label or a header line is a few hundred bytes compiled; at
/// 1 MB the refusal is ~30 times quicker and no real pattern comes near it.
pub(crate) fn user_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
}

//! Flamegraph SVGs of a folded profile, drawn by inferno.

use inferno::flamegraph::{self, Options};

use super::{Folded, ProfileError};

/// An interactive flamegraph SVG of `folded` (the same profile gives the same bytes).
///
/// Colors come from a hash of each function's name rather than inferno's default random
/// pick, so two runs of a report, or the before and after of a fix, color a function alike
/// and a golden test can pin the output. An empty profile is [`ProfileError::NoSamples`].
pub fn flamegraph_svg(folded: &Folded, title: &str) -> Result<Vec<u8>, ProfileError> {
    if folded.total_samples == 0 {
        return Err(ProfileError::NoSamples);
    }
    let mut options = Options::default();
    options.title = title.to_owned();
    options.hash = true;
    let text = folded.to_text();
    let mut svg = Vec::new();
    flamegraph::from_lines(&mut options, text.lines(), &mut svg)?;
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_profile_draws_the_same_svg() {
        let folded = Folded::from_text("app;main;work 3\napp;main;idle 1\n").unwrap();
        let first = flamegraph_svg(&folded, "cpu <profile> & more").unwrap();
        let second = flamegraph_svg(&folded, "cpu <profile> & more").unwrap();
        assert_eq!(first, second);
        let svg = String::from_utf8(first).unwrap();
        assert!(svg.starts_with("<?xml"));
        assert!(svg.contains("work"));
        assert!(svg.contains("cpu &lt;profile&gt; &amp; more"));
    }

    #[test]
    fn an_empty_profile_is_not_drawn() {
        assert!(matches!(
            flamegraph_svg(&Folded::default(), "t"),
            Err(ProfileError::NoSamples)
        ));
    }
}

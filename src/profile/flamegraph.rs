//! Flamegraph SVGs of a folded profile, drawn by inferno: interactive (click to zoom,
//! Ctrl-F or the Search button to highlight a function), titled with what was profiled.

use std::io::BufReader;

use inferno::{
    differential,
    flamegraph::{self, Options},
};

use super::{Caption, DepthCap, Folded, ProfileError, cap_depth};

/// An interactive flamegraph SVG of `folded`, titled from `caption` (the same profile gives
/// the same bytes), and what was cut from its deepest stacks to keep the picture readable
/// ([`cap_depth`]; the cut is said in the subtitle).
///
/// Colors come from a hash of each function's name rather than inferno's default random
/// pick, so two runs of a report, or the before and after of a fix, color a function alike
/// and a golden test can pin the output. An empty profile is [`ProfileError::NoSamples`].
pub fn flamegraph_svg(
    folded: &Folded,
    caption: &Caption,
) -> Result<(Vec<u8>, Option<DepthCap>), ProfileError> {
    if folded.total_samples == 0 {
        return Err(ProfileError::NoSamples);
    }
    let (drawn, cap) = cap_depth(folded);
    let mut caption = caption.clone();
    if let Some(cap) = &cap {
        caption.notes.push(cut_note(cap));
    }
    let text = drawn.to_text();
    let svg = draw(&caption, text.lines())?;
    Ok((svg, cap))
}

/// A differential flamegraph: the shape of `after`, each frame colored by how its share
/// changed from `before` (red grew, blue shrank), `before` scaled to `after`'s total first so
/// that a longer or busier recording does not color everything (inferno's `--normalize`).
pub fn differential_svg(
    before: &Folded,
    after: &Folded,
    caption: &Caption,
) -> Result<Vec<u8>, ProfileError> {
    if before.total_samples == 0 || after.total_samples == 0 {
        return Err(ProfileError::NoSamples);
    }
    let (before, _) = cap_depth(before);
    let (after, cap) = cap_depth(after);
    let mut caption = caption.clone();
    if let Some(cap) = &cap {
        caption.notes.push(cut_note(cap));
    }
    let mut lines = Vec::new();
    differential::from_readers(
        differential::Options {
            normalize: true,
            strip_hex: false,
        },
        BufReader::new(before.to_text().as_bytes()),
        BufReader::new(after.to_text().as_bytes()),
        &mut lines,
    )?;
    let text = String::from_utf8_lossy(&lines).into_owned();
    draw(&caption, text.lines())
}

fn draw<'a>(
    caption: &Caption,
    lines: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<u8>, ProfileError> {
    let mut options = Options::default();
    options.title = caption.title();
    options.subtitle = Some(caption.subtitle());
    options.hash = true;
    if !caption.unit.is_empty() {
        options.count_name = caption.unit.clone();
    }
    let mut svg = Vec::new();
    flamegraph::from_lines(&mut options, lines, &mut svg)?;
    Ok(svg)
}

/// What the subtitle says of a cut.
fn cut_note(cap: &DepthCap) -> String {
    format!(
        "{} rare stack(s) ({:.1}% of samples) up to {} frames deep drawn cut to {} frames; the folded file has them whole",
        cap.stacks_cut, cap.percent_cut, cap.deepest, cap.max_frames
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caption(what: &str) -> Caption {
        Caption {
            kind: "On-CPU".into(),
            what: what.into(),
            samples: 4,
            ..Caption::default()
        }
    }

    #[test]
    fn the_same_profile_draws_the_same_svg() {
        let folded = Folded::from_text("app;main;work 3\napp;main;idle 1\n").unwrap();
        let (first, cap) = flamegraph_svg(&folded, &caption("cpu <profile> & more")).unwrap();
        let (second, _) = flamegraph_svg(&folded, &caption("cpu <profile> & more")).unwrap();
        assert_eq!(first, second);
        assert_eq!(cap, None);
        let svg = String::from_utf8(first).unwrap();
        assert!(svg.starts_with("<?xml"));
        assert!(svg.contains("work"));
        assert!(svg.contains("On-CPU: cpu &lt;profile&gt; &amp; more"));
        assert!(svg.contains("4 samples"));
    }

    #[test]
    fn an_empty_profile_is_not_drawn() {
        assert!(matches!(
            flamegraph_svg(&Folded::default(), &caption("t")),
            Err(ProfileError::NoSamples)
        ));
    }

    /// The picture is as tall as its deepest drawn stack: a rare 60-frame tower must not
    /// make it four times taller than the profile.
    #[test]
    fn a_rare_deep_tower_does_not_make_a_tall_page() {
        let deep: Vec<String> = (0..60).map(|i| format!("f{i}")).collect();
        let text = format!("app;main;work 995\napp;{} 5\n", deep.join(";"));
        let folded = Folded::from_text(&text).unwrap();
        let (svg, cap) = flamegraph_svg(&folded, &caption("app")).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        let height: usize = svg
            .split("height=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|h| h.parse().ok())
            .unwrap();
        assert!(height < 600, "{height} px tall");
        assert!(cap.is_some());
        assert!(svg.contains("drawn cut to 16 frames"), "the cut is said");
    }

    #[test]
    fn a_differential_graph_is_drawn_from_two_profiles() {
        let before = Folded::from_text("app;main;a 50\napp;main;b 50\n").unwrap();
        let after = Folded::from_text("app;main;a 20\napp;main;b 180\n").unwrap();
        let svg = differential_svg(&before, &after, &caption("diff")).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(svg.contains("b (180 samples"), "{}", &svg[..200]);
    }
}

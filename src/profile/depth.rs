//! How deep a flamegraph is drawn.
//!
//! inferno makes the picture as tall as the deepest stack it draws. One rare 60-frame tower
//! among 15-frame stacks makes a page that is mostly blank above the profile: opened in a
//! browser, the first screen holds almost nothing. So stacks deeper than most are cut in
//! their middle (their outermost and innermost frames kept, one `[… frames cut …]` frame
//! in between) for the picture only; the folded file keeps every frame.

use serde::Serialize;

use super::Folded;

/// The frame that stands for the frames cut out of a deep stack.
pub const CUT_FRAME: &str = "[… frames cut …]";

/// The share of samples whose stacks are drawn whole.
const WHOLE_SHARE: f64 = 0.99;
/// Stacks up to this many frames are never cut, however deep the others are.
const MIN_CAP: usize = 16;
/// A stack is cut only when it is this many frames deeper than the cap: cutting two frames
/// would hide more than it saves.
const SLACK: usize = 4;

/// What was cut for the picture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepthCap {
    /// Frames kept per stack (the process frame included), the cut frame among them.
    pub max_frames: usize,
    /// The deepest stack's frames.
    pub deepest: usize,
    pub stacks_cut: usize,
    pub samples_cut: u64,
    pub percent_cut: f64,
}

/// `folded` with its rare deep stacks cut in the middle to the depth that holds
/// [`WHOLE_SHARE`] of the samples (at least [`MIN_CAP`] frames), and what was cut; the
/// profile itself when nothing needed cutting.
pub fn cap_depth(folded: &Folded) -> (Folded, Option<DepthCap>) {
    let depth = |stack: &str| stack.split(';').count();
    let mut by_depth: Vec<(usize, u64)> = folded
        .lines
        .iter()
        .map(|(stack, samples)| (depth(stack), *samples))
        .collect();
    by_depth.sort_unstable();
    let deepest = by_depth.last().map_or(0, |(depth, _)| *depth);
    let wanted = (folded.total_samples as f64 * WHOLE_SHARE).ceil() as u64;
    let mut covered = 0_u64;
    let mut cap = deepest;
    for (depth, samples) in &by_depth {
        covered = covered.saturating_add(*samples);
        if covered >= wanted {
            cap = *depth;
            break;
        }
    }
    let cap = cap.max(MIN_CAP);
    if deepest <= cap + SLACK {
        return (folded.clone(), None);
    }
    // Keep the process and the outer frames (where the stack comes from) and the inner ones
    // (where the time went), two thirds of the room inside.
    let inner = (cap - 1) * 2 / 3;
    let outer = cap - 1 - inner;
    let mut lines = std::collections::BTreeMap::<String, u64>::new();
    let mut stacks_cut = 0;
    let mut samples_cut = 0_u64;
    for (stack, samples) in &folded.lines {
        let frames: Vec<&str> = stack.split(';').collect();
        let kept = if frames.len() > cap {
            stacks_cut += 1;
            samples_cut = samples_cut.saturating_add(*samples);
            let mut kept: Vec<&str> = frames[..outer].to_vec();
            kept.push(CUT_FRAME);
            kept.extend_from_slice(&frames[frames.len() - inner..]);
            kept.join(";")
        } else {
            stack.clone()
        };
        let count = lines.entry(kept).or_default();
        *count = count.saturating_add(*samples);
    }
    let capped = Folded {
        lines: lines.into_iter().collect(),
        total_samples: folded.total_samples,
        tasks: folded.tasks.clone(),
    };
    let percent_cut = samples_cut as f64 * 100.0 / folded.total_samples.max(1) as f64;
    (
        capped,
        Some(DepthCap {
            max_frames: cap,
            deepest,
            stacks_cut,
            samples_cut,
            percent_cut,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(depth: usize, leaf: &str) -> String {
        let mut frames = vec!["app".to_string()];
        frames.extend((1..depth - 1).map(|i| format!("f{i}")));
        frames.push(leaf.into());
        frames.join(";")
    }

    #[test]
    fn a_rare_deep_tower_is_cut_in_the_middle_and_counted() {
        let folded = Folded::from_text(&format!(
            "{} 500\n{} 495\n{} 5\n",
            stack(10, "work"),
            stack(12, "idle"),
            stack(60, "deep_leaf")
        ))
        .unwrap();
        let (capped, cap) = cap_depth(&folded);
        let cap = cap.expect("the tower is cut");
        assert_eq!(cap.max_frames, MIN_CAP);
        assert_eq!(cap.deepest, 60);
        assert_eq!((cap.stacks_cut, cap.samples_cut), (1, 5));
        assert_eq!(capped.total_samples, 1000);
        let deepest = capped
            .lines
            .iter()
            .map(|(stack, _)| stack.split(';').count())
            .max();
        assert_eq!(deepest, Some(MIN_CAP));
        let tower = capped
            .lines
            .iter()
            .find(|(stack, _)| stack.contains(CUT_FRAME))
            .unwrap();
        assert!(tower.0.starts_with("app;f1;"), "{}", tower.0);
        assert!(tower.0.ends_with(";f58;deep_leaf"), "{}", tower.0);
        assert_eq!(tower.1, 5);
    }

    #[test]
    fn stacks_that_are_deep_everywhere_are_drawn_whole() {
        let folded =
            Folded::from_text(&format!("{} 50\n{} 50\n", stack(40, "a"), stack(42, "b"))).unwrap();
        let (capped, cap) = cap_depth(&folded);
        assert_eq!(cap, None);
        assert_eq!(capped, folded);
        assert_eq!(cap_depth(&Folded::default()).1, None);
    }
}

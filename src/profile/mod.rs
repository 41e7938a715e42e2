//! perf script → folded stacks (inferno), flamegraphs and hotspot tables. (Being written.)

use serde::Serialize;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProfileError(pub String);

#[derive(Debug, Clone, Default)]
pub struct Folded {
    pub lines: Vec<(String, u64)>,
    pub total_samples: u64,
}

impl Folded {
    pub fn to_text(&self) -> String {
        String::new()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct HotFunction {
    pub function: String,
    pub process: String,
    pub self_samples: u64,
    pub self_percent: f64,
    pub total_samples: u64,
    pub total_percent: f64,
}

pub fn fold_perf_script(_text: &[u8]) -> Result<Folded, ProfileError> {
    Ok(Folded::default())
}

pub fn flamegraph_svg(_folded: &Folded, _title: &str) -> Result<Vec<u8>, ProfileError> {
    Ok(Vec::new())
}

pub fn top_functions(_folded: &Folded, _n: usize) -> Vec<HotFunction> {
    Vec::new()
}

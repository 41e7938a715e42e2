//! Evaluation of rule expressions over a dataset. (Being written.)

use super::Finding;
use crate::{playbook::Rule, record::Dataset};

#[derive(Debug, Clone, Default)]
pub struct Judgement {
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<(String, String)>,
    pub errors: Vec<(String, String)>,
}

pub fn evaluate_all(_rules: &[Rule], _data: &Dataset) -> Judgement {
    Judgement::default()
}

impl Judgement {
    pub fn observed(&self, _rule: &str) -> String {
        String::new()
    }
}

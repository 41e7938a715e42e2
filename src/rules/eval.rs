//! Evaluation of rule expressions over a dataset. (Being written.)

//! Phase conditions such as `any_finding(resource = 'cpu')`. (Being written.)

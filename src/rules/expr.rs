//! The rule expression grammar and its nom parser. (Being written.)

//! What every layer may use and that belongs to none of them: durations as people write them,
//! regular expressions users write, and the files users write with errors that point into
//! them. Imports nothing of the crate.

pub mod duration;
pub mod regex;
pub mod source;

pub(crate) use duration::{Span, parse_duration};
pub(crate) use regex::user_regex;
pub use source::{SourceError, SourceFile};

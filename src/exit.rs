//! Exit codes: a contract with scripts and CI jobs. Listed in the README.

/// Success: no finding at or above `--fail-on`.
pub(crate) const SUCCESS: i32 = 0;
/// A finding (or regression) at or above `--fail-on`.
pub(crate) const FINDING: i32 = 1;
/// Bad usage, playbook or data; the message names file, line and column where there is one.
pub(crate) const BAD_INPUT: i32 = 2;
/// The environment cannot do what was asked: a required tool is missing, permission denied,
/// a directory cannot be written.
pub(crate) const ENVIRONMENT: i32 = 3;
/// With `--fail-on`: no finding reached it, but something could not be judged (no data, too
/// little data, a rule in error: the JSON's `not_judged`), so the data cannot show that nothing
/// would have. Whenever the verdict is inconclusive this is the code; a finding at or above
/// `--fail-on` wins (1). Without `--fail-on` nothing was asked to be vouched for: 0.
pub(crate) const INCONCLUSIVE: i32 = 4;
/// Interrupted by Ctrl-C (or SIGTERM); what was collected is kept.
pub(crate) const INTERRUPTED: i32 = 130;

/// A command's failure: what to print and which code to exit with.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub(crate) fn bad_input(message: impl Into<String>) -> Self {
        Failure {
            code: BAD_INPUT,
            message: message.into(),
        }
    }

    pub(crate) fn environment(message: impl Into<String>) -> Self {
        Failure {
            code: ENVIRONMENT,
            message: message.into(),
        }
    }
}

impl From<crate::base::SourceError> for Failure {
    fn from(err: crate::base::SourceError) -> Self {
        Failure::bad_input(err.to_string())
    }
}

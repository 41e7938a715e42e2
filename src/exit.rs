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

/// What a command asked for `--format json` prints on stdout when it fails (besides the
/// message on stderr): scripts read the failure as they would have read the result
/// (schemas/error.schema.json).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ErrorJson {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ErrorBody {
    /// The process's exit status, as the README's table lists them.
    pub exit_code: i32,
    /// `bad_input` (2), `environment` (3), `finding` (1), `inconclusive` (4), `interrupted`
    /// (130).
    pub kind: String,
    /// The whole message, as printed on stderr.
    pub message: String,
    /// Each place in a file the message points at (`playbook.toml:14:1: ...`), one per line.
    pub at: Vec<ErrorLocation>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct ErrorLocation {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl Failure {
    /// This failure for scripts; `message` is what was printed (already redacted).
    pub fn to_json(&self, message: &str) -> ErrorJson {
        let kind = match self.code {
            BAD_INPUT => "bad_input",
            ENVIRONMENT => "environment",
            FINDING => "finding",
            INCONCLUSIVE => "inconclusive",
            INTERRUPTED => "interrupted",
            _ => "other",
        };
        ErrorJson {
            error: ErrorBody {
                exit_code: self.code,
                kind: kind.to_string(),
                message: message.to_string(),
                at: message.lines().filter_map(location).collect(),
            },
        }
    }
}

/// `file:line:column: message`, as located errors are written (`base::SourceError`).
fn location(line: &str) -> Option<ErrorLocation> {
    let (head, message) = line.split_once(": ")?;
    let mut parts = head.rsplitn(3, ':');
    let column = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    let file = parts.next()?.to_string();
    Some(ErrorLocation {
        file,
        line,
        column,
        message: message.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::{ErrorLocation, location};

    #[test]
    fn a_located_line_gives_file_line_and_column() {
        assert_eq!(
            location("dir/p.toml:14:3: unknown field `severty`"),
            Some(ErrorLocation {
                file: "dir/p.toml".into(),
                line: 14,
                column: 3,
                message: "unknown field `severty`".into(),
            })
        );
        assert_eq!(location("--data /x: no such directory or file"), None);
    }
}

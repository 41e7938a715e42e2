//! Secrets never reach anything perf_manual writes or prints: the manifest, the playbook copy,
//! metadata, reports, JSON, messages. The shapes caught:
//!
//! - a flag whose name says secret, and its value: `--password X`, `--api-key X` (two
//!   arguments), `--db-pass=X`, `-storepass X`; not `--no-password`, `--password-file F`;
//! - `-p` with a value that is no PID list: `-p X`, `-pX` (mysql, sshpass; `perf -p 12,34`
//!   and `pidstat -p ALL` are kept);
//! - a password after `user:` in `-u user:X`, `--user user:X` (curl);
//! - environment-style assignments whose name says secret: `MYSQL_PWD=X`, `api_key=X` (in a
//!   URL's query too);
//! - credentials in URLs: `https://user:X@host`;
//! - Authorization, Cookie and API-key headers; `Bearer X`, `Basic X`;
//! - tokens known by their prefix, the ones secret scanners (gitleaks, trufflehog) name:
//!   GitHub `ghp_` `gho_` `ghu_` `ghs_` `ghr_` `github_pat_`, GitLab `glpat-` and kin, Slack
//!   `xoxb-` `xoxp-` ..., AWS access key IDs `AKIA` `ASIA` ..., `sk-` API keys (OpenAI,
//!   Anthropic), Stripe `sk_live_` ..., Google `AIza`, npm `npm_`, PyPI `pypi-`, Hugging Face
//!   `hf_`, DigitalOcean `dop_v1_`, Shopify `shpat_`, SendGrid `SG.`, JWTs, and PEM private
//!   key blocks.
//!
//! A command line is redacted as the list it is ([`redact_argv`]): a flag and its value are
//! two elements. Free text ([`redact`]) is read as shell words, so the same shapes are
//! caught inside `sh -c '...'` or a message.

use std::{borrow::Cow, sync::LazyLock};

use regex::{Captures, Regex};

/// What a secret is replaced with.
pub(crate) const REDACTED: &str = "REDACTED";

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid built-in pattern")
}

/// What the name of a variable or a flag holding a secret contains.
const SECRET_WORDS: &str = r"pass|pwd|secret|token|api[_-]?key|apikey|credential|auth|private[_-]?key|access[_-]?key|session|cookie|signature|key";

static SECRET_NAME: LazyLock<Regex> = LazyLock::new(|| regex(&format!("(?i)(?:{SECRET_WORDS})")));

/// Flags whose name says secret but whose value is not one: where to find it, or a switch.
const NOT_A_SECRET: [&str; 9] = [
    "file", "path", "dir", "stdin", "fd", "env", "prompt", "cmd", "command",
];

static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)")
});
static URL_USERINFO: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@"));
static AUTH_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?i)\b(authorization|proxy-authorization|x-api-key|api-key|x-auth-token|private-token|x-vault-token|x-amz-security-token|cookie|set-cookie)(\s*:\s*)([^"'\r\n]+)"#,
    )
});
static BEARER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}"));
static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,}|gl(?:pat|dt|rt|ptt|oas|cbt|ft|imt|soat|agent)-[A-Za-z0-9_-]{16,}|xox[abposr]-[A-Za-z0-9-]{10,}|(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16,}|sk-[A-Za-z0-9_-]{16,}|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{30,}|npm_[A-Za-z0-9]{30,}|pypi-[A-Za-z0-9_-]{30,}|hf_[A-Za-z0-9]{30,}|do[por]_v1_[a-f0-9]{32,}|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{20,}|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)",
    )
});
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r#"(?i)\b([a-z0-9_.-]*(?:{SECRET_WORDS})[a-z0-9_.-]*)=("[^"]*"|'[^']*'|[^&\s;,'"]+)"#
    ))
});
/// A shell word: unquoted characters and quoted strings, up to unquoted white space.
static WORD: LazyLock<Regex> = LazyLock::new(|| regex(r#"(?:[^\s"']+|"[^"]*"|'[^']*')+"#));

/// `text` with every secret in it replaced by `REDACTED`.
pub fn redact(text: &str) -> String {
    let text = PRIVATE_KEY.replace_all(text, "REDACTED PRIVATE KEY");
    let text = URL_USERINFO.replace_all(&text, "${1}REDACTED@");
    let text = AUTH_HEADER.replace_all(&text, "${1}${2}REDACTED");
    let text = BEARER.replace_all(&text, "${1} REDACTED");
    let text = TOKEN.replace_all(&text, REDACTED);
    let text = ASSIGNMENT.replace_all(&text, "${1}=REDACTED");
    redact_words(&text)
}

/// A command line with every secret replaced by `REDACTED`: the value after a flag that
/// takes a secret is hidden whole, and each element is redacted as text.
pub(crate) fn redact_argv(argv: &[String]) -> Vec<String> {
    let mut follows = Follows::Nothing;
    argv.iter()
        .map(|arg| {
            let redacted = match follows {
                Follows::Nothing => redact(arg),
                follows => follows.hide(arg).into_owned(),
            };
            follows = Follows::after(arg);
            redacted
        })
        .collect()
}

/// Shell words in `text`, redacted as [`redact_argv`] does a list.
fn redact_words(text: &str) -> String {
    let mut follows = Follows::Nothing;
    WORD.replace_all(text, |word: &Captures<'_>| {
        let word = &word[0];
        let redacted = match follows {
            Follows::Nothing => attached(word),
            follows => follows.hide(word),
        };
        follows = Follows::after(unquoted(word));
        redacted.into_owned()
    })
    .into_owned()
}

/// What the word after a flag is, for redaction.
#[derive(Clone, Copy)]
enum Follows {
    Nothing,
    /// The flag's value is a secret (`--password X`).
    Secret,
    /// `-p`: a password, unless it is a PID list (`-p 12,34`, `-p ALL`), a path or a flag.
    PasswordOrPid,
    /// `-u`, `--user`: `user:password`.
    UserPassword,
}

impl Follows {
    fn after(word: &str) -> Follows {
        match word {
            "-p" => Follows::PasswordOrPid,
            "-u" | "--user" => Follows::UserPassword,
            _ if is_secret_flag(word) => Follows::Secret,
            _ => Follows::Nothing,
        }
    }

    fn hide(self, value: &str) -> Cow<'_, str> {
        match self {
            Follows::Nothing => Cow::Borrowed(value),
            Follows::Secret => Cow::Borrowed(REDACTED),
            Follows::PasswordOrPid if is_pid_like(unquoted(value)) => Cow::Borrowed(value),
            Follows::PasswordOrPid => Cow::Borrowed(REDACTED),
            Follows::UserPassword => match value.split_once(':') {
                Some((user, _)) => Cow::Owned(format!("{user}:{REDACTED}")),
                None => Cow::Borrowed(value),
            },
        }
    }
}

/// A flag whose name says its value is a secret: `--password`, `--api-key`, `-storepass`.
fn is_secret_flag(word: &str) -> bool {
    let Some(name) = word.strip_prefix("--").or_else(|| word.strip_prefix('-')) else {
        return false;
    };
    let name = name.to_ascii_lowercase();
    name.len() > 1
        && !name.contains('=')
        && !name.starts_with("no-")
        && !NOT_A_SECRET.iter().any(|suffix| name.ends_with(suffix))
        && SECRET_NAME.is_match(&name)
}

/// A value after `-p` that is not a password: PIDs, sysstat's `ALL`/`SELF`, a path, a flag.
fn is_pid_like(value: &str) -> bool {
    value.starts_with(['-', '/', '.'])
        || value == "ALL"
        || value == "SELF"
        || (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit() || b == b','))
}

/// A secret attached to its flag in one word: `-pX`, `--user=name:X`.
fn attached(word: &str) -> Cow<'_, str> {
    /// Single-dash words that start with `-p` and are no password (find's predicates).
    const NOT_PASSWORDS: [&str; 6] = [
        "-print", "-print0", "-printf", "-prune", "-perm", "-pthread",
    ];
    if let Some(value) = word.strip_prefix("-p")
        && !value.is_empty()
        && !is_pid_like(value)
        && !NOT_PASSWORDS.contains(&word)
    {
        return Cow::Owned(format!("-p{REDACTED}"));
    }
    if let Some(value) = word.strip_prefix("--user=")
        && let Some((user, _)) = value.split_once(':')
    {
        return Cow::Owned(format!("--user={user}:{REDACTED}"));
    }
    Cow::Borrowed(word)
}

/// A shell word without the quotes around it.
fn unquoted(word: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = word
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner;
        }
    }
    word
}

#[cfg(test)]
mod tests {
    use super::{redact, redact_argv};

    fn argv(args: &[&str]) -> Vec<String> {
        redact_argv(&args.iter().map(|arg| arg.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn tokens_in_urls_headers_and_arguments_are_hidden() {
        assert_eq!(
            redact("https://user:hunter2@example.com/x?access_token=abc123&page=2"),
            "https://REDACTED@example.com/x?access_token=REDACTED&page=2"
        );
        assert_eq!(
            redact("Authorization: Bearer abcdefghijk"),
            "Authorization: REDACTED"
        );
        assert_eq!(
            redact("--header=X-Api-Key: s3cr3t"),
            "--header=X-Api-Key: REDACTED"
        );
        assert_eq!(redact("API_KEY=s3cr3t"), "API_KEY=REDACTED");
        assert_eq!(redact("mpstat -P ALL 1 9"), "mpstat -P ALL 1 9");
    }

    #[test]
    fn a_flag_and_its_value_are_two_arguments() {
        assert_eq!(
            argv(&[
                "mysql",
                "--password",
                "hunter2",
                "--api-key",
                "k3y",
                "-e",
                "select 1"
            ]),
            [
                "mysql",
                "--password",
                "REDACTED",
                "--api-key",
                "REDACTED",
                "-e",
                "select 1"
            ]
        );
        assert_eq!(
            argv(&["sshpass", "-p", "hunter2", "ssh"]),
            ["sshpass", "-p", "REDACTED", "ssh"]
        );
        assert_eq!(argv(&["mysql", "-phunter2"]), ["mysql", "-pREDACTED"]);
        assert_eq!(
            argv(&["x", "--db-pass=hunter2"]),
            ["x", "--db-pass=REDACTED"]
        );
        assert_eq!(
            argv(&["env", "MYSQL_PWD=hunter2", "mysql"]),
            ["env", "MYSQL_PWD=REDACTED", "mysql"]
        );
        assert_eq!(
            argv(&["keytool", "-storepass", "hunter2"]),
            ["keytool", "-storepass", "REDACTED"]
        );
        assert_eq!(
            argv(&[
                "curl",
                "-u",
                "me:hunter2",
                "-H",
                "Authorization: Basic aGVsbG86d29ybGQ="
            ]),
            ["curl", "-u", "me:REDACTED", "-H", "Authorization: REDACTED"]
        );
    }

    #[test]
    fn the_same_shapes_are_caught_inside_a_shell_script() {
        assert_eq!(
            redact("mysql --password 'hunter 2' -phunter2 -u root && curl --user=me:hunter2 x"),
            "mysql --password REDACTED -pREDACTED -u root && curl --user=me:REDACTED x"
        );
        assert_eq!(
            redact("curl -H 'Authorization: Bearer abcdefghijkl' https://example.com"),
            "curl -H 'Authorization: REDACTED' https://example.com"
        );
    }

    #[test]
    fn tokens_are_known_by_their_prefix() {
        for token in [
            "ghp_0123456789abcdefghijABCDEFGHIJ012345",
            "github_pat_11ABCDEFG0123456789_abcdefghij",
            "glpat-0123456789abcdefghij",
            "xoxb-1234567890-abcdefghij",
            "AKIAIOSFODNN7EXAMPLE",
            "sk-proj-0123456789abcdefghij",
            "sk_live_0123456789abcdefghij",
            "AIzaSyA0123456789abcdefghijABCDEFGHIJ",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
        ] {
            assert_eq!(redact(&format!("x {token} y")), "x REDACTED y", "{token}");
        }
        assert_eq!(
            redact("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"),
            "REDACTED PRIVATE KEY"
        );
    }

    #[test]
    fn what_is_no_secret_is_left_alone() {
        for kept in [
            ["pidstat", "-u", "-w", "-p", "ALL", "1", "9"].as_slice(),
            &["psql", "--no-password", "db"],
            &[
                "docker",
                "login",
                "--password-stdin",
                "registry.example.com",
            ],
            &["find", "/var", "-name", "*.log", "-print"],
            &["mkdir", "-p", "/tmp/x"],
            &["ssh", "-p", "22", "host"],
        ] {
            assert_eq!(argv(kept), kept);
        }
    }

    /// The manifest shows exactly what the built-in collectors ran.
    #[test]
    fn every_built_in_collectors_argv_is_left_alone() {
        use crate::collect::tools::{Collector, Runs, StepArgs, ToolContext};
        let args = StepArgs::default();
        for pids in [&[][..], &[12, 34]] {
            for collector in Collector::all().filter(|c| matches!(c.runs(), Runs::Spawned(_))) {
                let output = collector.default_output("step");
                let context = ToolContext {
                    interval: std::time::Duration::from_secs(1),
                    time_box: std::time::Duration::from_secs(10),
                    raw_dir: std::path::Path::new("/var/tmp/inv/raw_data"),
                    output: &output,
                    args: &args,
                    pids,
                };
                for invocation in collector.invocations(&context).unwrap() {
                    assert_eq!(redact_argv(&invocation.argv), invocation.argv);
                }
            }
        }
    }
}

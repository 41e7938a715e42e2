//! Secrets never reach a report or a manifest: tokens in URLs, authorization headers, and
//! `NAME=value` arguments whose name says secret.

use std::sync::LazyLock;

use regex::Regex;

static URL_USERINFO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@").expect("valid regex"));
static SECRET_PARAM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([a-z0-9_-]*(?:token|secret|password|passwd|api[_-]?key|apikey|auth|signature|sig|key)[a-z0-9_-]*)=([^&\s;]+)")
        .expect("valid regex")
});
static AUTH_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(authorization|proxy-authorization|x-api-key|cookie|x-auth-token)(\s*:\s*)(.+)",
    )
    .expect("valid regex")
});
static BEARER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}").expect("valid regex")
});

/// `text` with every secret-looking value replaced by `REDACTED`.
pub fn redact(text: &str) -> String {
    let text = URL_USERINFO.replace_all(text, "${1}REDACTED@");
    let text = AUTH_HEADER.replace_all(&text, "${1}${2}REDACTED");
    let text = BEARER.replace_all(&text, "${1} REDACTED");
    SECRET_PARAM
        .replace_all(&text, "${1}=REDACTED")
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::redact;

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
}

//! Durations as people write them in playbooks: `500ms`, `10s`, `2m`, `1h`, `1m30s`.

use std::{fmt, time::Duration};

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A playbook duration. Parsed from and written as text (`10s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Span(pub Duration);

impl Span {
    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }
}

/// The longest duration a playbook or flag may give: about 31 years, far past any time box,
/// and small enough that every arithmetic on it stays exact.
const LONGEST_SECONDS: f64 = 1e9;

/// Parse `10s`, `500ms`, `1m30s`; a bare number is not accepted (which unit would it be?).
///
/// jiff reads the number and unit pairs (its "friendly" format). It also takes forms a
/// playbook does not (`10 s`, `-1s`, `1 minute`, ISO 8601's `PT10S`): the text is held to the
/// compact form the schema publishes first, so a playbook means the same to every reader.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let expected = || {
        format!(
            "bad duration {text:?}: expected a number and a unit (ms, s, m, h), like \"10s\" or \"1m30s\""
        )
    };
    let compact = text.trim();
    let allowed = |c: char| c.is_ascii_digit() || matches!(c, '.' | 'm' | 's' | 'h');
    if !compact.starts_with(|c: char| c.is_ascii_digit()) || !compact.chars().all(allowed) {
        return Err(expected());
    }
    let parsed: jiff::SignedDuration = compact.parse().map_err(|_| expected())?;
    let seconds = parsed.as_secs_f64();
    if seconds > LONGEST_SECONDS {
        return Err(format!(
            "bad duration {text:?}: longer than the longest allowed, {LONGEST_SECONDS}s"
        ));
    }
    Duration::try_from(parsed).map_err(|_| expected())
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if !millis.is_multiple_of(1000) {
            write!(f, "{millis}ms")
        } else {
            write!(f, "{}s", millis / 1000)
        }
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_duration(&text)
            .map(Span)
            .map_err(serde::de::Error::custom)
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for Span {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A number and a unit (ms, s, m, h), repeated: \"500ms\", \"10s\", \"1m30s\".",
            "pattern": "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_units_and_compounds() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn rejects_what_is_ambiguous_or_garbled() {
        for bad in ["", "10", "10x", "s", "1e9h", "-1s", "10 s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn displays_as_written() {
        assert_eq!(Span(Duration::from_secs(10)).to_string(), "10s");
        assert_eq!(Span(Duration::from_millis(1500)).to_string(), "1500ms");
    }
}

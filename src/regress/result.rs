//! What a run measured, as stored: a result file (`regress --save`), a baseline read back,
//! and the history, one run per line (JSON Lines).

use std::{collections::BTreeMap, io::Write, path::Path};

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::Stream;

/// One run of a recipe's benchmarks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunResult {
    pub recipe: String,
    /// When the run ended (UTC).
    pub time: String,
    /// The git commit measured, when the benchmarks ran in a git tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    pub benchmarks: Vec<BenchmarkResult>,
}

/// The samples of one benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BenchmarkResult {
    pub name: String,
    pub command: Vec<String>,
    /// One value per measured repetition, by metric: `wall`, `user`, `sys` in seconds,
    /// `max_rss` in KiB, a recipe's own metrics as printed.
    pub samples: BTreeMap<String, Vec<f64>>,
}

/// What the supervisor measured of one repetition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub wall_seconds: f64,
    pub user_seconds: f64,
    pub system_seconds: f64,
    pub max_rss_kib: f64,
}

impl RunResult {
    /// The samples of `metric` of the benchmark named `benchmark`.
    pub fn samples(&self, benchmark: &str, metric: &str) -> Option<&[f64]> {
        self.benchmarks
            .iter()
            .find(|b| b.name == benchmark)?
            .samples
            .get(metric)
            .map(Vec::as_slice)
    }
}

impl BenchmarkResult {
    pub fn new(name: &str, command: &[String]) -> Self {
        BenchmarkResult {
            name: name.to_string(),
            command: command.to_vec(),
            samples: BTreeMap::new(),
        }
    }

    /// Add one repetition: what its supervisor measured and the numbers its output printed
    /// for each of `metrics` (the last match counts). A metric the output does not print is
    /// an error naming it.
    pub fn add(
        &mut self,
        measured: Measured,
        stdout: &str,
        stderr: &str,
        metrics: &[(super::model::Metric, Regex)],
    ) -> Result<(), String> {
        let mut values = vec![
            ("wall", measured.wall_seconds),
            ("user", measured.user_seconds),
            ("sys", measured.system_seconds),
            ("max_rss", measured.max_rss_kib),
        ];
        for (metric, regex) in metrics {
            let text = match metric.stream {
                Stream::Stdout => stdout,
                Stream::Stderr => stderr,
            };
            let value = extract(regex, text).ok_or_else(|| {
                format!(
                    "benchmark {:?} printed no number for metric {:?} on its {}: the pattern {:?} \
                     did not match, or its group is not a number",
                    self.name,
                    metric.name,
                    match metric.stream {
                        Stream::Stdout => "stdout",
                        Stream::Stderr => "stderr",
                    },
                    metric.pattern
                )
            })?;
            values.push((metric.name.as_str(), value));
        }
        for (name, value) in values {
            self.samples
                .entry(name.to_string())
                .or_default()
                .push(value);
        }
        Ok(())
    }
}

/// The number in the first capture group of the last match of `regex` in `text`.
pub fn extract(regex: &Regex, text: &str) -> Option<f64> {
    let captures = regex.captures_iter(text).last()?;
    let number = captures.get(1)?.as_str().trim().replace(',', "");
    number.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// Read a stored result: what `regress --save` wrote, or a whole `regress --format json`
/// report (its `current` run).
pub fn read_result(path: &Path) -> Result<RunResult, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read the baseline {}: {err}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|err| {
        format!(
            "{}:{}:{}: not JSON: {err}",
            path.display(),
            err.line(),
            err.column()
        )
    })?;
    let run = value.get("current").cloned().unwrap_or(value);
    serde_json::from_value(run).map_err(|err| {
        format!(
            "{}: not a stored result (regress --save or --format json): {err}",
            path.display()
        )
    })
}

/// Every run of a history file, oldest first; no file is an empty history.
pub fn read_history(path: &Path) -> Result<Vec<RunResult>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(format!("cannot read the history {}: {err}", path.display())),
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line).map_err(|err| {
                format!(
                    "{}:{}:{}: not a stored run: {err}",
                    path.display(),
                    index + 1,
                    err.column()
                )
            })
        })
        .collect()
}

/// Add `run` at the end of the history file, one line.
pub fn append_history(path: &Path, run: &RunResult) -> std::io::Result<()> {
    let mut line = serde_json::to_string(run).map_err(std::io::Error::other)?;
    line.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_match_counts() {
        let regex = Regex::new(r"ops/s: ([0-9.,]+)").unwrap();
        assert_eq!(extract(&regex, "ops/s: 10\nops/s: 1,234.5\n"), Some(1234.5));
        assert_eq!(extract(&regex, "nothing"), None);
        assert_eq!(extract(&Regex::new(r"x=(\w+)").unwrap(), "x=abc"), None);
    }

    #[test]
    fn a_report_or_a_result_is_a_baseline() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunResult {
            recipe: "r".into(),
            time: "2026-12-04T18:00:00Z".into(),
            revision: None,
            benchmarks: vec![BenchmarkResult::new("a", &["true".into()])],
        };
        let plain = dir.path().join("plain.json");
        std::fs::write(&plain, serde_json::to_string(&run).unwrap()).unwrap();
        assert_eq!(read_result(&plain).unwrap(), run);
        let report = dir.path().join("report.json");
        let wrapped = serde_json::json!({ "recipe": "r", "current": run });
        std::fs::write(&report, wrapped.to_string()).unwrap();
        assert_eq!(read_result(&report).unwrap(), run);
        std::fs::write(&report, "{").unwrap();
        assert!(read_result(&report).unwrap_err().contains("not JSON"));
    }

    #[test]
    fn the_history_grows_a_line_per_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        assert!(read_history(&path).unwrap().is_empty());
        let run = RunResult {
            recipe: "r".into(),
            time: "t".into(),
            revision: Some("abc".into()),
            benchmarks: Vec::new(),
        };
        append_history(&path, &run).unwrap();
        append_history(&path, &run).unwrap();
        assert_eq!(read_history(&path).unwrap().len(), 2);
        std::fs::write(&path, "{}\n").unwrap();
        assert!(read_history(&path).unwrap_err().contains(":1:"));
    }
}

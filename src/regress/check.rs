//! A recipe read and checked: every mistake found at once, each at file:line:col; what runs
//! afterwards holds the checked form (thresholds read, patterns compiled, paths resolved).

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use regex::Regex;

use super::{
    model::{Metric, Recipe},
    threshold::{self, BUILT_IN_METRICS, Statistic},
};
use crate::{
    base::{
        SourceError, SourceFile, parse_duration,
        source::{deserialize, read},
        user_regex,
    },
    rules::Severity,
    stats::Limit,
};

/// A recipe ready to run.
#[derive(Debug, Clone)]
pub struct Checked {
    pub recipe: Recipe,
    pub path: PathBuf,
    pub timeout: Duration,
    /// How many repetitions of each benchmark are measured by each look at the data: the
    /// recipe's `repetitions`, then doubling up to `max_repetitions`. Each look's tests run
    /// at alpha / `looks.len()`.
    pub looks: Vec<u32>,
    pub baseline: BaselineSource,
    pub history: Option<PathBuf>,
    pub thresholds: Vec<CheckedThreshold>,
    /// The recipe's `[[metric]]`s with their patterns compiled.
    pub metrics: Vec<(Metric, Regex)>,
    pub playbook: Option<CheckedPlaybook>,
}

/// Where the baseline comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineSource {
    File(PathBuf),
    Revision(String),
}

#[derive(Debug, Clone)]
pub struct CheckedThreshold {
    /// The check as written.
    pub text: String,
    pub statistic: Statistic,
    pub metric: String,
    pub limit: Limit,
    pub alpha: f64,
    /// The benchmarks it applies to, by index.
    pub benchmarks: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct CheckedPlaybook {
    pub path: PathBuf,
    /// The benchmark run as the load, by index.
    pub load: usize,
    pub duration: Duration,
    pub fail_on: Severity,
}

/// Read and check a recipe file.
pub fn load(path: &Path) -> Result<Checked, Vec<SourceError>> {
    let source = read(path).map_err(|err| vec![err])?;
    let recipe: Recipe = deserialize(&source).map_err(|err| vec![err])?;
    check(recipe, &source)
}

/// Check a recipe read from `source`.
pub fn check(recipe: Recipe, source: &SourceFile) -> Result<Checked, Vec<SourceError>> {
    let mut errors = Vec::new();
    let mut error = |path: &[&str], offset: Option<usize>, message: String| {
        errors.push(source.error_at_path(path, offset, message));
    };
    let folder = source.path.parent().unwrap_or(Path::new("."));
    let relative = |file: &str| folder.join(file);

    if recipe.name.trim().is_empty() {
        error(&["name"], None, "the recipe needs a name".into());
    }
    if recipe.repetitions < 2 {
        error(
            &["repetitions"],
            None,
            "at least 2 repetitions are needed to see the noise (10 to 30 are usual)".into(),
        );
    }
    if let Some(most) = recipe.max_repetitions
        && most < recipe.repetitions
    {
        error(
            &["max_repetitions"],
            None,
            format!(
                "max_repetitions ({most}) is below repetitions ({}): it is the most measured when the first repetitions cannot decide",
                recipe.repetitions
            ),
        );
    }
    let looks = looks(recipe.repetitions, recipe.max_repetitions);
    let timeout = parse_duration(&recipe.timeout).unwrap_or_else(|err| {
        error(&["timeout"], None, format!("timeout: {err}"));
        Duration::ZERO
    });
    for (index, command) in recipe.build.iter().enumerate() {
        if command.is_empty() {
            error(
                &["build", &index.to_string()],
                None,
                "a build command is an argv list: the program, then its arguments".into(),
            );
        }
    }

    if recipe.benchmarks.is_empty() {
        error(
            &[],
            None,
            "a recipe needs at least one [[benchmark]]".into(),
        );
    }
    let names: Vec<&str> = recipe.benchmarks.iter().map(|b| b.name.as_str()).collect();
    for (index, benchmark) in recipe.benchmarks.iter().enumerate() {
        let at = index.to_string();
        if benchmark.name.trim().is_empty() {
            error(
                &["benchmark", &at, "name"],
                None,
                "a benchmark needs a name".into(),
            );
        } else if names[..index].contains(&benchmark.name.as_str()) {
            error(
                &["benchmark", &at, "name"],
                None,
                format!("a second benchmark named {:?}", benchmark.name),
            );
        }
        if benchmark.command.is_empty() || benchmark.command[0].is_empty() {
            error(
                &["benchmark", &at, "command"],
                None,
                "the command is an argv list: the program, then its arguments (never a shell string)"
                    .into(),
            );
        }
    }

    let mut metrics = Vec::new();
    for (index, metric) in recipe.metrics.iter().enumerate() {
        let at = index.to_string();
        if BUILT_IN_METRICS.contains(&metric.name.as_str()) {
            error(
                &["metric", &at, "name"],
                None,
                format!(
                    "{:?} is measured already: name the printed number otherwise",
                    metric.name
                ),
            );
        } else if recipe.metrics[..index]
            .iter()
            .any(|m| m.name == metric.name)
        {
            error(
                &["metric", &at, "name"],
                None,
                format!("a second metric named {:?}", metric.name),
            );
        }
        match user_regex(&metric.pattern) {
            Ok(regex) if regex.captures_len() > 1 => metrics.push((metric.clone(), regex)),
            Ok(_) => error(
                &["metric", &at, "pattern"],
                None,
                "the pattern needs a capture group around the number: 'ops/s: ([0-9.]+)'".into(),
            ),
            Err(err) => error(
                &["metric", &at, "pattern"],
                None,
                format!(
                    "not a regular expression: {}",
                    err.to_string().replace('\n', " ")
                ),
            ),
        }
    }

    if recipe.thresholds.is_empty() {
        error(
            &[],
            None,
            "a recipe needs at least one [[threshold]]".into(),
        );
    }
    let mut thresholds = Vec::new();
    for (index, threshold) in recipe.thresholds.iter().enumerate() {
        let at = index.to_string();
        let path = ["threshold", at.as_str(), "check"];
        let check = match threshold::parse(&threshold.check) {
            Ok(check) => check,
            Err(err) => {
                error(&path, Some(err.offset), err.message);
                continue;
            }
        };
        let known = BUILT_IN_METRICS.contains(&check.metric)
            || recipe.metrics.iter().any(|m| m.name == check.metric);
        if !known {
            let mut choices: Vec<&str> = BUILT_IN_METRICS.to_vec();
            choices.extend(recipe.metrics.iter().map(|m| m.name.as_str()));
            error(
                &path,
                Some(check.metric_offset),
                format!(
                    "unknown metric `{}`: expected one of {} (or add a [[metric]])",
                    check.metric,
                    choices.join(", ")
                ),
            );
            continue;
        }
        let mut applies = Vec::new();
        for (n, name) in threshold.benchmarks.iter().enumerate() {
            match names.iter().position(|known| known == name) {
                Some(position) => applies.push(position),
                None => error(
                    &["threshold", &at, "benchmarks", &n.to_string()],
                    None,
                    format!("no benchmark is named {name:?}"),
                ),
            }
        }
        if threshold.benchmarks.is_empty() {
            applies = (0..recipe.benchmarks.len()).collect();
        }
        thresholds.push(CheckedThreshold {
            text: threshold.check.clone(),
            statistic: check.statistic,
            metric: check.metric.to_string(),
            limit: check.limit,
            alpha: check.alpha,
            benchmarks: applies,
        });
    }

    let baseline = match (&recipe.baseline.file, &recipe.baseline.revision) {
        (Some(file), None) => Some(BaselineSource::File(relative(file))),
        (None, Some(revision)) if !revision.trim().is_empty() && !revision.starts_with('-') => {
            Some(BaselineSource::Revision(revision.clone()))
        }
        (None, Some(revision)) => {
            error(
                &["baseline", "revision"],
                None,
                format!("{revision:?} is not a git revision"),
            );
            None
        }
        _ => {
            error(
                &["baseline"],
                None,
                "the baseline is either `file` (a stored result) or `revision` (a git revision), one of them".into(),
            );
            None
        }
    };

    let playbook = recipe.playbook.as_ref().and_then(|step| {
        let load = match &step.load {
            None => Some(0),
            Some(name) => {
                let found = names.iter().position(|known| known == name);
                if found.is_none() {
                    error(
                        &["playbook", "load"],
                        None,
                        format!("no benchmark is named {name:?}"),
                    );
                }
                found
            }
        };
        let duration = parse_duration(&step.duration)
            .map_err(|err| error(&["playbook", "duration"], None, format!("duration: {err}")))
            .ok();
        Some(CheckedPlaybook {
            path: relative(&step.path),
            load: load?,
            duration: duration?,
            fail_on: step.fail_on,
        })
    });

    if !errors.is_empty() {
        errors.sort_by_key(|err| (err.line, err.column));
        return Err(errors);
    }
    let Some(baseline) = baseline else {
        return Err(errors);
    };
    Ok(Checked {
        history: recipe.history.as_deref().map(relative),
        path: source.path.clone(),
        recipe,
        timeout,
        looks,
        baseline,
        thresholds,
        metrics,
        playbook,
    })
}

/// The repetitions measured by each look: `first`, then doubling, up to `most`.
fn looks(first: u32, most: Option<u32>) -> Vec<u32> {
    let first = first.max(1);
    let most = most.unwrap_or(first).max(first);
    let mut looks = vec![first];
    while let Some(&last) = looks.last()
        && last < most
    {
        looks.push(last.saturating_mul(2).min(most));
    }
    looks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(text: &str) -> Result<Checked, Vec<SourceError>> {
        let source = SourceFile {
            path: PathBuf::from("recipes/r.toml"),
            text: text.to_string(),
        };
        let recipe: Recipe = deserialize(&source).map_err(|err| vec![err])?;
        check(recipe, &source)
    }

    const GOOD: &str = r#"name = "r"
repetitions = 5

[baseline]
file = "base.json"

[[benchmark]]
name = "a"
command = ["true"]

[[metric]]
name = "throughput"
pattern = 'ops/s: ([0-9.]+)'

[[threshold]]
check = "mean(wall) may not rise more than 5% at p < 0.01"

[[threshold]]
check = "median(throughput) may not fall more than 10%"
benchmarks = ["a"]
"#;

    #[test]
    fn a_good_recipe_is_checked() {
        let checked = checked(GOOD).unwrap();
        assert_eq!(
            checked.baseline,
            BaselineSource::File(PathBuf::from("recipes/base.json"))
        );
        assert_eq!(checked.thresholds.len(), 2);
        assert_eq!(checked.thresholds[0].benchmarks, vec![0]);
        assert_eq!(checked.recipe.warmup, 1);
        assert_eq!(checked.looks, vec![5]);
    }

    #[test]
    fn more_repetitions_are_looked_at_in_doubling_rounds() {
        assert_eq!(looks(20, Some(160)), vec![20, 40, 80, 160]);
        assert_eq!(looks(20, Some(100)), vec![20, 40, 80, 100]);
        assert_eq!(looks(20, Some(20)), vec![20]);
        let text = GOOD.replace("repetitions = 5", "repetitions = 5\nmax_repetitions = 3");
        let errors = checked(&text).unwrap_err();
        assert!(
            errors[0].message.contains("below repetitions"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_typo_is_located() {
        let text = GOOD.replace("repetitions = 5", "repetitons = 5");
        let errors = checked(&text).unwrap_err();
        assert_eq!((errors[0].line, errors[0].column), (2, 1), "{errors:?}");
        assert!(errors[0].message.contains("repetitons"), "{errors:?}");
    }

    #[test]
    fn an_unknown_metric_points_into_the_check() {
        let text = GOOD.replace("mean(wall)", "mean(wal)");
        let errors = checked(&text).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let error = &errors[0];
        assert_eq!((error.line, error.column), (16, 15), "{error}");
        assert!(error.message.contains("unknown metric `wal`"), "{error}");
    }

    #[test]
    fn every_mistake_is_listed() {
        let text = GOOD
            .replace("repetitions = 5", "repetitions = 1")
            .replace("([0-9.]+)", "[0-9.]+")
            .replace("benchmarks = [\"a\"]", "benchmarks = [\"b\"]")
            .replace("file = \"base.json\"", "file = \"b\"\nrevision = \"main\"");
        let errors = checked(&text).unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 4, "{text:#?}");
    }
}

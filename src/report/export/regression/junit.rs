//! JUnit XML for CI dashboards: one test suite named after the recipe, one test case per
//! check and benchmark (class `regress.BENCHMARK`). A regression is a failure carrying the
//! numbers; an inconclusive check is skipped with the reason (not judged, as the reports'
//! rules without data are); a pass carries its numbers in the case's output. The playbook
//! under load is one more case. Written by quick-junit, as the reports' exporter is.

use std::io::Write;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::{
    ExportError, RegressionExporter, change_text, effect_text, history_change_text, p_text,
    side_text, unit_in,
};
use crate::{
    regress::judge::{CheckOutcome, RegressReport},
    stats::Decision,
};

pub(crate) struct Junit;

impl RegressionExporter for Junit {
    fn export(&self, report: &RegressReport, out: &mut dyn Write) -> Result<(), ExportError> {
        let mut suite = TestSuite::new(report.recipe.as_str());
        suite.add_property(Property::new("verdict", report.verdict.as_str()));
        suite.add_property(Property::new("summary", report.summary.as_str()));
        suite.add_property(Property::new("baseline", report.baseline_source.as_str()));
        for check in &report.checks {
            suite.add_test_case(check_case(check));
        }
        if let Some(playbook) = &report.playbook {
            let findings = playbook
                .findings
                .iter()
                .map(|f| format!("[{}] {}: {}", f.severity.as_str(), f.id, f.message))
                .collect::<Vec<_>>()
                .join("\n");
            let status = if playbook.failed {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status
                    .set_message(playbook.verdict.as_str())
                    .set_type(format!(
                        "findings at or above {}",
                        playbook.fail_on.as_str()
                    ));
                if !findings.is_empty() {
                    status.set_description(findings.as_str());
                }
                status
            } else {
                TestCaseStatus::success()
            };
            let mut case = TestCase::new(format!("playbook {}", playbook.playbook), status);
            case.set_classname("regress.playbook");
            if !playbook.failed {
                case.set_system_out(format!("{}\n{findings}", playbook.verdict));
            }
            suite.add_test_case(case);
        }
        let changes: Vec<String> = report
            .changes
            .iter()
            .flat_map(|metric| {
                let unit = unit_in(report, &metric.metric);
                metric.points.iter().map(move |point| {
                    format!(
                        "change point: {} {}({}): {}",
                        metric.benchmark,
                        metric.statistic,
                        metric.metric,
                        history_change_text(point, &unit)
                    )
                })
            })
            .collect();
        if !changes.is_empty() {
            suite.set_system_out(changes.join("\n"));
        }
        let mut junit = Report::new("perf_manual regress");
        junit.add_test_suite(suite);
        junit
            .serialize(out)
            .map_err(|err| ExportError::Io(std::io::Error::other(err)))
    }
}

fn check_case(check: &CheckOutcome) -> TestCase {
    let numbers = format!(
        "baseline {}\ncurrent {}\nchange {}\np = {} ({})\n{}",
        side_text(check, true),
        side_text(check, false),
        change_text(check),
        p_text(check),
        check.comparison.test.as_str(),
        effect_text(check)
    );
    let comparison = &check.comparison;
    let status = match comparison.decision {
        Decision::Regression => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(comparison.reason.as_str())
                .set_type("regression")
                .set_description(numbers.as_str());
            status
        }
        Decision::Inconclusive => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(comparison.reason.as_str());
            status
        }
        Decision::Pass => TestCaseStatus::success(),
    };
    let mut case = TestCase::new(format!("{}: {}", check.benchmark, check.check), status);
    case.set_classname(format!("regress.{}", check.benchmark));
    if comparison.decision != Decision::Regression {
        case.set_system_out(numbers);
    }
    case
}

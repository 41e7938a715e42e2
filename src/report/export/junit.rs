//! JUnit XML for CI dashboards: one test suite named after the playbook, one test case per
//! rule. A rule that raised a finding at or above `--fail-on` (without it, any finding above
//! info) is a failure; a finding below that passes with its message in the case's output; a
//! rule without the data to judge it is skipped, with the reason; a rule that could not be
//! evaluated (units that do not match) is an error. Written by quick-junit, which escapes and
//! lays out the XML as the Jenkins and GitLab readers expect.

use std::io::Write;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::{Document, ExportError, Exporter};
use crate::rules::{
    CompiledRule, Finding, Severity,
    eval::{JudgementIndex, format_number},
};

pub(crate) struct Junit;

impl Exporter for Junit {
    fn extension(&self) -> &'static str {
        "xml"
    }

    fn export(&self, document: &Document<'_>, out: &mut dyn Write) -> Result<(), ExportError> {
        let data = document.report;
        let fails_from = document.fail_on.unwrap_or(Severity::Low);
        let mut suite = TestSuite::new(data.playbook.as_str());
        suite.add_property(Property::new("verdict", data.verdict.as_str()));
        suite.add_property(Property::new("verdict_kind", data.verdict_kind.as_str()));
        suite.add_property(Property::new("directory", data.directory.as_str()));
        suite.add_property(Property::new("status", data.status.as_str()));
        if let Some(host) = &data.host.hostname {
            suite.add_property(Property::new("host", host.as_str()));
        }
        let index = document.judgement.index();
        for rule in document.rules {
            suite.add_test_case(test_case(rule, &index, fails_from));
        }
        let mut report = Report::new("perf_manual");
        report.add_test_suite(suite);
        report
            .serialize(out)
            .map_err(|err| ExportError::Io(std::io::Error::other(err)))
    }
}

/// How one rule was judged, as a test case named by its id in `resource.signal`'s class.
fn test_case(
    compiled: &CompiledRule,
    index: &JudgementIndex<'_>,
    fails_from: Severity,
) -> TestCase {
    let rule = compiled.rule();
    let finding = index.fired(&rule.id).next();
    let mut output = None;
    let status = if let Some(what) = index.error(&rule.id) {
        non_success(NonSuccessKind::Error, what, "rule error", "")
    } else if let Some(why) = index.not_evaluated(&rule.id) {
        let mut status = TestCaseStatus::skipped();
        status.set_message(why);
        status
    } else if let Some(finding) = finding.filter(|f| f.severity >= fails_from) {
        non_success(
            NonSuccessKind::Failure,
            &finding.message,
            finding.severity.as_str(),
            &details(finding),
        )
    } else {
        output = Some(match finding {
            Some(finding) => format!("[{}] {}", finding.severity.as_str(), finding.message),
            None => index.observed(&rule.id).to_string(),
        });
        TestCaseStatus::success()
    };
    let mut case = TestCase::new(rule.id.as_str(), status);
    case.set_classname(format!("{}.{}", rule.resource, rule.signal.as_str()));
    if let Some(output) = output.filter(|text| !text.is_empty()) {
        case.set_system_out(output);
    }
    case
}

fn non_success(kind: NonSuccessKind, message: &str, ty: &str, description: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(kind);
    status.set_message(message).set_type(ty);
    if !description.is_empty() {
        status.set_description(description);
    }
    status
}

/// The evidence behind a failed case: the expression, the series, the files and the window.
fn details(finding: &Finding) -> String {
    let evidence = &finding.evidence;
    let mut text = format!(
        "{}\nseries: {}",
        evidence.expression,
        evidence.series.join(", ")
    );
    if !evidence.files.is_empty() {
        text.push_str(&format!("\nfiles: {}", evidence.files.join(", ")));
    }
    if evidence.held_seconds > 0.0 {
        text.push_str(&format!(
            "\nheld {} s",
            format_number(evidence.held_seconds)
        ));
    }
    if !finding.next.is_empty() {
        text.push_str(&format!("\nnext: {}", finding.next));
    }
    text
}

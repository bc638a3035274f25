//! `junit.xml`: one test suite per kernel suite, one test case per invariant.

use crate::model::{InvariantResult, Verdict};
use crate::run_report::RunReport;
use crate::text::{self, RenderOptions};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

/// Build the JUnit report of `report`.
pub fn build(report: &RunReport, opts: &RenderOptions) -> Report {
    let mut out = Report::new("pgconform");
    out.set_time(Duration::from_millis(report.duration_ms));
    let mut suites: Vec<TestSuite> = Vec::new();
    for r in &report.results {
        let idx = match suites.iter().position(|s| s.name.as_str() == r.suite) {
            Some(i) => i,
            None => {
                let mut s = TestSuite::new(r.suite.clone());
                s.add_properties([
                    Property::new("seed", report.seed.to_string()),
                    Property::new("sut-fingerprint", report.sut.fingerprint.clone()),
                    Property::new("server-version", report.server.version.clone()),
                    Property::new("backend", report.server.backend.clone()),
                ]);
                if let Some(m) = &report.sut.mutant {
                    s.add_property(Property::new("mutant", m.path.clone()));
                }
                if let Some(sh) = report.shard {
                    s.add_property(Property::new("shard", sh.to_string()));
                }
                suites.push(s);
                suites.len() - 1
            }
        };
        let s = &mut suites[idx];
        s.add_test_case(test_case(r, opts));
        let total: u64 = s
            .test_cases
            .iter()
            .filter_map(|c| c.time)
            .map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX))
            .sum();
        s.set_time(Duration::from_millis(total));
    }
    out.add_test_suites(suites);
    out
}

fn test_case(r: &InvariantResult, opts: &RenderOptions) -> TestCase {
    let status = match r.verdict {
        Verdict::Passed => TestCaseStatus::success(),
        Verdict::Skipped => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(r.error.clone().unwrap_or_else(|| "not run".to_owned()));
            s
        }
        Verdict::Incomplete => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(text::incomplete_note(r));
            s.set_type("incomplete");
            s
        }
        Verdict::Error => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(
                r.error
                    .clone()
                    .unwrap_or_else(|| "harness error".to_owned()),
            );
            s.set_type("environment");
            s
        }
        Verdict::Failed => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            match r.failures.first() {
                Some(f) => {
                    s.set_message(f.detail.message.clone());
                    s.set_type(
                        f.detail
                            .sqlstate
                            .as_deref()
                            .map_or_else(|| "invariant".to_owned(), |c| format!("SQLSTATE {c}")),
                    );
                    let mut d = String::new();
                    if let Some(sql) = &f.detail.sql {
                        d.push_str(&format!("sql: {sql}\n"));
                    }
                    if let Some(e) = &f.detail.expected {
                        d.push_str(&format!("expected: {e}\n"));
                    }
                    if let Some(a) = &f.detail.actual {
                        d.push_str(&format!("actual: {a}\n"));
                    }
                    if let Some(c) = &f.detail.sqlstate {
                        d.push_str(&format!("sqlstate: {c}\n"));
                    }
                    d.push_str(&format!(
                        "failed after {}, {}\nshrunk input:\n{}\n",
                        text::count(f.cases_to_failure, "case"),
                        text::count(f.shrink_steps, "shrink step"),
                        text::input_json(f)
                    ));
                    if let Some(cmd) = opts.replay_command(f) {
                        d.push_str(&format!("replay: {cmd}\n"));
                    }
                    s.set_description(d);
                }
                None => {
                    s.set_message(r.error.clone().unwrap_or_else(|| "failed".to_owned()));
                }
            }
            s
        }
    };
    let mut tc = TestCase::new(r.id.clone(), status);
    tc.set_classname(format!("pgconform.{}", r.suite));
    tc.set_time(Duration::from_millis(r.duration_ms));
    tc.add_property(Property::new("title", r.title.clone()));
    tc.add_property(Property::new("cases", r.cases.to_string()));
    if !r.coverage.is_empty() {
        tc.add_property(Property::new("coverage", text::coverage_list(r)));
    }
    tc
}

/// Serialise the JUnit report of `report`.
pub fn render(
    report: &RunReport,
    opts: &RenderOptions,
) -> Result<String, quick_junit::SerializeError> {
    build(report, opts).to_string()
}

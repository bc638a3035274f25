//! TAP version 14 output: one test point per invariant, a YAML diagnostics
//! block for failures and errors.

use crate::model::{InvariantResult, Verdict};
use crate::run_report::RunReport;
use crate::text::{self, RenderOptions};
use std::fmt::Write as _;

/// A YAML scalar: JSON strings are valid YAML double-quoted scalars.
fn y(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The TAP plan line and the test point for the `n`th (1-based) result.
pub fn test_point(n: usize, r: &InvariantResult, opts: &RenderOptions) -> String {
    let mut s = String::new();
    let desc = format!("{} - {}", r.id, r.title.replace('#', "\\#"));
    match r.verdict {
        Verdict::Passed => {
            let _ = writeln!(s, "ok {n} - {desc}");
        }
        Verdict::Skipped => {
            let _ = writeln!(
                s,
                "ok {n} - {desc} # SKIP {}",
                r.error.as_deref().unwrap_or("not run").replace('\n', " ")
            );
        }
        Verdict::Incomplete => {
            let _ = writeln!(s, "not ok {n} - {desc}");
            let _ = writeln!(s, "  ---");
            let _ = writeln!(s, "  severity: {}", y("incomplete"));
            let _ = writeln!(s, "  message: {}", y(&crate::text::incomplete_note(r)));
            let _ = writeln!(s, "  ...");
        }
        Verdict::Failed | Verdict::Error => {
            let _ = writeln!(s, "not ok {n} - {desc}");
            let _ = writeln!(s, "  ---");
            let _ = writeln!(
                s,
                "  severity: {}",
                y(if r.verdict == Verdict::Failed {
                    "fail"
                } else {
                    "error"
                })
            );
            let _ = writeln!(s, "  invariant: {}", y(&r.id));
            let _ = writeln!(s, "  suite: {}", y(&r.suite));
            if let Some(e) = &r.error {
                let _ = writeln!(s, "  message: {}", y(e));
            }
            if let Some(f) = r.failures.first() {
                let _ = writeln!(s, "  message: {}", y(&f.detail.message));
                for (k, v) in [
                    ("sql", &f.detail.sql),
                    ("expected", &f.detail.expected),
                    ("actual", &f.detail.actual),
                    ("sqlstate", &f.detail.sqlstate),
                ] {
                    if let Some(v) = v {
                        let _ = writeln!(s, "  {k}: {}", y(v));
                    }
                }
                let _ = writeln!(s, "  cases_to_failure: {}", f.cases_to_failure);
                let _ = writeln!(s, "  shrink_steps: {}", f.shrink_steps);
                let _ = writeln!(s, "  input: {}", f.input);
                if let Some(c) = &f.case_file {
                    let _ = writeln!(s, "  case_file: {}", y(c));
                }
                if let Some(cmd) = opts.replay_command(f) {
                    let _ = writeln!(s, "  replay: {}", y(&cmd));
                }
            }
            let _ = writeln!(s, "  cases: {}", r.cases);
            let _ = writeln!(s, "  duration_ms: {}", r.duration_ms);
            let _ = writeln!(s, "  ...");
        }
    }
    s
}

/// The whole TAP stream for `report`.
pub fn render(report: &RunReport, opts: &RenderOptions) -> String {
    let mut s = String::from("TAP version 14\n");
    let _ = writeln!(
        s,
        "1..{}",
        report.results.len() + report.coverage_requirements.len()
    );
    let _ = writeln!(
        s,
        "# pgconform {} seed {} SUT {}{}",
        report.pgconform_version,
        report.seed,
        text::short_hash(&report.sut.fingerprint),
        report
            .shard
            .map(|sh| format!(" shard {sh}"))
            .unwrap_or_default()
    );
    for (i, r) in report.results.iter().enumerate() {
        s.push_str(&test_point(i + 1, r, opts));
    }
    for (i, c) in report.coverage_requirements.iter().enumerate() {
        let n = report.results.len() + i + 1;
        if c.satisfied {
            let _ = writeln!(
                s,
                "ok {n} - coverage {} ({})",
                c.spec(),
                text::count(c.cases, "case")
            );
        } else {
            let _ = writeln!(s, "not ok {n} - coverage {}", c.spec());
            let _ = writeln!(s, "  ---");
            let _ = writeln!(s, "  severity: {}", y("fail"));
            let _ = writeln!(s, "  message: {}", y(&c.explain_missing(&report.results)));
            let _ = writeln!(s, "  ...");
        }
    }
    let _ = writeln!(s, "# {}", text::summary_line(report));
    s
}

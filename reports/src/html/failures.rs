//! The failures block, first on the page: per failing invariant what failed,
//! expected vs actual, the replay command and the shrunk input.

use super::failure_anchor;
use crate::model::{FailureDetail, FailureRecord, InvariantResult, Verdict};
use crate::run_report::RunReport;
use crate::text::{self, RenderOptions};
use maud::{html, Markup};
use std::collections::BTreeSet;

/// Every failed, errored or incomplete invariant; nothing when all is well.
pub fn section(report: &RunReport, opts: &RenderOptions) -> Markup {
    let problems: Vec<&InvariantResult> = text::problems(report).collect();
    html! {
        @if !problems.is_empty() {
            section id="failures" {
                h2 { "Failures (" (problems.len()) ")" }
                @if problems.len() > 1 {
                    ul id="failure-index" {
                        @for r in &problems {
                            li {
                                a href={ "#" (failure_anchor(&r.id)) } { code { (r.id) } }
                                " " (headline_of(r))
                            }
                        }
                    }
                }
                @for r in problems {
                    (invariant(r, opts))
                }
            }
        }
    }
}

/// The first thing to know about a problem: its failure message or error.
fn headline_of(r: &InvariantResult) -> String {
    match (r.verdict, r.failures.first(), &r.error) {
        (Verdict::Incomplete, _, _) => text::incomplete_note(r),
        (_, Some(f), _) => f.detail.message.clone(),
        (_, None, Some(e)) => e.clone(),
        (v, None, None) => text::verdict_label(v).to_owned(),
    }
}

fn invariant(r: &InvariantResult, opts: &RenderOptions) -> Markup {
    html! {
        section class="failure" id=(failure_anchor(&r.id)) {
            h3 {
                code { (r.id) } " — " (r.title) " "
                span class=(super::run_tables::verdict_class(r.verdict)) { (text::verdict_label(r.verdict)) }
            }
            @if r.verdict == Verdict::Incomplete {
                p class="what" { (text::incomplete_note(r)) }
            } @else if let Some(e) = &r.error {
                p class="what error" { (e) }
            }
            @for f in &r.failures {
                (record(f, opts))
            }
        }
    }
}

fn record(f: &FailureRecord, opts: &RenderOptions) -> Markup {
    let d = &f.detail;
    html! {
        p class="what failed" { (d.message) }
        p class="meta" {
            "Failed after " (text::count(f.cases_to_failure, "case"))
            "; shrunk in " (text::count(f.shrink_steps, "step")) "."
            @if let Some(code) = &d.sqlstate {
                " SQLSTATE " code { (code) } "."
            }
        }
        @if let Some(cmd) = opts.replay_command(f) {
            p class="replay-line" { "Replay: " code class="replay" { (cmd) } }
        }
        (expected_actual(d))
        details open {
            summary { "Shrunk input" }
            pre class="input" { (text::input_json(f)) }
        }
        @if let Some(sql) = &d.sql {
            details open {
                summary { "SQL" }
                pre class="sql" { (sql) }
            }
        }
    }
}

/// Expected and actual side by side; lines found on one side only are marked.
fn expected_actual(d: &FailureDetail) -> Markup {
    if d.expected.is_none() && d.actual.is_none() {
        return html! {};
    }
    let expected = d.expected.as_deref().map(text::value_display);
    let actual = d.actual.as_deref().map(text::value_display);
    let lines = |v: &Option<String>| -> BTreeSet<String> {
        v.as_deref()
            .unwrap_or("")
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let (in_expected, in_actual) = (lines(&expected), lines(&actual));
    html! {
        div class="expected-actual" {
            div {
                h4 { "Expected" }
                (value_pre("expected", expected.as_deref(), &in_actual))
            }
            div {
                h4 { "Actual" }
                (value_pre("actual", actual.as_deref(), &in_expected))
            }
        }
    }
}

fn value_pre(class: &str, value: Option<&str>, other: &BTreeSet<String>) -> Markup {
    html! {
        pre class=(class) {
            @match value {
                None => { "(not recorded)" }
                Some(v) => {
                    @for line in v.lines() {
                        @if other.contains(line) {
                            (line) "\n"
                        } @else {
                            span class="differs" { (line) } "\n"
                        }
                    }
                }
            }
        }
    }
}

//! `report.html`: one self-contained page (no scripts, fonts or network).
//!
//! Read top to bottom it answers, in order: did it pass; what failed (each
//! failure with its message, expected vs actual, replay command and shrunk
//! input); for a mutant run, the kill result and the kill matrix; then every
//! invariant, coverage, charts and the run's identity. Built with `maud`,
//! which escapes every value it interpolates.

mod charts;
mod failures;
mod mutants;
mod run_tables;
pub mod style;

use crate::run_report::RunReport;
use crate::text::{self, RenderOptions};
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// Render `report` as a standalone HTML page.
pub fn render(report: &RunReport, opts: &RenderOptions) -> String {
    let headline = text::headline(report);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { "pgconform report: " (headline.text) }
                style { (PreEscaped(style::CSS)) }
            }
            body {
                (header(report, &headline))
                (failures::section(report, opts))
                @if let Some(m) = &report.mutants {
                    (mutants::section(m, opts))
                }
                (run_tables::invariants(report))
                (run_tables::coverage(report))
                (charts::section(report))
                (run_tables::identity(report))
                (run_tables::sut_files(report))
            }
        }
    }
    .into_string()
}

/// Title, status badge, counts and a one-line identity of the run.
fn header(report: &RunReport, headline: &text::Headline) -> Markup {
    html! {
        header {
            h1 id="title" {
                "pgconform report "
                span class={ "badge " (if headline.ok { "ok" } else { "bad" }) } id="status" {
                    (headline.text)
                }
            }
            p id="summary" {
                @if report.mutants.is_some() { "Control run (the unmutated kernel): " }
                (text::summary_line(report))
            }
            p class="identity" {
                "seed " code { (report.seed) }
                " · SUT " code { (report.sut.dir) }
                @if let Some(m) = &report.sut.mutant {
                    " · mutant " code { (m.path) }
                }
                " · " (text::short_server_version(&report.server.version))
                " · started " (report.started_at) " (" (text::duration(report.duration_ms)) ")"
                @if report.interrupted {
                    " · " b class="failed" { "interrupted: the results are partial" }
                }
            }
        }
    }
}

/// Anchor of an invariant's failure block.
fn failure_anchor(id: &str) -> String {
    format!("inv-{id}")
}

//! Inline SVG bar charts of cases and time per invariant.

use super::style;
use crate::model::Verdict;
use crate::run_report::RunReport;
use crate::text;
use maud::{html, Markup};

const ROW_H: u64 = 18;
const LABEL_W: u64 = 190;
const BAR_W: u64 = 300;
const VALUE_W: u64 = 70;

/// Both charts, or nothing for an empty report.
pub fn section(report: &RunReport) -> Markup {
    let rows = |value: fn(&crate::InvariantResult) -> u64| -> Vec<(&str, u64, Verdict)> {
        report
            .results
            .iter()
            .map(|r| (r.id.as_str(), value(r), r.verdict))
            .collect()
    };
    html! {
        @if !report.results.is_empty() {
            h2 { "Charts" }
            div class="charts" {
                figure {
                    figcaption { "Cases per invariant" }
                    (bar_chart("chart-cases", &rows(|r| r.cases), |v| v.to_string()))
                }
                figure {
                    figcaption { "Time per invariant" }
                    (bar_chart("chart-time", &rows(|r| r.duration_ms), text::duration))
                }
            }
        }
    }
}

fn bar_colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => style::GREEN_FILL,
        Verdict::Failed => style::RED,
        Verdict::Error | Verdict::Incomplete => style::AMBER,
        Verdict::Skipped => style::GREY,
    }
}

/// A horizontal bar chart.
fn bar_chart(id: &str, rows: &[(&str, u64, Verdict)], label: impl Fn(u64) -> String) -> Markup {
    let width = LABEL_W + BAR_W + VALUE_W;
    let height = ROW_H * rows.len() as u64 + 8;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    html! {
        svg id=(id) xmlns="http://www.w3.org/2000/svg" width=(width) height=(height)
            viewBox={ "0 0 " (width) " " (height) } role="img" font-size="11" font-family="monospace" {
            @for (i, (name, value, verdict)) in rows.iter().enumerate() {
                @let y = 4 + ROW_H * i as u64;
                @let w = if *value == 0 { 0 } else { (value * BAR_W / max).max(1) };
                g class="bar" {
                    title { (name) ": " (label(*value)) }
                    text x=(LABEL_W - 6) y=(y + 12) text-anchor="end" { (name) }
                    rect x=(LABEL_W) y=(y + 2) width=(w) height=(ROW_H - 4) fill=(bar_colour(*verdict)) {}
                    text x=(LABEL_W + w + 4) y=(y + 12) { (label(*value)) }
                }
            }
        }
    }
}

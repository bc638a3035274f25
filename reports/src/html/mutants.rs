//! A mutant run: the kill result first, then the kill matrix, then a table
//! of every mutant. Red means a mutant survived (the harness missed a bug).

use super::style;
use crate::model::Verdict;
use crate::mutants::{MutantMatrix, MutantOutcome, MutantStatus};
use crate::text::{self, RenderOptions};
use maud::{html, Markup};

const CELL: u64 = 18;
const STATUS_W: u64 = 110;
/// Width of one character at the matrix's 11 px monospace font.
const CHAR_W: f64 = 6.7;

/// The matrix's geometry, sized to its longest labels.
struct Layout {
    /// Width of the mutant names' column.
    label_w: u64,
    /// Height of the rotated invariant names above the cells.
    head_h: u64,
    /// How far the rotated names reach right of the last column.
    overhang_w: u64,
}

impl Layout {
    fn of(m: &MutantMatrix, cols: &[String]) -> Self {
        let chars = |n: usize| (n as f64 * CHAR_W).ceil() as u64;
        let longest_col = cols.iter().map(|c| c.chars().count()).max().unwrap_or(0);
        let longest_name = m
            .mutants
            .iter()
            .map(|o| o.name.chars().count())
            .max()
            .unwrap_or(0);
        // Column names are rotated by 60°: sin 60° ≈ 0.87 up, cos 60° = 0.5 right.
        Self {
            label_w: chars(longest_name) + 12,
            head_h: chars(longest_col) * 87 / 100 + 14,
            overhang_w: chars(longest_col) / 2 + 12,
        }
    }

    fn cell_x(&self, column: usize) -> u64 {
        self.label_w + STATUS_W + CELL * column as u64
    }
}

/// The mutants section.
pub fn section(m: &MutantMatrix, opts: &RenderOptions) -> Markup {
    let survivors: Vec<&MutantOutcome> = m
        .mutants
        .iter()
        .filter(|o| !matches!(o.status, MutantStatus::Killed))
        .collect();
    html! {
        section id="mutants" {
            h2 { "Mutants" }
            p id="mutant-summary" {
                b class="killed" { (m.count(MutantStatus::Killed)) " killed" } ", "
                b class=(if m.count(MutantStatus::Survived) > 0 { "survived" } else { "passed" }) {
                    (m.count(MutantStatus::Survived)) " survived"
                } ", "
                (m.count(MutantStatus::InstallBroken)) " broken, "
                (text::count(m.count(MutantStatus::Error) as u64, "error"))
                " of " (text::count(m.mutants.len() as u64, "mutant")) ". "
                "Control (the unmutated kernel): "
                @if m.control_passed {
                    b class="passed" { "passed" }
                } @else {
                    b class="failed" { "FAILED: no kill means anything" }
                }
                "."
            }
            @if !survivors.is_empty() {
                ul id="not-killed" {
                    @for o in survivors {
                        li {
                            code { (o.name) } " " span class=(o.status.name()) { (o.status.name()) } ": "
                            (o.error.as_deref().unwrap_or(&o.why)) " (" code { (o.file) } ")"
                        }
                    }
                }
            }
            (kill_matrix(m))
            (table(m, opts))
        }
    }
}

fn status_colour(s: MutantStatus) -> &'static str {
    match s {
        MutantStatus::Killed => style::GREEN,
        MutantStatus::InstallBroken => style::AMBER,
        MutantStatus::Survived | MutantStatus::Error => style::RED,
    }
}

/// A cell's colour: green where the invariant killed the mutant, red where it
/// held on a mutant that survived, grey where it held on one killed later.
fn cell_colour(verdict: Verdict, status: MutantStatus) -> &'static str {
    match (verdict, status) {
        (Verdict::Failed, _) => style::GREEN_FILL,
        (Verdict::Passed, MutantStatus::Survived) => style::RED,
        (Verdict::Passed, _) | (Verdict::Skipped, _) => style::GREY,
        (Verdict::Error | Verdict::Incomplete, _) => style::AMBER,
    }
}

/// Rows: mutants; columns: invariants tried, in order.
fn kill_matrix(m: &MutantMatrix) -> Markup {
    let cols = m.columns();
    let l = Layout::of(m, &cols);
    let width = l.cell_x(cols.len()) + l.overhang_w;
    let height = l.head_h + CELL * m.mutants.len() as u64 + 10;
    html! {
        figure {
            figcaption {
                "Kill matrix (rows: mutants; columns: invariants tried, in order; \
                 green = killed the mutant, red = held on a mutant that survived, \
                 grey = held on a mutant killed by another, amber = harness error)"
            }
            svg id="kill-matrix" xmlns="http://www.w3.org/2000/svg" width=(width) height=(height)
                viewBox={ "0 0 " (width) " " (height) } font-size="11" font-family="monospace" {
                @for (j, c) in cols.iter().enumerate() {
                    text transform={
                        "translate(" (l.cell_x(j) + CELL / 2 + 4) "," (l.head_h - 6) ") rotate(-60)"
                    } { (c) }
                }
                @for (i, o) in m.mutants.iter().enumerate() {
                    (matrix_row(o, &cols, &l, l.head_h + CELL * i as u64))
                }
            }
        }
    }
}

fn matrix_row(o: &MutantOutcome, cols: &[String], l: &Layout, y: u64) -> Markup {
    html! {
        text x=(l.label_w - 6) y=(y + 13) text-anchor="end" { (o.name) }
        text x=(l.label_w) y=(y + 13) fill=(status_colour(o.status)) { (o.status.name()) }
        @for (j, c) in cols.iter().enumerate() {
            @let x = l.cell_x(j);
            @match o.tried.iter().find(|t| &t.id == c) {
                None => {
                    rect x=(x) y=(y) width=(CELL - 2) height=(CELL - 2) fill=(style::EMPTY) stroke="#d0d7de" {}
                }
                Some(t) => {
                    rect class="cell" x=(x) y=(y) width=(CELL - 2) height=(CELL - 2)
                        fill=(cell_colour(t.verdict, o.status)) {
                        title {
                            (t.id) " on " (o.name) ": " (text::verdict_label(t.verdict))
                            " after " (text::count(t.cases, "case"))
                        }
                    }
                }
            }
        }
    }
}

/// One row per mutant, with the command that replays its kill.
fn table(m: &MutantMatrix, opts: &RenderOptions) -> Markup {
    html! {
        table id="mutants-table" {
            tr {
                th { "mutant" } th { "status" } th { "killed by" } th { "expected kills" }
                th { "cases to kill" } th { "counterexample" } th { "time" } th { "why / error / replay" }
            }
            @for o in &m.mutants {
                tr {
                    td { code title=(o.file) { (o.name) } }
                    td class=(o.status.name()) { (o.status.name()) }
                    td {
                        @if let Some(k) = &o.killed_by {
                            code { (k) }
                            @if !o.expected_killer { " (unexpected)" }
                        }
                    }
                    td { (o.kills.join(", ")) }
                    td class="num" { (o.cases_to_kill.map(|c| c.to_string()).unwrap_or_default()) }
                    td class="num" { (o.counterexample_bytes.map(|b| format!("{b} B")).unwrap_or_default()) }
                    td class="num" { (text::duration(o.duration_ms)) }
                    td {
                        (o.error.as_deref().unwrap_or(&o.why))
                        @if let (Some(case), Some(_)) = (&o.case_file, &o.killed_by) {
                            br;
                            code class="replay" { (opts.replay_case_command(case)) }
                        }
                    }
                }
            }
        }
    }
}

//! The tables below the failures: every invariant, required coverage, the
//! run's identity and the SUT's files.

use super::failure_anchor;
use crate::model::Verdict;
use crate::run_report::RunReport;
use crate::text;
use maud::{html, Markup};

/// CSS class of a verdict.
pub fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => "passed",
        Verdict::Failed => "failed",
        Verdict::Error => "error",
        Verdict::Skipped => "skipped",
        Verdict::Incomplete => "incomplete",
    }
}

/// Whether an invariant has a block in the failures section (and so a link).
fn has_failure_block(v: Verdict) -> bool {
    matches!(v, Verdict::Failed | Verdict::Error | Verdict::Incomplete)
}

/// One row per invariant; failing ones link to their failure block.
pub fn invariants(report: &RunReport) -> Markup {
    html! {
        h2 { "Invariants" }
        table id="invariants" {
            thead { tr {
                th { "invariant" } th { "suite" } th { "verdict" } th { "cases" }
                th { "time" } th { "title" } th { "coverage" }
            } }
            tbody {
                @for r in &report.results {
                    tr data-id=(r.id) {
                        td {
                            @if has_failure_block(r.verdict) {
                                a href={ "#" (failure_anchor(&r.id)) } { code { (r.id) } }
                            } @else {
                                code { (r.id) }
                            }
                        }
                        td { (r.suite) }
                        td class=(verdict_class(r.verdict)) { (text::verdict_label(r.verdict)) }
                        td class="num" { (text::cases_cell(r)) }
                        td class="num" { (text::duration(r.duration_ms)) }
                        td { (r.title) }
                        td { (text::coverage_list(r)) }
                    }
                }
            }
        }
    }
}

/// `--require-coverage` requirements and whether each was met.
pub fn coverage(report: &RunReport) -> Markup {
    html! {
        @if !report.coverage_requirements.is_empty() {
            h2 { "Required coverage" }
            table id="coverage" {
                tr { th { "requirement" } th { "cases" } th { "met" } }
                @for c in &report.coverage_requirements {
                    tr {
                        td { code { (c.spec()) } }
                        td class="num" { (c.cases) }
                        @if c.satisfied {
                            td class="passed" { "yes" }
                        } @else {
                            td class="missing" { "MISSING" }
                        }
                    }
                }
            }
        }
    }
}

/// Seed, SUT, server, versions, shards and the integrity hash.
pub fn identity(report: &RunReport) -> Markup {
    html! {
        h2 { "Run" }
        table class="kv" id="run" {
            tr { td { "seed" } td { code { (report.seed) } } }
            tr {
                td { "SUT" }
                td {
                    code { (report.sut.dir) } " fingerprint "
                    code title=(report.sut.fingerprint) { (text::short_hash(&report.sut.fingerprint)) }
                }
            }
            @if let Some(m) = &report.sut.mutant {
                tr { td { "mutant" } td { code { (m.path) } } }
            }
            tr {
                td { "server" }
                td { (report.server.version) " (" (report.server.backend) ", " (report.server.source) ")" }
            }
            @if let Some(note) = &report.server.version_note {
                tr { td { "server note" } td { (note) } }
            }
            @if let Some(sh) = report.shard {
                tr { td { "shard" } td { (sh.to_string()) } }
            }
            @if !report.shards.is_empty() {
                tr {
                    td { "merged shards" }
                    td { (report.shards.iter().map(|r| r.shard.to_string()).collect::<Vec<_>>().join(", ")) }
                }
            }
            tr {
                td { "pgconform" }
                td { (report.pgconform_version) " " (report.git_revision.as_deref().unwrap_or("")) }
            }
            tr {
                td { "started" }
                td { (report.started_at) " (" (text::duration(report.duration_ms)) ")" }
            }
            @if report.interrupted {
                tr { td { "interrupted" } td { b class="failed" { "yes: the results are partial" } } }
            }
            tr { td { "integrity" } td { code { (report.integrity_sha256) } } }
        }
    }
}

/// The SUT's files and their hashes.
pub fn sut_files(report: &RunReport) -> Markup {
    html! {
        h2 { "SUT files" }
        table id="sut-files" {
            tr { th { "file" } th { "sha256" } }
            @for f in &report.sut.files {
                tr { td { code { (f.path) } } td { code { (f.sha256) } } }
            }
        }
    }
}

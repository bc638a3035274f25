//! `report.md`: a summary for a CI step summary or a pull request comment.
//!
//! Failures come first (what failed, expected vs actual, the replay command,
//! the shrunk input), then for a mutant run the kill result, then every
//! invariant and the run's identity.

use crate::model::{FailureRecord, InvariantResult, Verdict};
use crate::mutants::{MutantMatrix, MutantStatus};
use crate::run_report::RunReport;
use crate::text::{self, md_cell, md_code, RenderOptions};
use std::fmt::Write as _;

/// Render `report` as Markdown.
pub fn render(report: &RunReport, opts: &RenderOptions) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# pgconform: {}\n", text::headline(report).text);
    let _ = writeln!(s, "{}\n", text::summary_line(report));
    let _ = writeln!(s, "{}\n", identity_line(report));
    failures(&mut s, report, opts);
    if let Some(m) = &report.mutants {
        s.push_str(&render_mutants(m, opts));
    }
    invariants(&mut s, report);
    coverage(&mut s, report);
    run_table(&mut s, report);
    s
}

/// `seed 7 · SUT kernel · mutant …`: what was run, in one line.
fn identity_line(report: &RunReport) -> String {
    let mut line = format!(
        "seed `{}` · SUT `{}`",
        report.seed,
        md_cell(&report.sut.dir)
    );
    if let Some(m) = &report.sut.mutant {
        let _ = write!(line, " · mutant `{}`", md_cell(&m.path));
    }
    if report.interrupted {
        line.push_str(" · **interrupted: the results are partial**");
    }
    line
}

fn failures(s: &mut String, report: &RunReport, opts: &RenderOptions) {
    let problems: Vec<&InvariantResult> = text::problems(report).collect();
    if problems.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Failures\n");
    for r in problems {
        let _ = writeln!(
            s,
            "### `{}` {} — {}\n",
            md_cell(&r.id),
            text::verdict_label(r.verdict),
            md_cell(&r.title)
        );
        if r.verdict == Verdict::Incomplete {
            let _ = writeln!(s, "{}\n", md_cell(&text::incomplete_note(r)));
        } else if let Some(e) = &r.error {
            let _ = writeln!(s, "{}: {}\n", text::verdict_label(r.verdict), md_cell(e));
        }
        for f in &r.failures {
            failure(s, f, opts);
        }
    }
}

fn failure(s: &mut String, f: &FailureRecord, opts: &RenderOptions) {
    let _ = writeln!(s, "**{}**\n", md_cell(&f.detail.message));
    let _ = write!(
        s,
        "Failed after {}; shrunk in {}.",
        text::count(f.cases_to_failure, "case"),
        text::count(f.shrink_steps, "step")
    );
    if let Some(code) = &f.detail.sqlstate {
        let _ = write!(s, " SQLSTATE `{code}`.");
    }
    s.push_str("\n\n");
    if let Some(cmd) = opts.replay_command(f) {
        let _ = writeln!(s, "Replay:\n");
        s.push_str(&md_code("sh", &cmd));
        s.push('\n');
    }
    if f.detail.expected.is_some() || f.detail.actual.is_some() {
        let mut diff = String::new();
        for (sign, value) in [('-', &f.detail.expected), ('+', &f.detail.actual)] {
            for line in text::value_display(value.as_deref().unwrap_or("")).lines() {
                let _ = writeln!(diff, "{sign} {line}");
            }
        }
        let _ = writeln!(s, "Expected (`-`) vs actual (`+`):\n");
        s.push_str(&md_code("diff", &diff));
        s.push('\n');
    }
    let _ = writeln!(s, "Shrunk input:\n");
    s.push_str(&md_code("json", &text::input_json(f)));
    s.push('\n');
    if let Some(sql) = &f.detail.sql {
        s.push_str(&md_code("sql", sql));
        s.push('\n');
    }
}

fn invariants(s: &mut String, report: &RunReport) {
    let _ = writeln!(s, "## Invariants\n");
    let _ = writeln!(
        s,
        "| invariant | suite | verdict | cases | time | coverage |"
    );
    let _ = writeln!(s, "|---|---|---|---:|---:|---|");
    for r in &report.results {
        let verdict = match r.verdict {
            Verdict::Failed | Verdict::Error | Verdict::Incomplete => {
                format!("**{}**", text::verdict_label(r.verdict))
            }
            v => text::verdict_label(v).to_owned(),
        };
        let _ = writeln!(
            s,
            "| `{}` | {} | {verdict} | {} | {} | {} |",
            md_cell(&r.id),
            md_cell(&r.suite),
            md_cell(&text::cases_cell(r)),
            text::duration(r.duration_ms),
            md_cell(&text::coverage_list(r))
        );
    }
    s.push('\n');
}

fn coverage(s: &mut String, report: &RunReport) {
    if report.coverage_requirements.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Required coverage\n");
    let _ = writeln!(s, "| requirement | cases | met |\n|---|---:|---|");
    for c in &report.coverage_requirements {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} |",
            md_cell(&c.spec()),
            c.cases,
            if c.satisfied { "yes" } else { "**MISSING**" }
        );
    }
    s.push('\n');
}

fn run_table(s: &mut String, report: &RunReport) {
    let _ = writeln!(s, "## Run\n");
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| seed | `{}` |", report.seed);
    let _ = writeln!(
        s,
        "| SUT | `{}` (fingerprint `{}`) |",
        md_cell(&report.sut.dir),
        text::short_hash(&report.sut.fingerprint)
    );
    if let Some(m) = &report.sut.mutant {
        let _ = writeln!(s, "| mutant | `{}` |", md_cell(&m.path));
    }
    let _ = writeln!(
        s,
        "| server | {} ({}) |",
        md_cell(&report.server.version),
        md_cell(&report.server.backend)
    );
    if let Some(note) = &report.server.version_note {
        let _ = writeln!(s, "| server note | {} |", md_cell(note));
    }
    if let Some(sh) = report.shard {
        let _ = writeln!(s, "| shard | {sh} |");
    }
    if !report.shards.is_empty() {
        let list: Vec<String> = report.shards.iter().map(|r| r.shard.to_string()).collect();
        let _ = writeln!(s, "| merged shards | {} |", list.join(", "));
    }
    let _ = writeln!(
        s,
        "| pgconform | {}{} |",
        md_cell(&report.pgconform_version),
        report
            .git_revision
            .as_deref()
            .map(|g| format!(" (`{}`)", text::short_hash(g)))
            .unwrap_or_default()
    );
    let _ = writeln!(
        s,
        "| started | {} ({}) |",
        md_cell(&report.started_at),
        text::duration(report.duration_ms)
    );
    if report.interrupted {
        let _ = writeln!(s, "| **interrupted** | the results are partial |");
    }
    s.push('\n');
}

/// The mutants section: the kill result, what was not killed, then a table.
pub fn render_mutants(m: &MutantMatrix, opts: &RenderOptions) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Mutants: {}\n", text::kill_result(m));
    let _ = writeln!(
        s,
        "Control (the unmutated kernel): {}.\n",
        if m.control_passed {
            "passed"
        } else {
            "**FAILED**: no kill means anything"
        }
    );
    for o in m
        .mutants
        .iter()
        .filter(|o| o.status != MutantStatus::Killed)
    {
        let _ = writeln!(
            s,
            "- `{}` **{}** ({}): {}",
            md_cell(&o.name),
            o.status.name(),
            md_cell(&o.file),
            o.error
                .as_deref()
                .map(md_cell)
                .unwrap_or_else(|| format!("why: {}", md_cell(&o.why)))
        );
    }
    s.push('\n');
    mutants_table(&mut s, m, opts);
    s
}

fn mutants_table(s: &mut String, m: &MutantMatrix, opts: &RenderOptions) {
    let _ = writeln!(
        s,
        "| mutant | status | killed by | expected kills | cases to kill | counterexample | time | replay |"
    );
    let _ = writeln!(s, "|---|---|---|---|---:|---:|---:|---|");
    for o in &m.mutants {
        let status = match o.status {
            MutantStatus::Killed => "killed".to_owned(),
            other => format!("**{}**", other.name()),
        };
        let killer = match (&o.killed_by, o.expected_killer) {
            (Some(k), true) => format!("`{}`", md_cell(k)),
            (Some(k), false) => format!("`{}` (unexpected)", md_cell(k)),
            (None, _) => String::new(),
        };
        let replay = match (&o.case_file, &o.killed_by) {
            (Some(case), Some(_)) => format!("`{}`", md_cell(&opts.replay_case_command(case))),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "| `{}` | {status} | {killer} | {} | {} | {} | {} | {replay} |",
            md_cell(&o.name),
            md_cell(&o.kills.join(", ")),
            o.cases_to_kill.map(|c| c.to_string()).unwrap_or_default(),
            o.counterexample_bytes
                .map(|b| format!("{b} B"))
                .unwrap_or_default(),
            text::duration(o.duration_ms)
        );
    }
    s.push('\n');
}

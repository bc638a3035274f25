//! `report.md`: a summary for a CI step summary or a pull request comment.

use crate::model::Verdict;
use crate::mutants::{MutantMatrix, MutantStatus};
use crate::run_report::RunReport;
use crate::text::{self, md_cell, md_code, RenderOptions};
use std::fmt::Write as _;

/// Render `report` as Markdown.
pub fn render(report: &RunReport, opts: &RenderOptions) -> String {
    let mut s = String::new();
    let failed = report.count(Verdict::Failed) > 0;
    let errored = report.count(Verdict::Error) > 0;
    let missing_cov = report.missing_coverage().count();
    let mutants_bad = report.mutants.as_ref().is_some_and(|m| !m.all_killed());
    let headline = if failed {
        "FAILED"
    } else if errored {
        "ERROR"
    } else if missing_cov > 0 {
        "INCOMPLETE COVERAGE"
    } else if mutants_bad {
        "MUTANTS NOT KILLED"
    } else {
        "passed"
    };
    let _ = writeln!(s, "# pgconform: {headline}\n");
    let _ = writeln!(s, "{}\n", text::summary_line(report));
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

    let _ = writeln!(s, "## Invariants\n");
    let _ = writeln!(
        s,
        "| invariant | suite | verdict | cases | time | coverage |"
    );
    let _ = writeln!(s, "|---|---|---|---:|---:|---|");
    for r in &report.results {
        let verdict = match r.verdict {
            Verdict::Failed | Verdict::Error => format!("**{}**", text::verdict_label(r.verdict)),
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

    if !report.coverage_requirements.is_empty() {
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

    let problems: Vec<_> = report
        .results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Failed | Verdict::Error))
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(s, "## Failures\n");
    }
    for r in problems {
        let _ = writeln!(s, "### `{}` — {}\n", md_cell(&r.id), md_cell(&r.title));
        if let Some(e) = &r.error {
            let _ = writeln!(s, "{}: {}\n", text::verdict_label(r.verdict), md_cell(e));
        }
        for f in &r.failures {
            let _ = writeln!(s, "{}\n", md_cell(&f.detail.message));
            let _ = writeln!(
                s,
                "Failed after {} cases; shrunk in {} steps.\n",
                f.cases_to_failure, f.shrink_steps
            );
            if let Some(code) = &f.detail.sqlstate {
                let _ = writeln!(s, "SQLSTATE `{code}`\n");
            }
            if let Some(sql) = &f.detail.sql {
                s.push_str(&md_code("sql", sql));
                s.push('\n');
            }
            if f.detail.expected.is_some() || f.detail.actual.is_some() {
                let mut diff = String::new();
                for line in f.detail.expected.as_deref().unwrap_or("").lines() {
                    let _ = writeln!(diff, "- {line}");
                }
                for line in f.detail.actual.as_deref().unwrap_or("").lines() {
                    let _ = writeln!(diff, "+ {line}");
                }
                let _ = writeln!(s, "Expected (`-`) vs actual (`+`):\n");
                s.push_str(&md_code("diff", &diff));
                s.push('\n');
            }
            let _ = writeln!(s, "Shrunk input:\n");
            s.push_str(&md_code("json", &text::input_json(f)));
            s.push('\n');
            if let Some(cmd) = opts.replay_command(f) {
                let _ = writeln!(s, "Replay:\n");
                s.push_str(&md_code("sh", &cmd));
                s.push('\n');
            }
        }
    }

    if let Some(m) = &report.mutants {
        s.push_str(&render_mutants(m, opts));
    }
    s
}

/// The kill-matrix section of a mutant run.
pub fn render_mutants(m: &MutantMatrix, opts: &RenderOptions) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Mutants\n");
    let _ = writeln!(
        s,
        "Control (unmutated kernel): {}. {} mutants: {} killed, {} survived, {} install-broken, {} errors.\n",
        if m.control_passed { "passed" } else { "**FAILED**" },
        m.mutants.len(),
        m.count(MutantStatus::Killed),
        m.count(MutantStatus::Survived),
        m.count(MutantStatus::InstallBroken),
        m.count(MutantStatus::Error)
    );
    let _ = writeln!(
        s,
        "| mutant | status | killed by | expected kills | cases to kill | counterexample | time |"
    );
    let _ = writeln!(s, "|---|---|---|---|---:|---:|---:|");
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
        let _ = writeln!(
            s,
            "| `{}` | {status} | {killer} | {} | {} | {} | {} |",
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
    for o in m
        .mutants
        .iter()
        .filter(|o| o.status != MutantStatus::Killed)
    {
        let _ = writeln!(
            s,
            "- `{}` ({}): {}{}",
            md_cell(&o.name),
            md_cell(&o.file),
            o.status.name(),
            o.error
                .as_deref()
                .map(|e| format!(" — {}", md_cell(e)))
                .unwrap_or_else(|| format!(" — why: {}", md_cell(&o.why)))
        );
    }
    for o in &m.mutants {
        if let (Some(case), Some(_)) = (&o.case_file, &o.killed_by) {
            let path = if opts.out_dir.is_empty() {
                case.clone()
            } else {
                format!("{}/{case}", opts.out_dir.trim_end_matches('/'))
            };
            let _ = writeln!(
                s,
                "- replay the kill of `{}`: `pgconform replay {}`",
                md_cell(&o.name),
                text::shell_quote(&path)
            );
        }
    }
    s.push('\n');
    s
}

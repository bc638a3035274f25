//! `report.html`: one self-contained page (no scripts, fonts or network),
//! with inline SVG charts.

use crate::model::{InvariantResult, Verdict};
use crate::mutants::{MutantMatrix, MutantStatus};
use crate::run_report::RunReport;
use crate::text::{self, html_escape as esc, RenderOptions};
use std::fmt::Write as _;

const CSS: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1b1f24;background:#fff}
h1{font-size:1.6em;margin:0 0 4px} h2{font-size:1.25em;margin-top:28px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0} th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa} td.num{text-align:right;font-variant-numeric:tabular-nums}
.passed{color:#1a7f37} .failed,.error,.survived,.missing{color:#cf222e;font-weight:600} .skipped{color:#6e7781}
.install-broken{color:#9a6700;font-weight:600} .killed{color:#1a7f37}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600}
.badge.ok{background:#1a7f37} .badge.bad{background:#cf222e}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:8px;overflow:auto;max-height:420px;white-space:pre-wrap}
.charts{display:flex;flex-wrap:wrap;gap:24px} figure{margin:0} figcaption{font-weight:600;margin-bottom:4px}
.kv td:first-child{color:#57606a}
"#;

/// Render `report` as a standalone HTML page.
pub fn render(report: &RunReport, opts: &RenderOptions) -> String {
    let mut s = String::new();
    let status = if report.count(Verdict::Failed) > 0 {
        "FAILED"
    } else if report.count(Verdict::Error) > 0 {
        "ERROR"
    } else if report.missing_coverage().next().is_some() {
        "COVERAGE MISSING"
    } else if report.mutants.as_ref().is_some_and(|m| !m.control_passed) {
        "CONTROL FAILED"
    } else if report.mutants.as_ref().is_some_and(|m| !m.all_killed()) {
        "MUTANTS NOT KILLED"
    } else if report.interrupted {
        "INTERRUPTED"
    } else {
        "passed"
    };
    let ok = status == "passed";
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>pgconform report: {status}</title><style>{CSS}</style></head><body>\n"
    );
    let _ = writeln!(
        s,
        "<h1 id=\"title\">pgconform report <span class=\"badge {}\" id=\"status\">{status}</span></h1>",
        if ok { "ok" } else { "bad" },
    );
    let _ = writeln!(
        s,
        "<p id=\"summary\">{}</p>",
        esc(&text::summary_line(report))
    );

    // Run identity.
    s.push_str("<table class=\"kv\">");
    let mut kv = |k: &str, v: String| {
        let _ = write!(s, "<tr><td>{}</td><td>{v}</td></tr>", esc(k));
    };
    kv("seed", format!("<code>{}</code>", report.seed));
    kv(
        "SUT",
        format!(
            "<code>{}</code> fingerprint <code title=\"{}\">{}</code>",
            esc(&report.sut.dir),
            esc(&report.sut.fingerprint),
            esc(text::short_hash(&report.sut.fingerprint))
        ),
    );
    if let Some(m) = &report.sut.mutant {
        kv("mutant", format!("<code>{}</code>", esc(&m.path)));
    }
    kv(
        "server",
        format!(
            "{} ({}, {})",
            esc(&report.server.version),
            esc(&report.server.backend),
            esc(&report.server.source)
        ),
    );
    if let Some(sh) = report.shard {
        kv("shard", esc(&sh.to_string()));
    }
    if !report.shards.is_empty() {
        let list: Vec<String> = report.shards.iter().map(|r| r.shard.to_string()).collect();
        kv("merged shards", esc(&list.join(", ")));
    }
    kv(
        "pgconform",
        format!(
            "{} {}",
            esc(&report.pgconform_version),
            esc(report.git_revision.as_deref().unwrap_or(""))
        ),
    );
    kv(
        "started",
        format!(
            "{} ({})",
            esc(&report.started_at),
            text::duration(report.duration_ms)
        ),
    );
    if report.interrupted {
        kv(
            "interrupted",
            "<b class=\"failed\">yes: the results are partial</b>".to_owned(),
        );
    }
    kv(
        "integrity",
        format!("<code>{}</code>", esc(&report.integrity_sha256)),
    );
    s.push_str("</table>\n");

    if !report.results.is_empty() {
        s.push_str("<h2>Charts</h2><div class=\"charts\">");
        let cases: Vec<(String, u64, Verdict)> = report
            .results
            .iter()
            .map(|r| (r.id.clone(), r.cases, r.verdict))
            .collect();
        let times: Vec<(String, u64, Verdict)> = report
            .results
            .iter()
            .map(|r| (r.id.clone(), r.duration_ms, r.verdict))
            .collect();
        let _ = write!(
            s,
            "<figure><figcaption>Cases per invariant</figcaption>{}</figure>",
            bar_chart("chart-cases", &cases, |v| v.to_string())
        );
        let _ = write!(
            s,
            "<figure><figcaption>Time per invariant</figcaption>{}</figure>",
            bar_chart("chart-time", &times, text::duration)
        );
        s.push_str("</div>\n");
    }

    s.push_str("<h2>Invariants</h2>\n<table id=\"invariants\"><thead><tr><th>invariant</th><th>suite</th><th>verdict</th><th>cases</th><th>time</th><th>title</th><th>coverage</th></tr></thead><tbody>\n");
    for r in &report.results {
        let _ = writeln!(
            s,
            "<tr data-id=\"{id}\"><td><a href=\"#inv-{id}\"><code>{id}</code></a></td><td>{}</td><td class=\"{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.suite),
            verdict_class(r.verdict),
            text::verdict_label(r.verdict),
            esc(&text::cases_cell(r)),
            text::duration(r.duration_ms),
            esc(&r.title),
            esc(&text::coverage_list(r)),
            id = esc(&r.id),
        );
    }
    s.push_str("</tbody></table>\n");

    if !report.coverage_requirements.is_empty() {
        s.push_str("<h2>Required coverage</h2><table id=\"coverage\"><tr><th>requirement</th><th>cases</th><th>met</th></tr>");
        for c in &report.coverage_requirements {
            let _ = write!(
                s,
                "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"{}\">{}</td></tr>",
                esc(&c.spec()),
                c.cases,
                if c.satisfied { "passed" } else { "missing" },
                if c.satisfied { "yes" } else { "MISSING" }
            );
        }
        s.push_str("</table>\n");
    }

    let problems: Vec<&InvariantResult> = report
        .results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Failed | Verdict::Error))
        .collect();
    if !problems.is_empty() {
        s.push_str("<h2>Failures</h2>\n");
    }
    for r in problems {
        let _ = writeln!(
            s,
            "<section class=\"failure\" id=\"inv-{}\"><h3><code>{}</code> — {}</h3>",
            esc(&r.id),
            esc(&r.id),
            esc(&r.title)
        );
        if let Some(e) = &r.error {
            let _ = writeln!(s, "<p class=\"error\">{}</p>", esc(e));
        }
        for f in &r.failures {
            let _ = writeln!(s, "<p class=\"failed\">{}</p>", esc(&f.detail.message));
            let _ = writeln!(
                s,
                "<p>Failed after {} cases; shrunk in {} steps.{}</p>",
                f.cases_to_failure,
                f.shrink_steps,
                f.detail
                    .sqlstate
                    .as_deref()
                    .map(|c| format!(" SQLSTATE <code>{}</code>.", esc(c)))
                    .unwrap_or_default()
            );
            if let Some(sql) = &f.detail.sql {
                let _ = writeln!(s, "<h4>SQL</h4><pre class=\"sql\">{}</pre>", esc(sql));
            }
            if let Some(e) = &f.detail.expected {
                let _ = writeln!(
                    s,
                    "<h4>Expected</h4><pre class=\"expected\">{}</pre>",
                    esc(e)
                );
            }
            if let Some(a) = &f.detail.actual {
                let _ = writeln!(s, "<h4>Actual</h4><pre class=\"actual\">{}</pre>", esc(a));
            }
            let _ = writeln!(
                s,
                "<details open><summary>Shrunk input</summary><pre class=\"input\">{}</pre></details>",
                esc(&text::input_json(f))
            );
            if let Some(cmd) = opts.replay_command(f) {
                let _ = writeln!(
                    s,
                    "<p>Replay: <code class=\"replay\">{}</code></p>",
                    esc(&cmd)
                );
            }
        }
        s.push_str("</section>\n");
    }

    if let Some(m) = &report.mutants {
        s.push_str(&render_mutants(m));
    }

    s.push_str("<h2>SUT files</h2><table id=\"sut-files\"><tr><th>file</th><th>sha256</th></tr>");
    for f in &report.sut.files {
        let _ = write!(
            s,
            "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
            esc(&f.path),
            esc(&f.sha256)
        );
    }
    s.push_str("</table>\n</body></html>\n");
    s
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => "passed",
        Verdict::Failed => "failed",
        Verdict::Error => "error",
        Verdict::Skipped => "skipped",
        Verdict::Incomplete => "incomplete",
    }
}

fn verdict_color(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => "#2da44e",
        Verdict::Failed => "#cf222e",
        Verdict::Error => "#bf8700",
        Verdict::Skipped => "#8c959f",
        Verdict::Incomplete => "#9a6700",
    }
}

/// A horizontal bar chart as inline SVG.
fn bar_chart(id: &str, rows: &[(String, u64, Verdict)], label: impl Fn(u64) -> String) -> String {
    let row_h = 18u64;
    let label_w = 190u64;
    let bar_w = 300u64;
    let value_w = 70u64;
    let width = label_w + bar_w + value_w;
    let height = row_h * rows.len() as u64 + 8;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let mut s = format!(
        "<svg id=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" font-size=\"11\" font-family=\"monospace\">"
    );
    for (i, (name, value, verdict)) in rows.iter().enumerate() {
        let y = 4 + row_h * i as u64;
        let w = if *value == 0 {
            0
        } else {
            (value * bar_w / max).max(1)
        };
        let _ = write!(
            s,
            "<g class=\"bar\"><title>{}: {}</title>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{label_w}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\">{}</text></g>",
            esc(name),
            esc(&label(*value)),
            label_w - 6,
            y + 12,
            esc(name),
            y + 2,
            row_h - 4,
            verdict_color(*verdict),
            label_w + w + 4,
            y + 12,
            esc(&label(*value))
        );
    }
    s.push_str("</svg>");
    s
}

/// The kill matrix of a mutant run: a summary, an SVG grid and a table.
fn render_mutants(m: &MutantMatrix) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<h2>Mutants</h2><p id=\"mutant-summary\">Control (unmutated kernel): <b class=\"{}\">{}</b>. \
         {} mutants: {} killed, {} survived, {} install-broken, {} errors.</p>",
        if m.control_passed { "passed" } else { "failed" },
        if m.control_passed { "passed" } else { "FAILED" },
        m.mutants.len(),
        m.count(MutantStatus::Killed),
        m.count(MutantStatus::Survived),
        m.count(MutantStatus::InstallBroken),
        m.count(MutantStatus::Error)
    );
    s.push_str(&kill_matrix_svg(m));
    s.push_str(
        "<table id=\"mutants\"><tr><th>mutant</th><th>status</th><th>killed by</th><th>expected kills</th>\
         <th>cases to kill</th><th>counterexample</th><th>time</th><th>why / error</th></tr>",
    );
    for o in &m.mutants {
        let _ = write!(
            s,
            "<tr><td><code title=\"{}\">{}</code></td><td class=\"{}\">{}</td><td>{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&o.file),
            esc(&o.name),
            o.status.name(),
            o.status.name(),
            o.killed_by
                .as_deref()
                .map(|k| format!(
                    "<code>{}</code>{}",
                    esc(k),
                    if o.expected_killer { "" } else { " (unexpected)" }
                ))
                .unwrap_or_default(),
            esc(&o.kills.join(", ")),
            o.cases_to_kill.map(|c| c.to_string()).unwrap_or_default(),
            o.counterexample_bytes
                .map(|b| format!("{b} B"))
                .unwrap_or_default(),
            text::duration(o.duration_ms),
            esc(o.error.as_deref().unwrap_or(&o.why))
        );
    }
    s.push_str("</table>\n");
    s
}

fn kill_matrix_svg(m: &MutantMatrix) -> String {
    let cols = m.columns();
    let cell = 18u64;
    let label_w = 260u64;
    let head_h = 150u64;
    let status_w = 110u64;
    // Rotated column labels reach up to ~110 px right of their column.
    let width = label_w + status_w + cell * cols.len() as u64 + 120;
    let height = head_h + cell * m.mutants.len() as u64 + 10;
    let mut s = format!(
        "<figure><figcaption>Kill matrix (rows: mutants; columns: invariants tried, in order; \
         red = killed it, green = held, amber = harness error)</figcaption>\
         <svg id=\"kill-matrix\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-size=\"11\" font-family=\"monospace\">"
    );
    for (j, c) in cols.iter().enumerate() {
        let x = label_w + status_w + cell * j as u64 + cell / 2 + 4;
        let _ = write!(
            s,
            "<text transform=\"translate({x},{}) rotate(-60)\">{}</text>",
            head_h - 6,
            esc(c)
        );
    }
    for (i, o) in m.mutants.iter().enumerate() {
        let y = head_h + cell * i as u64;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><text x=\"{}\" y=\"{}\" fill=\"{}\">{}</text>",
            label_w - 6,
            y + 13,
            esc(&o.name),
            label_w,
            y + 13,
            match o.status {
                MutantStatus::Killed => "#1a7f37",
                MutantStatus::InstallBroken => "#9a6700",
                _ => "#cf222e",
            },
            o.status.name()
        );
        for (j, c) in cols.iter().enumerate() {
            let x = label_w + status_w + cell * j as u64;
            let Some(t) = o.tried.iter().find(|t| &t.id == c) else {
                let _ = write!(
                    s,
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"#f6f8fa\" stroke=\"#d0d7de\"/>",
                    cell - 2,
                    cell - 2
                );
                continue;
            };
            let _ = write!(
                s,
                "<rect class=\"cell\" x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} on {}: {} after {} cases</title></rect>",
                cell - 2,
                cell - 2,
                match t.verdict {
                    Verdict::Failed => "#cf222e",
                    Verdict::Passed => "#2da44e",
                    Verdict::Error | Verdict::Incomplete => "#bf8700",
                    Verdict::Skipped => "#8c959f",
                },
                esc(&t.id),
                esc(&o.name),
                text::verdict_label(t.verdict),
                t.cases
            );
        }
    }
    s.push_str("</svg></figure>\n");
    s
}

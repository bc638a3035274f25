//! Small text helpers shared by the writers.

use crate::model::{FailureRecord, InvariantResult, Verdict};
use crate::mutants::{MutantMatrix, MutantStatus};
use crate::run_report::RunReport;

/// How writers name files and commands that live outside the report.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// The output directory case files are relative to, as the reader should
    /// type it (e.g. `pgconform-out`). Empty: paths are shown relative.
    pub out_dir: String,
    /// Extra arguments for the replay command (e.g. `--sut my-kernel`).
    pub replay_args: String,
}

impl RenderOptions {
    /// The command that replays `failure`, if it has a case file.
    pub fn replay_command(&self, failure: &FailureRecord) -> Option<String> {
        Some(self.replay_case_command(failure.case_file.as_deref()?))
    }

    /// The command that replays the case file `case` (relative to the output dir).
    pub fn replay_case_command(&self, case: &str) -> String {
        let path = if self.out_dir.is_empty() {
            case.to_owned()
        } else {
            format!("{}/{case}", self.out_dir.trim_end_matches('/'))
        };
        let mut cmd = format!("pgconform replay {}", shell_quote(&path));
        if !self.replay_args.is_empty() {
            cmd.push(' ');
            cmd.push_str(&self.replay_args);
        }
        cmd
    }
}

/// Quote `s` for a POSIX shell when it needs it (shlex; a NUL byte, which no
/// shell word can hold, is dropped).
pub fn shell_quote(s: &str) -> String {
    match shlex::try_quote(s) {
        Ok(quoted) => quoted.into_owned(),
        Err(_) => shell_quote(&s.replace('\0', "")),
    }
}

/// `1.23s`, `45ms`, `2m03s`.
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{}.{:02}s", ms / 1000, (ms % 1000) / 10)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// Verdict label used in tables.
pub fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Passed => "passed",
        Verdict::Failed => "FAILED",
        Verdict::Error => "ERROR",
        Verdict::Skipped => "skipped",
        Verdict::Incomplete => "INCOMPLETE",
    }
}

/// The cases column: checked cases, "N of M" when fewer than asked, and
/// how many inputs were rejected.
pub fn cases_cell(r: &crate::InvariantResult) -> String {
    let mut s = if r.cases_requested > r.cases {
        format!("{} of {}", r.cases, r.cases_requested)
    } else {
        r.cases.to_string()
    };
    if r.rejected > 0 {
        s.push_str(&format!(", {} rejected", r.rejected));
    }
    s
}

/// "incomplete, N of M cases" and the top reasons inputs were rejected.
pub fn incomplete_note(r: &crate::InvariantResult) -> String {
    let mut s = format!(
        "incomplete, {} of {} {} checked",
        r.cases,
        r.cases_requested,
        if r.cases_requested == 1 {
            "case"
        } else {
            "cases"
        }
    );
    if r.rejected > 0 {
        s.push_str(&format!("; {} inputs rejected", r.rejected));
        let mut top: Vec<(&String, &u64)> = r.reject_reasons.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let reasons: Vec<String> = top
            .iter()
            .take(3)
            .map(|(w, n)| format!("{w} ({n})"))
            .collect();
        if !reasons.is_empty() {
            s.push_str(&format!(" ({})", reasons.join(", ")));
        }
    }
    if let Some(e) = &r.error {
        s.push_str(&format!(": {e}"));
    }
    s
}

/// Escape text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escape text for a Markdown table cell (single line, no pipes).
pub fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\r', "")
        .replace('\n', "<br>")
}

/// A fenced Markdown code block whose fence cannot be closed by `body`.
pub fn md_code(lang: &str, body: &str) -> String {
    let mut fence = "```".to_owned();
    while body.contains(&fence) {
        fence.push('`');
    }
    format!("{fence}{lang}\n{}\n{fence}\n", body.trim_end_matches('\n'))
}

/// One-line summary: `12 passed, 1 failed, 0 errors, 0 skipped`.
pub fn summary_line(report: &RunReport) -> String {
    format!(
        "{} passed, {} failed, {} errors, {} skipped",
        report.count(Verdict::Passed),
        report.count(Verdict::Failed),
        report.count(Verdict::Error),
        report.count(Verdict::Skipped)
    )
}

/// What a report says first: the overall outcome in a few words, and whether
/// it is green.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headline {
    /// `passed`, `FAILED`, `1 MUTANT SURVIVED`, ...
    pub text: String,
    /// True when nothing needs a reader's attention.
    pub ok: bool,
}

/// The headline of `report`: the most serious problem, or the kill result of
/// a mutant run, or `passed`.
pub fn headline(report: &RunReport) -> Headline {
    let bad = |text: String| Headline { text, ok: false };
    if report.count(Verdict::Failed) > 0 {
        return bad("FAILED".to_owned());
    }
    if report.count(Verdict::Error) > 0 {
        return bad("ERROR".to_owned());
    }
    if report.missing_coverage().next().is_some() {
        return bad("COVERAGE MISSING".to_owned());
    }
    if let Some(m) = &report.mutants {
        if !m.control_passed {
            return bad("CONTROL FAILED".to_owned());
        }
        let survived = m.count(MutantStatus::Survived);
        if survived > 0 {
            return bad(format!(
                "{survived} {} SURVIVED",
                if survived == 1 { "MUTANT" } else { "MUTANTS" }
            ));
        }
        let errors = m.count(MutantStatus::Error);
        if errors > 0 {
            return bad(format!(
                "{errors} MUTANT {}",
                if errors == 1 { "ERROR" } else { "ERRORS" }
            ));
        }
    }
    if report.interrupted {
        return bad("INTERRUPTED".to_owned());
    }
    if report.count(Verdict::Incomplete) > 0 {
        return bad("INCOMPLETE".to_owned());
    }
    let text = match &report.mutants {
        Some(m) => format!(
            "all {} killed",
            count(m.count(MutantStatus::Killed) as u64, "mutant")
        ),
        None => "passed".to_owned(),
    };
    Headline { text, ok: true }
}

/// `1 case`, `3 cases`: `n` and `noun`, plural when `n != 1`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The kill result of a mutant run: `60 killed, 1 survived, 0 broken, 0 errors
/// of 61 mutants`.
pub fn kill_result(m: &MutantMatrix) -> String {
    format!(
        "{} killed, {} survived, {} broken, {} of {}",
        m.count(MutantStatus::Killed),
        m.count(MutantStatus::Survived),
        m.count(MutantStatus::InstallBroken),
        count(m.count(MutantStatus::Error) as u64, "error"),
        count(m.mutants.len() as u64, "mutant")
    )
}

/// Results that need a reader's attention: failed, errored or incomplete.
pub fn problems(report: &RunReport) -> impl Iterator<Item = &InvariantResult> {
    report.results.iter().filter(|r| {
        matches!(
            r.verdict,
            Verdict::Failed | Verdict::Error | Verdict::Incomplete
        )
    })
}

/// A failure value (`expected`, `actual`) for display: pretty-printed when it
/// is a JSON object or array, as written otherwise.
pub fn value_display(value: &str) -> String {
    let t = value.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(value) {
            if let Ok(pretty) = serde_json::to_string_pretty(&v) {
                return pretty;
            }
        }
    }
    value.to_owned()
}

/// `value` as JSON text, for the `expected` and `actual` of a failure: what
/// reports show, instead of Rust's debug form.
pub fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("(not representable as JSON: {e})"))
}

/// Rows read as JSON text (e.g. `to_jsonb(t)::text`) as one JSON array, each
/// row embedded as JSON rather than as a string holding JSON.
pub fn json_rows_text(rows: &[String]) -> String {
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| serde_json::from_str(r).unwrap_or_else(|_| serde_json::Value::String(r.clone())))
        .collect();
    json_text(&rows)
}

/// The input of a failure as pretty JSON.
pub fn input_json(f: &FailureRecord) -> String {
    serde_json::to_string_pretty(&f.input).unwrap_or_else(|_| f.input.to_string())
}

/// The server's version without the build details: `PostgreSQL 16.14`.
pub fn short_server_version(version: &str) -> String {
    version
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Shorten a hash for display.
pub fn short_hash(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

/// Coverage classes of a result as `class (n)` list.
pub fn coverage_list(r: &InvariantResult) -> String {
    if r.coverage.is_empty() {
        return String::new();
    }
    r.coverage
        .iter()
        .map(|(k, v)| format!("{k} ({v})"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod shell_quote_tests {
    use super::shell_quote;

    #[test]
    fn quotes_only_what_the_shell_would_split_or_expand() {
        assert_eq!(shell_quote("out/cases/A-1.json"), "out/cases/A-1.json");
        assert_eq!(shell_quote("my out/x.json"), "'my out/x.json'");
        assert_eq!(shell_quote("it's"), "\"it's\"");
        assert_eq!(shell_quote("a\0b"), "ab");
    }
}

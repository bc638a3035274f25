//! Progress display: a live table on a terminal, plain lines in CI.

use pgconform_reports::{InvariantResult, Verdict};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Clone)]
struct Row {
    cases: u64,
    failures: u64,
    started: Instant,
    done: Option<String>,
}

/// A run event, as passed to a [`Listener`].
#[derive(Debug, Clone, Copy)]
pub enum ProgressEvent<'a> {
    /// An invariant started.
    Started(&'a str),
    /// A case finished: `(id, cases, failures)`.
    Case(&'a str, u64, u64),
    /// An invariant finished.
    Finished(&'a InvariantResult),
}

/// Receives every run event besides the display (e.g. `run --format json`).
pub type Listener = Box<dyn Fn(ProgressEvent<'_>) + Send + Sync>;

/// Where run events are shown.
pub struct Progress {
    live: bool,
    quiet: bool,
    rows: Mutex<(BTreeMap<String, Row>, usize)>,
    listener: Option<Listener>,
}

impl Progress {
    /// Live redraws only when stderr is a terminal and `CI` is unset.
    pub fn new(quiet: bool) -> Self {
        let live = !quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        Self {
            live,
            quiet,
            rows: Mutex::new((BTreeMap::new(), 0)),
            listener: None,
        }
    }

    /// Also send every event to `listener`.
    pub fn with_listener(mut self, listener: Listener) -> Self {
        self.listener = Some(listener);
        self
    }

    fn emit(&self, e: ProgressEvent<'_>) {
        if let Some(l) = &self.listener {
            l(e);
        }
    }

    /// An invariant started.
    pub fn started(&self, id: &str) {
        self.emit(ProgressEvent::Started(id));
        let mut g = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        g.0.insert(
            id.to_owned(),
            Row {
                cases: 0,
                failures: 0,
                started: Instant::now(),
                done: None,
            },
        );
        if !self.live && !self.quiet {
            crate::errln!("[run ] {id}");
        }
        drop(g);
        self.redraw();
    }

    /// A case finished.
    pub fn update(&self, id: &str, cases: u64, failures: u64) {
        self.emit(ProgressEvent::Case(id, cases, failures));
        let mut g = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = g.0.get_mut(id) {
            r.cases = cases;
            r.failures = failures;
        }
        drop(g);
        self.redraw();
    }

    /// An invariant finished.
    pub fn finished(&self, r: &InvariantResult) {
        self.emit(ProgressEvent::Finished(r));
        let tag = match r.verdict {
            Verdict::Passed => "pass",
            Verdict::Failed => "FAIL",
            Verdict::Error => "ERR ",
            Verdict::Skipped => "skip",
            Verdict::Incomplete => "INC ",
        };
        let line = format!(
            "[{tag}] {:<24} {:>5} cases {:>8.2}s{}",
            r.id,
            r.cases,
            r.duration_ms as f64 / 1000.0,
            r.error
                .as_deref()
                .map(|e| format!("  {e}"))
                .unwrap_or_default()
        );
        let mut g = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(row) = g.0.get_mut(&r.id) {
            row.done = Some(line.clone());
            row.cases = r.cases;
        }
        drop(g);
        if self.live {
            self.redraw();
        } else if !self.quiet {
            crate::errln!("{line}");
        }
    }

    fn redraw(&self) {
        if !self.live {
            return;
        }
        let mut g = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        if g.1 > 0 {
            out.push_str(&format!("\x1b[{}F", g.1));
        }
        for (id, row) in &g.0 {
            out.push_str("\x1b[2K");
            match &row.done {
                Some(line) => out.push_str(line),
                None => out.push_str(&format!(
                    "[ .. ] {id:<24} {:>5} cases {:>8.2}s{}",
                    row.cases,
                    row.started.elapsed().as_secs_f64(),
                    if row.failures > 0 {
                        "  shrinking…"
                    } else {
                        ""
                    }
                )),
            }
            out.push('\n');
        }
        g.1 = g.0.len();
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(out.as_bytes());
        let _ = err.flush();
    }
}

//! Progress display: live bars on a terminal (indicatif), plain lines in CI
//! or when stderr is not a terminal.
//!
//! Live: one overall bar (`12/35 invariants`) at the bottom and one bar per
//! running invariant above it (its cases, ticking elapsed time), at most as
//! many as fit the terminal; an invariant without a visible bar is counted
//! on the overall bar. A finished invariant prints one line above the bars
//! and its bar goes, so rows never move and nothing is redrawn into the
//! scrollback.

use crate::cli::output::plural;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use pgconform_reports::{InvariantResult, Verdict};
use std::collections::{BTreeMap, VecDeque};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    display: Display,
    /// Invariants to run and finished so far (set by [`Progress::begin`]).
    total: AtomicUsize,
    done: AtomicUsize,
    listener: Option<Listener>,
}

enum Display {
    /// Nothing (`--quiet`).
    Quiet,
    /// One line per start and finish.
    Plain,
    /// indicatif bars.
    Live(Live),
}

/// Lines of the terminal kept free of bars (the cursor line and a margin).
const RESERVED_LINES: usize = 3;
/// How often bars redraw (their elapsed time ticks).
const TICK: Duration = Duration::from_millis(500);

struct Live {
    multi: MultiProgress,
    overall: ProgressBar,
    /// At most this many invariant bars (the terminal's height allowing).
    max_rows: usize,
    rows: Mutex<Rows>,
}

/// Running invariants: those with a bar, and those waiting for a free row.
#[derive(Default)]
struct Rows {
    shown: BTreeMap<String, ProgressBar>,
    /// Running without a bar, with their planned cases and start, oldest first.
    waiting: VecDeque<(String, u64, Instant)>,
    /// Latest `(cases, failures)` of every running invariant.
    counts: BTreeMap<String, (u64, u64)>,
    failed: usize,
}

impl Progress {
    /// Live bars only when stderr is a terminal and `CI` is unset.
    pub fn new(quiet: bool) -> Self {
        let display = if quiet {
            Display::Quiet
        } else if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
            Display::Live(Live::new(terminal_rows()))
        } else {
            Display::Plain
        };
        Self {
            display,
            total: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
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

    /// `total` invariants will run.
    pub fn begin(&self, total: usize) {
        self.total.store(total, Ordering::Relaxed);
        if let Display::Live(live) = &self.display {
            live.begin(total);
        }
    }

    /// An invariant started; it plans `planned` cases.
    pub fn started(&self, id: &str, planned: u64) {
        self.emit(ProgressEvent::Started(id));
        match &self.display {
            Display::Quiet => {}
            Display::Plain => crate::errln!("[run ] {id}"),
            Display::Live(live) => live.started(id, planned),
        }
    }

    /// A case finished.
    pub fn update(&self, id: &str, cases: u64, failures: u64) {
        self.emit(ProgressEvent::Case(id, cases, failures));
        if let Display::Live(live) = &self.display {
            live.update(id, cases, failures);
        }
    }

    /// An invariant finished.
    pub fn finished(&self, r: &InvariantResult) {
        self.emit(ProgressEvent::Finished(r));
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let line = finished_line(r, done, self.total.load(Ordering::Relaxed));
        match &self.display {
            Display::Quiet => {}
            Display::Plain => crate::errln!("{line}"),
            Display::Live(live) => live.finished(r, &line),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Display::Live(live) = &self.display {
            live.overall.finish_and_clear();
            let _ = live.multi.clear();
        }
    }
}

/// `[pass] GATE-MODEL               32 cases    1.1s   3/7`.
fn finished_line(r: &InvariantResult, done: usize, total: usize) -> String {
    let tag = match r.verdict {
        Verdict::Passed => "pass",
        Verdict::Failed => "FAIL",
        Verdict::Error => "ERR ",
        Verdict::Skipped => "skip",
        Verdict::Incomplete => "INC ",
    };
    let error = r
        .error
        .as_deref()
        .map(|e| format!("  {e}"))
        .unwrap_or_default();
    format!(
        "[{tag}] {:<24} {:>10} {:>7.1}s {:>6}{error}",
        r.id,
        plural(r.cases, "case"),
        r.duration_ms as f64 / 1000.0,
        format!("{done}/{total}"),
    )
}

/// The terminal's height in lines (24 when unknown).
fn terminal_rows() -> usize {
    console::Term::stderr()
        .size_checked()
        .map_or(24, |(rows, _)| usize::from(rows))
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl Live {
    fn new(terminal_rows: usize) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        let overall = multi.add(ProgressBar::new(0));
        overall.set_style(style(
            "{spinner} {pos:>3}/{len} invariants [{bar:30}] {elapsed:>4} {msg}",
        ));
        Self {
            multi,
            overall,
            max_rows: terminal_rows.saturating_sub(RESERVED_LINES + 1).max(1),
            rows: Mutex::new(Rows::default()),
        }
    }

    fn begin(&self, total: usize) {
        self.overall
            .set_length(u64::try_from(total).unwrap_or(u64::MAX));
        self.overall.enable_steady_tick(TICK);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rows> {
        self.rows.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn started(&self, id: &str, planned: u64) {
        let mut g = self.lock();
        g.counts.insert(id.to_owned(), (0, 0));
        if g.shown.len() < self.max_rows {
            let bar = self.row(id, planned, Duration::ZERO);
            g.shown.insert(id.to_owned(), bar);
        } else {
            g.waiting
                .push_back((id.to_owned(), planned, Instant::now()));
        }
        self.set_overall_message(&g);
    }

    /// A bar for a running invariant, above the overall bar.
    fn row(&self, id: &str, planned: u64, elapsed: Duration) -> ProgressBar {
        let bar = self.multi.insert_before(
            &self.overall,
            ProgressBar::new(planned).with_elapsed(elapsed),
        );
        bar.set_style(style(
            "{spinner} {prefix:24!} [{bar:20}] {pos:>4}/{len} cases {elapsed:>4} {msg}",
        ));
        bar.set_prefix(id.to_owned());
        bar.enable_steady_tick(TICK);
        bar
    }

    fn update(&self, id: &str, cases: u64, failures: u64) {
        let mut g = self.lock();
        g.counts.insert(id.to_owned(), (cases, failures));
        if let Some(bar) = g.shown.get(id) {
            bar.set_position(cases);
            if failures > 0 {
                bar.set_message("shrinking…");
            }
        }
    }

    fn finished(&self, r: &InvariantResult, line: &str) {
        let _ = self.multi.println(line);
        let mut g = self.lock();
        g.counts.remove(&r.id);
        if r.verdict == Verdict::Failed {
            g.failed += 1;
        }
        if let Some(bar) = g.shown.remove(&r.id) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        g.waiting.retain(|(id, _, _)| id != &r.id);
        // A waiting invariant takes the freed row.
        if g.shown.len() < self.max_rows {
            if let Some((id, planned, started)) = g.waiting.pop_front() {
                let bar = self.row(&id, planned, started.elapsed());
                let (cases, _) = g.counts.get(&id).copied().unwrap_or_default();
                bar.set_position(cases);
                g.shown.insert(id, bar);
            }
        }
        self.overall.inc(1);
        self.set_overall_message(&g);
    }

    /// `1 failed, +2 running` (the latter: invariants without a visible row).
    fn set_overall_message(&self, g: &Rows) {
        let mut parts = Vec::new();
        if g.failed > 0 {
            parts.push(format!("{} failed", g.failed));
        }
        if !g.waiting.is_empty() {
            parts.push(format!("+{} running", g.waiting.len()));
        }
        self.overall.set_message(parts.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_line_counts_its_cases_and_the_run() {
        let mut r = InvariantResult::skipped("GATE-MODEL", "gates", "t");
        r.verdict = Verdict::Passed;
        r.cases = 1;
        r.duration_ms = 1100;
        let line = finished_line(&r, 3, 7);
        assert!(line.starts_with("[pass] GATE-MODEL "), "{line}");
        assert!(line.contains(" 1 case "), "{line}");
        assert!(line.ends_with(" 3/7"), "{line}");
    }
}

//! Runs invariants in parallel jobs against one sandbox, with progress output.

use crate::progress::Progress;
use pgconform_reports::{InvariantResult, Verdict};
use pgconform_scenarios::invariant::{Invariant, RunContext, ShrinkPolicy};
use pgconform_scenarios::Sandbox;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Parallel jobs (threads), each running one invariant at a time.
    pub jobs: usize,
    /// Cases per invariant (`None`: each invariant's default).
    pub cases: Option<u32>,
    /// Run seed.
    pub seed: u64,
    /// Shrinking bounds.
    pub shrink: ShrinkPolicy,
    /// Overall time budget: no new case starts after it.
    pub time_budget: Option<Duration>,
}

/// Run `invariants` and return their results in the given order.
pub fn run(
    invariants: &[Box<dyn Invariant>],
    sandbox: &dyn Sandbox,
    opts: &RunOptions,
    cancel: &AtomicBool,
    progress: &Progress,
) -> Vec<InvariantResult> {
    let deadline = opts.time_budget.map(|d| Instant::now() + d);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<InvariantResult>>> = Mutex::new(vec![None; invariants.len()]);
    let jobs = opts.jobs.clamp(1, invariants.len().max(1));
    progress.begin(invariants.len());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(inv) = invariants.get(i) else { break };
                let meta = inv.meta();
                let result = if cancel.load(Ordering::Relaxed) {
                    not_started(inv.as_ref(), opts, "interrupted before it started")
                } else {
                    let planned = opts.cases.unwrap_or(meta.default_cases).max(1);
                    progress.started(meta.id, u64::from(planned));
                    let on_case =
                        |cases: u64, failures: u64| progress.update(meta.id, cases, failures);
                    let ctx = RunContext {
                        sandbox,
                        cases: opts.cases,
                        seed: opts.seed,
                        shrink: opts.shrink,
                        deadline,
                        cancel,
                        progress: &on_case,
                    };
                    let r = inv.run(&ctx);
                    progress.finished(&r);
                    r
                };
                let mut all = results.lock().unwrap_or_else(|p| p.into_inner());
                all[i] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .zip(invariants)
        .map(|(r, inv)| r.unwrap_or_else(|| not_started(inv.as_ref(), opts, "never started")))
        .collect()
}

/// The result of an invariant that was asked for and never ran: incomplete,
/// 0 of its cases checked (never green).
fn not_started(inv: &dyn Invariant, opts: &RunOptions, why: &str) -> InvariantResult {
    let m = inv.meta();
    let mut r = InvariantResult::skipped(m.id, m.suite.name(), m.title);
    r.verdict = Verdict::Incomplete;
    r.cases_requested = u64::from(opts.cases.unwrap_or(m.default_cases).max(1));
    r.error = Some(why.to_owned());
    r
}

/// The process exit code for a set of results.
pub fn exit_code(results: &[InvariantResult], allow_incomplete: bool) -> i32 {
    let incomplete = results.iter().any(|r| r.verdict == Verdict::Incomplete);
    if results.iter().any(|r| r.verdict == Verdict::Failed) || (incomplete && !allow_incomplete) {
        crate::exit_codes::INVARIANT_FAILED
    } else if results.iter().any(|r| r.verdict == Verdict::Error) {
        crate::exit_codes::USAGE_OR_ENV
    } else {
        crate::exit_codes::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit_codes::{INVARIANT_FAILED, OK, USAGE_OR_ENV};

    fn with(v: Verdict) -> InvariantResult {
        let mut r = InvariantResult::skipped("X", "foundation", "x");
        r.verdict = v;
        r
    }

    #[test]
    fn exit_codes_follow_the_verdicts() {
        let passed = with(Verdict::Passed);
        assert_eq!(exit_code(std::slice::from_ref(&passed), false), OK);
        assert_eq!(
            exit_code(&[passed.clone(), with(Verdict::Failed)], false),
            INVARIANT_FAILED
        );
        assert_eq!(
            exit_code(&[passed.clone(), with(Verdict::Error)], false),
            USAGE_OR_ENV
        );
        // Incomplete is never green unless the user accepts it explicitly.
        assert_eq!(
            exit_code(&[passed.clone(), with(Verdict::Incomplete)], false),
            INVARIANT_FAILED
        );
        assert_eq!(
            exit_code(&[passed.clone(), with(Verdict::Incomplete)], true),
            OK
        );
        // A failure wins over everything.
        assert_eq!(
            exit_code(
                &[
                    with(Verdict::Incomplete),
                    with(Verdict::Error),
                    with(Verdict::Failed)
                ],
                true
            ),
            INVARIANT_FAILED
        );
    }
}

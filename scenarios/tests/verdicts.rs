//! The verdict logic of the property runner, without Postgres: fake
//! properties that pass, fail, reject, error, run out of time, fail and then
//! break while shrinking, or fail flakily each get the documented verdict.

use pgconform_reports::Verdict;
use pgconform_scenarios::case::{CaseError, CaseResult};
use pgconform_scenarios::invariant::{Invariant, InvariantMeta, RunContext, ShrinkPolicy, Suite};
use pgconform_scenarios::property::{boxed, Property};
use pgconform_scenarios::sandbox::{CaseDb, Sandbox, SandboxError, Sut};
use proptest::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A sandbox the fake properties never use.
struct NoDb(Sut);

impl Sandbox for NoDb {
    fn fresh_db(&self) -> Result<CaseDb, SandboxError> {
        Err(SandboxError::Database(
            "no database in verdict tests".into(),
        ))
    }
    fn empty_db(&self) -> Result<CaseDb, SandboxError> {
        self.fresh_db()
    }
    fn sut(&self) -> &Sut {
        &self.0
    }
    fn server_version_num(&self) -> i32 {
        160_000
    }
}

static META: InvariantMeta = InvariantMeta {
    id: "FAKE-ID",
    suite: Suite::Foundation,
    title: "a fake property",
    seed: "none",
    property: "whatever the closure says",
    default_cases: 20,
};

/// A property whose check is a closure over the input and a call counter.
struct Fake<F: Fn(u32, u64) -> CaseResult + Send + Sync + 'static> {
    check: F,
    calls: AtomicU64,
}

impl<F: Fn(u32, u64) -> CaseResult + Send + Sync + 'static> Property for Fake<F> {
    type Input = u32;
    fn meta(&self) -> &InvariantMeta {
        &META
    }
    fn strategy(&self) -> BoxedStrategy<u32> {
        (0u32..1000).boxed()
    }
    fn check(&self, _: &dyn Sandbox, input: &u32) -> CaseResult {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        (self.check)(*input, n)
    }
    fn coverage(&self, input: &u32) -> Vec<String> {
        vec![if input.is_multiple_of(2) {
            "even"
        } else {
            "odd"
        }
        .to_owned()]
    }
}

fn run_with(
    check: impl Fn(u32, u64) -> CaseResult + Send + Sync + 'static,
    deadline: Option<Instant>,
) -> pgconform_reports::InvariantResult {
    run_shrinking(check, deadline, false)
}

fn run_shrinking(
    check: impl Fn(u32, u64) -> CaseResult + Send + Sync + 'static,
    deadline: Option<Instant>,
    no_shrink: bool,
) -> pgconform_reports::InvariantResult {
    let inv: Box<dyn Invariant> = boxed(Fake {
        check,
        calls: AtomicU64::new(0),
    });
    let sandbox = NoDb(Sut::default());
    let cancel = AtomicBool::new(false);
    let progress = |_: u64, _: u64| {};
    inv.run(&RunContext {
        sandbox: &sandbox,
        cases: Some(10),
        seed: 7,
        shrink: ShrinkPolicy {
            disabled: no_shrink,
            max_time: Duration::from_secs(5),
        },
        deadline,
        cancel: &cancel,
        progress: &progress,
    })
}

fn fail(msg: &str) -> CaseError {
    CaseError::fail(msg.to_owned())
}

#[test]
fn every_case_holding_is_passed_with_all_cases_counted() {
    let r = run_with(|_, _| Ok(()), None);
    assert_eq!(
        (r.verdict, r.cases, r.cases_requested),
        (Verdict::Passed, 10, 10)
    );
    assert_eq!(r.coverage.values().sum::<u64>(), 10);
}

#[test]
fn a_failing_case_is_failed_and_shrunk() {
    let r = run_with(
        |x, _| {
            if x >= 100 {
                Err(fail("too big"))
            } else {
                Ok(())
            }
        },
        None,
    );
    assert_eq!(r.verdict, Verdict::Failed, "{r:?}");
    assert_eq!(
        r.failures[0].input,
        serde_json::json!(100),
        "shrunk to the boundary"
    );
}

#[test]
fn rejected_inputs_are_counted_with_reasons_and_not_as_coverage() {
    let r = run_with(
        |x, _| {
            if !x.is_multiple_of(2) {
                Err(CaseError::Reject("odd".into()))
            } else {
                Ok(())
            }
        },
        None,
    );
    assert_eq!(r.verdict, Verdict::Passed, "{r:?}");
    assert!(r.rejected > 0);
    assert_eq!(r.reject_reasons.get("odd"), Some(&r.rejected));
    assert_eq!(
        r.coverage.get("odd"),
        None,
        "a rejected case exercised nothing"
    );
    assert_eq!(r.coverage.get("even"), Some(&10));
}

#[test]
fn rejecting_everything_is_incomplete_not_green() {
    let r = run_with(
        |_, _| Err(CaseError::Reject("never applicable".into())),
        None,
    );
    assert_eq!((r.verdict, r.cases), (Verdict::Incomplete, 0), "{r:?}");
    assert!(r.coverage.is_empty());
}

#[test]
fn an_environment_error_is_error() {
    let r = run_with(|_, _| Err(CaseError::Env("no server".into())), None);
    assert_eq!(r.verdict, Verdict::Error, "{r:?}");
    assert_eq!(r.error.as_deref(), Some("no server"));
}

#[test]
fn a_time_budget_that_runs_out_is_incomplete() {
    let r = run_with(
        |_, _| {
            std::thread::sleep(Duration::from_millis(30));
            Ok(())
        },
        Some(Instant::now() + Duration::from_millis(100)),
    );
    assert_eq!(r.verdict, Verdict::Incomplete, "{r:?}");
    assert!(r.cases < 10 && r.cases_requested == 10, "{r:?}");
}

#[test]
fn a_failure_then_an_environment_error_while_shrinking_stays_a_failure() {
    // Call 0..: the first big input fails; every later call breaks.
    let r = run_with(
        |x, n| match (x >= 100, n) {
            (false, _) => Ok(()),
            (true, n) if n < 20 => Err(fail("too big")),
            (true, _) => Err(CaseError::Env("server gone".into())),
        },
        None,
    );
    assert_eq!(r.verdict, Verdict::Failed, "{r:?}");
    assert!(r.failures[0].detail.message.contains("too big"), "{r:?}");
}

#[test]
fn a_flaky_failure_is_failed_not_passed() {
    let failed_once = AtomicBool::new(false);
    let r = run_with(
        move |x, _| {
            if x >= 100 && !failed_once.swap(true, Ordering::SeqCst) {
                Err(fail("once"))
            } else {
                Ok(())
            }
        },
        None,
    );
    assert_eq!(r.verdict, Verdict::Failed, "{r:?}");
    assert!(r.failures[0].detail.message.starts_with("flaky"), "{r:?}");
}

#[test]
fn no_shrink_checks_no_candidate() {
    let calls = std::sync::Arc::new(AtomicU64::new(0));
    let seen = std::sync::Arc::clone(&calls);
    let r = run_shrinking(
        move |x, _| {
            seen.fetch_add(1, Ordering::SeqCst);
            if x >= 100 {
                Err(fail("too big"))
            } else {
                Ok(())
            }
        },
        None,
        true,
    );
    assert_eq!(r.verdict, Verdict::Failed, "{r:?}");
    // The cases up to the failure, plus the one re-check of the failing input.
    let cases = r.failures[0].cases_to_failure;
    assert_eq!(calls.load(Ordering::SeqCst), cases + 1, "{r:?}");
    assert_eq!(r.failures[0].shrink_steps, 0);
}

/// A property that claims the class `kernel:accepted` only when its check
/// says the (fake) kernel accepted the input, as DUR-HOSTILE does.
struct Outcome;

impl Property for Outcome {
    type Input = u32;
    fn meta(&self) -> &InvariantMeta {
        &META
    }
    fn strategy(&self) -> BoxedStrategy<u32> {
        (0u32..1000).boxed()
    }
    fn check(&self, sandbox: &dyn Sandbox, input: &u32) -> CaseResult {
        self.check_covering(sandbox, input).0
    }
    fn coverage(&self, _: &u32) -> Vec<String> {
        vec!["generated".to_owned()]
    }
    fn check_covering(&self, _: &dyn Sandbox, input: &u32) -> (CaseResult, Vec<String>) {
        let mut seen = vec!["generated".to_owned()];
        if input.is_multiple_of(3) {
            seen.push("kernel:accepted".to_owned());
        }
        let result = if input.is_multiple_of(5) {
            Err(CaseError::Reject("not applicable".into()))
        } else {
            Ok(())
        };
        (result, seen)
    }
}

fn ctx_run(
    inv: &dyn Invariant,
    replay: Option<serde_json::Value>,
) -> pgconform_reports::InvariantResult {
    let sandbox = NoDb(Sut::default());
    let cancel = AtomicBool::new(false);
    let progress = |_: u64, _: u64| {};
    let ctx = RunContext {
        sandbox: &sandbox,
        cases: Some(30),
        seed: 7,
        shrink: ShrinkPolicy::default(),
        deadline: None,
        cancel: &cancel,
        progress: &progress,
    };
    match replay {
        Some(input) => inv.replay(&ctx, &input),
        None => inv.run(&ctx),
    }
}

#[test]
fn coverage_is_what_the_check_saw_and_only_for_checked_cases() {
    let inv = boxed(Outcome);
    let r = ctx_run(inv.as_ref(), None);
    assert_eq!(r.verdict, Verdict::Passed, "{r:?}");
    assert_eq!(r.coverage.get("generated"), Some(&r.cases), "{r:?}");
    let accepted = r.coverage.get("kernel:accepted").copied().unwrap_or(0);
    assert!(
        accepted > 0 && accepted < r.cases,
        "claimed from the check's outcome only: {r:?}"
    );
}

#[test]
fn replaying_an_input_that_no_longer_applies_is_incomplete_not_failed() {
    let inv = boxed(Outcome);
    let r = ctx_run(inv.as_ref(), Some(serde_json::json!(10)));
    assert_eq!(
        (r.verdict, r.cases, r.rejected),
        (Verdict::Incomplete, 0, 1),
        "{r:?}"
    );
    assert!(r.failures.is_empty() && r.coverage.is_empty(), "{r:?}");
    assert_eq!(r.reject_reasons.get("not applicable"), Some(&1));
    let r = ctx_run(inv.as_ref(), Some(serde_json::json!(9)));
    assert_eq!((r.verdict, r.cases), (Verdict::Passed, 1), "{r:?}");
    assert_eq!(r.coverage.get("kernel:accepted"), Some(&1), "{r:?}");
}

#[test]
fn shrinking_is_bounded_by_time_not_by_proptest_iteration_cap() {
    // proptest caps shrinking at 4 × cases iterations unless told otherwise
    // (and then prints its own message): one case must still shrink fully.
    let inv: Box<dyn Invariant> = boxed(Fake {
        check: |x: u32, _| {
            if x >= 100 {
                Err(fail("too big"))
            } else {
                Ok(())
            }
        },
        calls: AtomicU64::new(0),
    });
    let sandbox = NoDb(Sut::default());
    let cancel = AtomicBool::new(false);
    let progress = |_: u64, _: u64| {};
    for seed in 0..8 {
        let r = inv.run(&RunContext {
            sandbox: &sandbox,
            cases: Some(1),
            seed,
            shrink: ShrinkPolicy::default(),
            deadline: None,
            cancel: &cancel,
            progress: &progress,
        });
        if r.verdict == Verdict::Failed {
            assert_eq!(r.failures[0].input, serde_json::json!(100), "{r:?}");
        }
    }
}

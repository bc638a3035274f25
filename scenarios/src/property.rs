//! Property-based invariants: a generator, a check, and the proptest runner
//! that drives them (deterministic seed, fresh database per case, shrinking).

use crate::case::{CaseError, CaseResult};
use crate::invariant::{Invariant, InvariantMeta, RunContext};
use crate::sandbox::Sandbox;
use pgconform_reports::{FailureDetail, FailureRecord, InvariantResult, Verdict};
use proptest::strategy::{BoxedStrategy, Strategy};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Instant;

/// A property over generated inputs, checked against a sandbox.
pub trait Property: Send + Sync + 'static {
    /// The generated input; serialisable so failures replay without the generator.
    type Input: Debug + Clone + Serialize + DeserializeOwned + Send + 'static;

    /// Identity and description.
    fn meta(&self) -> &InvariantMeta;

    /// The input generator.
    fn strategy(&self) -> BoxedStrategy<Self::Input>;

    /// Check one input. Create the databases you need from `sandbox`.
    fn check(&self, sandbox: &dyn Sandbox, input: &Self::Input) -> CaseResult;

    /// Coverage classes this input exercises (e.g. `artifact:cpo_decisions`),
    /// claimed only when its case was checked. A class that depends on what
    /// the kernel did belongs in [`Property::check_seeing`] instead.
    fn coverage(&self, _input: &Self::Input) -> Vec<String> {
        Vec::new()
    }

    /// Check one input, pushing to `seen` the coverage classes judged from
    /// what happened, not from what was generated (a commit the kernel
    /// accepted, a refusal it chose). The default is [`Property::check`],
    /// seeing nothing.
    fn check_seeing(
        &self,
        sandbox: &dyn Sandbox,
        input: &Self::Input,
        seen: &mut Vec<String>,
    ) -> CaseResult {
        let _ = seen;
        self.check(sandbox, input)
    }

    /// Check one input and name the coverage classes the case exercised:
    /// [`Property::coverage`] of the input, then what
    /// [`Property::check_seeing`] saw.
    fn check_covering(
        &self,
        sandbox: &dyn Sandbox,
        input: &Self::Input,
    ) -> (CaseResult, Vec<String>) {
        let mut seen = Vec::new();
        let result = self.check_seeing(sandbox, input, &mut seen);
        let mut classes = self.coverage(input);
        classes.extend(seen);
        (result, classes)
    }
}

/// Declares a property type and its [`Property`] implementation from plain
/// functions: `strategy()` returning the input strategy, an optional
/// `coverage(&input)` and `check(sandbox, &input)`.
///
/// With `meta: expr` the type holds its [`InvariantMeta`] and gets `new`
/// (evaluating `meta`) and `Default`; with `static_meta: path` it is a unit
/// struct whose metadata is that static.
macro_rules! declare_property {
    (
        $(#[$doc:meta])*
        $name:ident {
            input: $input:ty,
            meta: $meta:expr,
            $($rest:tt)*
        }
    ) => {
        $(#[$doc])*
        pub struct $name($crate::invariant::InvariantMeta);

        impl $name {
            /// The invariant.
            pub fn new() -> Self {
                Self($meta)
            }

            fn meta_ref(&self) -> &$crate::invariant::InvariantMeta {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        $crate::property::declare_property!(@impl $name, $input, $($rest)*);
    };
    (
        $(#[$doc:meta])*
        $name:ident {
            input: $input:ty,
            static_meta: $meta:path,
            $($rest:tt)*
        }
    ) => {
        $(#[$doc])*
        pub struct $name;

        impl $name {
            fn meta_ref(&self) -> &$crate::invariant::InvariantMeta {
                &$meta
            }
        }

        $crate::property::declare_property!(@impl $name, $input, $($rest)*);
    };
    (
        @impl $name:ident, $input:ty,
        strategy: $strategy:expr,
        $(coverage: $coverage:expr,)?
        check: $check:expr $(,)?
    ) => {
        impl $crate::property::Property for $name {
            type Input = $input;

            fn meta(&self) -> &$crate::invariant::InvariantMeta {
                self.meta_ref()
            }

            fn strategy(&self) -> proptest::strategy::BoxedStrategy<Self::Input> {
                proptest::strategy::Strategy::boxed($strategy())
            }

            $(
                fn coverage(&self, input: &Self::Input) -> Vec<String> {
                    $coverage(input)
                }
            )?

            fn check(
                &self,
                sandbox: &dyn $crate::sandbox::Sandbox,
                input: &Self::Input,
            ) -> $crate::case::CaseResult {
                $check(sandbox, input)
            }
        }
    };
}
pub(crate) use declare_property;

/// Adapter running a [`Property`] as an [`Invariant`].
pub struct PropertyInvariant<P>(pub P);

/// Derive the per-invariant RNG seed from the run seed and the invariant ID.
pub fn derive_seed(run_seed: u64, id: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(run_seed.to_le_bytes());
    h.update(id.as_bytes());
    h.finalize().into()
}

/// How one re-check of a single input ended.
enum Recheck {
    /// The invariant holds.
    Holds,
    /// The kernel failed; the record's counters are for the caller to fill.
    Fails(FailureRecord),
    /// The input does not apply to the property.
    Rejected(String),
    /// The harness or its environment broke.
    Error(String),
}

/// Failure reason used to end a run early (cancel, time budget, environment
/// error); never reported as a kernel failure.
const STOPPED: &str = "pgconform: run stopped";

#[derive(Default)]
struct Tally {
    /// Cases checked (held or failed); rejected inputs do not count.
    cases: u64,
    rejected: u64,
    reject_reasons: BTreeMap<String, u64>,
    cases_to_failure: Option<u64>,
    /// Details of the first failure observed (kept if shrinking breaks).
    first_failure: Option<FailureDetail>,
    shrink_steps: u64,
    env_error: Option<String>,
    /// An environment error while shrinking: the failure already observed stands.
    shrink_env_error: Option<String>,
    interrupted: bool,
    stopped: bool,
    /// When shrinking must stop (`--shrink-time`, or at once with
    /// `--no-shrink`); pgconform bounds shrinking itself so proptest never
    /// prints its own abort messages.
    shrink_deadline: Option<Instant>,
    coverage: BTreeMap<String, u64>,
}

impl Tally {
    /// Count one checked case's result (a shrinking step when `shrinking`)
    /// and tell proptest how it ended.
    fn record(
        &mut self,
        result: CaseResult,
        classes: &[String],
        shrinking: bool,
        shrink_bound: std::time::Duration,
    ) -> Result<(), TestCaseError> {
        let checked = |t: &mut Tally| {
            t.cases += 1;
            for class in classes {
                *t.coverage.entry(class.clone()).or_default() += 1;
            }
        };
        match result {
            Ok(()) => {
                if !shrinking {
                    checked(self);
                }
                Ok(())
            }
            Err(CaseError::Reject(why)) => {
                if !shrinking {
                    self.rejected += 1;
                    *self.reject_reasons.entry(why.clone()).or_default() += 1;
                }
                Err(TestCaseError::reject(why))
            }
            Err(CaseError::Env(e)) => {
                self.stopped = true;
                if shrinking {
                    self.shrink_env_error = Some(e);
                    Ok(())
                } else {
                    self.env_error = Some(e);
                    Err(TestCaseError::fail(STOPPED))
                }
            }
            Err(CaseError::Fail(detail)) => {
                if shrinking {
                    self.shrink_steps += 1;
                } else {
                    checked(self);
                    self.cases_to_failure = Some(self.cases);
                    self.shrink_deadline = Some(Instant::now() + shrink_bound);
                    self.first_failure = Some((*detail).clone());
                }
                Err(TestCaseError::fail(detail.message))
            }
        }
    }
}

/// How many rejection reasons a result keeps (the most frequent).
const TOP_REJECT_REASONS: usize = 5;

/// SQLSTATEs of a server going away (admin shutdown, crash shutdown, cannot
/// connect now, connection failures): under an interruption they are the
/// interruption, never the kernel's answer.
fn is_server_shutdown(d: &FailureDetail) -> bool {
    match d.sqlstate.as_deref() {
        Some(s) => matches!(s, "57P01" | "57P02" | "57P03") || s.starts_with("08"),
        // No server error at all (a closed connection, an I/O error).
        None => true,
    }
}

impl<P: Property> Invariant for PropertyInvariant<P> {
    fn meta(&self) -> &InvariantMeta {
        self.0.meta()
    }

    fn run(&self, ctx: &RunContext<'_>) -> InvariantResult {
        let meta = self.0.meta();
        let started = Instant::now();
        let cases = ctx.cases.unwrap_or(meta.default_cases).max(1);
        let shrink_bound = if ctx.shrink.disabled {
            std::time::Duration::ZERO
        } else {
            ctx.shrink.max_time
        };
        let config = Config {
            cases,
            // No proptest bound (it would print its own message naming its
            // own knobs): the closure below stops shrinking at the deadline.
            max_shrink_time: 0,
            // u32::MAX would mean "4 × cases" to proptest, which then prints
            // its own message naming its own knob.
            max_shrink_iters: u32::MAX - 1,
            max_global_rejects: cases.saturating_mul(8).max(256),
            failure_persistence: None,
            ..Config::default()
        };
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &derive_seed(ctx.seed, meta.id));
        let mut runner = TestRunner::new_with_rng(config, rng);
        let tally = Mutex::new(Tally::default());
        let strategy = self.0.strategy();

        let outcome = runner.run(&strategy, |input| {
            self.run_case(ctx, &input, &tally, shrink_bound)
        });

        let mut t = tally.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut result = InvariantResult::skipped(meta.id, meta.suite.name(), meta.title);
        result.cases = t.cases;
        result.cases_requested = u64::from(cases);
        result.rejected = t.rejected;
        result.coverage = std::mem::take(&mut t.coverage);
        result.reject_reasons = top_reasons(std::mem::take(&mut t.reject_reasons));
        result.verdict = self.verdict(ctx, outcome, &t, &mut result);
        result.duration_ms = elapsed_ms(started);
        result
    }

    fn replay(&self, ctx: &RunContext<'_>, input: &serde_json::Value) -> InvariantResult {
        let meta = self.0.meta();
        let started = Instant::now();
        let mut result = InvariantResult::skipped(meta.id, meta.suite.name(), meta.title);
        match serde_json::from_value::<P::Input>(input.clone()) {
            Err(e) => {
                result.verdict = Verdict::Error;
                result.error = Some(format!(
                    "the recorded input does not fit {}'s input type: {e}",
                    meta.id
                ));
            }
            Ok(input) => {
                result.cases_requested = 1;
                let (recheck, classes) = self.recheck(ctx.sandbox, &input);
                if matches!(recheck, Recheck::Holds | Recheck::Fails(_)) {
                    result.cases = 1;
                    for class in classes {
                        *result.coverage.entry(class).or_default() += 1;
                    }
                }
                match recheck {
                    Recheck::Holds => result.verdict = Verdict::Passed,
                    Recheck::Fails(mut record) => {
                        record.cases_to_failure = 1;
                        result.failures.push(record);
                        result.verdict = Verdict::Failed;
                    }
                    // Not applicable is not a verdict on the kernel: the
                    // one case asked for was not checked.
                    Recheck::Rejected(why) => {
                        result.rejected = 1;
                        result.reject_reasons.insert(why, 1);
                        result.verdict = Verdict::Incomplete;
                    }
                    Recheck::Error(e) => {
                        result.error = Some(e);
                        result.verdict = Verdict::Error;
                    }
                }
            }
        }
        result.duration_ms = elapsed_ms(started);
        result
    }
}

impl<P: Property> PropertyInvariant<P> {
    /// Check one generated input for proptest: tally it (not while
    /// shrinking), and end the run early when cancelled or out of time.
    fn run_case(
        &self,
        ctx: &RunContext<'_>,
        input: &P::Input,
        tally: &Mutex<Tally>,
        shrink_bound: std::time::Duration,
    ) -> Result<(), TestCaseError> {
        let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
        let shrinking = t.cases_to_failure.is_some();
        let stop =
            ctx.cancel.load(Ordering::Relaxed) || ctx.deadline.is_some_and(|d| Instant::now() >= d);
        let out_of_shrink_time =
            shrinking && t.shrink_deadline.is_some_and(|d| Instant::now() >= d);
        if t.stopped || (stop && shrinking) || out_of_shrink_time {
            // Let proptest wind down: no more work, keep the last failure.
            return Ok(());
        }
        if stop {
            // Cancelled or out of time: end the run now (proptest would
            // otherwise keep generating every remaining case).
            t.stopped = true;
            return Err(TestCaseError::fail(STOPPED));
        }
        drop(t);
        let (result, classes) = self.0.check_covering(ctx.sandbox, input);
        let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
        let result = match result {
            // A server going away under an interruption is the
            // interruption, not a kernel failure: no case file.
            Err(CaseError::Fail(d))
                if ctx.cancel.load(Ordering::Relaxed) && is_server_shutdown(&d) =>
            {
                t.interrupted = true;
                Err(CaseError::Env(format!("interrupted: {}", d.message)))
            }
            r => r,
        };
        let verdict = t.record(result, &classes, shrinking, shrink_bound);
        (ctx.progress)(t.cases, u64::from(t.cases_to_failure.is_some()));
        verdict
    }

    /// The verdict of a finished run; failures and errors go into `result`.
    fn verdict(
        &self,
        ctx: &RunContext<'_>,
        outcome: Result<(), TestError<P::Input>>,
        t: &Tally,
        result: &mut InvariantResult,
    ) -> Verdict {
        let short = || t.cases < result.cases_requested;
        let (reason, shrunk) = match outcome {
            _ if t.cases_to_failure.is_none() && t.env_error.is_some() => {
                result.error = t.env_error.clone();
                return if t.interrupted {
                    Verdict::Incomplete
                } else {
                    Verdict::Error
                };
            }
            Ok(()) if short() => {
                result.error = Some("fewer cases checked than asked".to_owned());
                return Verdict::Incomplete;
            }
            Ok(()) => return Verdict::Passed,
            Err(TestError::Abort(why)) => {
                result.error = Some(format!("too many generated inputs were rejected ({why})"));
                return Verdict::Incomplete;
            }
            Err(TestError::Fail(reason, _))
                if t.cases_to_failure.is_none() && reason.message() == STOPPED =>
            {
                if !short() {
                    return Verdict::Passed;
                }
                result.error = Some(
                    if ctx.cancel.load(Ordering::Relaxed) {
                        "interrupted"
                    } else {
                        "the time budget ran out"
                    }
                    .to_owned(),
                );
                return Verdict::Incomplete;
            }
            Err(TestError::Fail(reason, shrunk)) => (reason, shrunk),
        };
        // A failure was observed: whatever happens next, the verdict is Failed.
        let first = t.first_failure.clone().unwrap_or_default();
        let mut record = match self.recheck(ctx.sandbox, &shrunk).0 {
            Recheck::Fails(record) => record,
            Recheck::Holds => failure_record(
                FailureDetail {
                    message: format!(
                        "flaky: failed during the run ({}) but passed when the shrunk input was re-checked",
                        reason.message()
                    ),
                    ..first
                },
                &shrunk,
            ),
            recheck => {
                let why = match recheck {
                    Recheck::Rejected(why) => format!("it was rejected as not applicable: {why}"),
                    Recheck::Error(e) => e,
                    Recheck::Holds | Recheck::Fails(_) => String::new(),
                };
                failure_record(
                    FailureDetail {
                        message: format!(
                            "{} (the shrunk input's details could not be re-captured: {why})",
                            reason.message()
                        ),
                        ..first
                    },
                    &shrunk,
                )
            }
        };
        if let Some(e) = &t.shrink_env_error {
            result.error = Some(format!("shrinking stopped early: {e}"));
        }
        record.cases_to_failure = t.cases_to_failure.unwrap_or(t.cases);
        record.shrink_steps = t.shrink_steps;
        result.failures.push(record);
        Verdict::Failed
    }

    /// Re-check `input` once; also name the coverage classes it exercised.
    fn recheck(&self, sandbox: &dyn Sandbox, input: &P::Input) -> (Recheck, Vec<String>) {
        let (result, classes) = self.0.check_covering(sandbox, input);
        let recheck = match result {
            Ok(()) => Recheck::Holds,
            Err(CaseError::Fail(detail)) => Recheck::Fails(failure_record(*detail, input)),
            Err(CaseError::Reject(why)) => Recheck::Rejected(why),
            Err(CaseError::Env(e)) => Recheck::Error(e),
        };
        (recheck, classes)
    }
}

/// A failure record for `input`, counters to be filled in by the caller.
fn failure_record<I: Debug + Serialize>(detail: FailureDetail, input: &I) -> FailureRecord {
    FailureRecord {
        detail,
        input: serde_json::to_value(input).unwrap_or(serde_json::Value::Null),
        input_summary: format!("{input:#?}"),
        cases_to_failure: 0,
        shrink_steps: 0,
        case_file: None,
    }
}

/// The most frequent rejection reasons.
fn top_reasons(all: BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let mut v: Vec<(String, u64)> = all.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.into_iter().take(TOP_REJECT_REASONS).collect()
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Box a property as an invariant.
pub fn boxed<P: Property>(p: P) -> Box<dyn Invariant> {
    Box::new(PropertyInvariant(p))
}

/// Convenience for properties with a single fixed input: a strategy of `()`.
pub fn unit_strategy() -> BoxedStrategy<()> {
    proptest::strategy::Just(()).boxed()
}

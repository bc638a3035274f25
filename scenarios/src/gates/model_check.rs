//! GATE-MODEL: after every step of any operation sequence, the kernel's answer
//! and everything the protocol owns equal the reference model's prediction.

use super::exec::{
    check_ledger_kept, new_ledger_rows, observe, op_sql, run_op, start_case, ObsLedger, ObsRun,
    Observed, OpAnswer, Tracker,
};
use super::model::{
    Code, Expect, LedgerRow, Model, Outcome, Prediction, RunRow, VerifyOut, EPOCH_US,
};
use super::{coverage_of, InvariantIds};
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::Answer;
use crate::property::Property;
use crate::sandbox::Sandbox;
use pgconform_generators::gates::{arb_gate_ops, GateOp};
use pgconform_reports::FailureDetail;
use proptest::strategy::{BoxedStrategy, Strategy};
use std::collections::{BTreeMap, BTreeSet};

/// Longest generated sequence.
pub const MAX_OPS: usize = 24;

/// The GATE-MODEL property.
pub struct GateModel {
    meta: InvariantMeta,
}

impl GateModel {
    /// The property with its contract metadata.
    pub fn new() -> Self {
        Self {
            meta: InvariantMeta {
                id: InvariantIds::MODEL,
                suite: Suite::Gates,
                title: "the kernel behaves like the reference model of the gate protocol",
                seed: super::SEED,
                property: "For any sequence of open/close/watchdog/clock-advance/verify/out-of-band \
                           write/ledger tamper/logger/rollback/reinstall operations, after every step \
                           the gate values, ledger, command log, verify output and error codes equal \
                           those of the Rust reference model.",
                default_cases: 48,
            },
        }
    }
}

impl Default for GateModel {
    fn default() -> Self {
        Self::new()
    }
}

impl Property for GateModel {
    type Input = Vec<GateOp>;

    fn meta(&self) -> &InvariantMeta {
        &self.meta
    }

    fn strategy(&self) -> BoxedStrategy<Vec<GateOp>> {
        arb_gate_ops(MAX_OPS).boxed()
    }

    fn check(&self, sandbox: &dyn Sandbox, ops: &Vec<GateOp>) -> CaseResult {
        let (mut db, mut before) = start_case(sandbox)?;
        let install_config = before
            .config
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect();
        let mut model = Model::from_install(EPOCH_US, install_config);
        let mut tracker = Tracker::new(EPOCH_US);
        for (i, op) in ops.iter().enumerate() {
            let pred = model.apply(op);
            let ans = run_op(&mut db, sandbox, op, &mut tracker)?;
            let after = observe(&mut db).map_err(|e| at_step(e, i, op))?;
            check_step(&pred, &ans, &before, &after, &model).map_err(|e| at_step(e, i, op))?;
            tracker.observe(&before, &after);
            before = after;
        }
        Ok(())
    }

    fn coverage(&self, ops: &Vec<GateOp>) -> Vec<String> {
        coverage_of(ops)
    }
}

/// Prefix a failure with the step that exposed it and attach that step's SQL.
pub fn at_step(e: CaseError, i: usize, op: &GateOp) -> CaseError {
    match e {
        CaseError::Fail(mut d) => {
            d.message = format!("step {} ({op:?}): {}", i + 1, d.message);
            if d.sql.is_none() {
                d.sql = Some(op_sql(op));
            }
            CaseError::Fail(d)
        }
        other => other,
    }
}

fn fail(
    message: impl Into<String>,
    expected: impl std::fmt::Debug,
    actual: impl std::fmt::Debug,
) -> CaseError {
    CaseError::mismatch(message, format!("{expected:#?}"), format!("{actual:#?}"))
}

/// Compare one step's answer and resulting state with the model's prediction
/// (`model` is the state after the step).
pub fn check_step(
    pred: &Prediction,
    ans: &OpAnswer,
    before: &Observed,
    after: &Observed,
    model: &Model,
) -> CaseResult {
    check_answer(&pred.expect, ans)?;
    if after.installed != model.installed {
        return Err(fail(
            "installed state differs from the model",
            model.installed,
            after.installed,
        ));
    }
    if !model.installed {
        return Ok(());
    }
    check_config(model, after)?;
    let was_reinstall = !before.installed;
    if !was_reinstall {
        check_ledger_kept(before, after)?;
        for (id, run) in &before.runs {
            if after.runs.get(id) != Some(run) {
                return Err(fail(
                    format!("command-run row {id} changed or disappeared"),
                    run,
                    after.runs.get(id),
                ));
            }
        }
    }
    let base = if was_reinstall {
        &Observed::default()
    } else {
        before
    };
    let new_ledger = new_ledger_rows(base, after);
    let mut new_runs: Vec<&ObsRun> = after
        .runs
        .values()
        .filter(|r| !base.runs.contains_key(&r.run_id))
        .collect();
    new_runs.sort_by(|a, b| a.command_name.cmp(&b.command_name));
    check_runs(&pred.delta.runs, &new_runs)?;
    check_ledger(&pred.delta.ledger, &new_ledger)?;
    if !new_ledger.is_empty() {
        let run_ids: BTreeSet<Option<&str>> =
            new_runs.iter().map(|r| Some(r.run_id.as_str())).collect();
        for row in &new_ledger {
            if new_runs.len() != 1 || !run_ids.contains(&row.run_id.as_deref()) {
                return Err(fail(
                    "a new ledger row must point at the command-run row of the call that wrote it",
                    run_ids,
                    &row.run_id,
                ));
            }
        }
    }
    Ok(())
}

fn check_answer(expect: &Expect, ans: &OpAnswer) -> CaseResult {
    match (expect, ans) {
        (Expect::Unchanged, _) => Ok(()),
        (Expect::Err(code), Answer::Err { sqlstate, message }) => match code {
            Code::Exact(want) if sqlstate != want => {
                Err(CaseError::Fail(Box::new(FailureDetail {
                    message: format!("wrong SQLSTATE (kernel said: {message})"),
                    expected: Some((*want).to_owned()),
                    actual: Some(sqlstate.clone()),
                    sqlstate: Some(sqlstate.clone()),
                    sql: None,
                })))
            }
            _ => Ok(()),
        },
        (Expect::Err(code), Answer::Ok(v)) => Err(fail(
            "the kernel accepted what it must refuse",
            format!("error {code:?}"),
            v,
        )),
        (Expect::Ok(_), Answer::Err { sqlstate, message }) => {
            Err(CaseError::Fail(Box::new(FailureDetail {
                message: format!("the kernel refused a valid call: {message}"),
                expected: Some(format!("{expect:?}")),
                actual: Some(format!("error {sqlstate}")),
                sqlstate: Some(sqlstate.clone()),
                sql: None,
            })))
        }
        (Expect::Ok(outcome), Answer::Ok(v)) => check_outcome(outcome, v),
    }
}

fn check_outcome(outcome: &Outcome, v: &serde_json::Value) -> CaseResult {
    match outcome {
        Outcome::Done => Ok(()),
        Outcome::Opened | Outcome::Closed => {
            let want = if *outcome == Outcome::Opened {
                "opened"
            } else {
                "closed"
            };
            if v.get("status").and_then(|s| s.as_str()) == Some(want) {
                Ok(())
            } else {
                Err(fail(
                    "wrong status",
                    format!("{{\"status\": \"{want}\", ...}}"),
                    v,
                ))
            }
        }
        Outcome::Watchdog(keys) => {
            let got: Option<BTreeSet<&str>> = v
                .get("closed")
                .and_then(|c| c.as_array())
                .map(|a| a.iter().filter_map(|x| x.as_str()).collect());
            let want: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
            let len_ok =
                v.get("closed").and_then(|c| c.as_array()).map(Vec::len) == Some(keys.len());
            if got.as_ref() == Some(&want) && len_ok {
                Ok(())
            } else {
                Err(fail(
                    "the watchdog's `closed` list differs from the model",
                    want,
                    v,
                ))
            }
        }
        Outcome::Verify(want) => {
            let got = parse_verify(v);
            if got.as_ref() == Some(want) {
                Ok(())
            } else {
                Err(fail(
                    "verify_closed's report differs from the model",
                    want,
                    v,
                ))
            }
        }
    }
}

/// Parse verify_closed's report (`None` when its shape is wrong).
pub fn parse_verify(v: &serde_json::Value) -> Option<VerifyOut> {
    let mut gates = BTreeMap::new();
    for g in v.get("gates")?.as_array()? {
        let key = g.get("key")?.as_str()?.to_owned();
        let value = match g.get("value")? {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.clone()),
            _ => return None,
        };
        if gates.insert(key, value).is_some() {
            return None;
        }
    }
    Some(VerifyOut {
        gates,
        all_governed_closed: v.get("all_governed_closed")?.as_bool()?,
        never_flip_intact: v.get("never_flip_intact")?.as_bool()?,
        all_safe: v.get("all_safe")?.as_bool()?,
    })
}

fn check_config(model: &Model, after: &Observed) -> CaseResult {
    let want: BTreeMap<&str, &str> = model
        .config
        .iter()
        .map(|(k, r)| (k.as_str(), r.value.as_str()))
        .collect();
    let got: BTreeMap<&str, &str> = after
        .config
        .iter()
        .map(|(k, r)| (k.as_str(), r.value.as_str()))
        .collect();
    if want != got {
        return Err(fail("dot_config differs from the model", want, got));
    }
    for (k, r) in &model.config {
        if let (Some(t), Some(o)) = (r.updated_at, after.config.get(k)) {
            if o.updated_at != t {
                return Err(fail(
                    format!("dot_config.updated_at of {k} is not kernel_now() of its last write"),
                    t,
                    o.updated_at,
                ));
            }
        }
    }
    Ok(())
}

fn check_runs(want: &[RunRow], got: &[&ObsRun]) -> CaseResult {
    let mut want: Vec<&RunRow> = want.iter().collect();
    want.sort_by(|a, b| a.command_name.cmp(&b.command_name));
    let same = want.len() == got.len()
        && want.iter().zip(got).all(|(w, g)| {
            w.command_name == g.command_name
                && w.category == g.category
                && w.run_mode == g.run_mode
                && w.run_status == g.run_status
                && w.mutating == g.mutating
                && Some(&w.actor) == g.actor.as_ref()
                && Some(w.created_at) == g.created_at
        });
    if same {
        Ok(())
    } else {
        Err(fail(
            "new command-run rows differ from the model",
            want,
            got,
        ))
    }
}

fn ledger_matches(w: &LedgerRow, g: &ObsLedger) -> bool {
    w.gate_key == g.gate_key
        && w.action == g.action
        && w.prev_value == g.prev_value
        && w.new_value == g.new_value
        && w.approval_id == g.approval_id
        && w.ttl_seconds == g.ttl_seconds
        && w.expires_at == g.expires_at
        && Some(&w.actor) == g.actor.as_ref()
        && w.reason.as_ref().is_none_or(|r| *r == g.reason)
        && Some(w.created_at) == g.created_at
}

fn check_ledger(want: &[LedgerRow], got: &[&ObsLedger]) -> CaseResult {
    let mut got: Vec<&ObsLedger> = got.to_vec();
    got.sort_by(|a, b| a.gate_key.cmp(&b.gate_key));
    let mut want: Vec<&LedgerRow> = want.iter().collect();
    want.sort_by(|a, b| a.gate_key.cmp(&b.gate_key));
    if want.len() == got.len() && want.iter().zip(&got).all(|(w, g)| ledger_matches(w, g)) {
        Ok(())
    } else {
        Err(fail("new ledger rows differ from the model", want, got))
    }
}

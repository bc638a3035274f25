//! GATE-MODEL: after every step of any operation sequence, the kernel's answer
//! and everything the protocol owns equal the reference model's prediction.

use super::exec::{
    check_empty_ledger, check_ledger_kept, new_ledger_rows, observe, op_sql, run_op, start_case,
    ObsLedger, ObsRun, Observed, OpAnswer, Tracker,
};
use super::model::{Code, LedgerRow, Model, Outcome, RunRow, Step, VerifyOut, EPOCH_US};
use super::{coverage_of, InvariantIds};
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::Answer;
use crate::property::declare_property;
use crate::sandbox::Sandbox;
use pgconform_generators::gates::{arb_gate_ops, GateOp};
use pgconform_reports::{json_text, FailureDetail};
use std::collections::{BTreeMap, BTreeSet};

/// Longest generated sequence.
pub const MAX_OPS: usize = 24;

declare_property! {
    /// The GATE-MODEL property.
    GateModel {
        input: Vec<GateOp>,
        meta: InvariantMeta::new(
            InvariantIds::MODEL,
            Suite::Gates,
            "the kernel behaves like the reference model of the gate protocol",
            super::SEED,
            "For any sequence of open/close/watchdog/clock-advance/verify/out-of-band \
             write/ledger tamper/logger/rollback/reinstall operations, after every step \
             the gate values, ledger, command log, verify output and error codes equal \
             those of the Rust reference model.",
            48,
        ),
        strategy: || arb_gate_ops(MAX_OPS),
        coverage: coverage_of,
        check: model_agrees,
    }
}

/// GATE-MODEL's check: after every step the kernel agrees with the reference model.
fn model_agrees(sandbox: &dyn Sandbox, ops: &[GateOp]) -> CaseResult {
    let (mut db, mut before) = start_case(sandbox)?;
    let mut model = Model::from_install(EPOCH_US, config_of(&before));
    let mut tracker = Tracker::new(EPOCH_US);
    for (i, op) in ops.iter().enumerate() {
        let step = model.step(op);
        if step.skip {
            continue;
        }
        let ans = run_op(&mut db, sandbox, op, &mut tracker)?;
        let after = observe(&mut db).map_err(|e| at_step(e, i, op))?;
        model = check_step(&model, &step, &ans, &before, &after).map_err(|e| at_step(e, i, op))?;
        tracker.observe(&before, &after);
        before = after;
    }
    Ok(())
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

/// A mismatch whose expected and actual values are shown as JSON.
fn fail(
    message: impl Into<String>,
    expected: impl serde::Serialize,
    actual: impl serde::Serialize,
) -> CaseError {
    CaseError::mismatch(message, json_text(&expected), json_text(&actual))
}

/// dot_config as observed (key -> value).
pub fn config_of(obs: &Observed) -> BTreeMap<String, String> {
    obs.config
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect()
}

/// Compare one step's answer and resulting state with what the model allows
/// (`model` is the state before the step); the state after it, following the
/// kernel's choice where the contract leaves one.
pub fn check_step(
    model: &Model,
    step: &Step,
    ans: &OpAnswer,
    before: &Observed,
    after: &Observed,
) -> Result<Model, CaseError> {
    let accepted = check_answer(step, ans)?;
    let next = match accepted {
        Some(a) => a.next.clone(),
        None => model.clone(),
    };
    if after.installed != next.installed {
        return Err(fail(
            "whether the protocol is installed differs from the model (CONTRACT.md §4: \
             gates-rollback removes the protocol's functions, gates-install restores them)",
            next.installed,
            after.installed,
        ));
    }
    if !next.installed {
        return Ok(next);
    }
    if accepted.is_some_and(|a| a.outcome == Outcome::Reinstalled) {
        check_empty_ledger(after)?;
        return Ok(Model::from_install(next.now, config_of(after)));
    }
    check_config(&next, after)?;
    check_ledger_kept(before, after)?;
    for (id, run) in &before.runs {
        if after.runs.get(id) != Some(run) {
            return Err(fail(
                format!(
                    "command-run row {id} changed or disappeared (CONTRACT.md §4: the command log)"
                ),
                run,
                after.runs.get(id),
            ));
        }
    }
    let delta = accepted.map(|a| a.delta.clone()).unwrap_or_default();
    let new_ledger = new_ledger_rows(before, after);
    let mut new_runs: Vec<&ObsRun> = after
        .runs
        .values()
        .filter(|r| !before.runs.contains_key(&r.run_id))
        .collect();
    new_runs.sort_by(|a, b| a.command_name.cmp(&b.command_name));
    check_runs(&delta.runs, &new_runs)?;
    check_ledger(&delta.ledger, &new_ledger)?;
    if !new_ledger.is_empty() {
        let run_ids: BTreeSet<Option<&str>> =
            new_runs.iter().map(|r| Some(r.run_id.as_str())).collect();
        for row in &new_ledger {
            if new_runs.len() != 1 || !run_ids.contains(&row.run_id.as_deref()) {
                return Err(fail(
                    "a new ledger row must carry the run_id of the call that wrote it \
                     (CONTRACT.md §4: the command log)",
                    run_ids,
                    &row.run_id,
                ));
            }
        }
    }
    Ok(next)
}

/// Check the answer against what the step allows; the accepted success, if any.
fn check_answer<'s>(
    step: &'s Step,
    ans: &OpAnswer,
) -> Result<Option<&'s super::model::Accept>, CaseError> {
    match (ans, &step.refuse, &step.accept) {
        (Answer::Err { sqlstate, message }, Some(code), _) => {
            if code.allows(sqlstate) {
                Ok(None)
            } else {
                Err(CaseError::Fail(Box::new(FailureDetail {
                    message: format!(
                        "wrong SQLSTATE (CONTRACT.md §4 Functions fixes the codes; kernel said: {message})"
                    ),
                    expected: Some(describe_code(code)),
                    actual: Some(sqlstate.clone()),
                    sqlstate: Some(sqlstate.clone()),
                    sql: None,
                })))
            }
        }
        (Answer::Err { sqlstate, message }, None, accept) => {
            Err(CaseError::Fail(Box::new(FailureDetail {
                message: format!(
                    "the kernel refused a call the contract requires to succeed: {message}"
                ),
                expected: Some(json_text(&accept.as_ref().map(|a| &a.outcome))),
                actual: Some(format!("error {sqlstate}")),
                sqlstate: Some(sqlstate.clone()),
                sql: None,
            })))
        }
        (Answer::Ok(v), _, Some(a)) => {
            check_outcome(&a.outcome, v)?;
            Ok(Some(a))
        }
        (Answer::Ok(v), refuse, None) => Err(CaseError::mismatch(
            "the kernel accepted a call the contract requires it to refuse",
            format!(
                "an error with SQLSTATE {}",
                refuse.as_ref().map_or("?".to_owned(), describe_code)
            ),
            json_text(v),
        )),
    }
}

fn describe_code(code: &Code) -> String {
    match code {
        Code::Any => "any".to_owned(),
        Code::OneOf(set) => set.iter().copied().collect::<Vec<_>>().join(" or "),
    }
}

fn check_outcome(outcome: &Outcome, v: &serde_json::Value) -> CaseResult {
    match outcome {
        Outcome::Done | Outcome::Reinstalled => Ok(()),
        Outcome::Opened | Outcome::Closed => {
            let want = if *outcome == Outcome::Opened {
                "opened"
            } else {
                "closed"
            };
            if v.get("status").and_then(|s| s.as_str()) == Some(want) {
                Ok(())
            } else {
                Err(CaseError::mismatch(
                    "wrong status",
                    format!("{{\"status\": \"{want}\", ...}}"),
                    json_text(v),
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
                    "the watchdog's `closed` list differs from the model (CONTRACT.md §4 v2 watchdog rule)",
                    want,
                    v,
                ))
            }
        }
        Outcome::Verify(want) => {
            let got = parse_verify(v);
            if got.as_ref().is_some_and(|g| g.agrees_with(want)) {
                Ok(())
            } else {
                Err(fail(
                    "verify_closed's report differs from the model (CONTRACT.md §4: closed iff \
                     the value is exactly 'false'; a missing row is open and reads as null or is not listed)",
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
        return Err(fail(
            "dot_config differs from the model (CONTRACT.md §4 Functions and v2 exact rules)",
            want,
            got,
        ));
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
                && Some(&w.actor) == g.actor.as_ref()
                && Some(w.created_at) == g.created_at
        });
    if same {
        Ok(())
    } else {
        Err(fail(
            "new command-run rows differ from the model (CONTRACT.md §4: every successful open, \
             close and watchdog call writes exactly one row for its own command, created_at = \
             kernel_now(); a refused call writes none)",
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
        Err(fail(
            "new ledger rows differ from the model (CONTRACT.md §4: one row per change, prev/new, \
             expires_at = kernel_now() + ttl)",
            want,
            got,
        ))
    }
}

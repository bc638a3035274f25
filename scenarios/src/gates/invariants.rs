//! GATE-NEVER-FLIP, GATE-WATCHDOG and GATE-LEDGER: checks of one property
//! each, over the same operation sequences as GATE-MODEL but judged directly
//! from the observed database (no reference model), so they cross-check it.

use super::exec::{
    applies, check_ledger_kept, new_ledger_rows, observe, run_op, start_case, Observed, OpAnswer,
    Tracker,
};
use super::model::{is_open_row, EPOCH_US};
use super::model_check::{at_step, parse_verify};
use super::{coverage_of, InvariantIds};
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::{query_json, Answer};
use crate::property::declare_property;
use crate::sandbox::Sandbox;
use pgconform_generators::gates::{arb_gate_ops, GateOp, GOVERNABLE, NEVER_FLIP};
use postgres::Client;
use std::collections::{BTreeMap, BTreeSet};

const MAX_OPS: usize = 24;

/// One executed step, as the per-invariant checks see it.
pub struct Step<'a> {
    /// The operation.
    pub op: &'a GateOp,
    /// The kernel's answer.
    pub answer: &'a OpAnswer,
    /// State before the step.
    pub before: &'a Observed,
    /// State after the step.
    pub after: &'a Observed,
    /// The test clock after the step (µs since the Unix epoch).
    pub now: i64,
}

/// Run `ops` on a fresh database, calling `check` after every step.
pub fn drive(
    sandbox: &dyn Sandbox,
    ops: &[GateOp],
    mut check: impl FnMut(&mut Client, &Step<'_>) -> CaseResult,
) -> CaseResult {
    let (mut db, mut before) = start_case(sandbox)?;
    let mut tracker = Tracker::new(EPOCH_US);
    for (i, op) in ops.iter().enumerate() {
        if !applies(op, before.installed) {
            continue;
        }
        let answer = run_op(&mut db, sandbox, op, &mut tracker)?;
        let now = tracker.now;
        let after = observe(&mut db).map_err(|e| at_step(e, i, op))?;
        let step = Step {
            op,
            answer: &answer,
            before: &before,
            after: &after,
            now,
        };
        check(&mut db, &step).map_err(|e| at_step(e, i, op))?;
        tracker.observe(&before, &after);
        before = after;
    }
    Ok(())
}

fn is_api(op: &GateOp) -> bool {
    matches!(
        op,
        GateOp::Open { .. }
            | GateOp::Close { .. }
            | GateOp::Watchdog { .. }
            | GateOp::Verify
            | GateOp::Log { .. }
    )
}

// ---------------------------------------------------------------------------

declare_property! {
    /// GATE-NEVER-FLIP.
    GateNeverFlip {
        input: Vec<GateOp>,
        meta: InvariantMeta::new(
            InvariantIds::NEVER_FLIP,
            Suite::Gates,
            "no API sequence ever makes a never-flip gate true",
            super::SEED,
            "API calls never set a never-flip gate to anything but 'false'; opening one is refused \
             with 42501; after every step verify_closed's never_flip_intact says exactly whether both \
             never-flip gates read 'false' (even after an operator's out-of-band write).",
            32,
        ),
        strategy: || arb_gate_ops(MAX_OPS),
        coverage: coverage_of,
        check: never_flip_holds,
    }
}

/// GATE-NEVER-FLIP's check: after every step, never-flip gates and verify_closed.
fn never_flip_holds(sandbox: &dyn Sandbox, ops: &[GateOp]) -> CaseResult {
    drive(sandbox, ops, |db, s| {
        if is_api(s.op) && s.before.installed {
            for key in NEVER_FLIP {
                let (b, a) = (s.before.value(key), s.after.value(key));
                if a != b && a != Some("false") {
                    return Err(CaseError::mismatch(
                        format!("an API call changed never-flip gate {key} to something other than 'false'"),
                        format!("{b:?} or 'false'"),
                        pgconform_reports::json_text(&a),
                    ));
                }
            }
        }
        if let GateOp::Open {
            gate: Some(g),
            approval,
            actor,
            ttl,
            ..
        } = s.op
        {
            // 42501 is required when nothing else is wrong with the call (the
            // contract does not order its checks); a refusal always.
            let clean = approval.is_some()
                && actor.as_deref().is_some_and(|a| !a.trim().is_empty())
                && ttl.is_some_and(|t| t > 0 && t <= pgconform_generators::gates::MAX_TTL_SECONDS);
            let code = s.answer.sqlstate();
            if NEVER_FLIP.contains(&g.as_str())
                && s.before.installed
                && (code.is_none() || (clean && code != Some("42501")))
            {
                return Err(CaseError::mismatch(
                    format!("opening never-flip gate {g} must be refused with 42501 (CONTRACT.md §4 fn_iu_gate_open)"),
                    "42501",
                    pgconform_reports::json_text(&code),
                ));
            }
        }
        if s.after.installed {
            let sql = "SELECT public.fn_iu_gate_verify_closed('pgconform')";
            let report = query_json(db, sql, &[])?;
            let intact = NEVER_FLIP.iter().all(|k| s.after.value(k) == Some("false"));
            let parsed = parse_verify(&report);
            let ok = parsed.as_ref().is_some_and(|v| {
                v.never_flip_intact == intact
                    && (!v.all_safe || intact)
                    && NEVER_FLIP.iter().all(|k| v.reports(k, s.after.value(k)))
            });
            if !ok {
                let values: BTreeMap<&str, Option<&str>> =
                    NEVER_FLIP.iter().map(|k| (*k, s.after.value(k))).collect();
                return Err(CaseError::mismatch(
                    "verify_closed misreports the never-flip gates",
                    format!("never_flip_intact = {intact} for {values:?}"),
                    report,
                )
                .with_sql(sql));
            }
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------

declare_property! {
    /// GATE-WATCHDOG.
    GateWatchdog {
        input: Vec<GateOp>,
        meta: InvariantMeta::new(
            InvariantIds::WATCHDOG,
            Suite::Gates,
            "after a watchdog at time t every open governable gate has a live latest open; those stay open",
            super::SEED,
            "After every successful watchdog run at test time t, every governable gate that is still \
             open (value not exactly 'false', or no row) has a latest ledger row that is an 'open' \
             with expires_at >= t; every gate that was open with such a live latest open is \
             untouched; the returned `closed` list names exactly the gates it closed (CONTRACT.md \
             §4, v2 watchdog rule).",
            32,
        ),
        strategy: || arb_gate_ops(MAX_OPS),
        coverage: coverage_of,
        check: watchdog_rule_holds,
    }
}

/// GATE-WATCHDOG's check: after every watchdog run, the v2 watchdog rule.
fn watchdog_rule_holds(sandbox: &dyn Sandbox, ops: &[GateOp]) -> CaseResult {
    // Per gate, its latest ledger row as the harness saw rows appear:
    // Some(expires_at) for an 'open', None for a close or watchdog_close.
    let mut latest: BTreeMap<String, Option<i64>> = BTreeMap::new();
    drive(sandbox, ops, |_, s| {
        if !s.after.installed || !s.before.installed {
            latest.clear();
        }
        if let (GateOp::Watchdog { .. }, Answer::Ok(v)) = (s.op, s.answer) {
            let closed: BTreeSet<String> = v
                .get("closed")
                .and_then(|c| c.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let mut really_closed = BTreeSet::new();
            for g in GOVERNABLE {
                let (b, a) = (s.before.value(g), s.after.value(g));
                let last = latest.get(g).copied().flatten();
                let live = last.is_some_and(|e| s.now <= e);
                if is_open_row(a) && !live {
                    return Err(CaseError::mismatch(
                        format!(
                            "governable gate {g} is still open after the watchdog without a live \
                             latest open (CONTRACT.md §4 v2 watchdog rule)"
                        ),
                        format!(
                            "'false' (latest ledger row: {}, now {} µs)",
                            match latest.get(g) {
                                None => "none".to_owned(),
                                Some(None) => "a close".to_owned(),
                                Some(Some(e)) => format!("an open expiring at {e} µs"),
                            },
                            s.now
                        ),
                        pgconform_reports::json_text(&a),
                    ));
                }
                if is_open_row(b) && live && a != b {
                    return Err(CaseError::mismatch(
                        format!(
                            "the watchdog touched {g}, whose latest open is live (CONTRACT.md §4 v2 watchdog rule)"
                        ),
                        pgconform_reports::json_text(&b),
                        pgconform_reports::json_text(&a),
                    ));
                }
                if a != b {
                    really_closed.insert(g.to_owned());
                }
            }
            if closed != really_closed {
                return Err(CaseError::mismatch(
                    "the watchdog's `closed` list differs from the gates it closed",
                    pgconform_reports::json_text(&really_closed),
                    v,
                ));
            }
        }
        for row in new_ledger_rows(s.before, s.after) {
            let open = (row.action == "open").then_some(row.expires_at).flatten();
            latest.insert(row.gate_key.clone(), open);
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------

declare_property! {
    /// GATE-LEDGER.
    GateLedger {
        input: Vec<GateOp>,
        meta: InvariantMeta::new(
            InvariantIds::LEDGER,
            Suite::Gates,
            "every API change of a gate value has exactly one ledger row; the ledger is append-only",
            super::SEED,
            "Every successful open or close writes exactly one ledger row for its gate, every watchdog \
             run one row per gate it closed, each with prev/new equal to the values before and after; \
             refused calls and non-API steps write none; no existing row ever changes or disappears, \
             whatever is attempted against the ledger directly.",
            32,
        ),
        strategy: || arb_gate_ops(MAX_OPS),
        coverage: coverage_of,
        check: ledger_matches_calls,
    }
}

/// GATE-LEDGER's check: after every step, the new ledger rows match the call.
fn ledger_matches_calls(sandbox: &dyn Sandbox, ops: &[GateOp]) -> CaseResult {
    drive(sandbox, ops, |_, s| {
        if !(s.before.installed && s.after.installed) {
            return Ok(());
        }
        check_ledger_kept(s.before, s.after)?;
        let new = new_ledger_rows(s.before, s.after);
        let changed: BTreeSet<&str> = s
            .before
            .config
            .keys()
            .chain(s.after.config.keys())
            .map(String::as_str)
            .filter(|k| s.before.value(k) != s.after.value(k))
            .collect();
        // The rows the call must have written: (action, gates).
        let (action, gates): (&str, BTreeSet<&str>) = match (s.op, s.answer) {
            (GateOp::Open { gate: Some(g), .. }, Answer::Ok(_)) => ("open", [g.as_str()].into()),
            (GateOp::Close { gate: Some(g), .. }, Answer::Ok(_)) => ("close", [g.as_str()].into()),
            (GateOp::Watchdog { .. }, Answer::Ok(_)) => ("watchdog_close", changed.clone()),
            // Refused calls and non-API steps write no ledger row.
            _ => ("none", BTreeSet::new()),
        };
        let got: Vec<(&str, &str)> = new
            .iter()
            .map(|r| (r.gate_key.as_str(), r.action.as_str()))
            .collect();
        let want: Vec<(&str, &str)> = gates.iter().map(|g| (*g, action)).collect();
        let mut got_sorted = got.clone();
        got_sorted.sort_unstable();
        if got_sorted != want {
            return Err(CaseError::mismatch(
                "the new ledger rows do not match the call (one row per gate it changed or named)",
                pgconform_reports::json_text(&want),
                pgconform_reports::json_text(&got),
            ));
        }
        if is_api(s.op) {
            for key in &changed {
                if !gates.contains(key) {
                    return Err(CaseError::mismatch(
                        format!("gate {key} changed through the API without a ledger row"),
                        format!("{:?} with one ledger row", s.after.value(key)),
                        "no ledger row",
                    ));
                }
            }
        }
        for row in &new {
            let (b, a) = (s.before.value(&row.gate_key), s.after.value(&row.gate_key));
            if row.prev_value.as_deref() != b || row.new_value.as_deref() != a {
                return Err(CaseError::mismatch(
                    format!("ledger row for {} has the wrong prev/new", row.gate_key),
                    format!("prev {b:?}, new {a:?}"),
                    format!("prev {:?}, new {:?}", row.prev_value, row.new_value),
                ));
            }
        }
        Ok(())
    })
}

//! GATE-CONCURRENT: several sessions open, close and run the watchdog at once
//! while another moves the clock and a monitor takes snapshots.
//!
//! Every call is made with a unique actor (`s<session>#<call>`), so each ledger
//! row names the call that wrote it. The check:
//! * no row is lost or duplicated: a successful open/close has exactly one row,
//!   a watchdog exactly one per gate it reports closed, a refused call none,
//!   and no row belongs to no call;
//! * at every monitor snapshot and at the end, each gate's history is explained
//!   by some serial order: an order of its rows that respects each session's
//!   call order and non-decreasing created_at, in which every row's prev_value
//!   is the value the previous row left, every open's expires_at is
//!   created_at + ttl, every watchdog close hits a gate that was open and whose
//!   latest row was not a live open — the reference model's rules — and whose last value
//!   is the value dot_config holds.
//!
//! The harness cannot see the kernel's commit order, so ties in created_at
//! (the frozen clock moves in whole seconds) are searched, not assumed.

use super::exec::{observe, ObsLedger, Observed};
use super::model::{is_open, EPOCH_LITERAL};
use super::InvariantIds;
use crate::case::{CaseError, CaseResult};
use crate::clock;
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::{answer, Answer, PgResultExt};
use crate::property::declare_property;
use crate::sandbox::Sandbox;
use pgconform_generators::gates::{arb_concurrent_plan, ConcurrentOp, ConcurrentPlan, GOVERNABLE};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};

/// SQLSTATEs a concurrent call may fail with without breaking the protocol
/// (the call then must leave no trace): serialization failure, deadlock.
const RETRYABLE: [&str; 2] = ["40001", "40P01"];

/// Bound on monitor snapshots per case.
const MAX_SNAPSHOTS: usize = 25;

/// One recorded call.
#[derive(Debug, Clone)]
struct Call {
    op: ConcurrentOp,
    result: Result<serde_json::Value, String>,
}

declare_property! {
    /// GATE-CONCURRENT.
    GateConcurrent {
        input: ConcurrentPlan,
        meta: InvariantMeta::new(
            InvariantIds::CONCURRENT,
            Suite::Gates,
            "concurrent sessions lose no ledger row and end in a state a serial order explains",
            super::SEED,
            "2–4 sessions run open/close/watchdog calls on three contended gates while the \
             clock moves: every successful call has exactly its ledger rows and no row is \
             lost, duplicated or orphaned; at every snapshot and at the end each gate's value \
             is the last value of some serial order of its ledger rows that the reference \
             model's rules accept. A case counts only if, in some run, at least two \
             sessions each completed a call (calls failing with 40001/40P01 prove nothing).",
            6,
        ),
        strategy: || arb_concurrent_plan(4, 10),
        coverage: plan_coverage,
        check: some_run_concurrent_and_serialisable,
    }
}

fn gate_key(i: u8) -> &'static str {
    GOVERNABLE[usize::from(i) % GOVERNABLE.len()]
}

fn run_session(
    mut client: postgres::Client,
    session: usize,
    ops: Vec<ConcurrentOp>,
    start: &Barrier,
) -> Result<Vec<Call>, CaseError> {
    let set = client.batch_execute("SET statement_timeout = '20s'").env();
    // Every session starts its first call at the same moment (even when it
    // could not set up: the barrier must not wait for it forever).
    start.wait();
    set?;
    let mut calls = Vec::with_capacity(ops.len());
    for (i, op) in ops.into_iter().enumerate() {
        let actor = format!("s{session}#{i}");
        let r = match &op {
            ConcurrentOp::Open { gate, ttl } => client.query_one(
                "SELECT public.fn_iu_gate_open($1, '00000000-0000-4000-8000-000000000001', $2, $2, $3)",
                &[&gate_key(*gate), &actor, ttl],
            ),
            ConcurrentOp::Close { gate } => client.query_one(
                "SELECT public.fn_iu_gate_close($1, $2, $2)",
                &[&gate_key(*gate), &actor],
            ),
            ConcurrentOp::Watchdog => client.query_one("SELECT public.fn_iu_gate_watchdog($1)", &[&actor]),
        };
        let result = match answer(r)? {
            Answer::Ok(row) => Ok(row.try_get::<_, serde_json::Value>(0).map_err(|e| {
                CaseError::fail(format!(
                    "the call's result is not jsonb (CONTRACT.md §4 Functions): {e}"
                ))
            })?),
            Answer::Err { sqlstate, .. } => Err(sqlstate),
        };
        calls.push(Call { op, result });
    }
    Ok(calls)
}

/// (session, call index) of a row, from its actor.
fn call_of(row: &ObsLedger) -> Option<(usize, usize)> {
    let a = row.actor.as_deref()?.strip_prefix('s')?;
    let (s, i) = a.split_once('#')?;
    Some((s.parse().ok()?, i.parse().ok()?))
}

/// Per-gate replay state: value, and the expiry of the gate's latest ledger
/// row if that row is an 'open' (`None` after a close or watchdog close).
type GateState = (String, Option<i64>);

fn step(state: &GateState, row: &ObsLedger) -> Option<GateState> {
    let at = row.created_at?;
    if row.prev_value.as_deref() != Some(state.0.as_str()) {
        return None;
    }
    match row.action.as_str() {
        "open" => {
            let ttl = i64::from(row.ttl_seconds?);
            (row.new_value.as_deref() == Some("true")
                && row.expires_at == Some(at + ttl * 1_000_000))
            .then(|| ("true".to_owned(), row.expires_at))
        }
        "close" => (row.new_value.as_deref() == Some("false")).then(|| ("false".to_owned(), None)),
        // v2: the watchdog closes an open gate unless its latest row is a live open.
        "watchdog_close" => (row.new_value.as_deref() == Some("false")
            && is_open(&state.0)
            && state.1.is_none_or(|e| e < at))
        .then(|| ("false".to_owned(), None)),
        _ => None,
    }
}

/// All end states some serial order of `rows` (one gate, one created_at)
/// reaches from `start`, respecting each session's call order.
fn group_ends(start: &GateState, rows: &[&ObsLedger]) -> HashSet<GateState> {
    fn dfs(
        rows: &[&ObsLedger],
        used: u64,
        state: GateState,
        seen: &mut HashSet<(u64, GateState)>,
        out: &mut HashSet<GateState>,
    ) {
        if !seen.insert((used, state.clone())) {
            return;
        }
        if used.count_ones() as usize == rows.len() {
            out.insert(state);
            return;
        }
        for (i, r) in rows.iter().enumerate() {
            if used & (1 << i) != 0 {
                continue;
            }
            // Session order: every earlier call of the same session comes first.
            let blocked = rows.iter().enumerate().any(|(j, o)| {
                used & (1 << j) == 0 && j != i && {
                    let (a, b) = (call_of(o), call_of(r));
                    matches!((a, b), (Some((s1, c1)), Some((s2, c2))) if s1 == s2 && c1 < c2)
                }
            });
            if blocked {
                continue;
            }
            if let Some(next) = step(&state, r) {
                dfs(rows, used | (1 << i), next, seen, out);
            }
        }
    }
    let mut out = HashSet::new();
    let mut seen = HashSet::new();
    dfs(rows, 0, start.clone(), &mut seen, &mut out);
    out
}

/// Whether some serial order of `rows` (all of one gate) ends in `value`.
fn explained(rows: &[&ObsLedger], value: Option<&str>) -> Result<(), String> {
    let mut by_time: BTreeMap<Option<i64>, Vec<&ObsLedger>> = BTreeMap::new();
    for r in rows {
        by_time.entry(r.created_at).or_default().push(r);
    }
    let mut states: HashSet<GateState> = [("false".to_owned(), None)].into();
    for (at, group) in &by_time {
        if group.len() > 60 {
            return Err(format!(
                "{} rows share created_at {at:?}: too many to search",
                group.len()
            ));
        }
        let mut next = HashSet::new();
        for s in &states {
            next.extend(group_ends(s, group));
        }
        if next.is_empty() {
            return Err(format!(
                "no serial order explains the rows at created_at {at:?} from any of the states {states:?}"
            ));
        }
        states = next;
    }
    match value {
        Some(v) if states.iter().any(|s| s.0 == v) => Ok(()),
        _ => Err(format!(
            "the gate reads {value:?}, but its ledger can only end in {states:?}"
        )),
    }
}

fn check_snapshot(obs: &Observed, gates: &BTreeSet<&str>) -> CaseResult {
    let mut per_call: BTreeMap<(usize, usize), Option<i64>> = BTreeMap::new();
    for r in obs.ledger.values() {
        if let Some(c) = call_of(r) {
            per_call.insert(c, r.created_at);
        }
    }
    let mut last: BTreeMap<usize, (usize, Option<i64>)> = BTreeMap::new();
    for ((s, i), at) in per_call {
        if let Some((j, prev)) = last.insert(s, (i, at)) {
            if at < prev {
                return Err(CaseError::mismatch(
                    format!(
                        "session {s}: call {i} has an earlier created_at than its earlier call {j}"
                    ),
                    format!(">= {prev:?}"),
                    pgconform_reports::json_text(&at),
                ));
            }
        }
    }
    for g in gates {
        let rows: Vec<&ObsLedger> = obs.ledger.values().filter(|r| r.gate_key == *g).collect();
        explained(&rows, obs.value(g)).map_err(|why| {
            CaseError::mismatch(
                format!("gate {g}: its value does not match its ledger ({why})"),
                "a value some serial order of the ledger ends in",
                format!("{:?} with {} rows: {rows:#?}", obs.value(g), rows.len()),
            )
        })?;
    }
    Ok(())
}

/// Row accounting: each call has exactly its rows; no row without a call.
fn check_rows(sessions: &[Vec<Call>], obs: &Observed) -> CaseResult {
    let mut rows: BTreeMap<(usize, usize), Vec<&ObsLedger>> = BTreeMap::new();
    for r in obs.ledger.values() {
        let call = call_of(r).ok_or_else(|| {
            CaseError::mismatch(
                "a ledger row belongs to no call",
                "actor s<session>#<call>",
                pgconform_reports::json_text(&r),
            )
        })?;
        rows.entry(call).or_default().push(r);
    }
    for (s, calls) in sessions.iter().enumerate() {
        for (i, call) in calls.iter().enumerate() {
            let mine: Vec<(&str, &str)> = rows
                .remove(&(s, i))
                .unwrap_or_default()
                .iter()
                .map(|r| (r.gate_key.as_str(), r.action.as_str()))
                .collect();
            let mut mine_sorted = mine.clone();
            mine_sorted.sort_unstable();
            let want: Vec<(&str, &str)> = match (&call.op, &call.result) {
                (_, Err(code)) if RETRYABLE.contains(&code.as_str()) => Vec::new(),
                (_, Err(code)) => {
                    return Err(CaseError::mismatch(
                        format!(
                            "session {s} call {i} ({:?}) was refused under concurrency",
                            call.op
                        ),
                        "success (every call is valid)",
                        format!("SQLSTATE {code}"),
                    ))
                }
                (ConcurrentOp::Open { gate, .. }, Ok(_)) => vec![(gate_key(*gate), "open")],
                (ConcurrentOp::Close { gate }, Ok(_)) => vec![(gate_key(*gate), "close")],
                (ConcurrentOp::Watchdog, Ok(v)) => {
                    let mut closed: Vec<(&str, &str)> = v
                        .get("closed")
                        .and_then(|c| c.as_array())
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str())
                                .map(|k| (k, "watchdog_close"))
                                .collect()
                        })
                        .unwrap_or_default();
                    closed.sort_unstable();
                    closed
                }
            };
            if mine_sorted != want {
                return Err(CaseError::mismatch(
                    format!(
                        "session {s} call {i} ({:?}): ledger rows lost or duplicated",
                        call.op
                    ),
                    pgconform_reports::json_text(&want),
                    pgconform_reports::json_text(&mine),
                ));
            }
        }
    }
    if let Some(((s, i), r)) = rows.into_iter().next() {
        return Err(CaseError::mismatch(
            format!("ledger rows name call s{s}#{i}, which was never made"),
            "no row",
            pgconform_reports::json_text(&r),
        ));
    }
    Ok(())
}

/// GATE-CONCURRENT's check: every run of the plan is explained by a serial
/// order, and in some run two sessions each got a call through.
fn some_run_concurrent_and_serialisable(
    sandbox: &dyn Sandbox,
    plan: &ConcurrentPlan,
) -> CaseResult {
    // Interleavings differ from run to run: each case runs its plan several
    // times, so a racy failure also reproduces while shrinking and on the
    // runner's re-check of the shrunk input.
    let mut concurrent_runs = 0;
    for attempt in 1..=RUNS_PER_CASE {
        let succeeded = run_plan(sandbox, plan)
            .map_err(|e| e.prefixed(&format!("run {attempt}/{RUNS_PER_CASE}")))?;
        if succeeded.iter().filter(|n| **n > 0).count() >= 2 {
            concurrent_runs += 1;
        } else if concurrent_runs == 0 && succeeded.iter().all(|n| *n == 0) {
            // Not a single call got through: more runs will not differ.
            break;
        }
    }
    // A run in which fewer than two sessions got a call through (all the
    // others failed with 40001/40P01) proves nothing about concurrency.
    if concurrent_runs == 0 {
        return Err(CaseError::Reject(format!(
            "in none of {RUNS_PER_CASE} runs did two sessions each complete a call \
             (every other call failed with {RETRYABLE:?}): the case proves nothing"
        )));
    }
    Ok(())
}

/// Runs of the same plan per case.
const RUNS_PER_CASE: usize = 6;

/// Advance the frozen clock by each step until the sessions are `done`.
fn drive_clock(client: &mut postgres::Client, steps: Vec<i64>, done: &AtomicBool) -> CaseResult {
    for secs in steps {
        if done.load(Ordering::Relaxed) {
            break;
        }
        clock::advance(client, secs)?;
        // Pace the clock across the sessions' calls (harness pacing only:
        // nothing in the kernel waits for real time).
        std::thread::sleep(std::time::Duration::from_millis(3));
    }
    Ok(())
}

/// Observe the gates' state until the sessions are `done` (at most
/// [`MAX_SNAPSHOTS`] times).
fn monitor(
    client: &mut postgres::Client,
    done: &AtomicBool,
    snapshots: &Mutex<Vec<Observed>>,
) -> CaseResult {
    let mut n = 0;
    while !done.load(Ordering::Relaxed) && n < MAX_SNAPSHOTS {
        let obs = observe(client)?;
        snapshots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(obs);
        n += 1;
    }
    Ok(())
}

/// Run the plan once; the number of successful calls per session.
fn run_plan(sandbox: &dyn Sandbox, plan: &ConcurrentPlan) -> Result<Vec<usize>, CaseError> {
    let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
    clock::freeze(&mut db, EPOCH_LITERAL)?;
    let gates: BTreeSet<&str> = GOVERNABLE.iter().copied().collect();
    let done = Arc::new(AtomicBool::new(false));
    let snapshots: Arc<Mutex<Vec<Observed>>> = Arc::new(Mutex::new(Vec::new()));

    let mut clients = Vec::new();
    for _ in 0..plan.sessions.len() + 2 {
        clients.push(db.connect().map_err(CaseError::env)?);
    }
    let mut monitor_client = clients
        .pop()
        .ok_or_else(|| CaseError::env("no monitor session"))?;
    let mut clock_client = clients
        .pop()
        .ok_or_else(|| CaseError::env("no clock session"))?;

    let start = Barrier::new(plan.sessions.len());
    let results = std::thread::scope(|scope| {
        let start = &start;
        let workers: Vec<_> = plan
            .sessions
            .iter()
            .cloned()
            .zip(clients)
            .enumerate()
            .map(|(s, (ops, client))| scope.spawn(move || run_session(client, s, ops, start)))
            .collect();
        let steps = plan.clock_steps.clone();
        let clock_done = Arc::clone(&done);
        let clock = scope.spawn(move || drive_clock(&mut clock_client, steps, &clock_done));
        let mon_done = Arc::clone(&done);
        let mon_snaps = Arc::clone(&snapshots);
        let monitor = scope.spawn(move || monitor(&mut monitor_client, &mon_done, &mon_snaps));
        let mut sessions = Vec::new();
        let mut first_err = None;
        for w in workers {
            match w.join() {
                Ok(Ok(calls)) => sessions.push(calls),
                Ok(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Err(_) => {
                    first_err.get_or_insert(CaseError::env("a session thread panicked"));
                }
            }
        }
        done.store(true, Ordering::Relaxed);
        for h in [clock, monitor] {
            match h.join() {
                Ok(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Err(_) => {
                    first_err.get_or_insert(CaseError::env("a helper thread panicked"));
                }
                Ok(Ok(())) => {}
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(sessions),
        }
    })?;

    for (n, obs) in snapshots
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .enumerate()
    {
        check_snapshot(obs, &gates)
            .map_err(|e| e.prefixed(&format!("monitor snapshot {}", n + 1)))?;
    }
    let fin = observe(&mut db)?;
    check_rows(&results, &fin).map_err(|e| e.prefixed("final state"))?;
    check_snapshot(&fin, &gates).map_err(|e| e.prefixed("final state"))?;
    Ok(results
        .iter()
        .map(|calls| calls.iter().filter(|c| c.result.is_ok()).count())
        .collect())
}

fn plan_coverage(plan: &ConcurrentPlan) -> Vec<String> {
    let mut out = BTreeSet::new();
    out.insert(format!("sessions:{}", plan.sessions.len()));
    for op in plan.sessions.iter().flatten() {
        out.insert(
            match op {
                ConcurrentOp::Open { .. } => "op:open",
                ConcurrentOp::Close { .. } => "op:close",
                ConcurrentOp::Watchdog => "op:watchdog",
            }
            .to_owned(),
        );
    }
    if !plan.clock_steps.is_empty() {
        out.insert("op:advance".to_owned());
    }
    out.into_iter().collect()
}

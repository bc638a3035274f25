//! Running [`GateOp`]s against a kernel and reading back everything the gate
//! protocol owns: dot_config, the ledger and the command-run log.
//!
//! Timestamps are read as whole microseconds since the Unix epoch, so nothing
//! depends on the session's TimeZone or on text rendering.

use crate::case::{CaseError, CaseResult};
use crate::clock;
use crate::pg::{answer, Answer, PgResultExt};
use crate::sandbox::{CaseDb, Sandbox};
use pgconform_generators::gates::{approval_uuid, GateOp, LedgerTamper, GOVERNABLE, NEVER_FLIP};
use pgconform_reports::FailureDetail;
use postgres::Client;
use std::collections::BTreeMap;

use super::model::EPOCH_LITERAL;

/// The protocol's functions and command catalog (contract §4, `pgconform_contract`).
pub use pgconform_contract::gates::{catalog_entry, FUNCTIONS};

/// One dot_config row as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObsConfig {
    /// value.
    pub value: String,
    /// updated_at (µs).
    pub updated_at: i64,
}

/// One ledger row as read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ObsLedger {
    /// transition_id.
    pub transition_id: String,
    /// gate_key.
    pub gate_key: String,
    /// action.
    pub action: String,
    /// prev_value.
    pub prev_value: Option<String>,
    /// new_value.
    pub new_value: Option<String>,
    /// approval_id.
    pub approval_id: Option<String>,
    /// ttl_seconds.
    pub ttl_seconds: Option<i32>,
    /// expires_at (µs).
    pub expires_at: Option<i64>,
    /// actor.
    pub actor: Option<String>,
    /// reason.
    pub reason: Option<String>,
    /// run_id.
    pub run_id: Option<String>,
    /// created_at (µs).
    pub created_at: Option<i64>,
}

/// One command-run row as read (the contract's columns only).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ObsRun {
    /// run_id.
    pub run_id: String,
    /// command_name.
    pub command_name: String,
    /// actor.
    pub actor: Option<String>,
    /// created_at (µs).
    pub created_at: Option<i64>,
}

/// Everything the protocol owns, as read in one snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observed {
    /// All tables and functions present.
    pub installed: bool,
    /// dot_config by key.
    pub config: BTreeMap<String, ObsConfig>,
    /// Ledger rows by transition_id.
    pub ledger: BTreeMap<String, ObsLedger>,
    /// Run rows by run_id.
    pub runs: BTreeMap<String, ObsRun>,
}

impl Observed {
    /// The value of `key`, if its row exists.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.config.get(key).map(|c| c.value.as_str())
    }
}

const PRESENCE_SQL: &str =
    "SELECT count(*) FROM unnest($1::text[]) f WHERE to_regprocedure(f) IS NOT NULL";
const CONFIG_SQL: &str = "SELECT key, value, (extract(epoch FROM updated_at) * 1000000)::bigint \
     FROM public.dot_config";
const LEDGER_SQL: &str = "SELECT transition_id::text, gate_key, action, prev_value, new_value, \
     approval_id::text, ttl_seconds::int, (extract(epoch FROM expires_at) * 1000000)::bigint, actor, \
     reason, run_id::text, (extract(epoch FROM created_at) * 1000000)::bigint \
     FROM public.iu_gate_transition";
const RUNS_SQL: &str = "SELECT run_id::text, command_name, actor, \
     (extract(epoch FROM created_at) * 1000000)::bigint FROM public.dot_iu_command_run";

/// The contract clause a read of the protocol's tables relies on.
const OBJECTS_CLAUSE: &str = "CONTRACT.md §4 Objects: dot_config(key, value, updated_at), \
     iu_gate_transition(transition_id, gate_key, action, prev_value, new_value, approval_id, \
     ttl_seconds, expires_at, actor, reason, run_id, created_at) and dot_iu_command_run(run_id, \
     command_name, actor, created_at) with the contract's types";

/// A row read from one of the protocol's tables by `sql`.
struct TableRow<'r> {
    row: &'r postgres::Row,
    sql: &'r str,
}

impl TableRow<'_> {
    /// Column `i`; a wrong type or an unexpected null is a kernel failure
    /// naming the clause.
    fn col<T: postgres::types::FromSqlOwned>(&self, i: usize) -> Result<T, CaseError> {
        self.row.try_get(i).map_err(|e| {
            CaseError::Fail(Box::new(FailureDetail {
                message: format!(
                    "column {} ({}) cannot be read as the contract says: {e} ({OBJECTS_CLAUSE})",
                    i + 1,
                    self.row.columns().get(i).map_or("?", |c| c.name())
                ),
                sql: Some(self.sql.to_owned()),
                ..FailureDetail::default()
            }))
        })
    }
}

/// Every row `sql` reads from one of the protocol's tables, keyed as `entry`
/// reads it.
fn read_map<K: Ord, V>(
    tx: &mut postgres::Transaction<'_>,
    sql: &str,
    entry: impl Fn(&TableRow<'_>) -> Result<(K, V), CaseError>,
) -> Result<BTreeMap<K, V>, CaseError> {
    read(tx, sql)?
        .iter()
        .map(|row| entry(&TableRow { row, sql }))
        .collect()
}

fn read<'a>(
    tx: &mut postgres::Transaction<'a>,
    sql: &str,
) -> Result<Vec<postgres::Row>, CaseError> {
    tx.query(sql, &[]).map_err(|e| match e.as_db_error() {
        Some(db) => CaseError::Fail(Box::new(FailureDetail {
            message: format!(
                "the protocol's tables cannot be read ({OBJECTS_CLAUSE}): {}",
                db.message()
            ),
            sql: Some(sql.to_owned()),
            sqlstate: Some(db.code().code().to_owned()),
            ..FailureDetail::default()
        })),
        None => CaseError::Env(crate::pg::describe(&e)),
    })
}

/// Read the protocol's state in one REPEATABLE READ snapshot. The protocol
/// is installed when its four functions exist; some but not all of them is
/// a kernel failure. Only the contract's columns are read.
pub fn observe(client: &mut Client) -> Result<Observed, CaseError> {
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .env()?;
    let funcs: Vec<String> = FUNCTIONS.iter().map(|s| (*s).to_owned()).collect();
    let nf: i64 = tx.query_one(PRESENCE_SQL, &[&funcs]).env()?.get(0);
    let mut obs = Observed::default();
    if nf == 0 {
        tx.commit().env()?;
        return Ok(obs);
    }
    if nf != FUNCTIONS.len() as i64 {
        return Err(CaseError::Fail(Box::new(FailureDetail {
            message: format!(
                "the gate protocol is partly installed: {nf} of its {} functions exist \
                 (CONTRACT.md §4: gates-install installs the protocol, gates-rollback removes it)",
                FUNCTIONS.len()
            ),
            sql: Some(PRESENCE_SQL.to_owned()),
            ..FailureDetail::default()
        })));
    }
    obs.installed = true;
    obs.config = read_map(&mut tx, CONFIG_SQL, |r| {
        let key = r.col(0)?;
        let config = ObsConfig {
            value: r.col(1)?,
            updated_at: r.col(2)?,
        };
        Ok((key, config))
    })?;
    obs.ledger = read_map(&mut tx, LEDGER_SQL, |r| {
        let row = ObsLedger {
            transition_id: r.col(0)?,
            gate_key: r.col(1)?,
            action: r.col(2)?,
            prev_value: r.col(3)?,
            new_value: r.col(4)?,
            approval_id: r.col(5)?,
            ttl_seconds: r.col(6)?,
            expires_at: r.col(7)?,
            actor: r.col(8)?,
            reason: r.col(9)?,
            run_id: r.col(10)?,
            created_at: r.col(11)?,
        };
        Ok((row.transition_id.clone(), row))
    })?;
    obs.runs = read_map(&mut tx, RUNS_SQL, |r| {
        let row = ObsRun {
            run_id: r.col(0)?,
            command_name: r.col(1)?,
            actor: r.col(2)?,
            created_at: r.col(3)?,
        };
        Ok((row.run_id.clone(), row))
    })?;
    tx.commit().env()?;
    Ok(obs)
}

/// Whether the harness runs `op` in a database where the protocol is
/// installed (`installed`) or rolled back. After a rollback only the
/// protocol's functions, the scripts and the clock are probed: whether
/// dot_config, the ledger or the logger survive is the kernel's choice.
pub fn applies(op: &GateOp, installed: bool) -> bool {
    installed
        || !matches!(
            op,
            GateOp::OobWrite { .. }
                | GateOp::OobDelete { .. }
                | GateOp::OobInsert { .. }
                | GateOp::TamperLedger { .. }
                | GateOp::Log { .. }
        )
}

/// The kernel's answer to one operation: a jsonb result (or null for
/// statements without one) or a server error.
pub type OpAnswer = Answer<serde_json::Value>;

/// The SQL an operation runs (for failure reports).
pub fn op_sql(op: &GateOp) -> String {
    match op {
        GateOp::Open { .. } => {
            "SELECT public.fn_iu_gate_open($1, $2::text::uuid, $3, $4, $5)".into()
        }
        GateOp::Close { .. } => "SELECT public.fn_iu_gate_close($1, $2, $3)".into(),
        GateOp::Watchdog { .. } => "SELECT public.fn_iu_gate_watchdog($1)".into(),
        GateOp::Verify => "SELECT public.fn_iu_gate_verify_closed('pgconform')".into(),
        GateOp::Advance { seconds } => format!("-- test clock += {seconds} s"),
        GateOp::AdvanceToExpiry { offset } => {
            format!("-- test clock := next pending expires_at {offset:+} s")
        }
        GateOp::OobWrite { .. } => "UPDATE public.dot_config SET value = $2 WHERE key = $1".into(),
        GateOp::OobDelete { .. } => "DELETE FROM public.dot_config WHERE key = $1".into(),
        GateOp::OobInsert { .. } => {
            "INSERT INTO public.dot_config (key, value) VALUES ($1, $2)".into()
        }
        GateOp::TamperLedger { kind } => tamper_sql(*kind).into(),
        GateOp::Log { .. } => {
            "SELECT to_jsonb(public.fn_dot_iu_command_log($1, $2, $3, 'applied', $4, NULL, NULL, NULL, $5))"
                .into()
        }
        GateOp::Rollback => "-- script gates-rollback".into(),
        GateOp::Reinstall => "-- script gates-install".into(),
    }
}

fn tamper_sql(kind: LedgerTamper) -> &'static str {
    match kind {
        LedgerTamper::Update => "UPDATE public.iu_gate_transition SET new_value = 'true'",
        LedgerTamper::Delete => {
            "DELETE FROM public.iu_gate_transition WHERE transition_id = \
             (SELECT transition_id FROM public.iu_gate_transition LIMIT 1)"
        }
        LedgerTamper::Truncate => "TRUNCATE public.iu_gate_transition",
    }
}

fn json_answer(
    client: &mut Client,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<OpAnswer, CaseError> {
    Ok(match answer(client.query_one(sql, params))? {
        Answer::Ok(row) => Answer::Ok(
            row.try_get::<_, Option<serde_json::Value>>(0)
                .map_err(|e| {
                    CaseError::Fail(Box::new(FailureDetail {
                        message: format!(
                            "the call's result is not jsonb (CONTRACT.md §4 Functions: the protocol's \
                             functions return jsonb; the logger returns uuid): {e}"
                        ),
                        sql: Some(sql.to_owned()),
                        ..FailureDetail::default()
                    }))
                })?
                .unwrap_or_default(),
        ),
        Answer::Err { sqlstate, message } => Answer::Err { sqlstate, message },
    })
}

fn exec_answer(
    client: &mut Client,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<OpAnswer, CaseError> {
    Ok(match answer(client.execute(sql, params))? {
        Answer::Ok(_) => Answer::Ok(serde_json::Value::Null),
        Answer::Err { sqlstate, message } => Answer::Err { sqlstate, message },
    })
}

/// Fail when a script run inside the harness's transaction has ended it (a
/// script with its own COMMIT or ROLLBACK): a SAVEPOINT then fails.
pub fn check_tx_intact(tx: &mut postgres::Transaction<'_>) -> CaseResult {
    let probe = "SAVEPOINT pgc_tx_probe; RELEASE SAVEPOINT pgc_tx_probe";
    match answer(tx.batch_execute(probe))? {
        Answer::Ok(()) => Ok(()),
        Answer::Err { sqlstate, message } => Err(CaseError::Fail(Box::new(FailureDetail {
            message: format!(
                "a SUT script (gates-install or gates-rollback) ended the transaction the harness \
                 runs it in (a SAVEPOINT after it fails: {message}); CONTRACT.md §0: install files \
                 and scripts contain no transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, \
                 or a procedure that commits)"
            ),
            sqlstate: Some(sqlstate),
            sql: Some(probe.to_owned()),
            ..FailureDetail::default()
        }))),
    }
}

/// Run a SUT script (`gates-install`, `gates-rollback`) in one transaction.
pub fn run_script(client: &mut Client, sql: &str) -> Result<OpAnswer, CaseError> {
    let mut tx = client.transaction().env()?;
    match answer(tx.batch_execute(sql))? {
        Answer::Ok(()) => {
            check_tx_intact(&mut tx)?;
            tx.commit().env()?;
            Ok(Answer::Ok(serde_json::Value::Null))
        }
        Answer::Err { sqlstate, message } => {
            tx.rollback().env()?;
            Ok(Answer::Err { sqlstate, message })
        }
    }
}

/// What the harness itself knows during a case: the test clock and, per gate,
/// the expiry of the latest 'open' row it saw appear (to resolve
/// [`GateOp::AdvanceToExpiry`] without a model).
#[derive(Debug, Clone)]
pub struct Tracker {
    /// The frozen clock (µs since the Unix epoch).
    pub now: i64,
    /// expires_at of the latest 'open' row per gate.
    pub latest_open: BTreeMap<String, Option<i64>>,
}

impl Tracker {
    /// A tracker whose clock starts at `now`.
    pub fn new(now: i64) -> Self {
        Self {
            now,
            latest_open: BTreeMap::new(),
        }
    }

    /// Seconds a clock operation moves the clock by (`None` for other operations).
    pub fn advance_seconds(&self, op: &GateOp) -> Option<i64> {
        match op {
            GateOp::Advance { seconds } => Some(*seconds),
            GateOp::AdvanceToExpiry { offset } => Some(
                self.latest_open
                    .values()
                    .copied()
                    .flatten()
                    .filter(|e| *e >= self.now)
                    .min()
                    .map_or(0, |e| ((e - self.now) / 1_000_000 + offset).max(0)),
            ),
            _ => None,
        }
    }

    /// Record what a step did: new 'open' rows, or an uninstall.
    pub fn observe(&mut self, before: &Observed, after: &Observed) {
        if !after.installed || !before.installed {
            self.latest_open.clear();
        }
        for row in new_ledger_rows(before, after) {
            if row.action == "open" {
                self.latest_open
                    .insert(row.gate_key.clone(), row.expires_at);
            }
        }
    }
}

/// Run one operation. Clock operations move the frozen test clock (and `tracker.now`).
pub fn run_op(
    client: &mut Client,
    sandbox: &dyn Sandbox,
    op: &GateOp,
    tracker: &mut Tracker,
) -> Result<OpAnswer, CaseError> {
    if let Some(seconds) = tracker.advance_seconds(op) {
        clock::advance(client, seconds)?;
        tracker.now = tracker
            .now
            .saturating_add(seconds.saturating_mul(1_000_000));
        return Ok(Answer::Ok(serde_json::Value::Null));
    }
    match op {
        GateOp::Rollback => run_named_script(client, sandbox, "gates-rollback"),
        GateOp::Reinstall => run_named_script(client, sandbox, "gates-install"),
        _ => bind_op(op, |sql, params, answers| match answers {
            Answers::Json => json_answer(client, sql, params),
            Answers::Nothing => exec_answer(client, sql, params),
        })
        .unwrap_or(Ok(Answer::Ok(serde_json::Value::Null))),
    }
}

fn run_named_script(
    client: &mut Client,
    sandbox: &dyn Sandbox,
    name: &str,
) -> Result<OpAnswer, CaseError> {
    let script = sandbox.sut().script(name).map_err(CaseError::env)?;
    run_script(client, &script.sql)
}

/// What a statement of an operation answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answers {
    /// A call of one of the protocol's functions: one jsonb value.
    Json,
    /// A direct write: no value.
    Nothing,
}

/// The one binding of an operation to its statement: calls `send` with the
/// SQL ([`op_sql`]), its parameters and what it answers with. `None` for
/// operations that are no statement (clock moves, scripts), which each
/// executor handles itself.
pub fn bind_op<R>(
    op: &GateOp,
    send: impl FnOnce(&str, &[&(dyn postgres::types::ToSql + Sync)], Answers) -> R,
) -> Option<R> {
    let sql = op_sql(op);
    Some(match op {
        GateOp::Open {
            gate,
            approval,
            actor,
            reason,
            ttl,
        } => {
            let approval = approval.map(approval_uuid);
            send(&sql, &[gate, &approval, actor, reason, ttl], Answers::Json)
        }
        GateOp::Close {
            gate,
            actor,
            reason,
        } => send(&sql, &[gate, actor, reason], Answers::Json),
        GateOp::Watchdog { actor } => send(&sql, &[actor], Answers::Json),
        GateOp::Verify => send(&sql, &[], Answers::Json),
        GateOp::Log {
            command,
            run_mode,
            actor,
        } => {
            let (category, mutating) = catalog_entry(command);
            send(
                &sql,
                &[command, &category, run_mode, &mutating, actor],
                Answers::Json,
            )
        }
        GateOp::OobWrite { key, value } | GateOp::OobInsert { key, value } => {
            send(&sql, &[key, value], Answers::Nothing)
        }
        GateOp::OobDelete { key } => send(&sql, &[key], Answers::Nothing),
        GateOp::TamperLedger { .. } => send(&sql, &[], Answers::Nothing),
        GateOp::Advance { .. }
        | GateOp::AdvanceToExpiry { .. }
        | GateOp::Rollback
        | GateOp::Reinstall => return None,
    })
}

/// A fresh database with the SUT, its test clock frozen at the model's epoch,
/// and a check that it starts as a fresh install must: the nine gates present
/// and 'false', an empty ledger.
pub fn start_case(sandbox: &dyn Sandbox) -> Result<(CaseDb, Observed), CaseError> {
    let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
    clock::freeze(&mut db, EPOCH_LITERAL)?;
    let obs = observe(&mut db)?;
    check_fresh_install(&obs)?;
    Ok((db, obs))
}

/// A fresh install: installed, the nine gates present and 'false'
/// (CONTRACT.md §4: "All nine start 'false'"), and an empty ledger.
pub fn check_fresh_install(obs: &Observed) -> CaseResult {
    if !obs.installed {
        return Err(CaseError::fail(
            "the gate protocol's functions are missing in a freshly installed database \
             (CONTRACT.md §4 Functions)",
        ));
    }
    for key in NEVER_FLIP.iter().chain(GOVERNABLE.iter()) {
        if obs.value(key) != Some("false") {
            return Err(CaseError::mismatch(
                format!("a fresh install must seed gate {key} as 'false' (CONTRACT.md §4: all nine start 'false')"),
                "'false'",
                pgconform_reports::json_text(&obs.value(key)),
            ));
        }
    }
    check_empty_ledger(obs)
}

/// A (re)installed protocol starts with an empty ledger.
pub fn check_empty_ledger(obs: &Observed) -> CaseResult {
    if !obs.ledger.is_empty() {
        return Err(CaseError::mismatch(
            "an installed protocol must start with an empty ledger (CONTRACT.md §4, seed 003 \
             post-check: ledger rows = 0)",
            0,
            obs.ledger.len(),
        ));
    }
    Ok(())
}

/// The ledger rows of `after` that `before` did not have, in (created_at, gate_key) order.
pub fn new_ledger_rows<'a>(before: &Observed, after: &'a Observed) -> Vec<&'a ObsLedger> {
    let mut rows: Vec<&ObsLedger> = after
        .ledger
        .values()
        .filter(|r| !before.ledger.contains_key(&r.transition_id))
        .collect();
    rows.sort_by(|a, b| (a.created_at, &a.gate_key).cmp(&(b.created_at, &b.gate_key)));
    rows
}

/// Append-only: every ledger row of `before` is still in `after`, unchanged.
pub fn check_ledger_kept(before: &Observed, after: &Observed) -> CaseResult {
    if !after.installed {
        return Ok(());
    }
    for (id, row) in &before.ledger {
        match after.ledger.get(id) {
            None => {
                return Err(CaseError::mismatch(
                    format!("ledger row {id} disappeared (the ledger is append-only)"),
                    pgconform_reports::json_text(&row),
                    "no row",
                ))
            }
            Some(now) if now != row => {
                return Err(CaseError::mismatch(
                    format!("ledger row {id} changed (the ledger is append-only)"),
                    pgconform_reports::json_text(&row),
                    pgconform_reports::json_text(&now),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

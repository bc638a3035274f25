//! GATE-ROLLBACK and GATE-DRYRUN: the install / rollback lifecycle, judged by
//! the harness's own catalog-and-data snapshot ([`crate::snapshot`]).
//!
//! The baseline is learnt on the SUT itself (CONTRACT.md §0): a freshly
//! installed database, rolled back with the SUT's `gates-rollback`. Which
//! install files `gates-install` duplicates and which objects survive a
//! rollback (dot_config, the command log, the logger, ...) is the kernel's
//! choice; the harness never looks at file names or numbers.
//!
//! dot_config's rows are compared by the nine gates' values only: its other
//! keys belong to the rest of the system (a rollback need not erase what a
//! session wrote to them) and its `updated_at` records the session's own
//! legitimate writes when the table survives a rollback.

use super::exec::{check_fresh_install, observe, run_op, run_script, OpAnswer, Tracker};
use super::model::is_open_row;
use super::{coverage_of, InvariantIds};
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::{Answer, PgResultExt};
use crate::property::declare_property;
use crate::sandbox::{CaseDb, Sandbox};
use crate::snapshot::{self, Snapshot};
use pgconform_generators::gates::{arb_gate_op, GateOp, GOVERNABLE, NEVER_FLIP};
use pgconform_reports::FailureDetail;
use postgres::Client;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How a gate is left open right before a rollback attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveOpen {
    /// Through `fn_iu_gate_open` (approval, TTL 3600).
    Api,
    /// An operator's direct `UPDATE ... SET value = 'true'`.
    OutOfBand,
    /// An operator's direct write of a value that is neither 'true' nor 'false'.
    Junk,
    /// An operator deleted the gate's row (a missing row is open, CONTRACT.md §4 v2).
    Deleted,
}

/// One install → operations → rollback cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cycle {
    /// Operations run first (no rollback/reinstall among them).
    pub ops: Vec<GateOp>,
    /// If set, `GOVERNABLE[gate]` is left open this way before the first rollback attempt.
    pub leave_open: Option<(u8, LeaveOpen)>,
}

/// A GATE-ROLLBACK case: cycles run on a database of the SUT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackPlan {
    /// The cycles, in order.
    pub cycles: Vec<Cycle>,
}

fn arb_inner_op() -> impl Strategy<Value = GateOp> {
    arb_gate_op().prop_filter(
        "rollback and reinstall are the property's own steps",
        |op| !matches!(op, GateOp::Rollback | GateOp::Reinstall),
    )
}

fn arb_cycle() -> impl Strategy<Value = Cycle> {
    (
        prop::collection::vec(arb_inner_op(), 0..=6),
        prop::option::weighted(
            0.7,
            (
                0..GOVERNABLE.len() as u8,
                prop_oneof![
                    3 => Just(LeaveOpen::Api),
                    2 => Just(LeaveOpen::OutOfBand),
                    1 => Just(LeaveOpen::Junk),
                    1 => Just(LeaveOpen::Deleted),
                ],
            ),
        ),
    )
        .prop_map(|(ops, leave_open)| Cycle { ops, leave_open })
}

/// A rollback plan of 1..=3 cycles.
pub fn arb_rollback_plan() -> impl Strategy<Value = RollbackPlan> {
    prop::collection::vec(arb_cycle(), 1..=3).prop_map(|cycles| RollbackPlan { cycles })
}

/// The snapshot key of dot_config's rows.
const CONFIG_DATA: &str = "data public.dot_config";

/// A snapshot with data, dot_config's rows reduced to the nine gates' values.
pub fn snap(client: &mut Client) -> Result<Snapshot, CaseError> {
    let mut s = snapshot::take(client, true).env()?;
    if s.contains_key(CONFIG_DATA) {
        let keys: Vec<String> = NEVER_FLIP
            .iter()
            .chain(GOVERNABLE.iter())
            .map(|k| (*k).to_owned())
            .collect();
        let sql =
            "SELECT coalesce(string_agg(format('%s=%s', key, value), '; ' ORDER BY key), '') \
                   FROM public.dot_config WHERE key = ANY($1)";
        let gates: String = client
            .query_one(sql, &[&keys])
            .kernel(sql)
            .map_err(|e| {
                e.prefixed("dot_config(key, value) must be readable (CONTRACT.md §4 Objects)")
            })?
            .get(0);
        s.insert(CONFIG_DATA.to_owned(), format!("gates: {gates}"));
    }
    Ok(s)
}

/// Snapshot entries of `snap` without the rows of the tables in `created`
/// (their timestamps record when the install ran).
fn strip_data(snap: &Snapshot, created: &BTreeSet<&String>) -> Snapshot {
    snap.iter()
        .filter(|(k, _)| !(k.starts_with("data ") && created.contains(k)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Fail with `message` (and the first differences) unless snapshot `got`
/// equals `want`.
fn same_snapshot(message: &str, want: &Snapshot, got: &Snapshot) -> CaseResult {
    if got == want {
        return Ok(());
    }
    let d = snapshot::diff(want, got);
    Err(CaseError::Fail(Box::new(FailureDetail {
        message: format!("{message} ({} differences)", d.len()),
        expected: Some("identical catalog snapshot".to_owned()),
        actual: Some(d.into_iter().take(40).collect::<Vec<_>>().join("\n")),
        ..FailureDetail::default()
    })))
}

fn script_sql(sandbox: &dyn Sandbox, name: &str) -> Result<String, CaseError> {
    Ok(sandbox
        .sut()
        .script(name)
        .map_err(CaseError::env)?
        .sql
        .clone())
}

fn expect_ok(what: &str, ans: OpAnswer) -> CaseResult {
    match ans {
        Answer::Ok(_) => Ok(()),
        Answer::Err { sqlstate, message } => Err(CaseError::Fail(Box::new(FailureDetail {
            message: format!("{what} failed: {message}"),
            sqlstate: Some(sqlstate),
            ..FailureDetail::default()
        }))),
    }
}

/// A freshly installed database of the SUT (clock frozen) rolled back to the
/// baseline by its own `gates-rollback` (CONTRACT.md §0).
fn baseline_db(sandbox: &dyn Sandbox, rollback: &str) -> Result<CaseDb, CaseError> {
    let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
    crate::clock::freeze(&mut db, super::model::EPOCH_LITERAL)?;
    expect_ok(
        "gates-rollback on the freshly installed SUT, every gate closed (CONTRACT.md §0: the \
         baseline is what gates-rollback leaves on the installed SUT)",
        run_script(&mut db, rollback)?,
    )?;
    Ok(db)
}

fn any_governable_open(client: &mut Client) -> Result<bool, CaseError> {
    let obs = observe(client)?;
    Ok(GOVERNABLE.iter().any(|g| is_open_row(obs.value(g))))
}

/// Fixture writes to dot_config: an operator's direct writes, which the
/// contract expects (values set by hand, rows deleted) and a kernel must not refuse.
fn fixture(client: &mut Client, sql: &str, key: &str) -> CaseResult {
    client
        .execute(sql, &[&key])
        .kernel(sql)
        .map(|_| ())
        .map_err(|e| {
            e.prefixed(
                "an operator's direct write to dot_config was refused (CONTRACT.md §4: values set by \
                 hand are the watchdog's business, not refused)",
            )
        })
}

fn leave_open(client: &mut Client, gate: u8, how: LeaveOpen) -> CaseResult {
    let key = GOVERNABLE[usize::from(gate) % GOVERNABLE.len()];
    // The row may have been deleted by an operator step; put it back first.
    fixture(
        client,
        "INSERT INTO public.dot_config (key, value) VALUES ($1, 'false') ON CONFLICT (key) DO NOTHING",
        key,
    )?;
    match how {
        LeaveOpen::Api => {
            let sql = "SELECT public.fn_iu_gate_open($1, '00000000-0000-4000-8000-000000000001', \
                       'pgconform', 'rollback guard probe', 3600)";
            client.execute(sql, &[&key]).kernel(sql).map_err(|e| {
                e.prefixed("a valid open was refused (CONTRACT.md §4 fn_iu_gate_open)")
            })?;
            Ok(())
        }
        LeaveOpen::OutOfBand => fixture(
            client,
            "UPDATE public.dot_config SET value = 'true' WHERE key = $1",
            key,
        ),
        LeaveOpen::Junk => fixture(
            client,
            "UPDATE public.dot_config SET value = 'yes' WHERE key = $1",
            key,
        ),
        LeaveOpen::Deleted => fixture(client, "DELETE FROM public.dot_config WHERE key = $1", key),
    }
}

/// Close all nine gates: through the API where it works, else as an operator
/// (re-creating a deleted row as 'false').
fn close_all(client: &mut Client) -> CaseResult {
    for g in NEVER_FLIP.iter().chain(GOVERNABLE.iter()) {
        let _ = client.execute(
            "SELECT public.fn_iu_gate_close($1, 'pgconform', 'before rollback')",
            &[g],
        );
        fixture(
            client,
            "INSERT INTO public.dot_config (key, value) VALUES ($1, 'false') \
             ON CONFLICT (key) DO UPDATE SET value = 'false' WHERE dot_config.value <> 'false'",
            g,
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------

/// Learn the baseline and the install's effect on a database of their own
/// (the cycles run on the SUT as installed, with any mutant): the baseline
/// snapshot and the snapshot after installing on it.
fn learn_baseline(
    sandbox: &dyn Sandbox,
    install: &str,
    rollback: &str,
) -> Result<(Snapshot, Snapshot), CaseError> {
    let mut learn = baseline_db(sandbox, rollback)?;
    let baseline = snap(&mut learn)?;
    expect_ok(
        "gates-install on the baseline",
        run_script(&mut learn, install)?,
    )?;
    let installed = snap(&mut learn)?;
    if installed == baseline {
        return Err(CaseError::fail(
            "gates-install changed nothing on the baseline (CONTRACT.md §0: it installs the protocol)",
        ));
    }
    check_fresh_install(&observe(&mut learn)?)?;
    Ok((baseline, installed))
}

/// A script that must be refused and change nothing: `accepted` is the
/// failure when it succeeds, `changed` when it changes the database.
fn refused_unchanged(
    client: &mut Client,
    script: &str,
    accepted: &str,
    changed: &str,
) -> CaseResult {
    let pre = snapshot::take(client, true).env()?;
    if let Answer::Ok(_) = run_script(client, script)? {
        return Err(CaseError::fail(accepted));
    }
    let post = snapshot::take(client, true).env()?;
    same_snapshot(changed, &pre, &post)
}

/// What GATE-ROLLBACK's cycles are judged against.
struct Lifecycle<'a> {
    install: &'a str,
    rollback: &'a str,
    /// The database before gates-install.
    baseline: &'a Snapshot,
    /// The first install's snapshot without the rows of `created`.
    installed_catalog: Snapshot,
    /// The tables gates-install creates.
    created: &'a BTreeSet<&'a String>,
}

impl Lifecycle<'_> {
    /// One cycle: the operations, a gate maybe left open (then the rollback
    /// must refuse), the rollback to the baseline and the reinstall.
    fn cycle(&self, db: &mut CaseDb, sandbox: &dyn Sandbox, cycle: &Cycle) -> CaseResult {
        let mut tracker = Tracker::new(super::model::EPOCH_US);
        for op in &cycle.ops {
            let before = observe(db)?;
            run_op(db, sandbox, op, &mut tracker)?;
            tracker.observe(&before, &observe(db)?);
        }
        if let Some((gate, how)) = cycle.leave_open {
            leave_open(db, gate, how)?;
        }
        if any_governable_open(db)? {
            refused_unchanged(
                db,
                self.rollback,
                "gates-rollback succeeded while a governable gate was open (CONTRACT.md §4: \
                 rollback refuses while any governable gate is open; a missing row is open)",
                "a refused rollback changed the database",
            )?;
            close_all(db)?;
        }
        self.rollback_to_baseline(db)?;
        self.reinstall(db)
    }

    /// With every gate closed, the rollback leaves exactly the baseline; a
    /// second one changes nothing.
    fn rollback_to_baseline(&self, db: &mut CaseDb) -> CaseResult {
        expect_ok(
            "gates-rollback with every gate closed",
            run_script(db, self.rollback)?,
        )?;
        let got = snap(db)?;
        same_snapshot(
            "after gates-rollback the database is not exactly the baseline (CONTRACT.md §4: \
             rollback returns the database to its exact state before gates-install)",
            self.baseline,
            &got,
        )?;
        // Nothing installed: the kernel may refuse or do nothing, but never change anything.
        let _ = run_script(db, self.rollback)?;
        same_snapshot(
            "gates-rollback with nothing installed changed the database (CONTRACT.md §4: \
             it refuses or does nothing)",
            &got,
            &snap(db)?,
        )?;
        Ok(())
    }

    /// Installing again gives the first install's catalog and a fresh
    /// protocol; installing a second time is refused and changes nothing.
    fn reinstall(&self, db: &mut CaseDb) -> CaseResult {
        expect_ok(
            "gates-install after a rollback",
            run_script(db, self.install)?,
        )?;
        same_snapshot(
            "gates-install after a rollback does not give what the first install gave \
             (CONTRACT.md §4: install → rollback → install gives the same snapshot each time)",
            &self.installed_catalog,
            &strip_data(&snap(db)?, self.created),
        )?;
        check_fresh_install(&observe(db)?)?;
        refused_unchanged(
            db,
            self.install,
            "gates-install over an installed protocol succeeded (CONTRACT.md §4: install has a guard)",
            "a refused second install changed the database",
        )
    }
}

declare_property! {
    /// GATE-ROLLBACK.
    GateRollback {
        input: RollbackPlan,
        meta: InvariantMeta::new(
            InvariantIds::ROLLBACK,
            Suite::Gates,
            "rollback refuses while a gate is open, else restores the exact prior snapshot",
            super::SEED,
            "In a database of the SUT, after any operations: a rollback attempted while a \
             governable gate is open (through the API, written 'true' or junk by an operator, \
             or its row deleted) is refused and changes nothing; once all are closed it \
             succeeds and leaves exactly the baseline (what gates-rollback leaves on the \
             freshly installed SUT); a second rollback refuses or does nothing; reinstalling \
             gives the first install's catalog and a fresh protocol, and installing twice is \
             refused and changes nothing.",
            12,
        ),
        strategy: arb_rollback_plan,
        coverage: rollback_coverage,
        check: rollback_lifecycle_holds,
    }
}

/// GATE-ROLLBACK's coverage: the cycles' operations, how each leaves a gate
/// open, the number of cycles.
fn rollback_coverage(plan: &RollbackPlan) -> Vec<String> {
    let mut out: BTreeSet<String> = plan
        .cycles
        .iter()
        .flat_map(|c| coverage_of(&c.ops))
        .collect();
    for c in &plan.cycles {
        out.insert(match c.leave_open {
            None => "rollback:closed".to_owned(),
            Some((_, how)) => format!("rollback:open-{how:?}").to_lowercase(),
        });
    }
    out.insert(format!("cycles:{}", plan.cycles.len()));
    out.into_iter().collect()
}

/// GATE-ROLLBACK's check: every cycle against the baseline learnt first.
fn rollback_lifecycle_holds(sandbox: &dyn Sandbox, plan: &RollbackPlan) -> CaseResult {
    let install = script_sql(sandbox, "gates-install")?;
    let rollback = script_sql(sandbox, "gates-rollback")?;
    let (baseline, installed) = learn_baseline(sandbox, &install, &rollback)?;
    let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
    crate::clock::freeze(&mut db, super::model::EPOCH_LITERAL)?;
    let created: BTreeSet<&String> = installed
        .keys()
        .filter(|k| !baseline.contains_key(*k))
        .collect();
    let lifecycle = Lifecycle {
        install: &install,
        rollback: &rollback,
        baseline: &baseline,
        installed_catalog: strip_data(&installed, &created),
        created: &created,
    };
    for (n, cycle) in plan.cycles.iter().enumerate() {
        lifecycle
            .cycle(&mut db, sandbox, cycle)
            .map_err(|e| e.prefixed(&format!("cycle {}", n + 1)))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------

declare_property! {
    /// GATE-DRYRUN.
    GateDryRun {
        input: Vec<GateOp>,
        meta: InvariantMeta::new(
            InvariantIds::DRYRUN,
            Suite::Gates,
            "install inside a rolled-back transaction leaves no trace",
            super::SEED,
            "On the baseline (a freshly installed SUT rolled back by its gates-rollback), \
             gates-install run inside a transaction succeeds (the protocol is present and \
             fresh inside it), any operations may follow, and after ROLLBACK the catalog and \
             data snapshot is identical to the one before and the session holds no lock it \
             did not hold before.",
            8,
        ),
        strategy: || prop::collection::vec(
    arb_inner_op().prop_filter("the clock is not moved inside the dry run", |op| {
        !matches!(op, GateOp::Advance { .. } | GateOp::AdvanceToExpiry { .. })
    }),
    0..=6,
),
        coverage: coverage_of,
        check: dry_run_leaves_no_trace,
    }
}

/// GATE-DRYRUN's check.
fn dry_run_leaves_no_trace(sandbox: &dyn Sandbox, ops: &[GateOp]) -> CaseResult {
    let install = script_sql(sandbox, "gates-install")?;
    let rollback = script_sql(sandbox, "gates-rollback")?;
    let mut db = baseline_db(sandbox, &rollback)?;
    let before = snapshot::take(&mut db, true).env()?;
    let locks_before = session_locks(&mut db)?;
    {
        let mut tx = db.transaction().env()?;
        if let Answer::Err { sqlstate, message } = crate::pg::answer(tx.batch_execute(&install))? {
            return Err(CaseError::Fail(Box::new(FailureDetail {
                message: format!("gates-install failed inside a transaction: {message}"),
                sqlstate: Some(sqlstate),
                ..FailureDetail::default()
            })));
        }
        super::exec::check_tx_intact(&mut tx)?;
        let mut sp = tx.transaction().env()?;
        check_fresh_install(&observe_in(&mut sp)?)?;
        sp.rollback().env()?;
        for op in ops {
            let mut sp = tx.transaction().env()?;
            if run_op_in(&mut sp, op)? {
                sp.commit().env()?;
            } else {
                sp.rollback().env()?;
            }
        }
        tx.rollback().env()?;
    }
    let after = snapshot::take(&mut db, true).env()?;
    same_snapshot(
        "a rolled-back gates-install left a trace (CONTRACT.md §4 GATE-DRYRUN)",
        &before,
        &after,
    )?;
    let locks_after = session_locks(&mut db)?;
    if locks_after != locks_before {
        return Err(CaseError::mismatch(
            "a rolled-back gates-install left the session holding a lock (a session-level \
             advisory lock survives ROLLBACK: CONTRACT.md §4 GATE-DRYRUN, no trace)",
            pgconform_reports::json_text(&locks_before),
            pgconform_reports::json_text(&locks_after),
        )
        .with_sql(SESSION_LOCKS_SQL));
    }
    Ok(())
}

const SESSION_LOCKS_SQL: &str = "SELECT locktype, coalesce(classid::text, '') || '/' || \
     coalesce(objid::text, '') || '/' || coalesce(objsubid::text, ''), mode FROM pg_locks \
     WHERE pid = pg_backend_pid() AND locktype = 'advisory' ORDER BY 1, 2, 3";

/// The advisory locks this session holds: the one kind of lock that outlives
/// a transaction (session-level `pg_advisory_lock`).
fn session_locks(client: &mut Client) -> Result<Vec<(String, String, String)>, CaseError> {
    Ok(client
        .query(SESSION_LOCKS_SQL, &[])
        .env()?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// Read the protocol's state inside an open transaction (no snapshot of its own).
fn observe_in(tx: &mut postgres::Transaction<'_>) -> Result<super::exec::Observed, CaseError> {
    let mut obs = super::exec::Observed {
        installed: true,
        ..Default::default()
    };
    for r in tx
        .query("SELECT key, value FROM public.dot_config", &[])
        .kernel("SELECT key, value FROM public.dot_config")?
    {
        obs.config.insert(
            r.get(0),
            super::exec::ObsConfig {
                value: r.get(1),
                updated_at: 0,
            },
        );
    }
    let n: i64 = tx
        .query_one("SELECT count(*) FROM public.iu_gate_transition", &[])
        .kernel("SELECT count(*) FROM public.iu_gate_transition")?
        .get(0);
    if n != 0 {
        return Err(CaseError::mismatch(
            "a fresh install must start with an empty ledger",
            0,
            n,
        ));
    }
    Ok(obs)
}

/// Run an operation inside a savepoint (bound as [`super::exec::run_op`]
/// binds it, answers not read); whether the kernel accepted it (its
/// refusals are not this invariant's business).
fn run_op_in(tx: &mut postgres::Transaction<'_>, op: &GateOp) -> Result<bool, CaseError> {
    match super::exec::bind_op(op, |sql, params, _| tx.execute(sql, params)) {
        Some(r) => Ok(matches!(crate::pg::answer(r)?, Answer::Ok(_))),
        None => Ok(true),
    }
}

//! GATE-ROLLBACK and GATE-DRYRUN: the install / rollback lifecycle, judged by
//! the harness's own catalog snapshot ([`crate::snapshot`]).
//!
//! The baseline is an empty database with the SUT's *base* install file (the
//! first one in the manifest: the clock seam), where `gates-install` and
//! `gates-rollback` (the manifest's scripts) show exactly which objects the
//! gate install creates or changes. In the SUT's own databases (the full
//! kernel plus any mutant) a rollback must remove exactly those objects and
//! restore exactly the changed ones, leaving everything else as it was.

use super::exec::{check_fresh_install, observe, run_op, run_script, OpAnswer, Tracker};
use super::{coverage_of, InvariantIds};
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::{Answer, PgResultExt};
use crate::property::Property;
use crate::sandbox::{CaseDb, Sandbox};
use crate::snapshot::{self, Snapshot};
use pgconform_generators::gates::{arb_gate_op, GateOp, GOVERNABLE};
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
                prop_oneof![3 => Just(LeaveOpen::Api), 2 => Just(LeaveOpen::OutOfBand), 1 => Just(LeaveOpen::Junk)],
            ),
        ),
    )
        .prop_map(|(ops, leave_open)| Cycle { ops, leave_open })
}

/// A rollback plan of 1..=3 cycles.
pub fn arb_rollback_plan() -> impl Strategy<Value = RollbackPlan> {
    prop::collection::vec(arb_cycle(), 1..=3).prop_map(|cycles| RollbackPlan { cycles })
}

/// What the gate install does to a database, learnt from the baseline.
#[derive(Debug, Clone)]
pub struct InstallEffect {
    /// Snapshot of the baseline before the install.
    pub before: Snapshot,
    /// Snapshot right after the install.
    pub after: Snapshot,
}

impl InstallEffect {
    /// Identities the install creates.
    pub fn created(&self) -> BTreeSet<&String> {
        self.after
            .keys()
            .filter(|k| !self.before.contains_key(*k))
            .collect()
    }

    /// What `snap` (a database with the protocol installed) must become after
    /// a rollback: without the created objects, changed objects restored.
    pub fn rolled_back(&self, snap: &Snapshot) -> Snapshot {
        let created = self.created();
        snap.iter()
            .filter(|(k, _)| !created.contains(k))
            .map(|(k, v)| {
                let restored = match (self.before.get(k), self.after.get(k)) {
                    (Some(b), Some(a)) if a != b => b.clone(),
                    _ => v.clone(),
                };
                (k.clone(), restored)
            })
            .collect()
    }

    /// What a rolled-back database `base` must become after a reinstall
    /// (catalog only: data of the protocol's own tables is checked separately).
    pub fn reinstalled(&self, base: &Snapshot) -> Snapshot {
        let mut out = strip_data(base, &self.created());
        for k in self.created() {
            if !k.starts_with("data ") {
                out.insert(k.clone(), self.after[k].clone());
            }
        }
        for (k, b) in &self.before {
            if let Some(a) = self.after.get(k) {
                if a != b && out.contains_key(k) {
                    out.insert(k.clone(), a.clone());
                }
            }
        }
        out
    }
}

fn strip_data(snap: &Snapshot, created: &BTreeSet<&String>) -> Snapshot {
    snap.iter()
        .filter(|(k, _)| !(k.starts_with("data ") && created.contains(k)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn snapshot_mismatch(message: &str, want: &Snapshot, got: &Snapshot) -> CaseError {
    let d = snapshot::diff(want, got);
    CaseError::Fail(Box::new(FailureDetail {
        message: format!("{message} ({} differences)", d.len()),
        expected: Some("identical catalog snapshot".to_owned()),
        actual: Some(d.into_iter().take(40).collect::<Vec<_>>().join("\n")),
        ..FailureDetail::default()
    }))
}

fn script_sql(sandbox: &dyn Sandbox, name: &str) -> Result<String, CaseError> {
    Ok(sandbox
        .sut()
        .script(name)
        .map_err(CaseError::env)?
        .sql
        .clone())
}

/// An empty database with the SUT's base install file committed.
fn base_db(sandbox: &dyn Sandbox) -> Result<CaseDb, CaseError> {
    let base = sandbox
        .sut()
        .install
        .first()
        .ok_or_else(|| CaseError::env("the SUT has no install files"))?
        .sql
        .clone();
    let mut db = sandbox.empty_db().map_err(CaseError::env)?;
    match run_script(&mut db, &base)? {
        Answer::Ok(_) => Ok(db),
        Answer::Err { sqlstate, message } => Err(CaseError::env(format!(
            "the SUT's base install file failed on an empty database: {sqlstate} {message}"
        ))),
    }
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

/// Learn the install's effect on the baseline, checking on the way that
/// install → rollback → install on the baseline is exact.
pub fn learn_install_effect(sandbox: &dyn Sandbox) -> Result<InstallEffect, CaseError> {
    let install = script_sql(sandbox, "gates-install")?;
    let rollback = script_sql(sandbox, "gates-rollback")?;
    let mut db = base_db(sandbox)?;
    let before = snapshot::take(&mut db, true).env()?;
    expect_ok(
        "gates-install on the baseline",
        run_script(&mut db, &install)?,
    )?;
    let after = snapshot::take(&mut db, true).env()?;
    if after == before {
        return Err(CaseError::fail(
            "gates-install changed nothing on the baseline",
        ));
    }
    let effect = InstallEffect { before, after };
    expect_ok(
        "gates-rollback on the baseline",
        run_script(&mut db, &rollback)?,
    )?;
    let rolled = snapshot::take(&mut db, true).env()?;
    if rolled != effect.before {
        return Err(snapshot_mismatch(
            "install → rollback on the baseline did not restore the exact prior snapshot",
            &effect.before,
            &rolled,
        ));
    }
    expect_ok(
        "gates-install after a rollback on the baseline",
        run_script(&mut db, &install)?,
    )?;
    let again = snapshot::take(&mut db, true).env()?;
    let created = effect.created();
    if strip_data(&again, &created) != strip_data(&effect.after, &created) {
        return Err(snapshot_mismatch(
            "install → rollback → install on the baseline differs from the first install",
            &effect.after,
            &again,
        ));
    }
    Ok(effect)
}

fn any_governable_open(client: &mut Client) -> Result<bool, CaseError> {
    let obs = observe(client)?;
    Ok(GOVERNABLE
        .iter()
        .any(|g| obs.value(g).is_some_and(|v| v != "false")))
}

fn leave_open(client: &mut Client, gate: u8, how: LeaveOpen) -> CaseResult {
    let key = GOVERNABLE[usize::from(gate) % GOVERNABLE.len()];
    let sql = match how {
        LeaveOpen::Api => {
            "SELECT public.fn_iu_gate_open($1, '00000000-0000-4000-8000-000000000001', 'pgconform', 'rollback guard probe', 3600)"
        }
        LeaveOpen::OutOfBand => "UPDATE public.dot_config SET value = 'true' WHERE key = $1",
        LeaveOpen::Junk => "UPDATE public.dot_config SET value = 'yes' WHERE key = $1",
    };
    // The row may have been deleted by an operator step; put it back first.
    client
        .execute(
            "INSERT INTO public.dot_config (key, value) VALUES ($1, 'false') ON CONFLICT (key) DO NOTHING",
            &[&key],
        )
        .kernel("INSERT INTO public.dot_config ...")?;
    client.execute(sql, &[&key]).kernel(sql)?;
    Ok(())
}

/// Close every governable gate: through the API where it works, else as an operator.
fn close_all(client: &mut Client) -> CaseResult {
    for g in GOVERNABLE {
        let _ = client.execute(
            "SELECT public.fn_iu_gate_close($1, 'pgconform', 'before rollback')",
            &[&g],
        );
        client
            .execute(
                "UPDATE public.dot_config SET value = 'false' WHERE key = $1 AND value <> 'false'",
                &[&g],
            )
            .kernel("UPDATE public.dot_config SET value = 'false' ...")?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------

/// GATE-ROLLBACK.
pub struct GateRollback {
    meta: InvariantMeta,
}

impl GateRollback {
    /// The property with its contract metadata.
    pub fn new() -> Self {
        Self {
            meta: InvariantMeta {
                id: InvariantIds::ROLLBACK,
                suite: Suite::Gates,
                title: "rollback refuses while a gate is open, else restores the exact prior snapshot",
                seed: super::SEED,
                property: "In a database of the SUT, after any operations: a rollback attempted while a \
                           governable gate is open (through the API, or written 'true' or junk by an \
                           operator) is refused and changes nothing; once all are closed it succeeds and \
                           leaves exactly the snapshot the baseline predicts; reinstalling then gives a \
                           fresh install, and install → rollback → install cycles repeat exactly. Rolling \
                           back twice or installing twice is refused and changes nothing.",
                default_cases: 12,
            },
        }
    }
}

impl Default for GateRollback {
    fn default() -> Self {
        Self::new()
    }
}

impl Property for GateRollback {
    type Input = RollbackPlan;

    fn meta(&self) -> &InvariantMeta {
        &self.meta
    }

    fn strategy(&self) -> BoxedStrategy<RollbackPlan> {
        arb_rollback_plan().boxed()
    }

    fn check(&self, sandbox: &dyn Sandbox, plan: &RollbackPlan) -> CaseResult {
        let effect = learn_install_effect(sandbox)?;
        let install = script_sql(sandbox, "gates-install")?;
        let rollback = script_sql(sandbox, "gates-rollback")?;
        let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
        crate::clock::freeze(&mut db, super::model::EPOCH_LITERAL)?;
        let full = snapshot::take(&mut db, true).env()?;
        let rolled_back = effect.rolled_back(&full);
        let reinstalled = effect.reinstalled(&rolled_back);
        let created = effect.created();
        for (n, cycle) in plan.cycles.iter().enumerate() {
            let at = |e: CaseError| match e {
                CaseError::Fail(mut d) => {
                    d.message = format!("cycle {}: {}", n + 1, d.message);
                    CaseError::Fail(d)
                }
                other => other,
            };
            (|| -> CaseResult {
                let mut tracker = Tracker::new(super::model::EPOCH_US);
                for op in &cycle.ops {
                    let before = observe(&mut db)?;
                    run_op(&mut db, sandbox, op, &mut tracker)?;
                    tracker.observe(&before, &observe(&mut db)?);
                }
                if let Some((gate, how)) = cycle.leave_open {
                    leave_open(&mut db, gate, how)?;
                }
                if any_governable_open(&mut db)? {
                    let pre = snapshot::take(&mut db, true).env()?;
                    if let Answer::Ok(_) = run_script(&mut db, &rollback)? {
                        return Err(CaseError::fail(
                            "gates-rollback succeeded while a governable gate was open",
                        ));
                    }
                    let post = snapshot::take(&mut db, true).env()?;
                    if post != pre {
                        return Err(snapshot_mismatch("a refused rollback changed the database", &pre, &post));
                    }
                    close_all(&mut db)?;
                }
                expect_ok("gates-rollback with every governable gate closed", run_script(&mut db, &rollback)?)?;
                let got = snapshot::take(&mut db, true).env()?;
                if got != rolled_back {
                    return Err(snapshot_mismatch(
                        "after gates-rollback the database is not exactly its state without the gate install",
                        &rolled_back,
                        &got,
                    ));
                }
                if let Answer::Ok(_) = run_script(&mut db, &rollback)? {
                    return Err(CaseError::fail("a second gates-rollback (nothing installed) succeeded"));
                }
                if snapshot::take(&mut db, true).env()? != got {
                    return Err(CaseError::fail("a refused second rollback changed the database"));
                }
                expect_ok("gates-install after a rollback", run_script(&mut db, &install)?)?;
                let again = snapshot::take(&mut db, true).env()?;
                if strip_data(&again, &created) != reinstalled {
                    return Err(snapshot_mismatch(
                        "gates-install after a rollback does not give the installed catalog",
                        &reinstalled,
                        &strip_data(&again, &created),
                    ));
                }
                check_fresh_install(&observe(&mut db)?)?;
                if let Answer::Ok(_) = run_script(&mut db, &install)? {
                    return Err(CaseError::fail("gates-install over an installed protocol succeeded"));
                }
                if snapshot::take(&mut db, true).env()? != again {
                    return Err(CaseError::fail("a refused second install changed the database"));
                }
                Ok(())
            })()
            .map_err(at)?;
        }
        Ok(())
    }

    fn coverage(&self, plan: &RollbackPlan) -> Vec<String> {
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
}

// ---------------------------------------------------------------------------

/// GATE-DRYRUN.
pub struct GateDryRun {
    meta: InvariantMeta,
}

impl GateDryRun {
    /// The property with its contract metadata.
    pub fn new() -> Self {
        Self {
            meta: InvariantMeta {
                id: InvariantIds::DRYRUN,
                suite: Suite::Gates,
                title: "install inside a rolled-back transaction leaves no trace",
                seed: super::SEED,
                property: "On an empty database with the SUT's base install, gates-install run inside a \
                           transaction succeeds (the protocol is present and fresh inside it), any \
                           operations may follow, and after ROLLBACK the catalog snapshot is identical \
                           to the one before.",
                default_cases: 8,
            },
        }
    }
}

impl Default for GateDryRun {
    fn default() -> Self {
        Self::new()
    }
}

impl Property for GateDryRun {
    type Input = Vec<GateOp>;

    fn meta(&self) -> &InvariantMeta {
        &self.meta
    }

    fn strategy(&self) -> BoxedStrategy<Vec<GateOp>> {
        prop::collection::vec(
            arb_inner_op().prop_filter("the clock is not moved inside the dry run", |op| {
                !matches!(op, GateOp::Advance { .. } | GateOp::AdvanceToExpiry { .. })
            }),
            0..=6,
        )
        .boxed()
    }

    fn check(&self, sandbox: &dyn Sandbox, ops: &Vec<GateOp>) -> CaseResult {
        let install = script_sql(sandbox, "gates-install")?;
        let mut db = base_db(sandbox)?;
        let before = snapshot::take(&mut db, true).env()?;
        {
            let mut tx = db.transaction().env()?;
            if let Answer::Err { sqlstate, message } =
                crate::pg::answer(tx.batch_execute(&install))?
            {
                return Err(CaseError::Fail(Box::new(FailureDetail {
                    message: format!("gates-install failed inside a transaction: {message}"),
                    sqlstate: Some(sqlstate),
                    ..FailureDetail::default()
                })));
            }
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
        if after != before {
            return Err(snapshot_mismatch(
                "a rolled-back gates-install left a trace",
                &before,
                &after,
            ));
        }
        Ok(())
    }

    fn coverage(&self, ops: &Vec<GateOp>) -> Vec<String> {
        coverage_of(ops)
    }
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

/// Run an operation inside a savepoint; whether the kernel accepted it (its
/// refusals are not this invariant's business).
fn run_op_in(tx: &mut postgres::Transaction<'_>, op: &GateOp) -> Result<bool, CaseError> {
    let sql = super::exec::op_sql(op);
    let r = match op {
        GateOp::Open {
            gate,
            approval,
            actor,
            reason,
            ttl,
        } => {
            let approval = approval.map(pgconform_generators::gates::approval_uuid);
            tx.execute(sql.as_str(), &[gate, &approval, actor, reason, ttl])
        }
        GateOp::Close {
            gate,
            actor,
            reason,
        } => tx.execute(sql.as_str(), &[gate, actor, reason]),
        GateOp::Watchdog { actor } => tx.execute(sql.as_str(), &[actor]),
        GateOp::Verify => tx.execute(sql.as_str(), &[]),
        GateOp::OobWrite { key, value } | GateOp::OobInsert { key, value } => {
            tx.execute(sql.as_str(), &[key, value])
        }
        GateOp::OobDelete { key } => tx.execute(sql.as_str(), &[key]),
        GateOp::TamperLedger { .. } => tx.execute(sql.as_str(), &[]),
        GateOp::Log {
            command,
            run_mode,
            actor,
        } => {
            let (category, mutating) = super::exec::catalog_entry(command);
            tx.execute(
                sql.as_str(),
                &[command, &category, run_mode, &mutating, actor],
            )
        }
        GateOp::Advance { .. }
        | GateOp::AdvanceToExpiry { .. }
        | GateOp::Rollback
        | GateOp::Reinstall => return Ok(true),
    };
    Ok(matches!(crate::pg::answer(r)?, Answer::Ok(_)))
}

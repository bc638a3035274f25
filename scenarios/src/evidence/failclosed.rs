//! EVID-FAILCLOSED: every faulty stub, restore, hash lookup or replay refuses
//! and leaves every function (definition, owner, ACL) and the evidence store
//! exactly as they were.

use super::fixture::sha256_hex;
use super::kernel::{self, Outcome};
use super::restore::{expect_accepted, DAY_SECS};
use super::setup::FnFixture;
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::quote_ident;
use crate::property::Property;
use crate::sandbox::Sandbox;
use pgconform_generators::evidence::{
    arb_fail_closed_input, FailClosedInput, Fault, FaultOp, FaultStep, WrongObject, WrongPin,
};
use proptest::strategy::{BoxedStrategy, Strategy};
use uuid::Uuid;

/// One kernel call, made once the fault is in place.
type Attempt = Box<dyn FnOnce(&mut postgres::Client) -> Result<Outcome, CaseError>>;

/// Validity of evidence that a step is going to expire.
const SHORT_SECS: i64 = 3_600;

/// The EVID-FAILCLOSED property.
pub struct EvidFailClosed {
    meta: InvariantMeta,
}

impl Default for EvidFailClosed {
    fn default() -> Self {
        Self {
            meta: InvariantMeta {
                id: "EVID-FAILCLOSED",
                suite: Suite::Evidence,
                title: "every evidence fault refuses and changes nothing",
                seed: "004_73545968f3559826.txt",
                property: "For stub_fail_closed, restore_function, restore_function_by_hash and \
                           replay_owner_acl, each fault (missing, revoked, expired incl. the exact \
                           valid_until boundary, never read back, tampered body, wrong pin, evidence of \
                           another object, two valid artifacts for one hash) is refused, and every \
                           function's definition hash, owner and ACL and the registry/store are unchanged.",
                default_cases: 40,
            },
        }
    }
}

struct Run {
    ff: FnFixture,
    stubbed: Vec<bool>,
    /// The non-stub definition of each family member, as last seen.
    original: Vec<String>,
}

impl Run {
    fn def(&mut self, i: usize) -> Result<String, CaseError> {
        let oid = self.ff.fx.fns[i].oid;
        self.ff.fx.live_def(oid)
    }

    /// Bring member `t` to its original body (a valid restore must succeed).
    fn ensure_original(&mut self, t: usize) -> CaseResult {
        if !self.stubbed[t] {
            return Ok(());
        }
        let def = self.original[t].clone();
        let pin = sha256_hex(def.as_bytes());
        let db = &mut self.ff.fx.db;
        let ev = kernel::seal(db, def.as_bytes(), "function_source", DAY_SECS)?;
        expect_accepted(
            kernel::restore(db, self.ff.fx.fns[t].oid, ev, &pin)?,
            "restore_function",
            kernel::RESTORE_SQL,
        )?;
        kernel::revoke(db, ev)?;
        self.stubbed[t] = false;
        Ok(())
    }

    /// Bring member `t` to a stub (a valid stub must succeed).
    fn ensure_stubbed(&mut self, t: usize) -> CaseResult {
        if self.stubbed[t] {
            return Ok(());
        }
        let def = self.def(t)?;
        self.original[t] = def.clone();
        let pin = sha256_hex(def.as_bytes());
        let db = &mut self.ff.fx.db;
        let ev = kernel::seal(db, def.as_bytes(), "function_source", DAY_SECS)?;
        expect_accepted(
            kernel::stub(db, self.ff.fx.fns[t].oid, &pin, Some(ev))?,
            "stub_fail_closed",
            kernel::STUB_SQL,
        )?;
        kernel::revoke(db, ev)?;
        self.stubbed[t] = true;
        Ok(())
    }

    /// Evidence for `body` carrying `fault` (missing/revoked/expired/unread/
    /// tampered), plus the ids the harness created. `None`: the kernel would
    /// not even hold an unread row (already fail-closed).
    fn faulty_evidence(
        &mut self,
        fault: Fault,
        body: &[u8],
        kind: &str,
        tamper_with: &[u8],
        created: &mut Vec<Uuid>,
    ) -> Result<Option<Uuid>, CaseError> {
        let db = &mut self.ff.fx.db;
        Ok(Some(match fault {
            Fault::Missing(u) => Uuid::from_u64_pair(u, !u),
            Fault::Revoked => {
                let ev = kernel::seal(db, body, kind, DAY_SECS)?;
                created.push(ev);
                kernel::revoke(db, ev)?;
                ev
            }
            Fault::Expired { extra_secs } => {
                let ev = kernel::seal(db, body, kind, SHORT_SECS)?;
                created.push(ev);
                kernel::expire(db, ev, extra_secs)?;
                ev
            }
            Fault::NeverReadBack => match kernel::insert_unread(db, body, kind)? {
                Some(ev) => {
                    created.push(ev);
                    ev
                }
                None => return Ok(None),
            },
            Fault::Tampered(how) => {
                let ev = kernel::seal(db, body, kind, DAY_SECS)?;
                created.push(ev);
                kernel::tamper(db, ev, how, tamper_with)?;
                ev
            }
            _ => {
                let ev = kernel::seal(db, body, kind, DAY_SECS)?;
                created.push(ev);
                ev
            }
        }))
    }

    fn step(&mut self, step: &FaultStep) -> CaseResult {
        let t = self.ff.member(step.target);
        let oid = self.ff.fx.fns[t].oid;
        let sib = self.ff.other_of(
            t,
            matches!(step.fault, Fault::WrongObject(WrongObject::Sibling)),
        );
        let other = self.ff.other_of(t, false);
        let mut created = Vec::new();
        let (sql, attempt): (&str, Attempt) = match step.op {
            FaultOp::Stub | FaultOp::Restore | FaultOp::RestoreByHash => {
                if step.op == FaultOp::Stub {
                    self.ensure_original(t)?;
                    self.original[t] = self.def(t)?;
                } else {
                    self.ensure_stubbed(t)?;
                }
                let mut source = self.original[t].clone();
                if let Fault::WrongPin(WrongPin::StaleLive) = step.fault {
                    // sealed now, changed afterwards: the pin no longer matches the live body
                    let db = &mut self.ff.fx.db;
                    let ev = kernel::seal(db, source.as_bytes(), "function_source", DAY_SECS)?;
                    created.push(ev);
                    self.ff
                        .fx
                        .alter_body(t, &format!(" (changed after sealing {})", Uuid::new_v4()))?;
                    self.original[t] = self.def(t)?;
                    let pin = sha256_hex(source.as_bytes());
                    return self.judge(
                        step,
                        created,
                        kernel::STUB_SQL,
                        Box::new(move |c| kernel::stub(c, oid, &pin, Some(ev))),
                    );
                }
                let mut pin = sha256_hex(source.as_bytes());
                if let Fault::WrongObject(_) = step.fault {
                    source = self.def(sib)?;
                    pin = sha256_hex(source.as_bytes());
                }
                let other_def = self.def(other)?;
                let ev = self.faulty_evidence(
                    step.fault,
                    source.as_bytes(),
                    "function_source",
                    other_def.as_bytes(),
                    &mut created,
                )?;
                match step.fault {
                    Fault::WrongPin(WrongPin::Random(s)) => pin = sha256_hex(&s.to_le_bytes()),
                    Fault::WrongPin(WrongPin::OtherFunction) => {
                        pin = sha256_hex(other_def.as_bytes())
                    }
                    Fault::Ambiguous => {
                        let db = &mut self.ff.fx.db;
                        created.push(kernel::seal(
                            db,
                            source.as_bytes(),
                            "function_source",
                            DAY_SECS,
                        )?);
                    }
                    _ => {}
                }
                let Some(ev) = ev else {
                    return self.finish(created);
                };
                match step.op {
                    FaultOp::Stub => (
                        kernel::STUB_SQL,
                        Box::new(move |c| kernel::stub(c, oid, &pin, Some(ev))),
                    ),
                    FaultOp::Restore => (
                        kernel::RESTORE_SQL,
                        Box::new(move |c| kernel::restore(c, oid, ev, &pin)),
                    ),
                    _ => (
                        kernel::BY_HASH_SQL,
                        Box::new(move |c| kernel::restore_by_hash(c, oid, &pin)),
                    ),
                }
            }
            FaultOp::Replay => {
                let idents: Vec<String> = self.ff.fx.fns.iter().map(|f| f.ident.clone()).collect();
                let snap = kernel::snapshot(&mut self.ff.fx.db, &idents)?;
                created.push(snap);
                // disturb, so that an accepted replay would be visible
                let owner = self
                    .ff
                    .fx
                    .fn_states()?
                    .get(&oid)
                    .map(|s| s.owner.clone())
                    .unwrap_or_default();
                let to = if owner == self.ff.fx.superuser {
                    self.ff.fx.role(0)
                } else {
                    self.ff.fx.superuser.clone()
                };
                let ident = self.ff.fx.fns[t].ident.clone();
                self.ff
                    .fx
                    .db
                    .batch_execute(&format!(
                        "ALTER FUNCTION {ident} OWNER TO {}; REVOKE ALL ON FUNCTION {ident} FROM PUBLIC",
                        quote_ident(&to)
                    ))
                    .map_err(CaseError::env)?;
                let ev = if let Fault::WrongObject(_) = step.fault {
                    let def = self.def(t)?;
                    let ev = kernel::seal(
                        &mut self.ff.fx.db,
                        def.as_bytes(),
                        "function_source",
                        DAY_SECS,
                    )?;
                    created.push(ev);
                    Some(ev)
                } else {
                    let body = kernel::stored_body(&mut self.ff.fx.db, snap)?;
                    match step.fault {
                        Fault::Revoked => {
                            kernel::revoke(&mut self.ff.fx.db, snap)?;
                            Some(snap)
                        }
                        Fault::Expired { extra_secs } => {
                            kernel::expire(&mut self.ff.fx.db, snap, extra_secs)?;
                            Some(snap)
                        }
                        Fault::Tampered(how) => {
                            kernel::tamper(&mut self.ff.fx.db, snap, how, b"{}")?;
                            Some(snap)
                        }
                        f => self.faulty_evidence(
                            f,
                            &body,
                            "owner_acl_snapshot",
                            b"{}",
                            &mut created,
                        )?,
                    }
                };
                let Some(ev) = ev else {
                    return self.finish(created);
                };
                (kernel::REPLAY_SQL, Box::new(move |c| kernel::replay(c, ev)))
            }
        };
        self.judge(step, created, sql, attempt)
    }

    fn judge(
        &mut self,
        step: &FaultStep,
        created: Vec<Uuid>,
        sql: &str,
        attempt: Attempt,
    ) -> CaseResult {
        let before = self.ff.fx.fn_states()?;
        let digest = kernel::evidence_digest(&mut self.ff.fx.db)?;
        let outcome = attempt(&mut self.ff.fx.db)?;
        let what = format!("{} with fault {:?}", step.op.name(), step.fault);
        if let Outcome::Accepted(v) = outcome {
            return Err(CaseError::mismatch(
                format!("{what} was accepted"),
                "a refusal (error or ok=false)",
                v,
            )
            .with_sql(sql));
        }
        self.ff
            .expect_states(
                &before,
                &format!("{what} was refused but changed a function"),
            )
            .map_err(|e| e.with_sql(sql))?;
        let after = kernel::evidence_digest(&mut self.ff.fx.db)?;
        if after != digest {
            return Err(CaseError::mismatch(
                format!("{what} was refused but changed the evidence registry or store"),
                digest,
                after,
            )
            .with_sql(sql));
        }
        self.finish(created)
    }

    /// Retire the harness's own evidence so later hash lookups see none of it.
    fn finish(&mut self, created: Vec<Uuid>) -> CaseResult {
        for ev in created {
            // missing ids and already revoked rows are no-ops
            kernel::revoke(&mut self.ff.fx.db, ev)?;
        }
        Ok(())
    }
}

impl Property for EvidFailClosed {
    type Input = FailClosedInput;

    fn meta(&self) -> &InvariantMeta {
        &self.meta
    }

    fn strategy(&self) -> BoxedStrategy<FailClosedInput> {
        arb_fail_closed_input().boxed()
    }

    fn coverage(&self, input: &FailClosedInput) -> Vec<String> {
        let mut v = super::case_coverage(&input.case);
        for s in &input.steps {
            v.push(format!("fault:{}", s.fault.name()));
            v.push(format!("op:{}", s.op.name()));
        }
        v
    }

    fn check(&self, sandbox: &dyn Sandbox, input: &FailClosedInput) -> CaseResult {
        let ff = FnFixture::build(sandbox, &input.case)?;
        let n = ff.family;
        let mut run = Run {
            ff,
            stubbed: vec![false; n],
            original: vec![String::new(); n],
        };
        for i in 0..n {
            run.original[i] = run.def(i)?;
        }
        for step in &input.steps {
            if !applicable(step) {
                return Err(CaseError::Reject(format!(
                    "{:?} does not apply to {}",
                    step.fault,
                    step.op.name()
                )));
            }
            run.step(step)?;
        }
        Ok(())
    }
}

/// Whether a fault means anything for its operation (the strategy only
/// generates applicable pairs; recorded inputs are checked again).
fn applicable(step: &FaultStep) -> bool {
    match (step.op, step.fault) {
        (op, Fault::Ambiguous) => op == FaultOp::RestoreByHash,
        (FaultOp::Replay, Fault::WrongPin(_)) => false,
        (op, Fault::WrongPin(WrongPin::StaleLive)) => op == FaultOp::Stub,
        _ => true,
    }
}

//! EVID-FAILCLOSED: every faulty stub, restore, hash lookup or replay refuses
//! and leaves every function (definition, owner, ACL) and the evidence store
//! exactly as they were.

use super::kernel_client::DAY_SECS;
use super::kernel_client::{self, ContractExt, Outcome};
use super::restore::expect_accepted;
use super::setup::FnFixture;
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::quote_ident;
use crate::property::declare_property;
use crate::sandbox::Sandbox;
use pgconform_generators::evidence::{
    arb_fail_closed_input, FailClosedInput, Fault, FaultOp, FaultPoint, FaultStep, WrongObject,
    WrongPin,
};
use pgconform_oracle::sha256_hex;
use uuid::Uuid;

/// One kernel call, made once the fault is in place.
type Attempt = Box<dyn FnOnce(&mut postgres::Client) -> Result<Outcome, CaseError>>;

/// Validity of evidence that a step is going to expire.
const SHORT_SECS: i64 = 3_600;

declare_property! {
    /// The EVID-FAILCLOSED property.
    EvidFailClosed {
        input: FailClosedInput,
        meta: InvariantMeta::new(
            "EVID-FAILCLOSED",
            Suite::Evidence,
            "every evidence fault refuses and changes nothing",
            "004_73545968f3559826.txt",
            "For stub_fail_closed, restore_function, restore_function_by_hash and \
             replay_owner_acl, each fault (missing, revoked, expired incl. the exact \
             valid_until boundary, never read back, tampered body, wrong pin, evidence of \
             another object, two valid artifacts for one hash) is refused, and every \
             function's definition hash, owner and ACL and the registry/store are unchanged.",
            40,
        ),
        strategy: arb_fail_closed_input,
        coverage: fail_closed_coverage,
        check: every_fault_refused,
    }
}

struct Run {
    ff: FnFixture,
    stubbed: Vec<bool>,
    /// The non-stub definition of each family member, as last seen.
    original: Vec<String>,
}

/// A valid read-back of evidence that has no fault yet must answer true.
fn expect_reads_back(db: &mut postgres::Client, ev: Uuid, what: &str) -> CaseResult {
    match kernel_client::readback(db, ev)? {
        Some(true) => Ok(()),
        other => Err(CaseError::mismatch(
            format!("readback_verify of valid evidence ({what}) did not answer true"),
            "true",
            pgconform_reports::json_text(&other),
        )
        .with_sql(kernel_client::READBACK_SQL)),
    }
}

impl Run {
    fn def(&mut self, i: usize) -> Result<String, CaseError> {
        let oid = self.ff.fx.fns[i].oid;
        self.ff.fx.live_def(oid)
    }

    /// Seal `body` as function-source evidence valid for a day.
    fn seal_source(&mut self, body: &[u8]) -> Result<Uuid, CaseError> {
        kernel_client::seal_source(&mut self.ff.fx.db, body)
    }

    /// The attempt of `op` on function `oid` with evidence `ev` and `pin`.
    /// A hash lookup first retires other evidence of `pin` (all but `keep`)
    /// unless `keep` is `None`.
    fn attempt(
        &mut self,
        op: FaultOp,
        oid: u32,
        ev: Uuid,
        pin: String,
        keep: Option<&[Uuid]>,
    ) -> Result<(&'static str, Attempt), CaseError> {
        Ok(match op {
            FaultOp::Stub => (
                kernel_client::STUB_SQL,
                Box::new(move |c| kernel_client::stub(c, oid, &pin, Some(ev))),
            ),
            FaultOp::Restore => (
                kernel_client::RESTORE_SQL,
                Box::new(move |c| kernel_client::restore(c, oid, ev, &pin)),
            ),
            _ => {
                if let Some(keep) = keep {
                    self.retire_others(&pin, keep)?;
                }
                (
                    kernel_client::BY_HASH_SQL,
                    Box::new(move |c| kernel_client::restore_by_hash(c, oid, &pin)),
                )
            }
        })
    }

    /// Bring member `t` to its original body (a valid restore must succeed).
    fn ensure_original(&mut self, t: usize) -> CaseResult {
        if !self.stubbed[t] {
            return Ok(());
        }
        let def = self.original[t].clone();
        let oid = self.ff.fx.fns[t].oid;
        self.valid_call(
            &def,
            "restore_function",
            kernel_client::RESTORE_SQL,
            |db, ev, pin| kernel_client::restore(db, oid, ev, pin),
        )?;
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
        let oid = self.ff.fx.fns[t].oid;
        self.valid_call(
            &def,
            "stub_fail_closed",
            kernel_client::STUB_SQL,
            |db, ev, pin| kernel_client::stub(db, oid, pin, Some(ev)),
        )?;
        self.stubbed[t] = true;
        Ok(())
    }

    /// A call that must be accepted (`what`, by `sql`), made with fresh
    /// evidence sealing the body `def` and with its pin; the evidence is
    /// revoked afterwards.
    fn valid_call(
        &mut self,
        def: &str,
        what: &str,
        sql: &str,
        call: impl FnOnce(&mut postgres::Client, Uuid, &str) -> Result<Outcome, CaseError>,
    ) -> CaseResult {
        let pin = sha256_hex(def.as_bytes());
        let ev = self.seal_source(def.as_bytes())?;
        let db = &mut self.ff.fx.db;
        expect_accepted(call(db, ev, &pin)?, what, sql)?;
        kernel_client::revoke(db, ev)
    }

    /// Seal `body` as the evidence a step relies on (short-lived when the
    /// fault is going to expire it).
    fn seal_for(
        &mut self,
        fault: Fault,
        body: &[u8],
        created: &mut Vec<Uuid>,
    ) -> Result<Uuid, CaseError> {
        let secs = if matches!(fault, Fault::Expired { .. }) {
            SHORT_SECS
        } else {
            DAY_SECS
        };
        let ev = kernel_client::seal(
            &mut self.ff.fx.db,
            body,
            kernel_client::KIND_FUNCTION_SOURCE,
            secs,
        )?;
        created.push(ev);
        Ok(ev)
    }

    /// Inject a lifecycle fault into evidence `ev`.
    fn inject(&mut self, fault: Fault, ev: Uuid, tamper_with: &[u8]) -> CaseResult {
        let db = &mut self.ff.fx.db;
        match fault {
            Fault::Revoked => kernel_client::revoke(db, ev),
            Fault::Expired { extra_secs } => kernel_client::expire(db, ev, extra_secs),
            Fault::NeverReadBack => kernel_client::make_unread(db, ev),
            Fault::Tampered(how) => kernel_client::tamper(db, ev, how, tamper_with),
            _ => Ok(()),
        }
    }

    /// Revoke every other valid-looking evidence row carrying `pin` (a
    /// kernel may seal copies of its own), so that a hash lookup sees only
    /// the step's evidence.
    fn retire_others(&mut self, pin: &str, keep: &[Uuid]) -> CaseResult {
        const SQL: &str = "SELECT evidence_id FROM qt001_cp.evidence_registry \
                            WHERE artifact_sha256 = $1 AND revoked_at IS NULL AND NOT (evidence_id = ANY($2))";
        let rows = self
            .ff
            .fx
            .db
            .query(SQL, &[&pin, &keep.to_vec()])
            .contract(kernel_client::C_REGISTRY, SQL)?;
        let mut ids = Vec::new();
        for r in &rows {
            ids.push(kernel_client::column::<Uuid>(
                r,
                0,
                kernel_client::C_REGISTRY,
                SQL,
            )?);
        }
        kernel_client::retire(&mut self.ff.fx.db, &ids)
    }

    /// A stub, restore or hash lookup whose evidence carries a lifecycle
    /// fault injected at `step.when`.
    fn lifecycle_step(&mut self, step: &FaultStep, t: usize) -> CaseResult {
        let oid = self.ff.fx.fns[t].oid;
        let other = self.ff.other_of(t, false);
        let mut created = Vec::new();
        // every point starts from the original body (a use needs it)
        self.ensure_original(t)?;
        self.original[t] = self.def(t)?;
        let source = self.original[t].clone();
        let pin = sha256_hex(source.as_bytes());
        let other_def = self.def(other)?;
        let ev = self.seal_for(step.fault, source.as_bytes(), &mut created)?;
        match step.when {
            FaultPoint::AfterSeal => {}
            FaultPoint::AfterReadback => {
                expect_reads_back(&mut self.ff.fx.db, ev, "right after sealing")?;
            }
            FaultPoint::AfterUse => {
                let db = &mut self.ff.fx.db;
                expect_accepted(
                    kernel_client::stub(db, oid, &pin, Some(ev))?,
                    "stub_fail_closed with valid evidence",
                    kernel_client::STUB_SQL,
                )?;
                self.stubbed[t] = true;
                if step.op == FaultOp::Stub {
                    expect_accepted(
                        kernel_client::restore(db, oid, ev, &pin)?,
                        "restore_function with the evidence the stub used",
                        kernel_client::RESTORE_SQL,
                    )?;
                    self.stubbed[t] = false;
                }
            }
        }
        if step.op != FaultOp::Stub && !self.stubbed[t] {
            // a restore needs a stubbed function; stub it with other evidence
            self.ensure_stubbed(t)?;
        }
        self.inject(step.fault, ev, other_def.as_bytes())?;
        let (sql, attempt) = self.attempt(step.op, oid, ev, pin, Some(&[ev]))?;
        self.judge(step, created, Some(ev), sql, attempt)
    }

    /// A replay whose snapshot carries a lifecycle fault injected at
    /// `step.when`, or a replay of evidence of another kind.
    fn replay_step(&mut self, step: &FaultStep, t: usize) -> CaseResult {
        let oid = self.ff.fx.fns[t].oid;
        let mut created = Vec::new();
        let idents: Vec<String> = self.ff.fx.fns.iter().map(|f| f.ident.clone()).collect();
        let snap = kernel_client::snapshot(&mut self.ff.fx.db, &idents)?;
        created.push(snap);
        if step.fault.is_lifecycle() {
            match step.when {
                FaultPoint::AfterSeal => {}
                FaultPoint::AfterReadback => {
                    expect_reads_back(&mut self.ff.fx.db, snap, "a fresh owner/ACL snapshot")?;
                }
                FaultPoint::AfterUse => {
                    expect_accepted(
                        kernel_client::replay(&mut self.ff.fx.db, snap)?,
                        "replay_owner_acl of a fresh snapshot",
                        kernel_client::REPLAY_SQL,
                    )?;
                }
            }
        }
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
        let ev = match step.fault {
            Fault::WrongObject(_) => {
                let def = self.def(t)?;
                let ev = self.seal_source(def.as_bytes())?;
                created.push(ev);
                ev
            }
            Fault::Missing(u) => Uuid::from_u64_pair(u, !u),
            f => {
                self.inject(f, snap, b"{}")?;
                snap
            }
        };
        self.judge(
            step,
            created,
            Some(ev),
            kernel_client::REPLAY_SQL,
            Box::new(move |c| kernel_client::replay(c, ev)),
        )
    }

    fn step(&mut self, step: &FaultStep) -> CaseResult {
        let t = self.ff.member(step.target);
        if step.op == FaultOp::Replay {
            return self.replay_step(step, t);
        }
        if step.fault.is_lifecycle() {
            return self.lifecycle_step(step, t);
        }
        if step.op == FaultOp::Stub {
            self.ensure_original(t)?;
            self.original[t] = self.def(t)?;
        } else {
            self.ensure_stubbed(t)?;
        }
        if let Fault::WrongPin(WrongPin::StaleLive) = step.fault {
            return self.stale_pin_step(step, t);
        }
        self.wrong_evidence_step(step, t)
    }

    /// A stub pinned to evidence sealed from the body, then the live body
    /// changed: the pin no longer matches it.
    fn stale_pin_step(&mut self, step: &FaultStep, t: usize) -> CaseResult {
        let oid = self.ff.fx.fns[t].oid;
        let source = self.original[t].clone();
        let ev = self.seal_source(source.as_bytes())?;
        let created = vec![ev];
        self.ff
            .fx
            .alter_body(t, &format!(" (changed after sealing {})", Uuid::new_v4()))?;
        self.original[t] = self.def(t)?;
        let pin = sha256_hex(source.as_bytes());
        self.judge(
            step,
            created,
            None,
            kernel_client::STUB_SQL,
            Box::new(move |c| kernel_client::stub(c, oid, &pin, Some(ev))),
        )
    }

    /// A stub, restore or hash lookup with evidence that is missing, of
    /// another object, of a wrong pin or ambiguous.
    fn wrong_evidence_step(&mut self, step: &FaultStep, t: usize) -> CaseResult {
        let oid = self.ff.fx.fns[t].oid;
        let sib = self.ff.other_of(
            t,
            matches!(step.fault, Fault::WrongObject(WrongObject::Sibling)),
        );
        let other = self.ff.other_of(t, false);
        let mut created = Vec::new();
        let mut source = self.original[t].clone();
        let mut pin = sha256_hex(source.as_bytes());
        if let Fault::WrongObject(_) = step.fault {
            source = self.def(sib)?;
            pin = sha256_hex(source.as_bytes());
        }
        let other_def = self.def(other)?;
        let ev = match step.fault {
            Fault::Missing(u) => Uuid::from_u64_pair(u, !u),
            f => self.seal_for(f, source.as_bytes(), &mut created)?,
        };
        match step.fault {
            Fault::WrongPin(WrongPin::Random(s)) => pin = sha256_hex(s.to_le_bytes()),
            Fault::WrongPin(WrongPin::OtherFunction) => pin = sha256_hex(other_def.as_bytes()),
            Fault::Ambiguous => {
                let second = self.seal_source(source.as_bytes())?;
                created.push(second);
            }
            _ => {}
        }
        let keep = (!matches!(step.fault, Fault::Ambiguous)).then_some(created.as_slice());
        let (sql, attempt) = self.attempt(step.op, oid, ev, pin, keep)?;
        self.judge(step, created, Some(ev), sql, attempt)
    }

    /// Make the faulty attempt and judge it: refused, every function and the
    /// evidence exactly as before, and — for a fault of the evidence itself —
    /// `readback_verify` of that evidence not answering true.
    fn judge(
        &mut self,
        step: &FaultStep,
        created: Vec<Uuid>,
        ev: Option<Uuid>,
        sql: &str,
        attempt: Attempt,
    ) -> CaseResult {
        let before = self.ff.fx.fn_states()?;
        let digest = kernel_client::evidence_digest(&mut self.ff.fx.db)?;
        let outcome = attempt(&mut self.ff.fx.db)?;
        let what = format!(
            "{} with fault {:?} ({})",
            step.op.name(),
            step.fault,
            step.when.name()
        );
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
        let after = kernel_client::evidence_digest(&mut self.ff.fx.db)?;
        if after != digest {
            return Err(CaseError::mismatch(
                format!("{what} was refused but changed the evidence registry or store"),
                digest,
                after,
            )
            .with_sql(sql));
        }
        // readback_verify is itself a read-back: never-read-back evidence may
        // pass it; every other fault of the evidence must not
        let faulty_evidence = matches!(
            step.fault,
            Fault::Revoked | Fault::Expired { .. } | Fault::Tampered(_) | Fault::Missing(_)
        );
        if let (true, Some(ev)) = (faulty_evidence, ev) {
            if kernel_client::readback(&mut self.ff.fx.db, ev)? == Some(true) {
                return Err(CaseError::mismatch(
                    format!("{what}: readback_verify of the faulty evidence answered true"),
                    "false",
                    "true",
                )
                .with_sql(kernel_client::READBACK_SQL));
            }
        }
        self.finish(created)
    }

    /// Retire the harness's own evidence so later hash lookups see none of it.
    fn finish(&mut self, created: Vec<Uuid>) -> CaseResult {
        // missing ids and already revoked rows are no-ops
        kernel_client::retire(&mut self.ff.fx.db, &created)
    }
}

/// EVID-FAILCLOSED's coverage: each step's fault, operation and (for a
/// lifecycle fault) injection point.
fn fail_closed_coverage(input: &FailClosedInput) -> Vec<String> {
    let mut v = super::case_coverage(&input.case);
    for s in &input.steps {
        v.push(format!("fault:{}", s.fault.name()));
        v.push(format!("op:{}", s.op.name()));
        if s.fault.is_lifecycle() {
            v.push(format!("point:{}", s.when.name()));
        }
    }
    v
}

/// EVID-FAILCLOSED's check: every applicable step is refused and changes nothing.
fn every_fault_refused(sandbox: &dyn Sandbox, input: &FailClosedInput) -> CaseResult {
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
        if !step.applicable() {
            return Err(CaseError::Reject(format!(
                "{:?} at {} does not apply to {}",
                step.fault,
                step.when.name(),
                step.op.name()
            )));
        }
        run.step(step)?;
    }
    Ok(())
}

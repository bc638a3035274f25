//! EVID-RESTORE: stub → (isolate) → restore → replay gives back exactly the
//! definition, owner and ACL the harness saw before.

use super::kernel_client::{self, Outcome};
use super::setup::FnFixture;
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::property::declare_property;
use crate::sandbox::Sandbox;
use pgconform_generators::evidence::{arb_restore_input, Decoy, RestoreInput};
use pgconform_oracle::sha256_hex;
use std::collections::BTreeSet;
use uuid::Uuid;

declare_property! {
    /// The EVID-RESTORE property.
    EvidRestore {
        input: RestoreInput,
        meta: InvariantMeta::new(
            "EVID-RESTORE",
            Suite::Evidence,
            "stub then restore reproduces the pinned definition; replay restores owner and ACL",
            "001_3f8e8cad6dbc0fbe.txt",
            "For any generated function (random signature, overloads, language sql/plpgsql, \
             body, owner, grants): sealing its definition, stub_fail_closed (optionally \
             revoke_only), then restore_function (or the hash lookup with invalid decoys) \
             makes the live definition hash equal the pin, and replay_owner_acl of a \
             snapshot restores owner and ACL exactly; the function computes what it did before.",
            24,
        ),
        strategy: arb_restore_input,
        coverage: restore_coverage,
        check: restore_round_trips,
    }
}

pub(crate) fn expect_accepted(
    o: Outcome,
    what: &str,
    sql: &str,
) -> Result<serde_json::Value, CaseError> {
    match o {
        Outcome::Accepted(v) => Ok(v),
        Outcome::Refused(why) => Err(CaseError::mismatch(
            format!("{what} was refused on valid input"),
            "accepted",
            why,
        )
        .with_sql(sql)),
    }
}

/// EVID-RESTORE's coverage.
fn restore_coverage(input: &RestoreInput) -> Vec<String> {
    let mut v = super::case_coverage(&input.case);
    v.push(format!(
        "restore:{}",
        if input.by_hash { "by_hash" } else { "by_id" }
    ));
    if input.isolate {
        v.push("restore:after_revoke_only".into());
    }
    // decoys are made only for the hash lookup
    if input.by_hash {
        for d in &input.decoys {
            v.push(format!("decoy:{d:?}").to_lowercase());
        }
    }
    v
}

/// EVID-RESTORE's check.
fn restore_round_trips(sandbox: &dyn Sandbox, input: &RestoreInput) -> CaseResult {
    let mut ff = FnFixture::build(sandbox, &input.case)?;
    let before = ff.fx.fn_states()?;
    let idents: Vec<String> = ff.fx.fns.iter().map(|f| f.ident.clone()).collect();
    let snap = kernel_client::snapshot(&mut ff.fx.db, &idents)?;

    let targets: BTreeSet<usize> = input.targets.iter().map(|t| ff.member(*t)).collect();
    let mut sealed = Vec::new();
    for &t in &targets {
        sealed.push(seal_and_stub(&mut ff, t, input.isolate)?);
    }
    for s in &sealed {
        restore_sealed(&mut ff, input, s)?;
    }

    expect_accepted(
        kernel_client::replay(&mut ff.fx.db, snap)?,
        "replay_owner_acl",
        kernel_client::REPLAY_SQL,
    )?;
    ff.expect_states(
        &before,
        "after stub, restore and replay, definition, owner or ACL differ from before",
    )?;
    check_computes_as_before(&mut ff, &targets)
}

/// A target function sealed and stubbed: its member index, pin, evidence
/// and the definition that was sealed.
struct Sealed {
    member: usize,
    pin: String,
    evidence: Uuid,
    definition: String,
}

/// Seal member `t`'s live definition and stub it (then revoke-only it when
/// `isolate`): the stub must change the body and raise when called.
fn seal_and_stub(ff: &mut FnFixture, t: usize, isolate: bool) -> Result<Sealed, CaseError> {
    let oid = ff.fx.fns[t].oid;
    let def = ff.fx.live_def(oid)?;
    let pin = sha256_hex(def.as_bytes());
    let ev = kernel_client::seal_source(&mut ff.fx.db, def.as_bytes())?;
    expect_accepted(
        kernel_client::stub(&mut ff.fx.db, oid, &pin, Some(ev))?,
        "stub_fail_closed",
        kernel_client::STUB_SQL,
    )?;
    let stubbed = ff.fx.fn_states()?;
    let now = stubbed
        .get(&oid)
        .and_then(|s| s.definition_sha256.clone())
        .unwrap_or_default();
    if now == pin {
        return Err(CaseError::mismatch(
            format!(
                "stub_fail_closed reported success but the body of {} did not change",
                ff.fx.fns[t].ident
            ),
            "a different definition hash",
            now,
        ));
    }
    if ff.fx.fns[t].precall.is_some() {
        if let Some(r) = ff.call(t)? {
            return Err(CaseError::mismatch(
                format!("the stub of {} does not raise", ff.fx.fns[t].ident),
                "an error",
                r,
            ));
        }
    }
    if isolate {
        expect_accepted(
            kernel_client::revoke_only(&mut ff.fx.db, oid)?,
            "revoke_only",
            kernel_client::REVOKE_ONLY_SQL,
        )?;
    }
    Ok(Sealed {
        member: t,
        pin,
        evidence: ev,
        definition: def,
    })
}

/// Seal the input's invalid decoys of `def` (revoked, expired, never read
/// back) for the hash lookup to pass over.
fn seal_decoys(ff: &mut FnFixture, def: &str, decoys: &[Decoy]) -> CaseResult {
    for d in decoys {
        match d {
            Decoy::Revoked => {
                let x = kernel_client::seal_source(&mut ff.fx.db, def.as_bytes())?;
                kernel_client::revoke(&mut ff.fx.db, x)?;
            }
            Decoy::Expired => {
                let x = kernel_client::seal(
                    &mut ff.fx.db,
                    def.as_bytes(),
                    kernel_client::KIND_FUNCTION_SOURCE,
                    60,
                )?;
                kernel_client::expire(&mut ff.fx.db, x, 0)?;
            }
            Decoy::NeverReadBack => {
                kernel_client::seal_unread(
                    &mut ff.fx.db,
                    def.as_bytes(),
                    kernel_client::KIND_FUNCTION_SOURCE,
                )?;
            }
        }
    }
    Ok(())
}

/// Restore a stubbed function by evidence id or by hash (past the decoys):
/// its live definition must hash to the pin again.
fn restore_sealed(ff: &mut FnFixture, input: &RestoreInput, s: &Sealed) -> CaseResult {
    let (t, pin, def) = (s.member, &s.pin, &s.definition);
    let oid = ff.fx.fns[t].oid;
    if input.by_hash {
        seal_decoys(ff, def, &input.decoys)?;
        expect_accepted(
            kernel_client::restore_by_hash(&mut ff.fx.db, oid, pin)?,
            "restore_function_by_hash with exactly one valid artifact",
            kernel_client::BY_HASH_SQL,
        )?;
    } else {
        expect_accepted(
            kernel_client::restore(&mut ff.fx.db, oid, s.evidence, pin)?,
            "restore_function",
            kernel_client::RESTORE_SQL,
        )?;
    }
    let live = ff.fx.live_def(oid)?;
    let live_sha = sha256_hex(live.as_bytes());
    if &live_sha != pin {
        return Err(CaseError::mismatch(
            format!(
                "after restore, the live definition of {} does not hash to the pin",
                ff.fx.fns[t].ident
            ),
            format!("{pin}\n{def}"),
            format!("{live_sha}\n{live}"),
        ));
    }
    Ok(())
}

/// Every restored target that could be called before computes the same again.
fn check_computes_as_before(ff: &mut FnFixture, targets: &BTreeSet<usize>) -> CaseResult {
    for &t in targets {
        if let Some(pre) = ff.fx.fns[t].precall.clone() {
            let post = ff.call(t)?;
            if post.as_deref() != Some(pre.as_str()) {
                return Err(CaseError::mismatch(
                    format!(
                        "the restored {} does not compute what it did before",
                        ff.fx.fns[t].ident
                    ),
                    pre,
                    pgconform_reports::json_text(&post),
                ));
            }
        }
    }
    Ok(())
}

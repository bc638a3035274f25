//! EVID-NO-SOURCE-NO-CHANGE: without a sealed, read-back source no body ever
//! changes; revoke_only leaves the body intact and EXECUTE effectively revoked
//! (PUBLIC, grantees, inherited) with the owner isolated.

use super::fixture::ObjState;
use super::kernel_client::{self, Outcome};
use super::restore::expect_accepted;
use super::setup::FnFixture;
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::{answer, query_strings, quote_ident, Answer, PgResultExt};
use crate::property::declare_property;
use crate::sandbox::Sandbox;
use pgconform_generators::evidence::{arb_no_source_input, NoSourceAttempt, NoSourceInput};
use pgconform_oracle::sha256_hex;
use std::collections::BTreeMap;
use uuid::Uuid;

declare_property! {
    /// The EVID-NO-SOURCE-NO-CHANGE property.
    EvidNoSource {
        input: NoSourceInput,
        meta: InvariantMeta::new(
            "EVID-NO-SOURCE-NO-CHANGE",
            Suite::Evidence,
            "no sealed source, no body change; revoke_only revokes EXECUTE and keeps the body",
            "001_3f8e8cad6dbc0fbe.txt",
            "For any generated function and grants: stub and hash-restore attempts without a \
             valid sealed source of its live definition (none, missing, another body, \
             never read back, revoked) are refused and change no body; revoke_only keeps \
             the definition hash, leaves no non-superuser role (PUBLIC, grantees, members) \
             with EXECUTE, and gives the function an owner no case role can act as.",
            24,
        ),
        strategy: arb_no_source_input,
        coverage: no_source_coverage,
        check: no_source_no_change,
    }
}

/// Every attempt to change member `t`'s body without a valid sealed source
/// is refused and changes no function.
fn attempts(ff: &mut FnFixture, t: usize, attempts: &[NoSourceAttempt]) -> CaseResult {
    let oid = ff.fx.fns[t].oid;
    for a in attempts {
        let def = ff.fx.live_def(oid)?;
        let pin = sha256_hex(def.as_bytes());
        let (ev, created) = attempt_evidence(ff, t, a, &def)?;
        let before = ff.fx.fn_states()?;
        let (sql, out) = if *a == NoSourceAttempt::RestoreByHash {
            (
                kernel_client::BY_HASH_SQL,
                kernel_client::restore_by_hash(&mut ff.fx.db, oid, &pin)?,
            )
        } else {
            (
                kernel_client::STUB_SQL,
                kernel_client::stub(&mut ff.fx.db, oid, &pin, ev)?,
            )
        };
        if let Outcome::Accepted(v) = out {
            return Err(CaseError::mismatch(
                format!(
                    "a body change without a sealed source ({}) was accepted",
                    a.name()
                ),
                "a refusal",
                v,
            )
            .with_sql(sql));
        }
        ff.expect_states(
            &before,
            &format!("a refused {} attempt changed a function", a.name()),
        )?;
        kernel_client::retire(&mut ff.fx.db, &created)?;
    }
    Ok(())
}

/// The evidence an attempt offers for member `t`'s live definition `def`
/// (none for a null one or a hash lookup), and the rows sealed for it.
fn attempt_evidence(
    ff: &mut FnFixture,
    t: usize,
    a: &NoSourceAttempt,
    def: &str,
) -> Result<(Option<Uuid>, Vec<Uuid>), CaseError> {
    let other = ff.other_of(t, true);
    let other_oid = ff.fx.fns[other].oid;
    let ev = match a {
        NoSourceAttempt::NullEvidence | NoSourceAttempt::RestoreByHash => {
            return Ok((None, vec![]))
        }
        NoSourceAttempt::MissingEvidence(u) => {
            return Ok((Some(Uuid::from_u64_pair(*u, !*u)), vec![]))
        }
        NoSourceAttempt::OtherDefinition => {
            let od = ff.fx.live_def(other_oid)?;
            kernel_client::seal_source(&mut ff.fx.db, od.as_bytes())?
        }
        NoSourceAttempt::RandomBody(s) => {
            kernel_client::seal_source(&mut ff.fx.db, &s.to_le_bytes())?
        }
        NoSourceAttempt::UnreadCopy => kernel_client::seal_unread(
            &mut ff.fx.db,
            def.as_bytes(),
            kernel_client::KIND_FUNCTION_SOURCE,
        )?,
        NoSourceAttempt::RevokedCopy => {
            let ev = kernel_client::seal_source(&mut ff.fx.db, def.as_bytes())?;
            kernel_client::revoke(&mut ff.fx.db, ev)?;
            ev
        }
    };
    Ok((Some(ev), vec![ev]))
}

/// EVID-NO-SOURCE-NO-CHANGE's coverage: the case and the kinds of attempt.
fn no_source_coverage(input: &NoSourceInput) -> Vec<String> {
    let mut v = super::case_coverage(&input.case);
    v.extend(input.attempts.iter().map(|a| format!("fault:{}", a.name())));
    v
}

/// EVID-NO-SOURCE-NO-CHANGE's check: attempts before and after revoke_only,
/// which keeps the body and isolates the function.
fn no_source_no_change(sandbox: &dyn Sandbox, input: &NoSourceInput) -> CaseResult {
    let mut ff = FnFixture::build(sandbox, &input.case)?;
    let t = ff.member(input.target);
    let oid = ff.fx.fns[t].oid;
    let ident = ff.fx.fns[t].ident.clone();
    let start = ff.fx.fn_states()?;
    let pin = start
        .get(&oid)
        .and_then(|s| s.definition_sha256.clone())
        .unwrap_or_default();

    attempts(&mut ff, t, &input.attempts)?;

    let st = revoke_only_keeping_definitions(&mut ff, oid, &start)?;
    check_owner_isolated(&mut ff, oid, &st, &ident)?;
    check_calls_refused(&mut ff, t, &ident)?;
    // still no body change without a source
    attempts(&mut ff, t, &input.attempts)?;
    let end = ff.fx.fn_states()?;
    let end_pin = end
        .get(&oid)
        .and_then(|s| s.definition_sha256.clone())
        .unwrap_or_default();
    if end_pin != pin {
        return Err(CaseError::mismatch(
            format!("the body of {ident} changed"),
            pin,
            end_pin,
        ));
    }
    Ok(())
}

/// Call revoke_only on `oid`: no function's definition may change (`start`:
/// the states before). The function's state afterwards.
fn revoke_only_keeping_definitions(
    ff: &mut FnFixture,
    oid: u32,
    start: &BTreeMap<u32, ObjState>,
) -> Result<ObjState, CaseError> {
    expect_accepted(
        kernel_client::revoke_only(&mut ff.fx.db, oid)?,
        "revoke_only",
        kernel_client::REVOKE_ONLY_SQL,
    )?;
    let after = ff.fx.fn_states()?;
    for (o, s) in start {
        let now = after.get(o).and_then(|x| x.definition_sha256.clone());
        if now != s.definition_sha256 {
            return Err(CaseError::mismatch(
                format!("revoke_only changed the definition of {}", (ff.namer())(*o)),
                pgconform_reports::json_text(&s.definition_sha256),
                pgconform_reports::json_text(&now),
            )
            .with_sql(kernel_client::REVOKE_ONLY_SQL));
        }
    }
    after
        .get(&oid)
        .cloned()
        .ok_or_else(|| CaseError::fail("the function vanished"))
}

/// After revoke_only (`st`: the function's state): no PUBLIC privilege, no
/// non-superuser role but the isolated owner holds EXECUTE, and no case role
/// can act as the owner.
fn check_owner_isolated(ff: &mut FnFixture, oid: u32, st: &ObjState, ident: &str) -> CaseResult {
    if let Some(p) = st.acl.iter().find(|i| i.grantee.is_none()) {
        return Err(CaseError::mismatch(
            format!("after revoke_only PUBLIC still holds a privilege on {ident}"),
            "no PUBLIC aclitem",
            pgconform_reports::json_text(&p),
        ));
    }
    const HOLDERS: &str = "SELECT r.rolname::text FROM pg_roles r \
                            WHERE NOT r.rolsuper AND has_function_privilege(r.oid, $1::oid, 'EXECUTE') \
                            ORDER BY 1";
    let holders = query_strings(&mut ff.fx.db, HOLDERS, &[&oid])?;
    let case_roles = ff.fx.role_names().to_vec();
    if holders
        .iter()
        .any(|h| *h != st.owner || case_roles.contains(h))
    {
        return Err(CaseError::mismatch(
            format!("after revoke_only non-superuser roles still have EXECUTE on {ident}"),
            "none (at most the isolated owner)",
            holders.join(", "),
        )
        .with_sql(HOLDERS));
    }
    // owner isolation: no case role owns it or can act as its owner
    const ISOLATION: &str = "SELECT r.rolname::text FROM pg_roles r, pg_roles o \
                              WHERE o.rolname = $1 AND r.rolname = ANY($2) AND pg_has_role(r.oid, o.oid, 'MEMBER')";
    let members = query_strings(&mut ff.fx.db, ISOLATION, &[&st.owner, &case_roles])?;
    if !members.is_empty() {
        return Err(CaseError::mismatch(
            format!("after revoke_only, case roles can act as the owner of {ident}"),
            "an isolated owner",
            format!("owner {} reachable from {}", st.owner, members.join(", ")),
        ));
    }
    Ok(())
}

/// Calling the revoked function `t` as any case role is refused with 42501.
fn check_calls_refused(ff: &mut FnFixture, t: usize, ident: &str) -> CaseResult {
    let case_roles = ff.fx.role_names().to_vec();
    if ff.fx.fns[t].precall.is_some() {
        let call = ff.fx.fns[t].call.clone();
        for r in &case_roles {
            ff.fx
                .db
                .batch_execute(&format!("SET ROLE {}", quote_ident(r)))
                .env()?;
            let res = answer(ff.fx.db.query_one(call.as_str(), &[]));
            ff.fx.db.batch_execute("RESET ROLE").env()?;
            match res? {
                Answer::Err { sqlstate, .. } if sqlstate == "42501" => {}
                other => {
                    return Err(CaseError::mismatch(
                        format!("after revoke_only, role {r} calling {ident} was not refused with 42501"),
                        "SQLSTATE 42501",
                        pgconform_reports::json_text(&other.sqlstate().map(str::to_owned).unwrap_or_else(|| "success".into())),
                    )
                    .with_sql(call));
                }
            }
        }
    }
    Ok(())
}

//! The kernel's evidence API as the harness calls it, and the harness's own
//! fault injections (revoking, expiring, tampering with the store, registering
//! without read-back).

use super::fixture::sha256_hex;
use crate::case::CaseError;
use crate::clock;
use crate::pg::{answer, Answer, PgResultExt};
use pgconform_generators::evidence::Tamper;
use postgres::Client;
use serde_json::Value;
use uuid::Uuid;

/// The issuer the harness seals under.
pub const ISSUER: Uuid = Uuid::from_u128(0x7063_6f6e_666f_726d_0000_0000_0000_0001);

/// How a kernel call answered.
#[derive(Debug)]
pub enum Outcome {
    /// The call succeeded with `ok` not false.
    Accepted(Value),
    /// The call raised (SQLSTATE) or returned `ok: false`.
    Refused(String),
}

fn outcome(a: Answer<Value>) -> Outcome {
    match a {
        Answer::Ok(v) if v.get("ok") == Some(&Value::Bool(false)) => {
            Outcome::Refused(format!("ok=false: {v}"))
        }
        Answer::Ok(v) => Outcome::Accepted(v),
        Answer::Err { sqlstate, message } => Outcome::Refused(format!("{sqlstate}: {message}")),
    }
}

fn call_json(
    c: &mut Client,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Outcome, CaseError> {
    Ok(outcome(match answer(c.query_one(sql, params))? {
        Answer::Ok(row) => Answer::Ok(row.try_get::<_, Value>(0).unwrap_or(Value::Null)),
        Answer::Err { sqlstate, message } => Answer::Err { sqlstate, message },
    }))
}

/// SQL of `stub_fail_closed`.
pub const STUB_SQL: &str =
    "SELECT qt001_cp.stub_fail_closed($1::oid::regprocedure, $2::text, $3::uuid)";
/// SQL of `restore_function`.
pub const RESTORE_SQL: &str =
    "SELECT qt001_cp.restore_function($1::oid::regprocedure, $2::uuid, $3::text)";
/// SQL of `restore_function_by_hash`.
pub const BY_HASH_SQL: &str =
    "SELECT qt001_cp.restore_function_by_hash($1::oid::regprocedure, $2::text)";
/// SQL of `revoke_only`.
pub const REVOKE_ONLY_SQL: &str = "SELECT qt001_cp.revoke_only($1::oid::regprocedure)";
/// SQL of `replay_owner_acl`.
pub const REPLAY_SQL: &str = "SELECT qt001_cp.replay_owner_acl($1::uuid)";
/// SQL of `snapshot_owner_acl`.
pub const SNAPSHOT_SQL: &str = "SELECT qt001_cp.snapshot_owner_acl($1::text[])";
/// SQL of `seal_artifact`.
pub const SEAL_SQL: &str =
    "SELECT qt001_cp.seal_artifact($1::text, $2::bytea, $3::text, $4::text, $5::uuid, make_interval(secs => $6::bigint::double precision))";

/// `stub_fail_closed(f, pin, evidence)`.
pub fn stub(c: &mut Client, f: u32, pin: &str, ev: Option<Uuid>) -> Result<Outcome, CaseError> {
    call_json(c, STUB_SQL, &[&f, &pin, &ev])
}

/// `restore_function(f, evidence, pin)`.
pub fn restore(c: &mut Client, f: u32, ev: Uuid, pin: &str) -> Result<Outcome, CaseError> {
    call_json(c, RESTORE_SQL, &[&f, &ev, &pin])
}

/// `restore_function_by_hash(f, pin)`.
pub fn restore_by_hash(c: &mut Client, f: u32, pin: &str) -> Result<Outcome, CaseError> {
    call_json(c, BY_HASH_SQL, &[&f, &pin])
}

/// `revoke_only(f)`.
pub fn revoke_only(c: &mut Client, f: u32) -> Result<Outcome, CaseError> {
    call_json(c, REVOKE_ONLY_SQL, &[&f])
}

/// `replay_owner_acl(evidence)`.
pub fn replay(c: &mut Client, ev: Uuid) -> Result<Outcome, CaseError> {
    call_json(c, REPLAY_SQL, &[&ev])
}

/// `snapshot_owner_acl(names)`; a refusal is a kernel failure.
pub fn snapshot(c: &mut Client, names: &[String]) -> Result<Uuid, CaseError> {
    let names = names.to_vec();
    c.query_one(SNAPSHOT_SQL, &[&names])
        .kernel(SNAPSHOT_SQL)?
        .try_get::<_, Uuid>(0)
        .kernel(SNAPSHOT_SQL)
}

/// Seal `body` under a fresh URI, valid for `valid_secs`; a refusal is a
/// kernel failure (the input is valid).
pub fn seal(c: &mut Client, body: &[u8], kind: &str, valid_secs: i64) -> Result<Uuid, CaseError> {
    let uri = format!("pgc:evidence/{}", Uuid::new_v4());
    seal_as(c, &uri, body, kind, "embedded", valid_secs)
}

/// Seal with every parameter given.
pub fn seal_as(
    c: &mut Client,
    uri: &str,
    body: &[u8],
    kind: &str,
    storage_class: &str,
    valid_secs: i64,
) -> Result<Uuid, CaseError> {
    c.query_one(
        SEAL_SQL,
        &[&uri, &body, &kind, &storage_class, &ISSUER, &valid_secs],
    )
    .kernel(SEAL_SQL)?
    .try_get::<_, Uuid>(0)
    .kernel(SEAL_SQL)
}

/// Revoke evidence the way an operator does (`revoked_at`, one of the two
/// mutable columns).
pub fn revoke(c: &mut Client, ev: Uuid) -> Result<(), CaseError> {
    const SQL: &str = "UPDATE qt001_cp.evidence_registry SET revoked_at = public.kernel_now() \
                       WHERE evidence_id = $1 AND revoked_at IS NULL";
    c.execute(SQL, &[&ev]).kernel(SQL)?;
    Ok(())
}

/// Revoke every id in `evs` (used to retire the harness's own seals).
pub fn revoke_all(c: &mut Client, evs: &[Uuid]) -> Result<(), CaseError> {
    for ev in evs {
        revoke(c, *ev)?;
    }
    Ok(())
}

/// Advance the test clock to `valid_until + extra_secs` of `ev`.
pub fn expire(c: &mut Client, ev: Uuid, extra_secs: u32) -> Result<(), CaseError> {
    let secs: i64 = c
        .query_one(
            "SELECT ceil(extract(epoch FROM (valid_until - public.kernel_now())))::bigint \
               FROM qt001_cp.evidence_registry WHERE evidence_id = $1",
            &[&ev],
        )
        .env()?
        .get(0);
    clock::advance(c, secs.max(0) + i64::from(extra_secs))
}

/// Register `body` directly, stored but never read back
/// (`last_readback_at` NULL). `None` when the kernel refuses to hold such a
/// row at all (that is fail-closed too).
pub fn insert_unread(c: &mut Client, body: &[u8], kind: &str) -> Result<Option<Uuid>, CaseError> {
    let uri = format!("pgc:unread/{}", Uuid::new_v4());
    let sha = sha256_hex(body);
    let size = i64::try_from(body.len()).unwrap_or(i64::MAX);
    let mut tx = c.transaction().env()?;
    let r1 = answer(tx.execute(
        "INSERT INTO qt001_cp.artifact_store (artifact_uri, body) VALUES ($1, $2)",
        &[&uri, &body],
    ))?;
    if matches!(r1, Answer::Err { .. }) {
        return Ok(None);
    }
    let r2 = answer(tx.query_one(
        "INSERT INTO qt001_cp.evidence_registry (evidence_kind, storage_class, artifact_uri, \
           artifact_sha256, artifact_size_bytes, issuer_principal_id, issued_at, last_readback_at, valid_until) \
         VALUES ($1, 'embedded', $2, $3, $4, $5, public.kernel_now(), NULL, public.kernel_now() + interval '1 day') \
         RETURNING evidence_id",
        &[&kind, &uri, &sha, &size, &ISSUER],
    ))?;
    match r2 {
        Answer::Ok(row) => {
            let id: Uuid = row.get(0);
            tx.commit().env()?;
            Ok(Some(id))
        }
        Answer::Err { .. } => Ok(None),
    }
}

/// The stored body of evidence `ev` (as the harness reads it).
pub fn stored_body(c: &mut Client, ev: Uuid) -> Result<Vec<u8>, CaseError> {
    let row = c
        .query_one(
            "SELECT s.body FROM qt001_cp.evidence_registry e \
               JOIN qt001_cp.artifact_store s ON s.artifact_uri = e.artifact_uri \
              WHERE e.evidence_id = $1",
            &[&ev],
        )
        .env()?;
    Ok(row.get(0))
}

/// Tamper with the stored body of `ev`, bypassing the store's user triggers
/// for one statement and restoring each trigger's exact enabled state.
pub fn tamper(c: &mut Client, ev: Uuid, how: Tamper, other: &[u8]) -> Result<(), CaseError> {
    let body = stored_body(c, ev)?;
    let mut new = body.clone();
    match how {
        Tamper::FlipBit(i) => {
            if new.is_empty() {
                new.push(b'x');
            } else {
                let n = new.len();
                new[usize::from(i) % n] ^= 0x01;
            }
        }
        Tamper::Append => new.push(b' '),
        Tamper::Truncate => {
            if new.pop().is_none() {
                new.push(b'x');
            }
        }
        Tamper::OtherDefinition => new = other.to_vec(),
    }
    if new == body {
        new.extend_from_slice(b"--tampered");
    }
    let mut tx = c.transaction().env()?;
    let triggers: Vec<(String, i8)> = tx
        .query(
            "SELECT tgname::text, tgenabled \
               FROM pg_trigger WHERE tgrelid = 'qt001_cp.artifact_store'::regclass AND NOT tgisinternal",
            &[],
        )
        .env()?
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i8>(1)))
        .collect();
    tx.batch_execute("ALTER TABLE qt001_cp.artifact_store DISABLE TRIGGER USER")
        .env()?;
    tx.execute(
        "UPDATE qt001_cp.artifact_store s SET body = $2 FROM qt001_cp.evidence_registry e \
          WHERE e.evidence_id = $1 AND s.artifact_uri = e.artifact_uri",
        &[&ev, &new],
    )
    .env()?;
    for (name, state) in triggers {
        let verb = match state as u8 {
            b'A' => "ENABLE ALWAYS TRIGGER",
            b'R' => "ENABLE REPLICA TRIGGER",
            b'D' => "DISABLE TRIGGER",
            _ => "ENABLE TRIGGER",
        };
        tx.batch_execute(&format!(
            "ALTER TABLE qt001_cp.artifact_store {verb} {}",
            crate::pg::quote_ident(&name)
        ))
        .env()?;
    }
    tx.commit().env()?;
    if stored_body(c, ev)? != new {
        return Err(CaseError::env(
            "could not tamper with the artifact store (the harness's UPDATE did not take)",
        ));
    }
    Ok(())
}

/// A digest of the registry and the store (every column), for "changed nothing".
pub fn evidence_digest(c: &mut Client) -> Result<String, CaseError> {
    let row = c
        .query_one(
            "SELECT coalesce((SELECT string_agg(t::text, E'\\n' ORDER BY t::text) FROM qt001_cp.evidence_registry t), '') \
               || E'\\n--\\n' || \
                    coalesce((SELECT string_agg(t::text, E'\\n' ORDER BY t::text) FROM qt001_cp.artifact_store t), '')",
            &[],
        )
        .env()?;
    Ok(sha256_hex(row.get::<_, String>(0).as_bytes()))
}

//! The kernel's evidence API as the harness calls it, and the harness's own
//! fault injections (revoking, expiring, clearing the read-back, tampering
//! with the store).
//!
//! What the harness touches in the kernel's tables is exactly what CONTRACT.md
//! §3 names: of `qt001_cp.evidence_registry` the contract columns (read), and
//! `revoked_at` (revocation is an UPDATE of it); of `qt001_cp.artifact_store`
//! only `artifact_uri` and `body`. Two fault injections go around the
//! kernel's triggers, as superuser, inside one transaction each: a corrupted
//! store (the contract's own simulation: user triggers of the store disabled,
//! one body rewritten) and evidence that was never read back (the same for
//! the registry: `last_readback_at` set back to NULL). The harness uses only
//! the evidence kinds and the storage class the contract lists.
//!
//! A kernel that raises where the contract promises an answer, lacks a
//! contract column, or answers NULL or the wrong type fails the invariant,
//! with a message naming the contract clause — it is never an environment
//! error.

use crate::case::CaseError;
use crate::clock;
use crate::pg::{answer, describe, Answer, PgResultExt};
use pgconform_generators::evidence::Tamper;
use pgconform_oracle::sha256_hex;
use pgconform_reports::FailureDetail;
use postgres::{Client, Row};
use serde_json::Value;
use uuid::Uuid;

/// The issuer the harness seals under.
pub const ISSUER: Uuid = Uuid::from_u128(0x7063_6f6e_666f_726d_0000_0000_0000_0001);

/// The evidence kinds the contract guarantees (§3: a kernel may close its
/// catalog of kinds, as long as it accepts these). The harness uses no other.
pub const KINDS: [&str; 4] = [
    KIND_FUNCTION_SOURCE,
    KIND_OWNER_ACL,
    "manifest_payload",
    KIND_TEST_ARTIFACT,
];
/// The kind of a sealed function definition.
pub const KIND_FUNCTION_SOURCE: &str = "function_source";
/// The kind of an owner/ACL snapshot.
pub const KIND_OWNER_ACL: &str = "owner_acl_snapshot";
/// The kind of an arbitrary test body.
pub const KIND_TEST_ARTIFACT: &str = "test_artifact";
/// The only storage class the contract guarantees, and the only one the
/// harness uses.
pub const STORAGE_CLASS: &str = "embedded";

/// The contract columns of `qt001_cp.evidence_registry` (§3, seed 001).
pub use pgconform_contract::evidence::REGISTRY_COLUMNS;

/// Clause: the registry's objects.
pub const C_REGISTRY: &str =
    "CONTRACT §3 objects: qt001_cp.evidence_registry as in seed 001 (evidence_id, evidence_kind, \
     storage_class, artifact_uri, artifact_sha256, artifact_size_bytes, issuer_principal_id, \
     control_epoch, issued_at, last_readback_at, valid_until, revoked_at, supersedes_evidence_id)";
/// Clause: the store's objects.
pub const C_STORE: &str =
    "CONTRACT §3 objects: qt001_cp.artifact_store(artifact_uri text PK, body bytea NOT NULL, ...)";
/// Clause: revocation.
pub const C_REVOKE: &str =
    "CONTRACT §3 objects: revocation is an UPDATE that sets revoked_at (from NULL, once)";
/// Clause: the harness's simulation of a corrupted store.
pub const C_CORRUPT: &str = "CONTRACT §3 objects: to simulate a corrupted store, the harness, as \
     superuser, disables the table's user triggers inside one transaction and rewrites a body";
/// Clause: validity (never read back).
pub const C_VALID: &str = "CONTRACT §3: evidence is valid when not revoked, not expired and read \
     back (last_readback_at); the harness makes evidence never-read-back by setting \
     last_readback_at back to NULL as superuser with the registry's user triggers disabled \
     inside one transaction, as it corrupts the store";
/// Clause: kinds and storage classes.
pub const C_CATALOG: &str = "CONTRACT §3 objects: a kernel accepts the kinds function_source, \
     owner_acl_snapshot, manifest_payload, test_artifact and the storage class embedded";

/// A kernel failure against `clause`, with what was found.
pub fn breach(clause: &str, what: impl std::fmt::Display, sql: &str) -> CaseError {
    CaseError::Fail(Box::new(FailureDetail {
        message: format!("{what} ({clause})"),
        sql: Some(sql.to_owned()),
        ..FailureDetail::default()
    }))
}

/// Driver results of statements against the kernel's contract objects.
pub trait ContractExt<T> {
    /// A server error is a kernel failure naming `clause` (with the SQLSTATE
    /// and `sql`); a client-side error is an environment error.
    fn contract(self, clause: &str, sql: &str) -> Result<T, CaseError>;
}

impl<T> ContractExt<T> for Result<T, postgres::Error> {
    fn contract(self, clause: &str, sql: &str) -> Result<T, CaseError> {
        self.map_err(|e| {
            crate::pg::server_failure(e, sql, |m| format!("kernel raised: {m} ({clause})"))
        })
    }
}

/// Column `i` of a row the kernel produced: a NULL, a missing column or a
/// value of another type is the kernel's failure against `clause`.
pub fn column<'a, T: postgres::types::FromSql<'a>>(
    row: &'a Row,
    i: usize,
    clause: &str,
    sql: &str,
) -> Result<T, CaseError> {
    row.try_get::<_, T>(i).map_err(|e| {
        breach(
            clause,
            format!(
                "the kernel's answer has no usable {} in column {i}: {}",
                std::any::type_name::<T>(),
                describe(&e)
            ),
            sql,
        )
    })
}

/// How a kernel call answered.
#[derive(Debug)]
pub enum Outcome {
    /// The call succeeded with `ok` not false.
    Accepted(Value),
    /// The call raised (SQLSTATE) or returned `ok: false`.
    Refused(String),
}

/// A jsonb-returning call of clause `clause`: a raise or `"ok": false` is a
/// refusal; any other jsonb is an acceptance (its other keys are the
/// kernel's choice); a NULL is a kernel failure.
fn call_json(
    c: &mut Client,
    sql: &str,
    clause: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Outcome, CaseError> {
    Ok(match answer(c.query_one(sql, params))? {
        Answer::Ok(row) => {
            let v: Value = column(&row, 0, clause, sql)?;
            if v.get("ok") == Some(&Value::Bool(false)) {
                Outcome::Refused(format!("ok=false: {v}"))
            } else {
                Outcome::Accepted(v)
            }
        }
        Answer::Err { sqlstate, message } => Outcome::Refused(format!("{sqlstate}: {message}")),
    })
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
/// SQL of `readback_verify`.
pub const READBACK_SQL: &str = "SELECT qt001_cp.readback_verify($1::uuid)";
/// SQL of `seal_artifact`.
pub const SEAL_SQL: &str =
    "SELECT qt001_cp.seal_artifact($1::text, $2::bytea, $3::text, $4::text, $5::uuid, make_interval(secs => $6::bigint::double precision))";

const C_STUB: &str = "CONTRACT §3 functions: stub_fail_closed(...) returns jsonb";
const C_RESTORE: &str = "CONTRACT §3 functions: restore_function(...) returns jsonb";
const C_BY_HASH: &str = "CONTRACT §3 functions: restore_function_by_hash(...) returns jsonb";
const C_REVOKE_ONLY: &str =
    "CONTRACT §3 functions: revoke_only(p_object regprocedure) returns jsonb";
const C_REPLAY: &str = "CONTRACT §3 functions: replay_owner_acl(p_evidence_id uuid) returns jsonb";
const C_SNAPSHOT: &str =
    "CONTRACT §3 functions: snapshot_owner_acl(p_objects text[]) returns uuid (a sealed artifact)";
const C_SEAL: &str =
    "CONTRACT §3 functions: seal_artifact(...) returns uuid — stores, reads back, \
     recomputes sha256, registers (for the kinds and storage class the contract lists)";
const C_READBACK: &str =
    "CONTRACT §3 functions: readback_verify(p_evidence_id uuid) returns boolean";

/// `stub_fail_closed(f, pin, evidence)`.
pub fn stub(c: &mut Client, f: u32, pin: &str, ev: Option<Uuid>) -> Result<Outcome, CaseError> {
    call_json(c, STUB_SQL, C_STUB, &[&f, &pin, &ev])
}

/// `restore_function(f, evidence, pin)`.
pub fn restore(c: &mut Client, f: u32, ev: Uuid, pin: &str) -> Result<Outcome, CaseError> {
    call_json(c, RESTORE_SQL, C_RESTORE, &[&f, &ev, &pin])
}

/// `restore_function_by_hash(f, pin)`.
pub fn restore_by_hash(c: &mut Client, f: u32, pin: &str) -> Result<Outcome, CaseError> {
    call_json(c, BY_HASH_SQL, C_BY_HASH, &[&f, &pin])
}

/// `revoke_only(f)`.
pub fn revoke_only(c: &mut Client, f: u32) -> Result<Outcome, CaseError> {
    call_json(c, REVOKE_ONLY_SQL, C_REVOKE_ONLY, &[&f])
}

/// `replay_owner_acl(evidence)`.
pub fn replay(c: &mut Client, ev: Uuid) -> Result<Outcome, CaseError> {
    call_json(c, REPLAY_SQL, C_REPLAY, &[&ev])
}

/// `readback_verify(evidence)`: `Ok(Some(answer))`, or `Ok(None)` when it
/// raised; a NULL answer is a kernel failure.
pub fn readback(c: &mut Client, ev: Uuid) -> Result<Option<bool>, CaseError> {
    Ok(match answer(c.query_one(READBACK_SQL, &[&ev]))? {
        Answer::Ok(row) => Some(column::<bool>(&row, 0, C_READBACK, READBACK_SQL)?),
        Answer::Err { .. } => None,
    })
}

/// `snapshot_owner_acl(names)`; a refusal is a kernel failure.
pub fn snapshot(c: &mut Client, names: &[String]) -> Result<Uuid, CaseError> {
    let names = names.to_vec();
    let row = c
        .query_one(SNAPSHOT_SQL, &[&names])
        .contract(C_SNAPSHOT, SNAPSHOT_SQL)?;
    column(&row, 0, C_SNAPSHOT, SNAPSHOT_SQL)
}

/// Validity of the harness's ordinary seals.
pub const DAY_SECS: i64 = 86_400;

/// Seal `body` as function-source evidence valid for a day ([`seal`]).
pub fn seal_source(c: &mut Client, body: &[u8]) -> Result<Uuid, CaseError> {
    seal(c, body, KIND_FUNCTION_SOURCE, DAY_SECS)
}

/// Seal `body` under a fresh URI, valid for `valid_secs`; a refusal is a
/// kernel failure (the input is valid).
pub fn seal(c: &mut Client, body: &[u8], kind: &str, valid_secs: i64) -> Result<Uuid, CaseError> {
    let uri = format!("pgc:evidence/{}", Uuid::new_v4());
    seal_as(c, &uri, body, kind, valid_secs)
}

/// Seal with every parameter given (always in [`STORAGE_CLASS`]).
pub fn seal_as(
    c: &mut Client,
    uri: &str,
    body: &[u8],
    kind: &str,
    valid_secs: i64,
) -> Result<Uuid, CaseError> {
    debug_assert!(
        KINDS.contains(&kind),
        "the harness uses only contract kinds"
    );
    let row = c
        .query_one(
            SEAL_SQL,
            &[&uri, &body, &kind, &STORAGE_CLASS, &ISSUER, &valid_secs],
        )
        .contract(&format!("{C_SEAL}; {C_CATALOG}"), SEAL_SQL)?;
    column(&row, 0, C_SEAL, SEAL_SQL)
}

/// Seal `body`, then make it never-read-back ([`make_unread`]).
pub fn seal_unread(c: &mut Client, body: &[u8], kind: &str) -> Result<Uuid, CaseError> {
    let ev = seal(c, body, kind, 86_400)?;
    make_unread(c, ev)?;
    Ok(ev)
}

const REVOKE_SQL: &str = "UPDATE qt001_cp.evidence_registry SET revoked_at = public.kernel_now() \
                          WHERE evidence_id = $1 AND revoked_at IS NULL";

/// Revoke evidence the way the contract says (an UPDATE that sets
/// `revoked_at`); it must take.
pub fn revoke(c: &mut Client, ev: Uuid) -> Result<(), CaseError> {
    c.execute(REVOKE_SQL, &[&ev])
        .contract(C_REVOKE, REVOKE_SQL)?;
    const CHECK: &str =
        "SELECT revoked_at IS NOT NULL FROM qt001_cp.evidence_registry WHERE evidence_id = $1";
    let rows = c.query(CHECK, &[&ev]).contract(C_REGISTRY, CHECK)?;
    match rows
        .first()
        .map(|r| column::<bool>(r, 0, C_REGISTRY, CHECK))
    {
        Some(Ok(true)) => Ok(()),
        Some(Err(e)) => Err(e),
        Some(Ok(false)) => Err(breach(
            C_REVOKE,
            format!("setting revoked_at of evidence {ev} did not take"),
            REVOKE_SQL,
        )),
        None => Err(breach(
            C_SEAL,
            format!("evidence {ev}, sealed by the kernel, is not in the registry"),
            CHECK,
        )),
    }
}

/// Retire the harness's own evidence (revoke what is not revoked yet;
/// unknown ids are no-ops), so that later hash lookups see none of it.
pub fn retire(c: &mut Client, evs: &[Uuid]) -> Result<(), CaseError> {
    for ev in evs {
        c.execute(REVOKE_SQL, &[ev])
            .contract(C_REVOKE, REVOKE_SQL)?;
    }
    Ok(())
}

/// Advance the test clock to `valid_until + extra_secs` of `ev`.
pub fn expire(c: &mut Client, ev: Uuid, extra_secs: u32) -> Result<(), CaseError> {
    const SQL: &str =
        "SELECT ceil(extract(epoch FROM (valid_until - public.kernel_now())))::bigint \
                       FROM qt001_cp.evidence_registry WHERE evidence_id = $1";
    let rows = c.query(SQL, &[&ev]).contract(C_REGISTRY, SQL)?;
    let Some(row) = rows.first() else {
        return Err(breach(
            C_SEAL,
            format!("evidence {ev}, sealed by the kernel, is not in the registry"),
            SQL,
        ));
    };
    let secs: i64 = column(row, 0, C_REGISTRY, SQL)?;
    clock::advance(c, secs.max(0) + i64::from(extra_secs))
}

/// Run `write` (one UPDATE of the harness's fault injection) on `table` with
/// the table's user triggers disabled, inside one transaction, restoring each
/// trigger's exact enabled state before committing. Returns the rows the
/// UPDATE affected. Errors of the UPDATE are the kernel's (against `clause`).
fn with_user_triggers_disabled(
    c: &mut Client,
    table: &str,
    clause: &str,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<u64, CaseError> {
    let mut tx = c.transaction().env()?;
    let triggers: Vec<(String, i8)> = tx
        .query(
            "SELECT tgname::text, tgenabled FROM pg_catalog.pg_trigger \
              WHERE tgrelid = $1::text::regclass AND NOT tgisinternal",
            &[&table],
        )
        .env()?
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i8>(1)))
        .collect();
    tx.batch_execute(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
        .env()?;
    let n = tx.execute(sql, params).contract(clause, sql)?;
    for (name, state) in triggers {
        let verb = match state as u8 {
            b'A' => "ENABLE ALWAYS TRIGGER",
            b'R' => "ENABLE REPLICA TRIGGER",
            b'D' => "DISABLE TRIGGER",
            _ => "ENABLE TRIGGER",
        };
        tx.batch_execute(&format!(
            "ALTER TABLE {table} {verb} {}",
            crate::pg::quote_ident(&name)
        ))
        .env()?;
    }
    tx.commit().env()?;
    Ok(n)
}

/// Make evidence `ev` never-read-back: `last_readback_at` back to NULL, as
/// superuser, with the registry's user triggers disabled for that one
/// transaction (see [`C_VALID`]). A kernel that will not hold such a row
/// fails: the contract names never-read-back evidence as a fault it refuses.
pub fn make_unread(c: &mut Client, ev: Uuid) -> Result<(), CaseError> {
    const SQL: &str =
        "UPDATE qt001_cp.evidence_registry SET last_readback_at = NULL WHERE evidence_id = $1";
    let n = with_user_triggers_disabled(c, "qt001_cp.evidence_registry", C_VALID, SQL, &[&ev])?;
    const CHECK: &str =
        "SELECT count(*) FROM qt001_cp.evidence_registry WHERE evidence_id = $1 AND last_readback_at IS NULL";
    let row = c.query_one(CHECK, &[&ev]).contract(C_REGISTRY, CHECK)?;
    let left: i64 = column(&row, 0, C_REGISTRY, CHECK)?;
    if n != 1 || left != 1 {
        return Err(breach(
            C_VALID,
            format!("evidence {ev} could not be made never-read-back ({n} rows updated)"),
            SQL,
        ));
    }
    Ok(())
}

/// The stored body of evidence `ev` (as the harness reads it: the store row
/// whose `artifact_uri` is the registry row's).
pub fn stored_body(c: &mut Client, ev: Uuid) -> Result<Vec<u8>, CaseError> {
    const SQL: &str = "SELECT s.body FROM qt001_cp.evidence_registry e \
                         JOIN qt001_cp.artifact_store s ON s.artifact_uri = e.artifact_uri \
                        WHERE e.evidence_id = $1";
    let rows = c
        .query(SQL, &[&ev])
        .contract(&format!("{C_REGISTRY}; {C_STORE}"), SQL)?;
    match rows.first() {
        Some(row) => column(row, 0, C_STORE, SQL),
        None => Err(breach(
            C_SEAL,
            format!("evidence {ev}, sealed by the kernel, has no body in qt001_cp.artifact_store"),
            SQL,
        )),
    }
}

/// Tamper with the stored body of `ev` exactly as the contract simulates a
/// corrupted store ([`C_CORRUPT`]).
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
    const SQL: &str =
        "UPDATE qt001_cp.artifact_store s SET body = $2 FROM qt001_cp.evidence_registry e \
                        WHERE e.evidence_id = $1 AND s.artifact_uri = e.artifact_uri";
    let n =
        with_user_triggers_disabled(c, "qt001_cp.artifact_store", C_CORRUPT, SQL, &[&ev, &new])?;
    if n != 1 || stored_body(c, ev)? != new {
        return Err(breach(
            C_CORRUPT,
            format!("the store's body of evidence {ev} could not be rewritten ({n} rows updated)"),
            SQL,
        ));
    }
    Ok(())
}

/// A digest of the registry's contract columns but `last_readback_at` (a
/// read-back is no change of the evidence) and of the store's `artifact_uri`
/// and `body`, for "changed nothing".
pub fn evidence_digest(c: &mut Client) -> Result<String, CaseError> {
    let cols: Vec<String> = REGISTRY_COLUMNS
        .iter()
        .filter(|c| **c != "last_readback_at")
        .map(|c| format!("e.{c}"))
        .collect();
    let sql = format!(
        "SELECT coalesce((SELECT string_agg(t, E'\\n' ORDER BY t) FROM \
                (SELECT jsonb_build_array({})::text AS t FROM qt001_cp.evidence_registry e) r), '') \
             || E'\\n--\\n' || \
                coalesce((SELECT string_agg(t, E'\\n' ORDER BY t) FROM \
                (SELECT jsonb_build_array(s.artifact_uri, encode(s.body, 'hex'))::text AS t \
                   FROM qt001_cp.artifact_store s) x), '')",
        cols.join(", ")
    );
    let row = c
        .query_one(sql.as_str(), &[])
        .contract(&format!("{C_REGISTRY}; {C_STORE}"), &sql)?;
    let text: String = column(&row, 0, C_REGISTRY, &sql)?;
    Ok(sha256_hex(text.as_bytes()))
}

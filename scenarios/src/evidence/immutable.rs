//! EVID-IMMUTABLE: registry and store rows can't be altered beyond
//! `last_readback_at` and `revoked_at` — not by UPDATE, DELETE or TRUNCATE,
//! not even by a superuser.

use super::fixture::Fixture;
use super::kernel_client::{self, ContractExt};
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::{answer, Answer};
use crate::property::declare_property;
use crate::sandbox::Sandbox;
use pgconform_generators::evidence::{
    arb_immutable_input, ImmutableAttempt, ImmutableInput, RegistryColumn, StoreColumn,
};
use std::collections::BTreeMap;
use uuid::Uuid;

declare_property! {
    /// The EVID-IMMUTABLE property.
    EvidImmutable {
        input: ImmutableInput,
        meta: InvariantMeta::new(
            "EVID-IMMUTABLE",
            Suite::Evidence,
            "evidence rows change only in last_readback_at and revoked_at",
            "001_3f8e8cad6dbc0fbe.txt",
            "For any sealed artifacts and any sequence of UPDATEs of frozen registry \
             columns (alone or together with an allowed one), UPDATEs of store rows, DELETEs \
             and TRUNCATE ... CASCADE, run as superuser: every frozen column of the registry \
             and every store row stays exactly as sealed; revoking (revoked_at) works.",
            24,
        ),
        strategy: arb_immutable_input,
        coverage: immutable_coverage,
        check: sealed_rows_stay,
    }
}

/// Registry rows without the two mutable columns, and the mutable ones apart.
struct Dump {
    frozen: BTreeMap<String, String>,
    revoked: BTreeMap<String, Option<String>>,
    store: BTreeMap<String, String>,
}

fn dump(c: &mut postgres::Client) -> Result<Dump, CaseError> {
    let mut d = Dump {
        frozen: BTreeMap::new(),
        revoked: BTreeMap::new(),
        store: BTreeMap::new(),
    };
    // the contract's columns only: further columns are the kernel's choice
    let frozen: Vec<String> = kernel_client::REGISTRY_COLUMNS
        .iter()
        .filter(|c| !matches!(**c, "last_readback_at" | "revoked_at"))
        .map(|c| format!("e.{c}"))
        .collect();
    let sql = format!(
        "SELECT e.evidence_id::text, jsonb_build_array({})::text, e.revoked_at::text \
           FROM qt001_cp.evidence_registry e",
        frozen.join(", ")
    );
    for r in c
        .query(sql.as_str(), &[])
        .contract(kernel_client::C_REGISTRY, &sql)?
    {
        d.frozen.insert(
            kernel_client::column(&r, 0, kernel_client::C_REGISTRY, &sql)?,
            kernel_client::column(&r, 1, kernel_client::C_REGISTRY, &sql)?,
        );
        d.revoked.insert(
            kernel_client::column(&r, 0, kernel_client::C_REGISTRY, &sql)?,
            kernel_client::column(&r, 2, kernel_client::C_REGISTRY, &sql)?,
        );
    }
    // of the store, the harness reads only artifact_uri and body (v2)
    const STORE: &str =
        "SELECT s.artifact_uri, encode(s.body, 'hex') FROM qt001_cp.artifact_store s";
    for r in c
        .query(STORE, &[])
        .contract(kernel_client::C_STORE, STORE)?
    {
        d.store.insert(
            kernel_client::column(&r, 0, kernel_client::C_STORE, STORE)?,
            kernel_client::column(&r, 1, kernel_client::C_STORE, STORE)?,
        );
    }
    Ok(d)
}

fn new_value(col: RegistryColumn) -> (&'static str, &'static str) {
    match col {
        RegistryColumn::EvidenceId => ("evidence_id", "gen_random_uuid()"),
        // another kind the contract guarantees: a closed catalog of kinds
        // cannot refuse it, only immutability can
        RegistryColumn::EvidenceKind => (
            "evidence_kind",
            "CASE evidence_kind WHEN 'manifest_payload' THEN 'test_artifact' ELSE 'manifest_payload' END",
        ),
        RegistryColumn::StorageClass => ("storage_class", "storage_class || 'x'"),
        RegistryColumn::ArtifactUri => ("artifact_uri", "artifact_uri || 'x'"),
        RegistryColumn::ArtifactSha256 => (
            "artifact_sha256",
            "encode(sha256(convert_to(artifact_sha256, 'UTF8')), 'hex')",
        ),
        RegistryColumn::ArtifactSizeBytes => ("artifact_size_bytes", "artifact_size_bytes + 1"),
        RegistryColumn::IssuerPrincipalId => ("issuer_principal_id", "gen_random_uuid()"),
        RegistryColumn::ControlEpoch => ("control_epoch", "control_epoch + 1"),
        RegistryColumn::IssuedAt => ("issued_at", "issued_at - interval '1 second'"),
        RegistryColumn::ValidUntil => ("valid_until", "valid_until + interval '1 year'"),
        RegistryColumn::SupersedesEvidenceId => (
            "supersedes_evidence_id",
            "(SELECT min(x.evidence_id::text)::uuid FROM qt001_cp.evidence_registry x)",
        ),
    }
}

/// EVID-IMMUTABLE's coverage: the kinds of attempt.
fn immutable_coverage(input: &ImmutableInput) -> Vec<String> {
    input
        .attempts
        .iter()
        .map(|a| format!("attempt:{}", a.name()))
        .collect()
}

/// EVID-IMMUTABLE's check: no attempt alters a frozen column or a store row.
fn sealed_rows_stay(sandbox: &dyn Sandbox, input: &ImmutableInput) -> CaseResult {
    let mut fx = Fixture::new(sandbox, "ev_immutable", &[])?;
    let db = &mut fx.db;
    let sealed = seal_artifacts(db, input)?;
    let base = dump(db)?;
    for at in &input.attempts {
        let (sql, params) = attempt_statement(db, *at, &sealed)?;
        let p: Vec<&(dyn postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|s| s as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let res = answer(db.execute(sql.as_str(), &p))?;
        let now = dump(db)?;
        if now.frozen != base.frozen || now.store != base.store {
            let affected = match res {
                Answer::Ok(n) => format!("statement succeeded ({n} rows)"),
                Answer::Err { sqlstate, .. } => format!("statement raised {sqlstate}"),
            };
            let show = |d: &Dump| format!("{:#?}\n{:#?}", d.frozen, d.store);
            return Err(CaseError::mismatch(
                format!("{} altered sealed evidence ({affected})", at.name()),
                show(&base),
                show(&now),
            )
            .with_sql(sql));
        }
    }
    Ok(())
}

/// The sealed artifacts: evidence IDs and artifact URIs, in input order.
struct Sealed {
    ids: Vec<Uuid>,
    uris: Vec<String>,
}

/// Seal every artifact of the input as a test artifact.
fn seal_artifacts(db: &mut postgres::Client, input: &ImmutableInput) -> Result<Sealed, CaseError> {
    let mut sealed = Sealed {
        ids: Vec::new(),
        uris: Vec::new(),
    };
    for (i, a) in input.artifacts.iter().enumerate() {
        let uri = format!("pgc:immutable/{i}/{}", Uuid::new_v4());
        sealed.ids.push(kernel_client::seal_as(
            db,
            &uri,
            &a.body,
            kernel_client::KIND_TEST_ARTIFACT,
            86_400,
        )?);
        sealed.uris.push(uri);
    }
    Ok(sealed)
}

/// The statement (and its text parameters) of one attempt; a revoke is made
/// here through the kernel and checked to take, its statement a no-op.
fn attempt_statement(
    db: &mut postgres::Client,
    at: ImmutableAttempt,
    sealed: &Sealed,
) -> Result<(String, Vec<String>), CaseError> {
    let (ids, uris) = (&sealed.ids, &sealed.uris);
    let pick = |r: u8| usize::from(r) % ids.len();
    Ok(match at {
        ImmutableAttempt::UpdateRegistry {
            row,
            column,
            with_allowed,
        } => {
            let (col, val) = new_value(column);
            let extra = if with_allowed {
                ", revoked_at = coalesce(revoked_at, public.kernel_now())"
            } else {
                ""
            };
            (
                format!("UPDATE qt001_cp.evidence_registry SET {col} = {val}{extra} WHERE evidence_id = $1::text::uuid"),
                vec![ids[pick(row)].to_string()],
            )
        }
        ImmutableAttempt::UpdateStore { row, column } => {
            let set = match column {
                StoreColumn::ArtifactUri => "artifact_uri = artifact_uri || 'x'",
                StoreColumn::Body => "body = body || '\\x00'::bytea",
            };
            (
                format!("UPDATE qt001_cp.artifact_store SET {set} WHERE artifact_uri = $1"),
                vec![uris[pick(row)].clone()],
            )
        }
        ImmutableAttempt::DeleteRegistry { row } => (
            "DELETE FROM qt001_cp.evidence_registry WHERE evidence_id = $1::text::uuid".into(),
            vec![ids[pick(row)].to_string()],
        ),
        ImmutableAttempt::DeleteStore { row } => (
            "DELETE FROM qt001_cp.artifact_store WHERE artifact_uri = $1".into(),
            vec![uris[pick(row)].clone()],
        ),
        ImmutableAttempt::TruncateRegistry => {
            ("TRUNCATE qt001_cp.evidence_registry CASCADE".into(), vec![])
        }
        ImmutableAttempt::TruncateStore => {
            ("TRUNCATE qt001_cp.artifact_store CASCADE".into(), vec![])
        }
        ImmutableAttempt::Revoke { row } => {
            let id = ids[pick(row)];
            revoke_takes(db, id)?;
            (
                "SELECT 1 WHERE $1::text IS NOT NULL".into(),
                vec![id.to_string()],
            )
        }
        ImmutableAttempt::Readback { row } => (
            "SELECT qt001_cp.readback_verify($1::text::uuid)".into(),
            vec![ids[pick(row)].to_string()],
        ),
    })
}

/// Revoking evidence through the kernel sets its revoked_at once.
fn revoke_takes(db: &mut postgres::Client, id: Uuid) -> CaseResult {
    let was = dump(db)?.revoked.get(&id.to_string()).cloned().flatten();
    kernel_client::revoke(db, id)?;
    let now = dump(db)?.revoked.get(&id.to_string()).cloned().flatten();
    if now.is_none() || (was.is_some() && was != now) {
        return Err(CaseError::mismatch(
            "revoking evidence (setting revoked_at) did not take".to_string(),
            "revoked_at set once",
            format!("{was:?} -> {now:?}"),
        ));
    }
    Ok(())
}

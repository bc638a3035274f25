//! The harness's side of the drift contract: building schemas, calling the
//! kernel's manifest functions, reading its snapshot and verify reports, and
//! the independent Rust recomputation of TABLE set hashes.

use crate::case::CaseError;
use crate::pg::{query_json, PgResultExt};
use pgconform_generators::drift::{DriftKind, ObjectPath};
use postgres::Client;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The manifest set the generated-schema cases seal.
pub const SET: &str = "pgc.drift";

/// Lowercase hex sha256 of `s`'s UTF-8 bytes.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// One row of `realized_authority_snapshot`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapRow {
    /// `object_identity`.
    pub identity: String,
    /// `parent_object_identity`.
    pub parent: Option<String>,
    /// `object_type`.
    pub object_type: String,
    /// `definition_sha256`.
    pub sha256: String,
    /// `definition`.
    pub definition: String,
}

/// (object_type, object_identity) → row.
pub type Snapshot = BTreeMap<(String, String), SnapRow>;

/// Run harness-side statements (schema builds, mutations): any error is the
/// harness's own problem.
pub fn run_all(client: &mut Client, stmts: &[String]) -> Result<(), CaseError> {
    for s in stmts {
        client
            .batch_execute(s)
            .map_err(|e| CaseError::env(format!("harness DDL failed: {e}\n{s}")))?;
    }
    Ok(())
}

/// The kernel's snapshot of `schemas`; duplicate identities are a kernel failure.
pub fn snapshot(client: &mut Client, schemas: &[String]) -> Result<Snapshot, CaseError> {
    let sql = "SELECT object_identity, parent_object_identity, object_type, definition_sha256, definition \
               FROM qt001_cp.realized_authority_snapshot($1::text[])";
    let rows = client.query(sql, &[&schemas]).kernel(sql)?;
    let mut out = Snapshot::new();
    for r in rows {
        let row = SnapRow {
            identity: r.try_get(0).kernel(sql)?,
            parent: r.try_get(1).kernel(sql)?,
            object_type: r.try_get(2).kernel(sql)?,
            sha256: r.try_get(3).kernel(sql)?,
            definition: r.try_get(4).kernel(sql)?,
        };
        let key = (row.object_type.clone(), row.identity.clone());
        if out.insert(key.clone(), row).is_some() {
            return Err(
                CaseError::fail(format!("snapshot lists {} {} twice", key.0, key.1)).with_sql(sql),
            );
        }
    }
    Ok(out)
}

/// The canonical child-set text of a TABLE, recomputed in Rust from the
/// snapshot's child rows: one line per child in byte order of
/// (object_type, object_identity): `type TAB len:identity TAB sha256 LF`.
pub fn set_text(snap: &Snapshot, table_identity: &str) -> String {
    // BTreeMap keys are (type, identity) Strings: Ord on String is byte order.
    snap.values()
        .filter(|r| r.object_type != "TABLE" && r.parent.as_deref() == Some(table_identity))
        .map(|r| {
            format!(
                "{}\t{}:{}\t{}\n",
                r.object_type,
                r.identity.len(),
                r.identity,
                r.sha256
            )
        })
        .collect()
}

/// Recompute every hash of a snapshot in Rust: each child's sha256 is the
/// sha256 of its definition, each TABLE's is the sha256 of its child set, and
/// every child's parent is a TABLE of the snapshot.
pub fn check_hashes(snap: &Snapshot) -> Result<(), CaseError> {
    for r in snap.values() {
        if r.object_type == "TABLE" {
            let text = set_text(snap, &r.identity);
            let h = sha256_hex(&text);
            if h != r.sha256 {
                return Err(CaseError::mismatch(
                    format!("TABLE {} set hash differs from the harness's recomputation over its children", r.identity),
                    h,
                    &r.sha256,
                ));
            }
        } else {
            let h = sha256_hex(&r.definition);
            if h != r.sha256 {
                return Err(CaseError::mismatch(
                    format!(
                        "{} {} definition_sha256 is not sha256(definition)",
                        r.object_type, r.identity
                    ),
                    h,
                    &r.sha256,
                ));
            }
            let parent_ok = r
                .parent
                .as_ref()
                .is_some_and(|p| snap.contains_key(&("TABLE".to_owned(), p.clone())));
            if !parent_ok {
                return Err(CaseError::fail(format!(
                    "{} {} has parent {:?}, which is not a TABLE of the snapshot",
                    r.object_type, r.identity, r.parent
                )));
            }
        }
    }
    Ok(())
}

/// Register valid rollback evidence (present, read back, unexpired) directly,
/// as the superuser: the drift suite does not depend on the evidence slice.
pub fn evidence(client: &mut Client) -> Result<uuid::Uuid, CaseError> {
    let uri = format!("pgconform:drift/{}", uuid::Uuid::new_v4());
    let body = format!("pgconform drift rollback evidence {uri}");
    let sha = sha256_hex(&body);
    client
        .execute(
            "INSERT INTO qt001_cp.artifact_store (artifact_uri, body) VALUES ($1, convert_to($2, 'UTF8'))",
            &[&uri, &body],
        )
        .env()?;
    let row = client
        .query_one(
            "INSERT INTO qt001_cp.evidence_registry (evidence_kind, storage_class, artifact_uri, artifact_sha256, \
             artifact_size_bytes, issuer_principal_id, issued_at, last_readback_at, valid_until) \
             VALUES ('owner_acl_snapshot', 'embedded', $1, $2, $3, gen_random_uuid(), \
                     public.kernel_now() - interval '1 minute', public.kernel_now(), public.kernel_now() + interval '30 days') \
             RETURNING evidence_id",
            &[&uri, &sha, &i64::try_from(body.len()).unwrap_or(0)],
        )
        .env()?;
    row.try_get(0).env()
}

/// `seal_manifest_from_realized(set, schemas)`.
pub fn seal(client: &mut Client, set: &str, schemas: &[String]) -> Result<uuid::Uuid, CaseError> {
    let sql = "SELECT qt001_cp.seal_manifest_from_realized($1, $2::text[])";
    client
        .query_one(sql, &[&set, &schemas])
        .kernel(sql)?
        .try_get(0)
        .kernel(sql)
}

/// `activate_manifest(manifest, evidence)`.
pub fn activate(
    client: &mut Client,
    manifest: uuid::Uuid,
    ev: uuid::Uuid,
) -> Result<uuid::Uuid, CaseError> {
    let sql = "SELECT qt001_cp.activate_manifest($1, $2)";
    client
        .query_one(sql, &[&manifest, &ev])
        .kernel(sql)?
        .try_get(0)
        .kernel(sql)
}

/// Seal and activate `schemas` as `set` with fresh evidence; the manifest id.
pub fn seal_activate(
    client: &mut Client,
    set: &str,
    schemas: &[String],
) -> Result<uuid::Uuid, CaseError> {
    let m = seal(client, set, schemas)?;
    let ev = evidence(client)?;
    activate(client, m, ev)?;
    Ok(m)
}

/// One failure of a verify report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `code`.
    pub code: String,
    /// `kind`.
    pub kind: String,
    /// `expected_sha256`.
    pub expected: Option<String>,
    /// `realized_sha256`.
    pub realized: Option<String>,
}

/// A parsed verify report.
#[derive(Debug, Clone)]
pub struct Report {
    /// `ok`.
    pub ok: bool,
    /// `manifest_id`.
    pub manifest_id: Option<String>,
    /// (object_type, object_identity) → failure.
    pub failures: BTreeMap<(String, String), Failure>,
    /// The raw JSON.
    pub raw: Value,
}

fn opt_str(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_owned)
}

/// `verify_object_authority(set)`, parsed; malformed reports are kernel failures.
pub fn verify(client: &mut Client, set: &str) -> Result<Report, CaseError> {
    let sql = "SELECT qt001_cp.verify_object_authority($1)";
    let raw = query_json(client, sql, &[&set])?;
    let bad =
        |why: &str| CaseError::fail(format!("malformed verify report: {why}: {raw}")).with_sql(sql);
    let ok = raw
        .get("ok")
        .and_then(Value::as_bool)
        .ok_or_else(|| bad("no boolean ok"))?;
    let arr = raw
        .get("failures")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no failures array"))?;
    let mut failures = BTreeMap::new();
    for f in arr {
        let ty = opt_str(f, "object_type").ok_or_else(|| bad("failure without object_type"))?;
        let id =
            opt_str(f, "object_identity").ok_or_else(|| bad("failure without object_identity"))?;
        let fail = Failure {
            code: opt_str(f, "code").unwrap_or_default(),
            kind: opt_str(f, "kind").unwrap_or_default(),
            expected: opt_str(f, "expected_sha256"),
            realized: opt_str(f, "realized_sha256"),
        };
        if failures.insert((ty.clone(), id.clone()), fail).is_some() {
            return Err(bad(&format!("{ty} {id} reported twice")));
        }
    }
    Ok(Report {
        ok,
        manifest_id: opt_str(&raw, "manifest_id"),
        failures,
        raw,
    })
}

/// The kernel's identity of a generator object path, quoted by the server's
/// own `%I` (the identity convention, not the property under test).
pub fn identity(client: &mut Client, p: &ObjectPath) -> Result<(String, String), CaseError> {
    let row = match &p.3 {
        None => client.query_one("SELECT format('%I.%I', $1::text, $2::text)", &[&p.1, &p.2]),
        Some(n) => client.query_one(
            "SELECT format('%I.%I.%I', $1::text, $2::text, $3::text)",
            &[&p.1, &p.2, n],
        ),
    }
    .env()?;
    Ok((p.0.clone(), row.try_get(0).env()?))
}

/// The expected drift with the kernel's identities.
pub fn expected_identities(
    client: &mut Client,
    exp: &BTreeMap<ObjectPath, DriftKind>,
) -> Result<BTreeMap<(String, String), DriftKind>, CaseError> {
    let mut out = BTreeMap::new();
    for (p, k) in exp {
        out.insert(identity(client, p)?, *k);
    }
    Ok(out)
}

fn fmt_set(m: &BTreeMap<(String, String), String>) -> String {
    if m.is_empty() {
        return "(none)".into();
    }
    m.iter()
        .map(|((t, i), k)| format!("{t} {i}: {k}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Check a verify report against the exact expected drift, the manifest id,
/// the code, and the hashes of the sealed (`before`) and realized (`after`) snapshots.
pub fn check_report(
    report: &Report,
    manifest: uuid::Uuid,
    expected: &BTreeMap<(String, String), DriftKind>,
    before: &Snapshot,
    after: &Snapshot,
) -> Result<(), CaseError> {
    if report.manifest_id.as_deref() != Some(manifest.to_string().as_str()) {
        return Err(CaseError::mismatch(
            "verify names the wrong active manifest",
            manifest,
            format!("{:?}", report.manifest_id),
        ));
    }
    let want: BTreeMap<(String, String), String> = expected
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().to_owned()))
        .collect();
    let got: BTreeMap<(String, String), String> = report
        .failures
        .iter()
        .map(|(k, f)| (k.clone(), f.kind.clone()))
        .collect();
    if want != got {
        return Err(CaseError::mismatch(
            "verify does not report exactly the mutated objects with their kinds",
            fmt_set(&want),
            fmt_set(&got),
        ));
    }
    if report.ok != want.is_empty() {
        return Err(CaseError::mismatch(
            "verify's ok disagrees with its failures",
            want.is_empty(),
            report.ok,
        ));
    }
    for (k, f) in &report.failures {
        if f.code != "OBJECT_AUTHORITY_IMMUTABLE" {
            return Err(CaseError::mismatch(
                format!("code of {} {}", k.0, k.1),
                "OBJECT_AUTHORITY_IMMUTABLE",
                &f.code,
            ));
        }
        let e = before.get(k).map(|r| r.sha256.clone());
        let r = after.get(k).map(|r| r.sha256.clone());
        if f.expected != e || f.realized != r {
            return Err(CaseError::mismatch(
                format!("expected/realized hashes of {} {}", k.0, k.1),
                format!("{e:?} / {r:?}"),
                format!("{:?} / {:?}", f.expected, f.realized),
            ));
        }
    }
    Ok(())
}

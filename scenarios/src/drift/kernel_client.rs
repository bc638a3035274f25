//! The harness's side of the drift contract: building schemas, calling the
//! kernel's manifest functions, reading its snapshot and verify reports, and
//! the independent Rust recomputation of TABLE set hashes.

use crate::case::CaseError;
use crate::pg::PgResultExt;
use pgconform_generators::drift::{DriftKind, ObjectPath};
use postgres::types::FromSql;
use postgres::{Client, Row};
use serde_json::Value;
use std::collections::BTreeMap;

/// The manifest set the generated-schema cases seal.
pub const SET: &str = "pgc.drift";

use pgconform_oracle::sha256_hex;

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

/// A kernel call failed: a server error is a kernel failure naming the
/// contract `clause` (the SQLSTATE kept); a lost connection is the
/// environment's.
pub fn by_contract<T>(
    r: Result<T, postgres::Error>,
    clause: &str,
    sql: &str,
) -> Result<T, CaseError> {
    r.kernel(sql).map_err(|e| e.prefixed(clause))
}

/// A column the contract defines: a NULL, a missing column or a wrong type
/// is a kernel failure naming `clause` (never an environment error: reading
/// a row already fetched does no I/O).
pub fn col<'a, T: FromSql<'a>>(
    row: &'a Row,
    idx: usize,
    clause: &str,
    sql: &str,
) -> Result<T, CaseError> {
    row.try_get::<_, Option<T>>(idx)
        .map_err(|e| {
            CaseError::fail(format!(
                "{clause}: column {idx} of the kernel's answer: {e}"
            ))
            .with_sql(sql)
        })?
        .ok_or_else(|| {
            CaseError::fail(format!("{clause}: the kernel answered NULL (column {idx})"))
                .with_sql(sql)
        })
}

/// Like [`col`] for a column the contract allows to be NULL.
pub fn opt_col<'a, T: FromSql<'a>>(
    row: &'a Row,
    idx: usize,
    clause: &str,
    sql: &str,
) -> Result<Option<T>, CaseError> {
    row.try_get::<_, Option<T>>(idx).map_err(|e| {
        CaseError::fail(format!(
            "{clause}: column {idx} of the kernel's answer: {e}"
        ))
        .with_sql(sql)
    })
}

const SNAPSHOT_CLAUSE: &str = "CONTRACT §2 Functions, realized_authority_snapshot(p_schemas text[]) returns \
     table(object_identity text, parent_object_identity text, object_type text, definition_sha256 text, definition text)";

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
    let rows = by_contract(client.query(sql, &[&schemas]), SNAPSHOT_CLAUSE, sql)?;
    let mut out = Snapshot::new();
    for r in rows {
        let c = SNAPSHOT_CLAUSE;
        let row = SnapRow {
            identity: col(&r, 0, c, sql)?,
            parent: opt_col(&r, 1, c, sql)?,
            object_type: col(&r, 2, c, sql)?,
            sha256: col(&r, 3, c, sql)?,
            definition: col(&r, 4, c, sql)?,
        };
        if !matches!(
            row.object_type.as_str(),
            "TABLE" | "CONSTRAINT" | "INDEX" | "TRIGGER"
        ) {
            return Err(CaseError::fail(format!(
                "CONTRACT §2 Canonical form: object_type is one of TABLE, CONSTRAINT, INDEX, TRIGGER, got {:?} for {}",
                row.object_type, row.identity
            ))
            .with_sql(sql));
        }
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
            if r.parent.is_some() {
                return Err(CaseError::fail(format!(
                    "CONTRACT §2 Canonical form: parent_object_identity is NULL for a TABLE; {} has {:?}",
                    r.identity, r.parent
                )));
            }
            let text = set_text(snap, &r.identity);
            let h = sha256_hex(&text);
            if h != r.sha256 {
                return Err(CaseError::mismatch(
                    format!(
                        "CONTRACT §2 Canonical form: the set hash of TABLE {} differs from sha256 over its children's lines \
                         (type TAB octet_length(identity):identity TAB sha256 LF, sorted bytewise)",
                        r.identity
                    ),
                    h,
                    &r.sha256,
                ));
            }
        } else {
            let h = sha256_hex(&r.definition);
            if h != r.sha256 {
                return Err(CaseError::mismatch(
                    format!(
                        "CONTRACT §2 Canonical form: definition_sha256 of {} {} is not the sha256 of its definition",
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
                    "CONTRACT §2 Canonical form: {} {} has parent {:?}, which is not a TABLE of the snapshot",
                    r.object_type, r.identity, r.parent
                )));
            }
        }
    }
    Ok(())
}

/// Valid rollback evidence, made the way CONTRACT §2 says the harness makes
/// it: `seal_artifact` (kind `manifest_payload`, storage class `embedded`, the
/// only ones the harness uses) and then `readback_verify`, which must answer
/// true. Nothing is written into the kernel's tables directly.
pub fn evidence(client: &mut Client) -> Result<uuid::Uuid, CaseError> {
    let uri = format!("pgconform:drift/rollback/{}", uuid::Uuid::new_v4());
    let body = format!("{{\"pgconform\": \"drift rollback evidence\", \"uri\": \"{uri}\"}}");
    let sql = "SELECT qt001_cp.seal_artifact($1, convert_to($2, 'UTF8'), 'manifest_payload', 'embedded', \
               gen_random_uuid(), interval '30 days')";
    let clause = "CONTRACT §3 seal_artifact(p_uri, p_body, p_kind, p_storage_class, p_issuer, p_valid_for) returns uuid \
                  (kind manifest_payload, storage class embedded; the drift suite's rollback evidence, §2)";
    let row = by_contract(client.query_one(sql, &[&uri, &body]), clause, sql)?;
    let id: uuid::Uuid = col(&row, 0, clause, sql)?;
    let sql = "SELECT qt001_cp.readback_verify($1)";
    let clause = "CONTRACT §3 readback_verify(p_evidence_id uuid) returns boolean: true for evidence just sealed";
    let row = by_contract(client.query_one(sql, &[&id]), clause, sql)?;
    let ok: bool = col(&row, 0, clause, sql)?;
    if !ok {
        return Err(CaseError::fail(format!(
            "{clause}: readback_verify answered false for evidence {id} sealed a moment ago"
        ))
        .with_sql(sql));
    }
    Ok(id)
}

/// `seal_manifest_from_realized(set, schemas)`.
pub fn seal(client: &mut Client, set: &str, schemas: &[String]) -> Result<uuid::Uuid, CaseError> {
    let sql = "SELECT qt001_cp.seal_manifest_from_realized($1, $2::text[])";
    let clause = "CONTRACT §2 seal_manifest_from_realized(p_manifest_set text, p_schemas text[]) returns uuid";
    let row = by_contract(client.query_one(sql, &[&set, &schemas]), clause, sql)?;
    col(&row, 0, clause, sql)
}

/// `activate_manifest(manifest, evidence)`.
pub fn activate(
    client: &mut Client,
    manifest: uuid::Uuid,
    ev: uuid::Uuid,
) -> Result<uuid::Uuid, CaseError> {
    let sql = "SELECT qt001_cp.activate_manifest($1, $2)";
    let row = by_contract(
        client.query_one(sql, &[&manifest, &ev]),
        ACTIVATE_CLAUSE,
        sql,
    )?;
    col(&row, 0, ACTIVATE_CLAUSE, sql)
}

/// The clause `activate_manifest` answers to.
pub const ACTIVATE_CLAUSE: &str =
    "CONTRACT §2 activate_manifest(p_manifest_id uuid, p_rollback_evidence_id uuid) returns uuid \
     (valid evidence, made with seal_artifact + readback_verify)";

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
    let clause = "CONTRACT §2 verify_object_authority(p_manifest_set text) returns jsonb \
                  {\"ok\", \"manifest_id\", \"failures\": [{\"code\", \"object_identity\", \"object_type\", \"kind\", \
                  \"expected_sha256\", \"realized_sha256\"}]}";
    let row = by_contract(client.query_one(sql, &[&set]), clause, sql)?;
    let raw: Value = col(&row, 0, clause, sql)?;
    let bad = |why: &str| {
        CaseError::fail(format!("{clause}: malformed verify report: {why}: {raw}")).with_sql(sql)
    };
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
            pgconform_reports::json_text(&report.manifest_id),
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

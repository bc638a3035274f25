//! DRIFT-DEFERRED-FK and DRIFT-FORWARD-ONLY: the kernel's own schema and its
//! manifest history.

use super::kernel_client::{self, SET};
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::{answer, Answer, PgResultExt};
use crate::property::declare_property;
use crate::sandbox::Sandbox;
use pgconform_generators::drift::DriftKind;
use postgres::Client;
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

const SEED: &str = "002_683b4106638da6eb.txt";
const KERNEL_SCHEMA: &str = "qt001_cp";

static DEFERRED_FK: InvariantMeta = InvariantMeta::new(
    "DRIFT-DEFERRED-FK",
    Suite::Drift,
    "dropping any deferred FK of the kernel's own schema is detected",
    SEED,
    "After `script seal-kernel` (which seals and activates manifest set qt001_cp.kernel over schema \
     qt001_cp), verify_object_authority('qt001_cp.kernel') is ok, and dropping any one foreign key of \
     schema qt001_cp makes it report exactly that CONSTRAINT missing and its TABLE changed.",
    12,
);

/// The manifest set `script seal-kernel` seals (CONTRACT §0, §2).
pub const KERNEL_SET: &str = "qt001_cp.kernel";

declare_property! {
    /// DRIFT-DEFERRED-FK: the input picks one FK of the kernel schema (modulo their number).
    DeferredFk {
        input: u32,
        static_meta: DEFERRED_FK,
        strategy: any::<u32>,
        coverage: deferred_fk_coverage,
        check: deferred_fk_holds,
    }
}

fn kernel_fks(client: &mut Client) -> Result<Vec<(String, String)>, CaseError> {
    let rows = client
        .query(
            "SELECT c.relname::text, k.conname::text FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
             WHERE k.contype = 'f' AND c.relnamespace = $1::text::regnamespace \
             ORDER BY c.relname::text COLLATE \"C\", k.conname::text COLLATE \"C\"",
            &[&KERNEL_SCHEMA],
        )
        .env()?;
    rows.iter()
        .map(|r| Ok((r.try_get(0).env()?, r.try_get(1).env()?)))
        .collect()
}

/// Run the SUT's `script seal-kernel` in a transaction of its own.
pub fn run_seal_kernel(sandbox: &dyn Sandbox, client: &mut Client) -> CaseResult {
    let clause = "CONTRACT §0 `script seal-kernel`: seal and activate manifest set qt001_cp.kernel over schema qt001_cp";
    let script = sandbox
        .sut()
        .script("seal-kernel")
        .map_err(|e| CaseError::fail(format!("{clause}: {e}")))?
        .clone();
    let mut tx = client.transaction().env()?;
    kernel_client::by_contract(tx.batch_execute(&script.sql), clause, &script.path)?;
    tx.commit().env()
}

/// DRIFT-DEFERRED-FK's coverage classes.
fn deferred_fk_coverage(_: &u32) -> Vec<String> {
    Vec::new()
}

/// DRIFT-DEFERRED-FK's check.
fn deferred_fk_holds(sandbox: &dyn Sandbox, pick: &u32) -> CaseResult {
    let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
    let fks = kernel_fks(&mut db)?;
    if fks.is_empty() {
        return Err(CaseError::fail(
            "CONTRACT §2 Objects: manifest_activation.rollback_evidence_id REFERENCES qt001_cp.evidence_registry, \
             but schema qt001_cp has no foreign key",
        ));
    }
    let (table, fk) = &fks[*pick as usize % fks.len()];
    let schemas = vec![KERNEL_SCHEMA.to_owned()];
    run_seal_kernel(sandbox, &mut db)?;
    let before = kernel_client::snapshot(&mut db, &schemas)?;
    kernel_client::check_hashes(&before)?;
    let clean = kernel_client::verify(&mut db, KERNEL_SET)?;
    // the active version is whatever seal-kernel activated: the report names it
    let m = clean
        .manifest_id
        .as_deref()
        .and_then(|s| s.parse::<uuid::Uuid>().ok())
        .ok_or_else(|| {
            CaseError::fail(format!(
                "CONTRACT §2 verify_object_authority: after `script seal-kernel`, the report names the active \
                 manifest_id of set {KERNEL_SET}: {}",
                clean.raw
            ))
        })?;
    kernel_client::check_report(&clean, m, &BTreeMap::new(), &before, &before).map_err(|e| {
        e.with_sql(format!(
            "script seal-kernel; SELECT qt001_cp.verify_object_authority('{KERNEL_SET}')"
        ))
    })?;
    let ddl = format!(
        "ALTER TABLE {}.{} DROP CONSTRAINT {}",
        crate::pg::quote_ident(KERNEL_SCHEMA),
        crate::pg::quote_ident(table),
        crate::pg::quote_ident(fk)
    );
    kernel_client::run_all(&mut db, std::slice::from_ref(&ddl))?;
    let after = kernel_client::snapshot(&mut db, &schemas)?;
    let mut expected = BTreeMap::new();
    let p = |n: Option<&String>, ty: &str| {
        (
            ty.to_owned(),
            KERNEL_SCHEMA.to_owned(),
            table.clone(),
            n.cloned(),
        )
    };
    expected.insert(
        kernel_client::identity(&mut db, &p(Some(fk), "CONSTRAINT"))?,
        DriftKind::Missing,
    );
    expected.insert(
        kernel_client::identity(&mut db, &p(None, "TABLE"))?,
        DriftKind::Changed,
    );
    let report = kernel_client::verify(&mut db, KERNEL_SET)?;
    kernel_client::check_report(&report, m, &expected, &before, &after).map_err(|e| e.with_sql(ddl))
}

/// Tampering statements; `$M` is replaced by a manifest id, `$A` by an activation id.
pub const TAMPERS: &[&str] = &[
    "UPDATE qt001_cp.manifest_version SET payload = '{}'::jsonb WHERE manifest_id = '$M'",
    "UPDATE qt001_cp.manifest_version SET version = version + 100 WHERE manifest_id = '$M'",
    "UPDATE qt001_cp.manifest_version SET manifest_set = manifest_set || '-moved' WHERE manifest_id = '$M'",
    "UPDATE qt001_cp.manifest_version SET created_at = created_at - interval '1 day' WHERE manifest_id = '$M'",
    "DELETE FROM qt001_cp.manifest_version WHERE manifest_id = '$M'",
    "TRUNCATE qt001_cp.manifest_version CASCADE",
    "UPDATE qt001_cp.authority_scope_manifest SET expected_definition_sha256 = repeat('0', 64) \
     WHERE manifest_id = '$M' AND object_type <> 'TABLE'",
    "UPDATE qt001_cp.authority_scope_manifest SET expected_constraint_set_sha256 = repeat('0', 64) \
     WHERE manifest_id = '$M' AND object_type = 'TABLE'",
    "DELETE FROM qt001_cp.authority_scope_manifest WHERE manifest_id = '$M' AND object_type = 'INDEX'",
    "TRUNCATE qt001_cp.authority_scope_manifest",
    "UPDATE qt001_cp.manifest_activation SET activated_at = activated_at + interval '1 day' WHERE activation_id = '$A'",
    "UPDATE qt001_cp.manifest_activation SET manifest_id = (SELECT min(manifest_id::text)::uuid FROM qt001_cp.manifest_version) WHERE activation_id = '$A'",
    "DELETE FROM qt001_cp.manifest_activation WHERE activation_id = '$A'",
    "TRUNCATE qt001_cp.manifest_activation",
];

/// DRIFT-FORWARD-ONLY input.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ForwardOnlyInput {
    /// Versions sealed and activated before tampering (2..=4).
    pub versions: u8,
    /// Tampers: (index into [`TAMPERS`], which version's rows they target).
    pub tampers: Vec<(usize, u8)>,
    /// Before rolling back, try to activate an older version (which one,
    /// modulo the older versions): allowing it or refusing it is the kernel's
    /// choice; if allowed, it becomes the active version (latest activation).
    #[serde(default)]
    pub reactivate: Option<u8>,
}

static FORWARD_ONLY: InvariantMeta = InvariantMeta::new(
    "DRIFT-FORWARD-ONLY",
    Suite::Drift,
    "manifest, scope and activation rows never change; rollback is a new version",
    "004_73545968f3559826.txt",
    "No UPDATE, DELETE or TRUNCATE of manifest, scope or activation rows (as superuser) changes them \
     (refused or matching nothing, judged by the rows before and after); the active version is the \
     latest activation, whatever its version number (activating an older version may be refused or \
     allowed); rollback_manifest appends one new version carrying the prior active payload byte for \
     byte and activates it with the set's rollback evidence, without editing any old row; with nothing \
     to roll back to it is refused and changes nothing.",
    16,
);

declare_property! {
    /// DRIFT-FORWARD-ONLY.
    ForwardOnly {
        input: ForwardOnlyInput,
        static_meta: FORWARD_ONLY,
        strategy: || {
            (
                2u8..=4,
                vec((0..TAMPERS.len(), any::<u8>()), 1..8),
                proptest::option::of(any::<u8>()),
            )
                .prop_map(|(versions, tampers, reactivate)| ForwardOnlyInput {
                    versions,
                    tampers,
                    reactivate,
                })
        },
        coverage: forward_only_coverage,
        check: forward_only_holds,
    }
}

const HISTORY_CLAUSE: &str = "CONTRACT §2 Objects: qt001_cp.manifest_version(manifest_id, manifest_set, version, payload, \
     payload_sha256, created_at, supersedes_manifest_id), authority_scope_manifest(manifest_id, object_identity, \
     parent_object_identity, object_type, expected_definition_sha256, expected_constraint_set_sha256), \
     manifest_activation(activation_id, manifest_id, activated_at, rollback_evidence_id)";

/// Every manifest, scope and activation row, whole (every column the kernel
/// has), in an order of the contract's keys.
fn dump(client: &mut Client) -> Result<Value, CaseError> {
    let sql = "SELECT jsonb_build_object(\
               'versions', (SELECT coalesce(jsonb_agg(to_jsonb(v) ORDER BY v.manifest_id), '[]') FROM qt001_cp.manifest_version v), \
               'scope', (SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.manifest_id, s.object_type COLLATE \"C\", \
                                                   s.object_identity COLLATE \"C\"), '[]') \
                           FROM qt001_cp.authority_scope_manifest s), \
               'activations', (SELECT coalesce(jsonb_agg(to_jsonb(a) ORDER BY a.activation_id), '[]') FROM qt001_cp.manifest_activation a))";
    let row = kernel_client::by_contract(client.query_one(sql, &[]), HISTORY_CLAUSE, sql)?;
    kernel_client::col(&row, 0, HISTORY_CLAUSE, sql)
}

/// The rows of `key` in `now` that are not in `before`.
fn new_rows(before: &Value, now: &Value, key: &str) -> Vec<Value> {
    let old = before[key].as_array().cloned().unwrap_or_default();
    now[key]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| !old.contains(r))
        .collect()
}

fn field(row: &Value, key: &str) -> Result<String, CaseError> {
    row.get(key)
        .and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .ok_or_else(|| {
            CaseError::fail(format!(
                "{HISTORY_CLAUSE}: a row without a non-NULL {key}: {row}"
            ))
        })
}

/// One activation the harness made or saw, in insertion order.
#[derive(Debug, Clone)]
struct Act {
    manifest: uuid::Uuid,
    evidence: uuid::Uuid,
}

/// The expected drift when the realized schema holds indexes t_b_1..t_b_{n-1}
/// and the active payload is that of version index `k` (indexes up to t_b_k).
fn drift_against(
    client: &mut Client,
    k: usize,
    n: usize,
) -> Result<BTreeMap<(String, String), DriftKind>, CaseError> {
    let mut exp = BTreeMap::new();
    for j in (k + 1)..n {
        exp.insert(
            kernel_client::identity(
                client,
                &(
                    "INDEX".into(),
                    "pgc_fo".into(),
                    "t".into(),
                    Some(format!("t_b_{j}")),
                ),
            )?,
            DriftKind::Extra,
        );
    }
    if !exp.is_empty() {
        exp.insert(
            kernel_client::identity(client, &("TABLE".into(), "pgc_fo".into(), "t".into(), None))?,
            DriftKind::Changed,
        );
    }
    Ok(exp)
}

/// What DRIFT-FORWARD-ONLY sealed before tampering: one activated manifest
/// version per index of `pgc_fo.t` (version `v` has indexes t_b_1..t_b_v).
struct Versions {
    schemas: Vec<String>,
    /// How many versions (at least 2).
    n: usize,
    manifests: Vec<uuid::Uuid>,
    activations: Vec<uuid::Uuid>,
    /// The realized schema when each version was sealed.
    snaps: Vec<kernel_client::Snapshot>,
    /// The set's activations in the order the harness made them.
    acts: Vec<Act>,
}

/// Seal and activate `n` versions of set [`SET`], each with one more index.
fn seal_versions(db: &mut Client, n: usize) -> Result<Versions, CaseError> {
    let schemas = vec!["pgc_fo".to_owned()];
    kernel_client::run_all(
        db,
        &[
            "CREATE SCHEMA pgc_fo".into(),
            "CREATE TABLE pgc_fo.t (a int PRIMARY KEY, b text)".into(),
        ],
    )?;
    let mut v = Versions {
        schemas,
        n,
        manifests: Vec::new(),
        activations: Vec::new(),
        snaps: Vec::new(),
        acts: Vec::new(),
    };
    for i in 0..n {
        if i > 0 {
            kernel_client::run_all(
                db,
                &[format!(
                    "CREATE INDEX t_b_{i} ON pgc_fo.t (b) WHERE a > {i}"
                )],
            )?;
        }
        v.snaps.push(kernel_client::snapshot(db, &v.schemas)?);
        let m = kernel_client::seal(db, SET, &v.schemas)?;
        let ev = kernel_client::evidence(db)?;
        let a = kernel_client::activate(db, m, ev)?;
        v.manifests.push(m);
        v.activations.push(a);
        v.acts.push(Act {
            manifest: m,
            evidence: ev,
        });
    }
    Ok(v)
}

/// Tampers are judged by the rows before and after, never by whether the
/// statement raised (a statement that changes no row is no violation).
fn check_tampers(db: &mut Client, v: &Versions, tampers: &[(usize, u8)]) -> CaseResult {
    let d0 = dump(db)?;
    for (i, which) in tampers {
        let k = *which as usize % v.manifests.len();
        let sql = TAMPERS[*i % TAMPERS.len()]
            .replace("$M", &v.manifests[k].to_string())
            .replace("$A", &v.activations[k].to_string());
        let outcome = match answer(db.batch_execute(&sql))? {
            Answer::Ok(()) => "the statement succeeded".to_owned(),
            Answer::Err { sqlstate, .. } => format!("the statement raised {sqlstate}"),
        };
        let d = dump(db)?;
        if d != d0 {
            return Err(CaseError::mismatch(
                format!(
                    "CONTRACT §2 DRIFT-FORWARD-ONLY: existing manifest, scope and activation rows can't be \
                     updated or deleted, but they changed ({outcome})"
                ),
                &d0,
                &d,
            )
            .with_sql(sql));
        }
    }
    Ok(())
}

/// Activate an older version (index `r` modulo the older ones): refused with
/// history unchanged, or the latest activation wins (recorded in `v.acts`).
fn check_reactivate(db: &mut Client, v: &mut Versions, r: u8) -> CaseResult {
    let n = v.n;
    let k = usize::from(r) % (n - 1);
    let older = v.manifests[k];
    let ev = kernel_client::evidence(db)?;
    let sql = "SELECT qt001_cp.activate_manifest($1, $2)";
    let before = dump(db)?;
    match answer(db.query_one(sql, &[&older, &ev]))? {
        Answer::Err { sqlstate, .. } => {
            if dump(db)? != before {
                return Err(CaseError::fail(format!(
                    "CONTRACT §2: a refused activation (SQLSTATE {sqlstate}) of an older version changed \
                     manifest history"
                ))
                .with_sql(sql));
            }
        }
        Answer::Ok(row) => {
            let _: uuid::Uuid = kernel_client::col(&row, 0, kernel_client::ACTIVATE_CLAUSE, sql)?;
            v.acts.push(Act {
                manifest: older,
                evidence: ev,
            });
            let after = kernel_client::snapshot(db, &v.schemas)?;
            let expected = drift_against(db, k, n)?;
            let report = kernel_client::verify(db, SET)?;
            kernel_client::check_report(&report, older, &expected, &v.snaps[k], &after).map_err(
                |e| {
                    e.with_sql(format!(
                        "{sql} -- version {} of {n} activated again: the active version is the latest \
                         activation, whatever its version number",
                        k + 1
                    ))
                },
            )?;
        }
    }
    Ok(())
}

/// The rollback statement of DRIFT-FORWARD-ONLY.
const ROLLBACK_SQL: &str = "SELECT qt001_cp.rollback_manifest($1)";
/// What the contract says a rollback does.
const ROLLBACK_CLAUSE: &str = "CONTRACT §3 rollback_manifest(p_manifest_set text) returns uuid: a new version with the \
                      prior active payload, activated with the set's rollback evidence; no old row edited";

/// Rolling back a set with a single activation is refused and changes
/// nothing (`d0`: the history before).
fn check_refused_rollback(db: &mut Client, single: &str, d0: &Value) -> CaseResult {
    let sql = ROLLBACK_SQL;
    if let Answer::Ok(_) = answer(db.query_one(sql, &[&single]))? {
        return Err(CaseError::fail(
            "CONTRACT §2 DRIFT-FORWARD-ONLY: rollback of a set with a single activation succeeded",
        )
        .with_sql(sql));
    }
    if dump(db)? != *d0 {
        return Err(CaseError::fail(
            "CONTRACT §2 DRIFT-FORWARD-ONLY: a refused rollback changed manifest history",
        )
        .with_sql(sql));
    }
    Ok(())
}

/// The forward-only rollback of [`SET`]: no old row edited, one new version
/// (the one returned) activated once with the set's rollback evidence,
/// carrying the prior active payload and scope; verify then compares
/// against that payload.
fn check_rollback(db: &mut Client, v: &Versions, d0: &Value) -> CaseResult {
    let (sql, clause) = (ROLLBACK_SQL, ROLLBACK_CLAUSE);
    let row = kernel_client::by_contract(db.query_one(sql, &[&SET]), clause, sql)?;
    let new: uuid::Uuid = kernel_client::col(&row, 0, clause, sql)?;
    let d1 = dump(db)?;
    check_rollback_rows(d0, &d1, new, &v.acts)?;
    // the prior active payload: that of the activation before the latest
    let prior = &v.acts[v.acts.len() - 2];
    let k = v
        .manifests
        .iter()
        .position(|m| *m == prior.manifest)
        .unwrap_or(0);
    check_rollback_payload(db, new, prior.manifest, k, v.n)?;
    // verify now compares against the prior payload
    let after = kernel_client::snapshot(db, &v.schemas)?;
    let expected = drift_against(db, k, v.n)?;
    let report = kernel_client::verify(db, SET)?;
    kernel_client::check_report(&report, new, &expected, &v.snaps[k], &after)
        .map_err(|e| e.with_sql(format!("{sql} -- then verify_object_authority")))
}

/// The history rows a rollback returning `new` left (`d0` before, `d1`
/// after): every old row untouched, exactly one new version of [`SET`] and
/// one activation of it with the evidence of one of the set's `acts`.
fn check_rollback_rows(d0: &Value, d1: &Value, new: uuid::Uuid, acts: &[Act]) -> CaseResult {
    let (sql, clause) = (ROLLBACK_SQL, ROLLBACK_CLAUSE);
    for key in ["versions", "scope", "activations"] {
        let old = d0[key].as_array().cloned().unwrap_or_default();
        let now = d1[key].as_array().cloned().unwrap_or_default();
        for r in &old {
            if !now.contains(r) {
                return Err(CaseError::fail(format!(
                    "{clause}: rollback edited or removed an old {key} row: {r}"
                ))
                .with_sql(sql));
            }
        }
    }
    // exactly one new version (the one returned) and one new activation of it
    let versions = new_rows(d0, d1, "versions");
    let ids: Vec<String> = versions
        .iter()
        .map(|r| field(r, "manifest_id"))
        .collect::<Result<_, _>>()?;
    if ids != [new.to_string()] {
        return Err(CaseError::mismatch(
            format!("{clause}: rollback appends exactly one new version, the one it returns"),
            new,
            pgconform_reports::json_text(&ids),
        )
        .with_sql(sql));
    }
    if field(&versions[0], "manifest_set")? != SET {
        return Err(CaseError::fail(format!(
            "{clause}: the rollback version belongs to another set: {}",
            versions[0]
        )));
    }
    let activations_new = new_rows(d0, d1, "activations");
    let [act] = activations_new.as_slice() else {
        return Err(CaseError::fail(format!(
            "{clause}: rollback activates its new version once; new activation rows: {activations_new:?}"
        ))
        .with_sql(sql));
    };
    if field(act, "manifest_id")? != new.to_string() {
        return Err(CaseError::mismatch(
            format!("{clause}: the rollback's activation activates the new version"),
            new,
            act,
        ));
    }
    // the set's rollback evidence: evidence bound to one of its activations
    let ev = field(act, "rollback_evidence_id")?;
    if !acts.iter().any(|a| a.evidence.to_string() == ev) {
        return Err(CaseError::mismatch(
            format!("{clause}: the rollback is activated with the set's rollback evidence"),
            acts.iter()
                .map(|a| a.evidence.to_string())
                .collect::<Vec<_>>()
                .join(" or "),
            ev,
        ));
    }
    Ok(())
}

/// The rollback version `new` carries the payload and scope rows of the
/// prior active version `prior` (version index `k` of `n`) byte for byte.
fn check_rollback_payload(
    db: &mut Client,
    new: uuid::Uuid,
    prior: uuid::Uuid,
    k: usize,
    n: usize,
) -> CaseResult {
    let clause = ROLLBACK_CLAUSE;
    let psql = "SELECT n.payload::text, n.payload_sha256, p.payload::text, p.payload_sha256 \
                  FROM qt001_cp.manifest_version n, qt001_cp.manifest_version p \
                 WHERE n.manifest_id = $1 AND p.manifest_id = $2";
    let row =
        kernel_client::by_contract(db.query_one(psql, &[&new, &prior]), HISTORY_CLAUSE, psql)?;
    let np: String = kernel_client::col(&row, 0, HISTORY_CLAUSE, psql)?;
    let ns: String = kernel_client::col(&row, 1, HISTORY_CLAUSE, psql)?;
    let pp: String = kernel_client::col(&row, 2, HISTORY_CLAUSE, psql)?;
    let ps: String = kernel_client::col(&row, 3, HISTORY_CLAUSE, psql)?;
    if np != pp || ns != ps {
        return Err(CaseError::mismatch(
            format!(
                "{clause}: the rollback payload is the prior active payload (version {} of {n}) byte for byte",
                k + 1
            ),
            pp,
            np,
        ));
    }
    let ssql = "SELECT NOT EXISTS ((SELECT object_type, object_identity, parent_object_identity, expected_definition_sha256, expected_constraint_set_sha256 \
                                  FROM qt001_cp.authority_scope_manifest WHERE manifest_id = $1 \
                                EXCEPT ALL SELECT object_type, object_identity, parent_object_identity, expected_definition_sha256, expected_constraint_set_sha256 \
                                  FROM qt001_cp.authority_scope_manifest WHERE manifest_id = $2) \
                               UNION ALL (SELECT object_type, object_identity, parent_object_identity, expected_definition_sha256, expected_constraint_set_sha256 \
                                  FROM qt001_cp.authority_scope_manifest WHERE manifest_id = $2 \
                                EXCEPT ALL SELECT object_type, object_identity, parent_object_identity, expected_definition_sha256, expected_constraint_set_sha256 \
                                  FROM qt001_cp.authority_scope_manifest WHERE manifest_id = $1))";
    let row =
        kernel_client::by_contract(db.query_one(ssql, &[&new, &prior]), HISTORY_CLAUSE, ssql)?;
    let scope_eq: bool = kernel_client::col(&row, 0, HISTORY_CLAUSE, ssql)?;
    if !scope_eq {
        return Err(CaseError::fail(format!(
            "{clause}: the rollback version's scope rows differ from the prior active version's"
        )));
    }
    Ok(())
}

/// DRIFT-FORWARD-ONLY's coverage classes.
fn forward_only_coverage(input: &ForwardOnlyInput) -> Vec<String> {
    let mut v: Vec<String> = input
        .tampers
        .iter()
        .map(|(i, _)| format!("tamper:{}", i % TAMPERS.len()))
        .collect();
    if input.reactivate.is_some() {
        v.push("activate-older-version".into());
    }
    v
}

/// DRIFT-FORWARD-ONLY's check.
fn forward_only_holds(sandbox: &dyn Sandbox, input: &ForwardOnlyInput) -> CaseResult {
    let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
    let mut versions = seal_versions(&mut db, usize::from(input.versions.max(2)))?;
    // a second set with a single activation: nothing to roll back to
    let single = "pgc.drift.single";
    kernel_client::seal_activate(&mut db, single, &versions.schemas)?;
    check_tampers(&mut db, &versions, &input.tampers)?;
    if let Some(r) = input.reactivate {
        check_reactivate(&mut db, &mut versions, r)?;
    }
    let d0 = dump(&mut db)?;
    check_refused_rollback(&mut db, single, &d0)?;
    check_rollback(&mut db, &versions, &d0)
}

//! DRIFT-DEFERRED-FK and DRIFT-FORWARD-ONLY: the kernel's own schema and its
//! manifest history.

use super::kernel::{self, SET};
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::{answer, Answer, PgResultExt};
use crate::property::Property;
use crate::sandbox::Sandbox;
use pgconform_generators::drift::DriftKind;
use postgres::Client;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde_json::Value;
use std::collections::BTreeMap;

const SEED: &str = "002_683b4106638da6eb.txt";
const KERNEL_SCHEMA: &str = "qt001_cp";

static DEFERRED_FK: InvariantMeta = InvariantMeta {
    id: "DRIFT-DEFERRED-FK",
    suite: Suite::Drift,
    title: "dropping any deferred FK of the kernel's own schema is detected",
    seed: SEED,
    property: "With the kernel's own schema sealed and activated (verify ok), dropping any one of its foreign keys \
               makes verify report exactly that CONSTRAINT missing and its TABLE changed.",
    default_cases: 12,
};

/// DRIFT-DEFERRED-FK: the input picks one FK of the kernel schema (modulo their number).
pub struct DeferredFk;

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

impl Property for DeferredFk {
    type Input = u32;
    fn meta(&self) -> &InvariantMeta {
        &DEFERRED_FK
    }
    fn strategy(&self) -> BoxedStrategy<u32> {
        any::<u32>().boxed()
    }
    fn check(&self, sandbox: &dyn Sandbox, pick: &u32) -> CaseResult {
        let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
        let fks = kernel_fks(&mut db)?;
        if fks.is_empty() {
            return Err(CaseError::fail(
                "the kernel schema qt001_cp has no foreign key (manifest_activation.rollback_evidence_id must reference evidence_registry)",
            ));
        }
        let (table, fk) = &fks[*pick as usize % fks.len()];
        let schemas = vec![KERNEL_SCHEMA.to_owned()];
        let set = "pgc.drift.kernel";
        let before = kernel::snapshot(&mut db, &schemas)?;
        kernel::check_hashes(&before)?;
        let m = kernel::seal_activate(&mut db, set, &schemas)?;
        let clean = kernel::verify(&mut db, set)?;
        kernel::check_report(&clean, m, &BTreeMap::new(), &before, &before)?;
        let ddl = format!(
            "ALTER TABLE {}.{} DROP CONSTRAINT {}",
            crate::pg::quote_ident(KERNEL_SCHEMA),
            crate::pg::quote_ident(table),
            crate::pg::quote_ident(fk)
        );
        kernel::run_all(&mut db, std::slice::from_ref(&ddl))?;
        let after = kernel::snapshot(&mut db, &schemas)?;
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
            kernel::identity(&mut db, &p(Some(fk), "CONSTRAINT"))?,
            DriftKind::Missing,
        );
        expected.insert(
            kernel::identity(&mut db, &p(None, "TABLE"))?,
            DriftKind::Changed,
        );
        let report = kernel::verify(&mut db, set)?;
        kernel::check_report(&report, m, &expected, &before, &after).map_err(|e| e.with_sql(ddl))
    }
    fn coverage(&self, _: &u32) -> Vec<String> {
        Vec::new()
    }
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
}

static FORWARD_ONLY: InvariantMeta = InvariantMeta {
    id: "DRIFT-FORWARD-ONLY",
    suite: Suite::Drift,
    title: "manifest, scope and activation rows never change; rollback is a new version",
    seed: "004_73545968f3559826.txt",
    property: "Every UPDATE, DELETE or TRUNCATE of manifest, scope or activation rows (as superuser) is refused \
               and changes nothing; rollback_manifest appends a new version carrying the prior active payload \
               byte for byte, activated with the rolled-back activation's evidence, without editing any old \
               row; with nothing to roll back to it is refused and changes nothing.",
    default_cases: 16,
};

/// DRIFT-FORWARD-ONLY.
pub struct ForwardOnly;

fn dump(client: &mut Client) -> Result<Value, CaseError> {
    let row = client
        .query_one(
            "SELECT jsonb_build_object(\
               'versions', (SELECT coalesce(jsonb_agg(to_jsonb(v) ORDER BY v.manifest_id), '[]') FROM qt001_cp.manifest_version v), \
               'scope', (SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.manifest_id, s.object_type, s.object_identity COLLATE \"C\"), '[]') \
                           FROM qt001_cp.authority_scope_manifest s), \
               'activations', (SELECT coalesce(jsonb_agg(to_jsonb(a) ORDER BY a.activation_id), '[]') FROM qt001_cp.manifest_activation a))",
            &[],
        )
        .env()?;
    row.try_get(0).env()
}

fn latest_activation(
    client: &mut Client,
    set: &str,
) -> Result<(uuid::Uuid, uuid::Uuid, uuid::Uuid), CaseError> {
    // (activation_id, manifest_id, rollback_evidence_id) of the latest activation,
    // ordered by the kernel's own activation order column if it has one, else activated_at.
    let row = client
        .query_one(
            "SELECT a.activation_id, a.manifest_id, a.rollback_evidence_id \
               FROM qt001_cp.manifest_activation a JOIN qt001_cp.manifest_version v USING (manifest_id) \
              WHERE v.manifest_set = $1 ORDER BY v.version DESC, a.activated_at DESC LIMIT 1",
            &[&set],
        )
        .env()?;
    Ok((
        row.try_get(0).env()?,
        row.try_get(1).env()?,
        row.try_get(2).env()?,
    ))
}

impl Property for ForwardOnly {
    type Input = ForwardOnlyInput;
    fn meta(&self) -> &InvariantMeta {
        &FORWARD_ONLY
    }
    fn strategy(&self) -> BoxedStrategy<ForwardOnlyInput> {
        (2u8..=4, vec((0..TAMPERS.len(), any::<u8>()), 1..8))
            .prop_map(|(versions, tampers)| ForwardOnlyInput { versions, tampers })
            .boxed()
    }
    fn check(&self, sandbox: &dyn Sandbox, input: &ForwardOnlyInput) -> CaseResult {
        let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
        let schemas = vec!["pgc_fo".to_owned()];
        kernel::run_all(
            &mut db,
            &[
                "CREATE SCHEMA pgc_fo".into(),
                "CREATE TABLE pgc_fo.t (a int PRIMARY KEY, b text)".into(),
            ],
        )?;
        let mut manifests = Vec::new();
        let mut activations = Vec::new();
        let mut evidences = Vec::new();
        for v in 0..input.versions.max(2) {
            if v > 0 {
                kernel::run_all(
                    &mut db,
                    &[format!(
                        "CREATE INDEX t_b_{v} ON pgc_fo.t (b) WHERE a > {v}"
                    )],
                )?;
            }
            let m = kernel::seal(&mut db, SET, &schemas)?;
            let ev = kernel::evidence(&mut db)?;
            let a = kernel::activate(&mut db, m, ev)?;
            manifests.push(m);
            activations.push(a);
            evidences.push(ev);
        }
        // a second set with a single activation: nothing to roll back to
        let single = "pgc.drift.single";
        kernel::seal_activate(&mut db, single, &schemas)?;

        let d0 = dump(&mut db)?;
        for (i, which) in &input.tampers {
            let k = *which as usize % manifests.len();
            let sql = TAMPERS[*i % TAMPERS.len()]
                .replace("$M", &manifests[k].to_string())
                .replace("$A", &activations[k].to_string());
            match answer(db.batch_execute(&sql))? {
                Answer::Ok(()) => {
                    return Err(CaseError::fail(
                        "a manifest/scope/activation row was changed: the statement succeeded",
                    )
                    .with_sql(sql))
                }
                Answer::Err { .. } => {}
            }
            let d = dump(&mut db)?;
            if d != d0 {
                return Err(CaseError::mismatch(
                    "a refused tamper changed manifest history",
                    &d0,
                    &d,
                )
                .with_sql(sql));
            }
        }

        // refused rollback: nothing changed
        let sql = "SELECT qt001_cp.rollback_manifest($1)";
        if let Answer::Ok(_) = answer(db.query_one(sql, &[&single]))? {
            return Err(
                CaseError::fail("rollback of a set with a single activation succeeded")
                    .with_sql(sql),
            );
        }
        if dump(&mut db)? != d0 {
            return Err(
                CaseError::fail("a refused rollback changed manifest history").with_sql(sql),
            );
        }

        // forward-only rollback
        let n = manifests.len();
        let new: uuid::Uuid = db
            .query_one(sql, &[&SET])
            .kernel(sql)?
            .try_get(0)
            .kernel(sql)?;
        let row = db
            .query_one(
                "SELECT n.version, n.payload::text, n.payload_sha256, n.supersedes_manifest_id, \
                        p.payload::text, p.payload_sha256, (SELECT max(version) FROM qt001_cp.manifest_version WHERE manifest_set = $3) \
                   FROM qt001_cp.manifest_version n, qt001_cp.manifest_version p \
                  WHERE n.manifest_id = $1 AND p.manifest_id = $2",
                &[&new, &manifests[n - 2], &SET],
            )
            .env()?;
        let version: i32 = row.try_get(0).env()?;
        let (np, ns): (String, String) = (row.try_get(1).env()?, row.try_get(2).env()?);
        let sup: Option<uuid::Uuid> = row.try_get(3).env()?;
        let (pp, ps): (String, String) = (row.try_get(4).env()?, row.try_get(5).env()?);
        let maxv: i32 = row.try_get(6).env()?;
        if version != i32::try_from(n + 1).unwrap_or(i32::MAX) || maxv != version {
            return Err(CaseError::mismatch(
                "rollback version number",
                n + 1,
                version,
            ));
        }
        if np != pp || ns != ps {
            return Err(CaseError::mismatch(
                "rollback payload is not the prior active payload",
                pp,
                np,
            ));
        }
        if sup != Some(manifests[n - 1]) {
            return Err(CaseError::mismatch(
                "rollback supersedes",
                manifests[n - 1],
                format!("{sup:?}"),
            ));
        }
        let (_, active, ev) = latest_activation(&mut db, SET)?;
        if active != new || ev != evidences[n - 1] {
            return Err(CaseError::mismatch(
                "rollback must be activated with the rolled-back activation's rollback evidence",
                format!("manifest {new}, evidence {}", evidences[n - 1]),
                format!("manifest {active}, evidence {ev}"),
            ));
        }
        let scope_eq = db
            .query_one(
                "SELECT NOT EXISTS ((SELECT object_type, object_identity, parent_object_identity, expected_definition_sha256, expected_constraint_set_sha256 \
                                      FROM qt001_cp.authority_scope_manifest WHERE manifest_id = $1 \
                                    EXCEPT ALL SELECT object_type, object_identity, parent_object_identity, expected_definition_sha256, expected_constraint_set_sha256 \
                                      FROM qt001_cp.authority_scope_manifest WHERE manifest_id = $2) \
                                   UNION ALL (SELECT object_type, object_identity, parent_object_identity, expected_definition_sha256, expected_constraint_set_sha256 \
                                      FROM qt001_cp.authority_scope_manifest WHERE manifest_id = $2 \
                                    EXCEPT ALL SELECT object_type, object_identity, parent_object_identity, expected_definition_sha256, expected_constraint_set_sha256 \
                                      FROM qt001_cp.authority_scope_manifest WHERE manifest_id = $1))",
                &[&new, &manifests[n - 2]],
            )
            .env()?
            .try_get::<_, bool>(0)
            .env()?;
        if !scope_eq {
            return Err(CaseError::fail(
                "the rollback version's scope rows differ from the prior version's",
            ));
        }
        // every old row is untouched
        let d1 = dump(&mut db)?;
        for key in ["versions", "scope", "activations"] {
            let old = d0[key].as_array().cloned().unwrap_or_default();
            let now = d1[key].as_array().cloned().unwrap_or_default();
            for r in &old {
                if !now.contains(r) {
                    return Err(CaseError::fail(format!(
                        "rollback edited or removed an old {key} row: {r}"
                    )));
                }
            }
        }
        // verify now compares against the prior payload: the newest index is extra
        let report = kernel::verify(&mut db, SET)?;
        if report.manifest_id.as_deref() != Some(new.to_string().as_str()) {
            return Err(CaseError::mismatch(
                "verify after rollback names",
                new,
                format!("{:?}", report.manifest_id),
            ));
        }
        let extra_idx = format!("pgc_fo.t.t_b_{}", n - 1);
        if report.ok
            || report
                .failures
                .get(&("INDEX".to_owned(), extra_idx.clone()))
                .map(|f| f.kind.as_str())
                != Some("extra")
        {
            return Err(CaseError::fail(format!(
                "after rollback to the prior payload, index {extra_idx} must be extra: {}",
                report.raw
            )));
        }
        Ok(())
    }
    fn coverage(&self, input: &ForwardOnlyInput) -> Vec<String> {
        input
            .tampers
            .iter()
            .map(|(i, _)| format!("tamper:{}", i % TAMPERS.len()))
            .collect()
    }
}

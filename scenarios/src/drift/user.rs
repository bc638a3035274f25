//! DRIFT-CLEAN and DRIFT-DETECT over a user's own schema (`--schema FILE.sql`):
//! the file is applied to a fresh database, its new schemas are sealed, and
//! mutations are drawn from the objects the catalog shows (drop, rename,
//! alter: NOT VALID toggled on CHECK/FK, trigger enabled toggled, partial
//! predicate toggled on a plain index).

use super::kernel_client::{self, SET};
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::{answer, query_strings, quote_ident, Answer, PgResultExt};
use crate::property::{unit_strategy, Property};
use crate::sandbox::{CaseDb, Sandbox};
use pgconform_generators::drift::{DriftKind, ObjectPath};
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use std::collections::BTreeMap;

const SEED: &str = "002_683b4106638da6eb.txt";

/// One authority object of the user's schema, as the catalog shows it.
#[derive(Debug, Clone)]
struct CatObject {
    schema: String,
    table: String,
    object_type: String,
    name: String,
    contype: String,
    backing_index: bool,
    referenced: bool,
    def: String,
    extra: String,
}

const OBJECTS: &str = r#"
SELECT n.nspname::text, c.relname::text, x.kind, x.name::text, x.ctype, x.backing, x.referenced, x.def, coalesce(x.extra, '')
  FROM (
    SELECT k.conrelid AS rel, 'CONSTRAINT' AS kind, k.conname AS name, k.contype::text AS ctype,
           (k.contype IN ('p','u','x')) AS backing,
           (k.contype IN ('p','u') AND EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = k.conindid)) AS referenced,
           pg_get_constraintdef(k.oid) AS def, k.convalidated::text AS extra
      FROM pg_constraint k WHERE k.contype <> 't' AND k.conrelid <> 0
    UNION ALL
    SELECT i.indrelid, 'INDEX', ic.relname, 'i', false,
           EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid),
           pg_get_indexdef(i.indexrelid),
           (SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum LIMIT 1)
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
     WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p','u','x'))
    UNION ALL
    SELECT tg.tgrelid, 'TRIGGER', tg.tgname, 't', false, false, '', tg.tgenabled::text
      FROM pg_trigger tg WHERE NOT tg.tgisinternal
  ) x
  JOIN pg_class c ON c.oid = x.rel JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY ($1::text[]) AND c.relkind IN ('r','p')
 ORDER BY 1, 2, 3, 4
"#;

/// Apply the user's schema to a fresh database; returns it and the new schemas.
fn install_user(sandbox: &dyn Sandbox, sql: &str) -> Result<(CaseDb, Vec<String>), CaseError> {
    let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
    let list = "SELECT nspname::text FROM pg_namespace ORDER BY 1";
    let before = query_strings(&mut db, list, &[])?;
    db.batch_execute(sql)
        .map_err(|e| CaseError::env(format!("the --schema file failed to apply: {e}")))?;
    let after = query_strings(&mut db, list, &[])?;
    let schemas: Vec<String> = after.into_iter().filter(|s| !before.contains(s)).collect();
    if schemas.is_empty() {
        return Err(CaseError::env(
            "the --schema file creates no schema: nothing to seal",
        ));
    }
    Ok((db, schemas))
}

fn objects(db: &mut CaseDb, schemas: &[String]) -> Result<Vec<CatObject>, CaseError> {
    let rows = db.query(OBJECTS, &[&schemas]).env()?;
    Ok(rows
        .iter()
        .map(|r| CatObject {
            schema: r.get(0),
            table: r.get(1),
            object_type: r.get(2),
            name: r.get(3),
            contype: r.get(4),
            backing_index: r.get(5),
            referenced: r.get(6),
            def: r.get(7),
            extra: r.get(8),
        })
        .collect())
}

static CLEAN: InvariantMeta = InvariantMeta::new(
    "DRIFT-CLEAN",
    Suite::Drift,
    "seal → activate → verify is ok for the user's schema (no false positive)",
    SEED,
    "For the user's schema file: the snapshot's hashes recompute in Rust, and seal → activate → verify \
     reports ok with no failure.",
    1,
);

/// DRIFT-CLEAN over a user's schema.
pub struct UserClean {
    sql: String,
}

impl UserClean {
    /// Over the SQL of a schema file.
    pub fn new(sql: String) -> Self {
        Self { sql }
    }
}

impl Property for UserClean {
    type Input = ();
    fn meta(&self) -> &InvariantMeta {
        &CLEAN
    }
    fn strategy(&self) -> BoxedStrategy<()> {
        unit_strategy()
    }
    fn check(&self, sandbox: &dyn Sandbox, _: &()) -> CaseResult {
        let (mut db, schemas) = install_user(sandbox, &self.sql)?;
        let snap = kernel_client::snapshot(&mut db, &schemas)?;
        kernel_client::check_hashes(&snap)?;
        let m = kernel_client::seal_activate(&mut db, SET, &schemas)?;
        let report = kernel_client::verify(&mut db, SET)?;
        kernel_client::check_report(&report, m, &BTreeMap::new(), &snap, &snap)
    }
}

/// A mutation of the user's schema: which object (modulo the eligible ones)
/// and how (0 drop, 1 rename, 2 alter).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct UserPick {
    /// Object choice.
    pub object: u32,
    /// Mutation kind.
    pub kind: u8,
}

static DETECT: InvariantMeta = InvariantMeta::new(
    "DRIFT-DETECT",
    Suite::Drift,
    "verify reports exactly the mutated objects of the user's schema",
    SEED,
    "For any drop, rename or alteration of a constraint, index or trigger of the user's schema, verify \
     reports exactly the changed objects (and their table) with the right kind and hashes.",
    48,
);

/// DRIFT-DETECT over a user's schema.
pub struct UserDetect {
    sql: String,
}

impl UserDetect {
    /// Over the SQL of a schema file.
    pub fn new(sql: String) -> Self {
        Self { sql }
    }
}

fn path(o: &CatObject, ty: &str, name: Option<&str>) -> ObjectPath {
    (
        ty.to_owned(),
        o.schema.clone(),
        o.table.clone(),
        name.map(str::to_owned),
    )
}

/// The objects a mutation of `kind` may pick: a drop or an alteration spares
/// objects a foreign key depends on; only CHECK and FK constraints alter.
fn eligible(all: &[CatObject], kind: u8) -> Vec<&CatObject> {
    all.iter()
        .filter(|o| match kind {
            0 => !o.referenced,
            2 => {
                !o.referenced
                    && (o.object_type != "CONSTRAINT" || matches!(o.contype.as_str(), "c" | "f"))
            }
            _ => true,
        })
        .collect()
}

/// Object paths verify is expected to report, with their kind of drift.
type Expected = BTreeMap<ObjectPath, DriftKind>;

/// The DDL mutating `o` (0 drop, 1 rename, 2 alter) and the drift verify
/// must report for it (its table always changes).
fn mutation(o: &CatObject, kind: u8) -> (Vec<String>, Expected) {
    let mut exp = BTreeMap::new();
    exp.insert(path(o, "TABLE", None), DriftKind::Changed);
    let ddl = match kind {
        0 => drop_object(o, &mut exp),
        1 => rename_object(o, &mut exp),
        _ => alter_object(o, &mut exp),
    };
    (ddl, exp)
}

/// The table of `o`, qualified and quoted, and `o`'s quoted name.
fn idents(o: &CatObject) -> (String, String) {
    (
        format!("{}.{}", quote_ident(&o.schema), quote_ident(&o.table)),
        quote_ident(&o.name),
    )
}

fn drop_object(o: &CatObject, exp: &mut Expected) -> Vec<String> {
    let (t, n) = idents(o);
    exp.insert(path(o, &o.object_type, Some(&o.name)), DriftKind::Missing);
    if o.backing_index {
        exp.insert(path(o, "INDEX", Some(&o.name)), DriftKind::Missing);
    }
    vec![match o.object_type.as_str() {
        "INDEX" => format!("DROP INDEX {}.{n}", quote_ident(&o.schema)),
        "TRIGGER" => format!("DROP TRIGGER {n} ON {t}"),
        _ => format!("ALTER TABLE {t} DROP CONSTRAINT {n}"),
    }]
}

fn rename_object(o: &CatObject, exp: &mut Expected) -> Vec<String> {
    let (t, n) = idents(o);
    let new = format!(
        "pgc_rn_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    exp.insert(path(o, &o.object_type, Some(&o.name)), DriftKind::Missing);
    exp.insert(path(o, &o.object_type, Some(&new)), DriftKind::Extra);
    if o.backing_index {
        exp.insert(path(o, "INDEX", Some(&o.name)), DriftKind::Missing);
        exp.insert(path(o, "INDEX", Some(&new)), DriftKind::Extra);
    }
    vec![match o.object_type.as_str() {
        "INDEX" => format!(
            "ALTER INDEX {}.{n} RENAME TO {}",
            quote_ident(&o.schema),
            quote_ident(&new)
        ),
        "TRIGGER" => format!("ALTER TRIGGER {n} ON {t} RENAME TO {}", quote_ident(&new)),
        _ => format!(
            "ALTER TABLE {t} RENAME CONSTRAINT {n} TO {}",
            quote_ident(&new)
        ),
    }]
}

/// Toggle the trigger's enabled state, the index's partial predicate or the
/// constraint's NOT VALID.
fn alter_object(o: &CatObject, exp: &mut Expected) -> Vec<String> {
    let (t, n) = idents(o);
    exp.insert(path(o, &o.object_type, Some(&o.name)), DriftKind::Changed);
    match o.object_type.as_str() {
        "TRIGGER" => vec![format!(
            "ALTER TABLE {t} {} TRIGGER {n}",
            if o.extra == "D" { "ENABLE" } else { "DISABLE" }
        )],
        "INDEX" => {
            let def = match o.def.rfind(" WHERE ") {
                Some(i) => o.def[..i].to_owned(),
                None => format!("{} WHERE ({} IS NOT NULL)", o.def, quote_ident(&o.extra)),
            };
            vec![format!("DROP INDEX {}.{n}", quote_ident(&o.schema)), def]
        }
        _ => {
            let def = match o.def.strip_suffix(" NOT VALID") {
                Some(d) => d.to_owned(),
                None => format!("{} NOT VALID", o.def),
            };
            vec![
                format!("ALTER TABLE {t} DROP CONSTRAINT {n}"),
                format!("ALTER TABLE {t} ADD CONSTRAINT {n} {def}"),
            ]
        }
    }
}

impl Property for UserDetect {
    type Input = UserPick;
    fn meta(&self) -> &InvariantMeta {
        &DETECT
    }
    fn strategy(&self) -> BoxedStrategy<UserPick> {
        (any::<u32>(), 0u8..3)
            .prop_map(|(object, kind)| UserPick { object, kind })
            .boxed()
    }
    fn check(&self, sandbox: &dyn Sandbox, pick: &UserPick) -> CaseResult {
        let (mut db, schemas) = install_user(sandbox, &self.sql)?;
        let all = objects(&mut db, &schemas)?;
        let eligible = eligible(&all, pick.kind);
        if eligible.is_empty() {
            return Err(CaseError::Reject(
                "no object of the user's schema fits this mutation".into(),
            ));
        }
        let o = eligible[pick.object as usize % eligible.len()];
        let (ddl, exp) = mutation(o, pick.kind);
        let before = kernel_client::snapshot(&mut db, &schemas)?;
        let m = kernel_client::seal_activate(&mut db, SET, &schemas)?;
        // the user's objects may refuse a mutation (dependencies, partitions): not applicable
        let sql = ddl.join(";\n");
        let tx_sql = format!("BEGIN;\n{sql};\nCOMMIT;");
        if let Answer::Err { message, .. } = answer(db.batch_execute(&tx_sql))? {
            let _ = db.batch_execute("ROLLBACK");
            return Err(CaseError::Reject(format!(
                "mutation does not apply to the user's schema: {message}"
            )));
        }
        let after = kernel_client::snapshot(&mut db, &schemas)?;
        kernel_client::check_hashes(&after)?;
        let expected = kernel_client::expected_identities(&mut db, &exp)?;
        let report = kernel_client::verify(&mut db, SET)?;
        kernel_client::check_report(&report, m, &expected, &before, &after)
            .map_err(|e| e.with_sql(sql))
    }
    fn coverage(&self, pick: &UserPick) -> Vec<String> {
        vec![format!(
            "mutation:{}",
            ["drop", "rename", "alter"][pick.kind as usize % 3]
        )]
    }
}

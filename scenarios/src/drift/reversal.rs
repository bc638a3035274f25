//! DRIFT-REVERSAL: the drift slice's uninstall.
//!
//! What is compared: the slice is the install files the SUT's MANIFEST says
//! `script uninstall` reverses (`uninstall-reverses FIRST LAST`; without that
//! line the invariant fails naming CONTRACT §0 — file names and numbers mean
//! nothing); the install files before the slice are its prerequisites,
//! later files are not installed. In an empty database the
//! prerequisites are installed and the harness snapshot (`crate::snapshot`:
//! every user schema's relations, columns, constraints, indexes, triggers,
//! functions, types, owners, ACLs, and every table's content) is taken; then
//! the slice (plus the mutant, when it only alters objects the slice has) is installed
//! and `script uninstall` runs. With no manifest history the uninstall must
//! succeed and the snapshot must equal the prerequisite snapshot exactly, and
//! installing the slice again must give the same snapshot as the first time;
//! a second install → uninstall under event triggers must drop every top-level
//! object the slice created (CREATE TABLE tables, functions, triggers,
//! constraints added by ALTER TABLE) in exactly the reverse creation order;
//! with history (a sealed version on the slice, or an activated one on the
//! whole installed SUT, since activation needs the evidence functions) it must
//! be refused and change nothing (snapshot with data identical before and after).

use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::pg::{answer, Answer, PgResultExt};
use crate::property::declare_property;
use crate::sandbox::{Sandbox, SqlFile, Sut};
use crate::snapshot;
use postgres::Client;

static REVERSAL: InvariantMeta = InvariantMeta::new(
    "DRIFT-REVERSAL",
    Suite::Drift,
    "uninstall reverses the drift slice exactly, and refuses while history exists",
    "002_683b4106638da6eb.txt",
    "Installing the drift slice (the files `uninstall-reverses` names) after its \
     prerequisites and running `script uninstall` \
     leaves the database snapshot exactly as before the slice, and reinstalling gives the same \
     snapshot again; with a sealed or activated manifest the uninstall is refused and changes nothing.",
    6,
);

declare_property! {
    /// DRIFT-REVERSAL. Input: 0 = no history, 1 = a sealed version, 2 = an activated version.
    Reversal {
        input: u8,
        static_meta: REVERSAL,
        strategy: || 0u8..3,
        coverage: reversal_coverage,
        check: reversal_holds,
    }
}

/// The install files the `uninstall` script reverses, and those before them
/// (its prerequisites), exactly as the MANIFEST's `uninstall-reverses FIRST
/// LAST` declares (CONTRACT §0): never guessed from file names or numbers.
fn slice_of(sut: &Sut) -> Result<(Vec<&SqlFile>, Vec<&SqlFile>), CaseError> {
    let range = sut.uninstall_reverses.as_ref().ok_or_else(|| {
        CaseError::fail(
            "CONTRACT §0 The SUT directory: `script uninstall` reverses the install files FIRST..LAST of \
             `uninstall-reverses FIRST LAST`, and the MANIFEST declares no `uninstall-reverses` line",
        )
    })?;
    let slice: Vec<&SqlFile> = sut
        .install
        .get(range.clone())
        .map(|s| s.iter().collect())
        .unwrap_or_default();
    if slice.is_empty() {
        return Err(CaseError::fail(
            "CONTRACT §0 The SUT directory: `uninstall-reverses FIRST LAST` names no install file",
        ));
    }
    Ok((sut.install.iter().take(*range.start()).collect(), slice))
}

fn install(client: &mut Client, files: &[&SqlFile]) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    for f in files {
        tx.batch_execute(&f.sql)?;
    }
    tx.commit()
}

/// Apply the mutant on top of the slice if it only alters objects that
/// already exist (the usual `CREATE OR REPLACE` of one function); a mutant
/// that fails here or would create objects the slice does not have belongs
/// to another slice and is rolled back (out of this invariant's scope).
/// Returns whether it was applied.
fn apply_mutant(client: &mut Client, m: &SqlFile) -> Result<bool, CaseError> {
    client.batch_execute("BEGIN").env()?;
    let before = snapshot::take(client, false).env()?;
    let applied = client.batch_execute(&m.sql).is_ok();
    if applied {
        let after = snapshot::take(client, false).env()?;
        // Same objects (identities), whatever their definitions became.
        if before.keys().eq(after.keys()) {
            client.batch_execute("COMMIT").env()?;
            return Ok(true);
        }
    }
    client.batch_execute("ROLLBACK").env()?;
    Ok(false)
}

fn take(client: &mut Client) -> Result<snapshot::Snapshot, CaseError> {
    snapshot::take(client, true).env()
}

/// DRIFT-REVERSAL's coverage classes.
fn reversal_coverage(history: &u8) -> Vec<String> {
    vec![format!(
        "history:{}",
        ["none", "sealed", "activated"][*history as usize % 3]
    )]
}

/// DRIFT-REVERSAL's check.
fn reversal_holds(sandbox: &dyn Sandbox, history: &u8) -> CaseResult {
    let sut = sandbox.sut();
    let uninstall = match sut.script("uninstall") {
        Ok(f) => f.clone(),
        Err(e) => {
            return Err(CaseError::fail(format!(
                "CONTRACT §0 `script uninstall` (DRIFT-REVERSAL): {e}"
            )))
        }
    };
    let (pre, slice) = slice_of(sut)?;
    if *history == 2 {
        return refused_with_active_history(sandbox, &uninstall);
    }
    let mut db = sandbox.empty_db().map_err(CaseError::env)?;
    install(&mut db, &pre).kernel(
        "CONTRACT §0: the install files before FIRST of `uninstall-reverses`, installed in MANIFEST order \
         into an empty database (the state an uninstall returns to)",
    )?;
    // A mutant or variant that alters objects installed before the slice
    // (e.g. another suite's function) is part of the state the uninstall
    // returns to; one that alters the slice's objects applies after it.
    let mutant_after_slice = match &sut.mutant {
        Some(m) if !apply_mutant(&mut db, m)? => Some(m),
        _ => None,
    };
    let s0 = take(&mut db)?;
    install_slice(
        &mut db,
        &slice,
        mutant_after_slice,
        "install of the uninstall slice",
    )?;
    let s1 = take(&mut db)?;

    if *history == 1 {
        create_history_table(&mut db)?;
        super::kernel_client::seal(&mut db, HISTORY_SET, &[HISTORY_SCHEMA.to_owned()])?;
        return uninstall_refused(&mut db, &uninstall);
    }

    run_uninstall(&mut db, &uninstall)?;
    snapshot::expect_same(
        &s0,
        &take(&mut db)?,
        "install → uninstall does not leave the database exactly as before the slice",
        "no difference",
        SHOWN_DIFFERENCES,
    )?;
    reverse_order_check(&mut db, &slice, mutant_after_slice, &uninstall)?;
    snapshot::expect_same(
        &s0,
        &take(&mut db)?,
        "the second install → uninstall does not leave the database exactly as before the slice",
        "no difference",
        SHOWN_DIFFERENCES,
    )?;
    install_slice(
        &mut db,
        &slice,
        mutant_after_slice,
        "reinstall of the uninstall slice after uninstall",
    )?;
    snapshot::expect_same(
        &s1,
        &take(&mut db)?,
        "install → uninstall → install differs from the first install",
        "no difference",
        SHOWN_DIFFERENCES,
    )
}

/// Install the slice (a kernel failure naming `what` if it fails), then the
/// mutant that alters the slice's objects, if any.
fn install_slice(
    client: &mut Client,
    slice: &[&SqlFile],
    mutant: Option<&SqlFile>,
    what: &str,
) -> CaseResult {
    install(client, slice).kernel(what)?;
    if let Some(m) = mutant {
        apply_mutant(client, m)?;
    }
    Ok(())
}

/// How many snapshot differences a failure shows.
const SHOWN_DIFFERENCES: usize = 20;

/// The schema of user data whose sealed (or activated) manifest is the
/// history an uninstall must refuse on.
const HISTORY_SCHEMA: &str = "pgc_rev";
/// The manifest set sealing [`HISTORY_SCHEMA`].
const HISTORY_SET: &str = "pgc.rev";

/// Create [`HISTORY_SCHEMA`] with one table, ready to be sealed.
fn create_history_table(db: &mut Client) -> CaseResult {
    super::kernel_client::run_all(
        db,
        &[
            format!("CREATE SCHEMA {HISTORY_SCHEMA}"),
            format!("CREATE TABLE {HISTORY_SCHEMA}.t (a int PRIMARY KEY)"),
        ],
    )
}

/// `script uninstall` in a transaction of its own (CONTRACT §0), which must
/// succeed: no manifest history exists.
fn run_uninstall(db: &mut Client, uninstall: &SqlFile) -> CaseResult {
    let mut tx = db.transaction().env()?;
    tx.batch_execute(&uninstall.sql).kernel(&format!(
        "CONTRACT §2 DRIFT-REVERSAL: `script uninstall` ({}) without manifest history",
        uninstall.path
    ))?;
    tx.commit().env()
}

/// `script uninstall` with manifest history present: refused, nothing changed.
fn uninstall_refused(db: &mut Client, uninstall: &SqlFile) -> CaseResult {
    let before = take(db)?;
    let mut tx = db.transaction().env()?;
    let ran = answer(tx.batch_execute(&uninstall.sql))?;
    match ran {
        Answer::Ok(()) => tx.commit().env()?,
        Answer::Err { .. } => tx.rollback().env()?,
    }
    if let Answer::Ok(()) = ran {
        return Err(CaseError::fail(
            "CONTRACT §2 DRIFT-REVERSAL: uninstall refuses while data or history exists, but it succeeded \
             with a sealed or activated manifest present",
        )
        .with_sql(uninstall.path.clone()));
    }
    snapshot::expect_same(
        &before,
        &take(db)?,
        "CONTRACT §2 DRIFT-REVERSAL: a refused uninstall changes nothing",
        "no change",
        SHOWN_DIFFERENCES,
    )
}

/// An activated manifest needs rollback evidence (`seal_artifact` +
/// `readback_verify`), which may live in install files after the slice:
/// this case runs on the whole installed SUT.
fn refused_with_active_history(sandbox: &dyn Sandbox, uninstall: &SqlFile) -> CaseResult {
    let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
    create_history_table(&mut db)?;
    super::kernel_client::seal_activate(&mut db, HISTORY_SET, &[HISTORY_SCHEMA.to_owned()])?;
    uninstall_refused(&mut db, uninstall)
}

/// Event triggers that log, in order, every table, function and trigger the
/// slice creates (and every constraint an ALTER TABLE adds), and every object
/// a drop removes. Temporary objects are no part of a kernel (they vanish
/// with the session; the mutant patch helper is one) and are not logged.
/// Lives in schema `pgc_evt`, removed again afterwards.
const EVT_INFRA: &str = r#"
CREATE SCHEMA pgc_evt;
CREATE TABLE pgc_evt.log (id bigserial PRIMARY KEY, phase text NOT NULL, tag text, object_type text, object_identity text);
CREATE FUNCTION pgc_evt.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE schema_name IS NULL OR schema_name NOT LIKE 'pg\_temp%' LOOP
    INSERT INTO pgc_evt.log (phase, tag, object_type, object_identity)
    VALUES ('create', r.command_tag, r.object_type, r.object_identity);
    IF r.object_type = 'table' AND r.command_tag IN ('CREATE TABLE', 'ALTER TABLE') THEN
      -- constraints of CREATE TABLE belong to the table; those of ALTER TABLE are objects of their own
      INSERT INTO pgc_evt.log (phase, tag, object_type, object_identity)
      SELECT 'create', r.command_tag,
             CASE WHEN r.command_tag = 'CREATE TABLE' THEN 'inline constraint' ELSE 'table constraint' END,
             x.identity
        FROM pg_constraint k, LATERAL pg_identify_object('pg_constraint'::regclass, k.oid, 0) x
       WHERE k.conrelid = r.objid
         AND NOT EXISTS (SELECT 1 FROM pgc_evt.log l WHERE l.phase = 'create'
                            AND l.object_type IN ('inline constraint', 'table constraint')
                            AND l.object_identity = x.identity)
       ORDER BY k.conname;
    END IF;
  END LOOP;
END $$;
CREATE FUNCTION pgc_evt.on_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO pgc_evt.log (phase, tag, object_type, object_identity)
  SELECT 'drop', tg_tag, object_type, object_identity FROM pg_event_trigger_dropped_objects() WHERE NOT is_temporary;
END $$;
CREATE EVENT TRIGGER pgc_evt_ddl ON ddl_command_end EXECUTE FUNCTION pgc_evt.on_ddl();
CREATE EVENT TRIGGER pgc_evt_drop ON sql_drop EXECUTE FUNCTION pgc_evt.on_drop();
"#;

const EVT_DROP: &str =
    "DROP EVENT TRIGGER pgc_evt_ddl; DROP EVENT TRIGGER pgc_evt_drop; DROP SCHEMA pgc_evt CASCADE;";

/// Install the slice again under event triggers, uninstall it, and check that
/// the top-level objects (tables created by CREATE TABLE, functions, triggers,
/// constraints added by ALTER TABLE) are dropped in exactly the reverse order
/// of their creation, every one of them.
fn reverse_order_check(
    client: &mut Client,
    slice: &[&SqlFile],
    mutant: Option<&SqlFile>,
    uninstall: &SqlFile,
) -> CaseResult {
    client.batch_execute(EVT_INFRA).env()?;
    let result = (|| {
        install_slice(
            client,
            slice,
            mutant,
            "install of the uninstall slice under event triggers",
        )?;
        run_uninstall(client, uninstall)?;
        let rows = client
            .query(
                "SELECT phase, tag, object_type, object_identity FROM pgc_evt.log ORDER BY id",
                &[],
            )
            .env()?;
        let mut created: Vec<(String, String)> = Vec::new();
        let mut dropped: Vec<(String, String)> = Vec::new();
        for r in &rows {
            let phase: String = r.get(0);
            let tag: Option<String> = r.get(1);
            let ty: Option<String> = r.get(2);
            let id: Option<String> = r.get(3);
            let (Some(ty), Some(id)) = (ty, id) else {
                continue;
            };
            let key = (ty.clone(), id);
            if phase == "create" {
                let top = matches!(ty.as_str(), "function" | "trigger" | "table constraint")
                    || (ty == "table" && tag.as_deref() == Some("CREATE TABLE"));
                if top && !created.contains(&key) {
                    created.push(key);
                }
            } else if !dropped.contains(&key) {
                dropped.push(key);
            }
        }
        let dropped: Vec<(String, String)> = dropped
            .into_iter()
            .filter(|k| created.contains(k))
            .collect();
        let reversed: Vec<(String, String)> = created.iter().rev().cloned().collect();
        if dropped != reversed {
            let fmt = |v: &[(String, String)]| {
                v.iter()
                    .map(|(t, i)| format!("{t} {i}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            return Err(CaseError::mismatch(
                "uninstall does not drop the slice's objects in exact reverse creation order",
                fmt(&reversed),
                fmt(&dropped),
            ));
        }
        Ok(())
    })();
    client.batch_execute(EVT_DROP).env()?;
    result
}

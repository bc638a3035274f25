//! DUR-IMMUTABLE: canonical rows cannot be changed by any role, and only the
//! aperture inserts. Every attempt runs as the real role (`SET ROLE`), in
//! autocommit, so a statement that wrongly succeeds really changes the data.

use super::common::{history_coverage, history_db, qualified, unchanged, SOURCE, TABLES};
use crate::case::{CaseError, CaseResult};
use crate::pg::{answer, quote_ident, Answer, PgResultExt};
use crate::sandbox::Sandbox;
use pgconform_generators::durability::{actor_uuid, arb_single_agent_history, History};
use postgres::Client;

/// The contract's roles; `None` is the superuser session itself.
const ROLES: [Option<&str>; 4] = [
    None,
    Some("cpo_owner"),
    Some("cpo_writer"),
    Some("cpo_reader"),
];

/// Run `sql` as `role` in autocommit; the kernel's answer.
fn as_role(
    client: &mut Client,
    role: Option<&str>,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Answer<u64>, CaseError> {
    if let Some(r) = role {
        client
            .batch_execute(&format!("SET ROLE {}", quote_ident(r)))
            .env()?;
    }
    let out = answer(client.execute(sql, params));
    client.batch_execute("RESET ROLE").env()?;
    out
}

/// A role that committed through the aperture must not be able to write
/// directly afterwards in the same transaction: whatever tells the aperture
/// apart must not outlive the aperture call. Judged by behaviour only.
fn insert_after_aperture(
    client: &mut Client,
    role: &str,
    tbl: &str,
    agent: &str,
    actor: &str,
) -> CaseResult {
    let sql = format!(
        "BEGIN; SET LOCAL ROLE {}; \
         SELECT cpo.commit_action('immutability_probe', '{{}}'::jsonb, '{{}}'::jsonb, {a}::uuid, {actor}::uuid); \
         INSERT INTO {tbl} (agent_id, content) VALUES ({a}::uuid, '{{}}'::jsonb); COMMIT;",
        quote_ident(role),
        a = crate::pg::quote_literal(agent),
        actor = crate::pg::quote_literal(actor),
    );
    let r = answer(client.batch_execute(&sql));
    client.batch_execute("ROLLBACK").env()?;
    match r? {
        Answer::Err { .. } => Ok(()),
        Answer::Ok(()) => Err(CaseError::fail(format!(
            "contract §1 Roles: {role} inserted directly into a canonical table right after a commit_action in the same transaction (only the aperture inserts)"
        ))
        .with_sql(sql)),
    }
}

history_property! {
    /// DUR-IMMUTABLE.
    Immutable {
        id: "DUR-IMMUTABLE",
        title: "canonical rows can't be updated or deleted by any role; only the aperture inserts",
        property: "On every canonical table, UPDATE, DELETE and TRUNCATE fail for the superuser, cpo_owner, cpo_writer and cpo_reader; a direct INSERT fails for the three cpo roles, and for cpo_writer also right after its own commit_action in the same transaction; the data is unchanged afterwards; how the aperture is told apart is never assumed; cpo_writer can commit through the aperture but cannot read or write tables; cpo_reader can read but cannot commit.",
        cases: 8,
        strategy: arb_single_agent_history,
        coverage: history_coverage,
        check: check_immutable,
    }
}

fn must_fail(
    client: &mut Client,
    role: Option<&str>,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> CaseResult {
    match as_role(client, role, sql, params)? {
        Answer::Err { .. } => Ok(()),
        Answer::Ok(n) => Err(CaseError::fail(format!(
            "{} succeeded ({n} rows) on a canonical table",
            role.unwrap_or("the superuser")
        ))
        .with_sql(sql)),
    }
}

/// The check of DUR-IMMUTABLE.
fn check_immutable(sandbox: &dyn Sandbox, h: &History) -> CaseResult {
    let mut db = history_db(sandbox, h)?;
    let Some(agent) = h.agents.first().map(|a| a.agent_id.clone()) else {
        return Err(CaseError::Reject(
            "a history needs at least one agent".into(),
        ));
    };
    let actor = actor_uuid(0x1111);
    let before = crate::snapshot::take(&mut db, true).env()?;
    for t in &TABLES {
        let tbl = qualified(SOURCE, t.name);
        for role in ROLES {
            must_fail(
                &mut db,
                role,
                &format!("UPDATE {tbl} SET content = content || '{{\"x\": 1}}'::jsonb"),
                &[],
            )?;
            must_fail(&mut db, role, &format!("DELETE FROM {tbl}"), &[])?;
            must_fail(&mut db, role, &format!("TRUNCATE {tbl}"), &[])?;
            if role.is_some() {
                let insert = format!(
                    "INSERT INTO {tbl} (agent_id, content) VALUES ($1::text::uuid, '{{}}'::jsonb)"
                );
                must_fail(&mut db, role, &insert, &[&agent])?;
            }
        }
    }
    for t in &TABLES {
        insert_after_aperture(
            &mut db,
            "cpo_writer",
            &qualified(SOURCE, t.name),
            &agent,
            &actor,
        )?;
    }
    unchanged(&mut db, &before, "refused writes")?;
    // The aperture works for the writer, and only the aperture.
    let commit = "SELECT cpo.commit_action('immutability_probe', '{}'::jsonb, '{}'::jsonb, $1::text::uuid, $2::text::uuid)::text";
    let read = format!("SELECT count(*) FROM {}", qualified(SOURCE, TABLES[0].name));
    let (writer, reader) = (Some("cpo_writer"), Some("cpo_reader"));
    if let Answer::Err { message, .. } = as_role(&mut db, writer, commit, &[&agent, &actor])? {
        return Err(CaseError::fail(format!(
            "cpo_writer cannot commit through the aperture: {message}"
        ))
        .with_sql(commit));
    }
    if let Answer::Ok(_) = as_role(&mut db, writer, &read, &[])? {
        return Err(CaseError::fail(
            "cpo_writer can SELECT a canonical table (it may only EXECUTE commit_action)",
        ));
    }
    if let Answer::Ok(_) = as_role(&mut db, reader, commit, &[&agent, &actor])? {
        return Err(CaseError::fail("cpo_reader can commit through the aperture").with_sql(commit));
    }
    if let Answer::Err { message, .. } = as_role(&mut db, reader, &read, &[])? {
        return Err(CaseError::fail(format!(
            "cpo_reader cannot SELECT a canonical table: {message}"
        )));
    }
    Ok(())
}

//! DUR-RT and DUR-TAMPER: the kernel's verification, judged against the
//! Rust oracle reading both schemas.

use super::common::{
    self, agree, export, history_coverage, history_db, kernel_verify, oracle_diff, qualified,
    rehydrate_ok, rows, same_multiset, user_schemas, ContractExt, SOURCE, TABLES, TAMPER_CLAUSE,
};
use super::meta;
use crate::case::{CaseError, CaseResult};
use crate::pg::PgResultExt;
use crate::property::declare_property;
use crate::sandbox::{CaseDb, Sandbox};
use pgconform_generators::durability::{
    arb_history, arb_tamper, EditValue, History, Tamper, TamperKind,
};
use postgres::Client;
use proptest::prelude::*;

/// The scratch target schema of round-trip cases.
pub const TARGET: &str = "pgc_rt_target";

/// Export every agent and rehydrate it into `target`.
pub fn round_trip_all(
    client: &mut Client,
    history: &History,
    target: &str,
) -> Result<Vec<String>, CaseError> {
    let mut packs = Vec::new();
    for a in &history.agents {
        let pack = export(client, &a.agent_id)?;
        rehydrate_ok(client, &pack, target)?;
        packs.push(pack);
    }
    Ok(packs)
}

/// A fresh database holding `history`, every agent exported and rehydrated
/// into [`TARGET`]; the packs, in agent order.
pub fn round_tripped(
    sandbox: &dyn Sandbox,
    history: &History,
) -> Result<(CaseDb, Vec<String>), CaseError> {
    let mut db = history_db(sandbox, history)?;
    let packs = round_trip_all(&mut db, history, TARGET)?;
    Ok((db, packs))
}

history_property! {
    /// DUR-RT.
    RoundTrip {
        id: "DUR-RT",
        title: "export → rehydrate → verify is ok for every agent, and the Rust oracle agrees",
        property: "For any agents and histories committed through the aperture (real actors), the stored rows are exactly the committed ones (harness's own reading); every agent's pack rehydrates into a fresh schema where verify_reconstruction is ok, the oracle's per-type sha256 multisets of both schemas are equal and agree with the kernel type by type, the pack's digests match the oracle's rendering, and durability_round_trip_test passes leaving no schema behind.",
        cases: 32,
        strategy: arb_history,
        coverage: history_coverage,
        check: check_round_trip,
    }
}

/// The check of DUR-RT.
fn check_round_trip(sandbox: &dyn Sandbox, history: &History) -> CaseResult {
    let mut db = history_db(sandbox, history)?;
    for a in &history.agents {
        common::check_stored(&mut db, history, &a.agent_id)?;
    }
    let packs = round_trip_all(&mut db, history, TARGET)?;
    for (a, pack) in history.agents.iter().zip(&packs) {
        let kernel = kernel_verify(&mut db, &a.agent_id, SOURCE, TARGET)?;
        let oracle = oracle_diff(&mut db, SOURCE, TARGET, &a.agent_id)?;
        if !oracle.is_ok() {
            return Err(CaseError::mismatch(
                format!(
                    "the rehydrated copy of agent {} differs from the source (Rust oracle)",
                    a.agent_id
                ),
                "equal multisets",
                oracle.to_string(),
            ));
        }
        agree(&kernel, &oracle)?;
        check_pack_digests(&mut db, pack, &a.agent_id)?;
    }
    // The kernel's own drill, which must clean up after itself.
    let before = user_schemas(&mut db)?;
    for a in &history.agents {
        let sql = "SELECT (cpo.durability_round_trip_test($1::text::uuid) ->> 'pass')::boolean";
        let pass: Option<bool> = db.query_one(sql, &[&a.agent_id]).kernel(sql)?.get(0);
        if pass != Some(true) {
            return Err(CaseError::mismatch(
                format!("durability_round_trip_test({}) did not pass", a.agent_id),
                "pass = true",
                pgconform_reports::json_text(&pass),
            )
            .with_sql(sql));
        }
    }
    let after = user_schemas(&mut db)?;
    if before != after {
        return Err(CaseError::mismatch(
            "durability_round_trip_test left schemas behind",
            pgconform_reports::json_text(&before),
            pgconform_reports::json_text(&after),
        ));
    }
    Ok(())
}

/// The pack, verified offline by the oracle (its own jsonb rendering of each
/// row, and any declared digests), must hold exactly the source rows.
fn check_pack_digests(client: &mut Client, pack: &str, agent: &str) -> CaseResult {
    let v = pgconform_oracle::verify_pack(pack.as_bytes())
        .map_err(|e| CaseError::fail(format!("the oracle cannot read the pack of {agent}: {e}")))?;
    if !v.is_ok() {
        return Err(CaseError::mismatch(
            format!("the pack of {agent} fails offline verification"),
            "declared digests equal the oracle's rendering of each row",
            v.to_string(),
        ));
    }
    let source = common::oracle_multiset(client, SOURCE, agent)?;
    same_multiset(
        &source,
        &v.multiset(),
        format!(
            "the pack of {agent} does not hold exactly the agent's source rows (oracle rendering)"
        ),
        "equal",
    )
}

/// Input of DUR-TAMPER.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TamperCase {
    /// The history; agent 0 is tampered.
    pub history: History,
    /// The tamper.
    pub tamper: Tamper,
}

declare_property! {
    /// DUR-TAMPER.
    TamperDetected {
        input: TamperCase,
        meta: meta(
            "DUR-TAMPER",
            "any single tamper of the rehydrated copy makes verify not ok, naming the type",
            "Deleting, duplicating, editing one JSON value of, or moving (to another type or agent) one row of a rehydrated agent makes verify_reconstruction not ok; the types it reports as differing, and their missing/extra digests, equal the Rust oracle's.",
            32,
        ),
        strategy: || {
            (arb_history(), arb_tamper())
                .prop_map(|(history, tamper)| TamperCase { history, tamper })
        },
        coverage: tamper_coverage,
        check: tamper_detected,
    }
}

/// A row of the target, addressed by ctid.
struct Victim {
    table: &'static str,
    ctid: String,
}

fn victims(client: &mut Client, agent: &str) -> Result<Vec<Victim>, CaseError> {
    let mut out = Vec::new();
    for t in &TABLES {
        let order = t.order_column().map_or_else(
            || "content::text COLLATE \"C\", ctid".to_owned(),
            |c| format!("{}, ctid", crate::pg::quote_ident(c)),
        );
        let sql = format!(
            "SELECT ctid::text FROM {} WHERE agent_id = $1::text::uuid ORDER BY {order}",
            qualified(TARGET, t.name)
        );
        for r in client.query(&sql, &[&agent]).contract(TAMPER_CLAUSE, "")? {
            out.push(Victim {
                table: t.name,
                ctid: r.get(0),
            });
        }
    }
    Ok(out)
}

/// Apply one tamper as superuser (bypassing any trigger the kernel may have
/// put on the copy); returns the affected types.
fn apply_tamper(
    client: &mut Client,
    agent: &str,
    tamper: &Tamper,
) -> Result<Vec<&'static str>, CaseError> {
    let all = victims(client, agent)?;
    if all.is_empty() {
        // The caller rejects histories without commits up front, so the
        // rehydrated copy of an agent with commits has rows.
        return Err(CaseError::fail(format!(
            "the rehydrated copy in {TARGET} holds no row of agent {agent}, who has commits"
        )));
    }
    let v = &all[tamper.row_pick as usize % all.len()];
    let tbl = qualified(TARGET, v.table);
    let mut tx = client.transaction().env()?;
    tx.batch_execute("SET LOCAL session_replication_role = replica")
        .contract(TAMPER_CLAUSE, "")?;
    let mut affected = vec![v.table];
    // Every tamper but the edit is one statement on the victim row ($1, its ctid).
    let statement = match &tamper.kind {
        TamperKind::Delete => Some(format!("DELETE FROM {tbl} WHERE ctid = $1::text::tid")),
        TamperKind::Duplicate => Some(format!(
            "INSERT INTO {tbl} (agent_id, content) SELECT agent_id, content FROM {tbl} WHERE ctid = $1::text::tid"
        )),
        TamperKind::Edit(edit) => {
            edit_content(&mut tx, &tbl, &v.ctid, edit)?;
            None
        }
        TamperKind::MoveType { to_pick } => {
            let others: Vec<&'static str> = TABLES
                .iter()
                .map(|t| t.name)
                .filter(|n| *n != v.table)
                .collect();
            let dest = others[*to_pick as usize % others.len()];
            affected.push(dest);
            Some(format!(
                "WITH d AS (DELETE FROM {tbl} WHERE ctid = $1::text::tid RETURNING agent_id, content) \
                 INSERT INTO {} (agent_id, content) SELECT agent_id, content FROM d",
                qualified(TARGET, dest)
            ))
        }
        TamperKind::MoveAgent => Some(format!(
            "UPDATE {tbl} SET agent_id = 'f0000000-0000-4000-8000-00000000000f' WHERE ctid = $1::text::tid"
        )),
    };
    if let Some(sql) = statement {
        tx.execute(&sql, &[&v.ctid]).contract(TAMPER_CLAUSE, "")?;
    }
    tx.commit().env()?;
    Ok(affected)
}

/// The edit tamper: replace (or wrap) the value of the first key of the
/// content at `ctid` in `tbl`, or add a key to `{}`; it must change the row.
fn edit_content(
    tx: &mut postgres::Transaction<'_>,
    tbl: &str,
    ctid: &str,
    edit: &EditValue,
) -> CaseResult {
    let replacement = match edit {
        EditValue::Replace(j) => j.clone(),
        EditValue::Wrap => String::new(),
    };
    // Replace (or wrap) the value of the first key; add a key to {}.
    let sql = format!(
        "WITH k AS (SELECT content, (SELECT min(x COLLATE \"C\") FROM jsonb_object_keys(content) x) AS key \
                    FROM {tbl} WHERE ctid = $1::text::tid), \
              n AS (SELECT content, CASE \
                      WHEN key IS NULL THEN jsonb_build_object('tampered', true) \
                      WHEN $2 <> '' AND jsonb_set(content, ARRAY[key], $2::text::jsonb) <> content \
                        THEN jsonb_set(content, ARRAY[key], $2::text::jsonb) \
                      ELSE jsonb_set(content, ARRAY[key], jsonb_build_array(content -> key)) END AS new \
                    FROM k) \
         UPDATE {tbl} t SET content = n.new FROM n WHERE t.ctid = $1::text::tid AND n.new <> n.content"
    );
    let changed = tx
        .execute(&sql, &[&ctid, &replacement])
        .contract(TAMPER_CLAUSE, "")?;
    if changed != 1 {
        return Err(CaseError::env("the edit tamper changed nothing"));
    }
    Ok(())
}

/// DUR-TAMPER's coverage: the history's and the kind of tamper.
fn tamper_coverage(input: &TamperCase) -> Vec<String> {
    let mut c = history_coverage(&input.history);
    c.push(format!("tamper:{}", input.tamper.kind.label()));
    c
}

/// DUR-TAMPER's check: the kernel's verify is not ok after the tamper and
/// reports what the oracle sees.
fn tamper_detected(sandbox: &dyn Sandbox, input: &TamperCase) -> CaseResult {
    let Some(agent) = input.history.agents.first().map(|a| a.agent_id.clone()) else {
        return Err(CaseError::Reject(
            "a history needs at least one agent".into(),
        ));
    };
    if input.history.agents[0].commits.is_empty() {
        return Err(CaseError::Reject(
            "the agent has no commits, so no row to tamper".into(),
        ));
    }
    let (mut db, _) = round_tripped(sandbox, &input.history)?;
    let affected = apply_tamper(&mut db, &agent, &input.tamper)?;
    let oracle = oracle_diff(&mut db, SOURCE, TARGET, &agent)?;
    if oracle.is_ok() {
        return Err(CaseError::env(format!(
            "the tamper {:?} left the copy equal (harness bug)",
            input.tamper
        )));
    }
    let kernel = kernel_verify(&mut db, &agent, SOURCE, TARGET)?;
    if kernel.ok {
        let sample = rows(&mut db, TARGET, &TABLES[0], &agent)?.len();
        return Err(CaseError::mismatch(
            format!(
                "verify_reconstruction says ok after tampering {} ({} action rows in the copy)",
                affected.join(" and "),
                sample
            ),
            format!("ok = false; oracle: {oracle}"),
            kernel.raw.to_string(),
        ));
    }
    for t in &affected {
        let named = kernel
            .types
            .get(*t)
            .is_some_and(|k| !k.missing.is_empty() || !k.extra.is_empty());
        let oracle_named = oracle.types.get(*t).is_some_and(|d| !d.is_equal());
        if oracle_named && !named {
            return Err(CaseError::mismatch(
                format!("verify_reconstruction does not name the tampered type {t}"),
                format!("{t} with missing/extra digests"),
                kernel.raw.to_string(),
            ));
        }
    }
    agree(&kernel, &oracle)
}

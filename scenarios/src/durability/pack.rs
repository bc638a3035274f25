//! Properties of the pack itself: DUR-ISOLATION, DUR-DETERMINISM, DUR-ORDER,
//! DUR-GENERATED and DUR-PROJECTION.

use super::common::{
    canonical_names, export, history_coverage, history_db, oracle_multiset, pack_rows, qualified,
    rebuild_heads, rehydrate_ok, require_table, rows, same_multiset, ContractExt, COMMIT_SQL,
    HEADS, PACK_CLAUSE, SOURCE, TABLES, TABLE_CLAUSE, TAMPER_CLAUSE,
};
use super::roundtrip::{round_trip_all, round_tripped, TARGET};
use crate::case::{CaseError, CaseResult};
use crate::pg::{query_strings, quote_ident, PgResultExt};
use crate::sandbox::Sandbox;
use pgconform_generators::durability::{arb_history, History};
use pgconform_oracle::DigestMultiset;
use postgres::Client;
use std::collections::BTreeMap;

/// The pack's rows per canonical type as a digest multiset (rows as
/// PostgreSQL renders them).
fn pack_multiset(
    client: &mut Client,
    pack: &str,
) -> Result<(DigestMultiset, BTreeMap<String, Vec<String>>), CaseError> {
    let rows = pack_rows(client, pack)?;
    let mut m = DigestMultiset::new();
    for (t, rs) in &rows {
        m.ensure_type(t);
        for r in rs {
            m.insert_canonical(t, r.as_bytes());
        }
    }
    Ok((m, rows))
}

/// Every canonical type must be in the pack, and nothing else.
fn check_pack_types(rows: &BTreeMap<String, Vec<String>>, agent: &str) -> CaseResult {
    let mut want = canonical_names();
    want.sort();
    let got: Vec<String> = rows.keys().cloned().collect();
    if got != want {
        return Err(CaseError::mismatch(
            format!("the pack of {agent} does not carry exactly the canonical types"),
            pgconform_reports::json_text(&want),
            pgconform_reports::json_text(&got),
        ));
    }
    Ok(())
}

/// The rows `actual` must be the rows `expected` (as `content::text`, in
/// this order); else a failure `message` showing both lists.
fn same_rows(expected: &[String], actual: &[String], message: String) -> CaseResult {
    if expected != actual {
        return Err(CaseError::mismatch(
            message,
            pgconform_reports::json_rows_text(expected),
            pgconform_reports::json_rows_text(actual),
        ));
    }
    Ok(())
}

history_property! {
    /// DUR-ISOLATION.
    Isolation {
        id: "DUR-ISOLATION",
        title: "a pack holds exactly its agent's rows; rehydrating one agent touches no other",
        property: "Each agent's pack holds exactly that agent's source rows per type (oracle multisets); rehydrating agent 0 into a target already holding the other agents leaves their rows and the whole source database unchanged.",
        cases: 24,
        strategy: arb_history,
        coverage: history_coverage,
        check: check_isolation,
    }
}

/// The check of DUR-ISOLATION.
fn check_isolation(sandbox: &dyn Sandbox, h: &History) -> CaseResult {
    let mut db = history_db(sandbox, h)?;
    let mut packs = Vec::new();
    for a in &h.agents {
        let pack = export(&mut db, &a.agent_id)?;
        let (m, _) = pack_multiset(&mut db, &pack)?;
        let own = oracle_multiset(&mut db, SOURCE, &a.agent_id)?;
        same_multiset(
            &own,
            &m,
            format!(
                "the pack of {} does not hold exactly its own rows",
                a.agent_id
            ),
            "pack multiset = the agent's source multiset",
        )?;
        packs.push(pack);
    }
    let Some(first_pack) = packs.first() else {
        return Err(CaseError::Reject(
            "a history needs at least one agent".into(),
        ));
    };
    let first_pack = first_pack.clone();
    // Rehydrate the others first, then agent 0.
    for pack in packs.iter().skip(1) {
        rehydrate_ok(&mut db, pack, TARGET)?;
    }
    let source_before = crate::snapshot::take(&mut db, true).env()?;
    let mut others_before = Vec::new();
    for a in h.agents.iter().skip(1) {
        others_before.push(oracle_multiset(&mut db, TARGET, &a.agent_id)?);
    }
    rehydrate_ok(&mut db, &first_pack, TARGET)?;
    for (a, before) in h.agents.iter().skip(1).zip(&others_before) {
        let after = oracle_multiset(&mut db, TARGET, &a.agent_id)?;
        same_multiset(
            before,
            &after,
            format!(
                "rehydrating {} changed agent {}'s rows in the target",
                h.agents[0].agent_id, a.agent_id
            ),
            "unchanged",
        )?;
    }
    let source_after = crate::snapshot::take(&mut db, true).env()?;
    let outside = |s: crate::snapshot::Snapshot| -> crate::snapshot::Snapshot {
        s.into_iter()
            .filter(|(k, _)| !crate::snapshot::in_schema(k, TARGET))
            .collect()
    };
    let (source_before, source_after) = (outside(source_before), outside(source_after));
    crate::snapshot::expect_same(
        &source_before,
        &source_after,
        "rehydrating an agent changed the database outside the target schema",
        "unchanged",
        10,
    )?;
    let got = oracle_multiset(&mut db, TARGET, &h.agents[0].agent_id)?;
    let own = oracle_multiset(&mut db, SOURCE, &h.agents[0].agent_id)?;
    same_multiset(
        &own,
        &got,
        "the rehydrated agent does not hold exactly its own rows",
        "equal",
    )
}

history_property! {
    /// DUR-DETERMINISM.
    Determinism {
        id: "DUR-DETERMINISM",
        title: "exporting twice gives identical bytes; the rebuilt copy exports the same pack",
        property: "Two exports of an agent are byte-identical; replaying the pack through the aperture in another database and exporting there gives the same bytes; the rehydrated copy holds, per ordered type, the pack's rows in the pack's order.",
        cases: 24,
        strategy: arb_history,
        coverage: history_coverage,
        check: check_determinism,
    }
}

/// Replay a pack through `commit_action` in `client`'s database: every action
/// log but the last with no artifacts, the last with all artifacts.
fn replay_pack(client: &mut Client, pack: &str, agent: &str) -> CaseResult {
    let actions = client
        .query(
            "SELECT e.value ->> 'action_type', (e.value -> 'action')::text, e.value ->> 'actor_id', \
                    (e.value ?& ARRAY['action_type','action','actor_id']) \
               FROM jsonb_array_elements($1::text::jsonb -> 'artifacts' -> 'cpo_action_logs') WITH ORDINALITY e(value, ord) \
              ORDER BY e.ord",
            &[&pack],
        )
        .contract(PACK_CLAUSE, "")?;
    let artifacts: String = client
        .query_one(
            "SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb)::text FROM jsonb_each($1::text::jsonb -> 'artifacts') \
              WHERE key <> 'cpo_action_logs' AND jsonb_array_length(value) > 0",
            &[&pack],
        )
        .contract(PACK_CLAUSE, "")?
        .get(0);
    let n = actions.len();
    for (i, r) in actions.iter().enumerate() {
        let shaped: bool = r.get(3);
        let (Some(action_type), Some(action)) =
            (r.get::<_, Option<String>>(0), r.get::<_, Option<String>>(1))
        else {
            return Err(CaseError::fail(
                "an exported action log lacks action_type/action",
            ));
        };
        if !shaped {
            return Err(CaseError::fail(
                "an exported action log is not {\"action_type\", \"action\", \"actor_id\"}",
            ));
        }
        let actor: Option<String> = r.get(2);
        let arts = if i + 1 == n {
            artifacts.clone()
        } else {
            "{}".to_owned()
        };
        client
            .query_one(COMMIT_SQL, &[&action_type, &action, &arts, &agent, &actor])
            .kernel(COMMIT_SQL)?;
    }
    Ok(())
}

/// The check of DUR-DETERMINISM.
fn check_determinism(sandbox: &dyn Sandbox, h: &History) -> CaseResult {
    let (mut db, packs) = round_tripped(sandbox, h)?;
    for (a, pack) in h.agents.iter().zip(&packs) {
        let again = export(&mut db, &a.agent_id)?;
        if &again != pack {
            return Err(CaseError::mismatch(
                format!("two exports of {} differ", a.agent_id),
                pack,
                again,
            ));
        }
        // The copy holds the pack's rows in pack order.
        let prows = pack_rows(&mut db, pack)?;
        for t in TABLES.iter().filter(|t| t.order_column().is_some()) {
            let copy = rows(&mut db, TARGET, t, &a.agent_id)?;
            let want = prows.get(t.name).cloned().unwrap_or_default();
            same_rows(
                &want,
                &copy,
                format!(
                    "the rehydrated {} of {} are not the pack's rows in pack order",
                    t.name, a.agent_id
                ),
            )?;
        }
    }
    // Rebuild the world from the packs alone, elsewhere, and export again;
    // also under alias agent ids, so an order that depends on generated
    // values (random ids) shows up with high probability.
    let mut other = sandbox.fresh_db().map_err(CaseError::env)?;
    for (i, (a, pack)) in h.agents.iter().zip(&packs).enumerate() {
        replay_pack(&mut other, pack, &a.agent_id)?;
        let rebuilt = export(&mut other, &a.agent_id)?;
        if &rebuilt != pack {
            return Err(CaseError::mismatch(
                format!(
                    "the world rebuilt from the pack of {} exports different bytes",
                    a.agent_id
                ),
                pack,
                rebuilt,
            ));
        }
        let want = artifacts_text(&mut other, pack)?;
        for k in 0..ALIASES {
            let alias = format!("c0000000-0000-4000-8000-{:06x}{:06x}", i + 1, k + 1);
            replay_pack(&mut other, pack, &alias)?;
            let alias_pack = export(&mut other, &alias)?;
            let got = artifacts_text(&mut other, &alias_pack)?;
            if got != want {
                return Err(CaseError::mismatch(
                    format!(
                        "the same rows committed for another agent ({alias}) export different artifacts than {}",
                        a.agent_id
                    ),
                    want,
                    got,
                ));
            }
        }
    }
    Ok(())
}

/// Replays of each pack under alias agents in DUR-DETERMINISM.
const ALIASES: usize = 8;

/// The pack's `artifacts` object as PostgreSQL renders it.
fn artifacts_text(client: &mut Client, pack: &str) -> Result<String, CaseError> {
    Ok(client
        .query_one("SELECT ($1::text::jsonb -> 'artifacts')::text", &[&pack])
        .contract(PACK_CLAUSE, "")?
        .get(0))
}

history_property! {
    /// DUR-ORDER.
    Order {
        id: "DUR-ORDER",
        title: "per-type row order (seq order) survives the round trip",
        property: "For every type with a seq column (cpo_action_logs, cpo_charter_activations, cpo_state_snapshots), the pack lists the agent's rows in seq order and the rehydrated copy, read in its own recomputed seq order, holds the same sequence. Types without a seq may be listed in any deterministic order (DUR-DETERMINISM).",
        cases: 24,
        strategy: arb_history,
        coverage: history_coverage,
        check: check_order,
    }
}

/// The check of DUR-ORDER.
fn check_order(sandbox: &dyn Sandbox, h: &History) -> CaseResult {
    let (mut db, packs) = round_tripped(sandbox, h)?;
    for (a, pack) in h.agents.iter().zip(&packs) {
        let prows = pack_rows(&mut db, pack)?;
        for t in TABLES.iter().filter(|t| t.seq.is_some()) {
            let source = rows(&mut db, SOURCE, t, &a.agent_id)?;
            let in_pack = prows.get(t.name).cloned().unwrap_or_default();
            same_rows(
                &source,
                &in_pack,
                format!(
                    "the pack lists {} of {} out of seq order",
                    t.name, a.agent_id
                ),
            )?;
            let copy = rows(&mut db, TARGET, t, &a.agent_id)?;
            same_rows(
                &source,
                &copy,
                format!(
                    "the rehydrated {} of {} lost the source order",
                    t.name, a.agent_id
                ),
            )?;
        }
    }
    Ok(())
}

history_property! {
    /// DUR-GENERATED.
    Generated {
        id: "DUR-GENERATED",
        title: "ids and seq are not in the pack and are recomputed on rehydrate",
        property: "Each pack row is exactly the source row's content (no id, seq or agent column added); in the copy every generated column is set, uuid ids are fresh (none equals a source id), seq/id values are unique, and bigserial tables compare by content.",
        cases: 24,
        strategy: arb_history,
        coverage: history_coverage,
        check: check_generated,
    }
}

/// The check of DUR-GENERATED.
fn check_generated(sandbox: &dyn Sandbox, h: &History) -> CaseResult {
    let (mut db, packs) = round_tripped(sandbox, h)?;
    for (a, pack) in h.agents.iter().zip(&packs) {
        let prows = pack_rows(&mut db, pack)?;
        for t in &TABLES {
            let mut source = rows(&mut db, SOURCE, t, &a.agent_id)?;
            let mut in_pack = prows.get(t.name).cloned().unwrap_or_default();
            source.sort();
            in_pack.sort();
            same_rows(
                &source,
                &in_pack,
                format!(
                    "the pack's {} rows of {} are not exactly the source contents",
                    t.name, a.agent_id
                ),
            )?;
            for col in t.generated() {
                let c = quote_ident(col);
                let sql = format!(
                    "SELECT count(*) FILTER (WHERE x.{c} IS NULL), count(*) - count(DISTINCT x.{c}), \
                            count(*) FILTER (WHERE x.{c} IN (SELECT s.{c} FROM {} s WHERE s.agent_id = $1::text::uuid)) \
                       FROM {} x WHERE x.agent_id = $1::text::uuid",
                    qualified(SOURCE, t.name),
                    qualified(TARGET, t.name)
                );
                require_table(&mut db, SOURCE, t, &[col])?;
                require_table(&mut db, TARGET, t, &[col])?;
                let r = db
                    .query_one(&sql, &[&a.agent_id])
                    .contract(TABLE_CLAUSE, &sql)?;
                let (nulls, dups, copied): (i64, i64, i64) = (r.get(0), r.get(1), r.get(2));
                let is_uuid = t.uuid_id == Some(col);
                if nulls > 0 || dups > 0 || (is_uuid && copied > 0) {
                    return Err(CaseError::mismatch(
                        format!(
                            "generated column {}.{col} was not recomputed on rehydrate",
                            t.name
                        ),
                        "set, unique, and (uuid ids) fresh",
                        format!("{nulls} null, {dups} duplicate, {copied} equal to a source id"),
                    )
                    .with_sql(sql));
                }
            }
        }
    }
    Ok(())
}

history_property! {
    /// DUR-PROJECTION.
    Projection {
        id: "DUR-PROJECTION",
        title: "heads are not exported; rebuilt heads match",
        property: "No pack carries a projection (cpo_agent_heads or any registry projection); after rehydrating every agent and rebuild_agent_heads(target), verify_heads_equivalence is ok for each agent, the copy holds one heads row per agent, and removing the agent's latest action from the copy makes it not ok.",
        cases: 24,
        strategy: arb_history,
        coverage: projection_coverage,
        check: check_projection,
    }
}

fn heads_ok(client: &mut Client, agent: &str) -> Result<(bool, String), CaseError> {
    let sql = "SELECT (v ->> 'ok')::boolean, coalesce(v -> 'errors', 'null')::text \
                 FROM cpo.verify_heads_equivalence($1::text::uuid, 'cpo', $2) v";
    let r = client.query_one(sql, &[&agent, &TARGET]).kernel(sql)?;
    Ok((r.get::<_, Option<bool>>(0) == Some(true), r.get(1)))
}

/// The contract clause of the projection.
const HEADS_CLAUSE: &str = "contract §1 Projection: cpo_agent_heads, one row per agent keyed by agent_id uuid, rebuilt by rebuild_agent_heads";

/// Pairs (source value, copy value) of the generated columns of the
/// agent's rows of every seq type, matched by position in seq order (the
/// round trip preserves that order): a heads column may hold such a value,
/// which is schema-local by nature.
fn generated_pairs(
    client: &mut Client,
    agent: &str,
) -> Result<std::collections::BTreeSet<(String, String)>, CaseError> {
    let mut out = std::collections::BTreeSet::new();
    for t in TABLES.iter().filter(|t| t.seq.is_some()) {
        for col in t.generated() {
            let c = quote_ident(col);
            let seq = quote_ident(t.seq.unwrap_or("seq"));
            let sql = format!(
                "SELECT s.v, x.v FROM \
                   (SELECT {c}::text AS v, row_number() OVER (ORDER BY {seq}) AS n FROM {} WHERE agent_id = $1::text::uuid) s \
                 JOIN (SELECT {c}::text AS v, row_number() OVER (ORDER BY {seq}) AS n FROM {} WHERE agent_id = $1::text::uuid) x \
                   USING (n)",
                qualified(SOURCE, t.name),
                qualified(TARGET, t.name)
            );
            for r in client.query(&sql, &[&agent]).contract(TABLE_CLAUSE, &sql)? {
                let (a, b): (Option<String>, Option<String>) = (r.get(0), r.get(1));
                if let (Some(a), Some(b)) = (a, b) {
                    out.insert((a, b));
                }
            }
        }
    }
    Ok(out)
}

/// The harness's own comparison of the agent's heads row in the source and
/// in the rebuilt copy, column by column over whatever columns the kernel
/// chose: every column must be equal, except that a column may hold the
/// corresponding generated value of each schema (the latest action's seq or
/// id recomputes on rehydrate).
fn compare_heads(client: &mut Client, agent: &str) -> CaseResult {
    let cols_sql = "SELECT a.attname::text FROM pg_attribute a \
                     WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
    let cols = |client: &mut Client, schema: &str| -> Result<Vec<String>, CaseError> {
        Ok(client
            .query(cols_sql, &[&qualified(schema, HEADS)])
            .contract(super::common::REGISTRY_CLAUSE, "")?
            .into_iter()
            .map(|r| r.get::<_, String>(0))
            .collect())
    };
    let source_cols = cols(client, SOURCE)?;
    let target_cols = cols(client, TARGET)?;
    if !source_cols.iter().any(|c| c == "agent_id") {
        return Err(CaseError::fail(format!(
            "{HEADS_CLAUSE}: {SOURCE}.{HEADS} has no agent_id column"
        )));
    }
    if source_cols != target_cols {
        return Err(CaseError::mismatch(
            format!("{HEADS_CLAUSE}: the rebuilt {HEADS} of the copy has other columns than the source's"),
            pgconform_reports::json_text(&source_cols),
            pgconform_reports::json_text(&target_cols),
        ));
    }
    let list: Vec<String> = source_cols
        .iter()
        .map(|c| format!("h.{}::text", quote_ident(c)))
        .collect();
    let read = |client: &mut Client, schema: &str| -> Result<Vec<Vec<Option<String>>>, CaseError> {
        let sql = format!(
            "SELECT {} FROM {} h WHERE h.agent_id = $1::text::uuid",
            list.join(", "),
            qualified(schema, HEADS)
        );
        Ok(client
            .query(&sql, &[&agent])
            .contract(HEADS_CLAUSE, &sql)?
            .into_iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.get::<_, Option<String>>(i))
                    .collect()
            })
            .collect())
    };
    let source = read(client, SOURCE)?;
    let target = read(client, TARGET)?;
    let (Some(s), Some(t), 1, 1) = (source.first(), target.first(), source.len(), target.len())
    else {
        return Err(CaseError::mismatch(
            format!("{HEADS_CLAUSE}: agent {agent} must have exactly one heads row in the source and in the rebuilt copy"),
            "1 and 1",
            format!("{} and {}", source.len(), target.len()),
        ));
    };
    let pairs = generated_pairs(client, agent)?;
    for ((col, sv), tv) in source_cols.iter().zip(s).zip(t) {
        if sv == tv {
            continue;
        }
        let paired = match (sv, tv) {
            (Some(a), Some(b)) => pairs.contains(&(a.clone(), b.clone())),
            _ => false,
        };
        if !paired {
            return Err(CaseError::mismatch(
                format!(
                    "rebuilt heads of {agent} differ from the source's in column {col} (harness's own reading)"
                ),
                pgconform_reports::json_text(&sv),
                pgconform_reports::json_text(&tv),
            ));
        }
    }
    Ok(())
}

/// A history's coverage plus the heads projection DUR-PROJECTION rebuilds.
fn projection_coverage(input: &History) -> Vec<String> {
    let mut c = history_coverage(input);
    c.push(format!("artifact:{HEADS}"));
    c
}

/// The check of DUR-PROJECTION.
fn check_projection(sandbox: &dyn Sandbox, h: &History) -> CaseResult {
    let mut db = history_db(sandbox, h)?;
    let projections = query_strings(
        &mut db,
        "SELECT artifact_type FROM cpo.artifact_table_registry WHERE table_kind <> 'canonical' OR NOT is_canonical",
        &[],
    )?;
    let packs = round_trip_all(&mut db, h, TARGET)?;
    for (a, pack) in h.agents.iter().zip(&packs) {
        let prows = pack_rows(&mut db, pack)?;
        if let Some(p) = prows
            .keys()
            .find(|k| k.as_str() == HEADS || projections.contains(k))
        {
            return Err(CaseError::mismatch(
                format!("the pack of {} carries the projection {p}", a.agent_id),
                "no projection in a pack",
                pgconform_reports::json_text(&prows.keys().collect::<Vec<_>>()),
            ));
        }
        check_pack_types(&prows, &a.agent_id)?;
    }
    rebuild_heads(&mut db, TARGET)?;
    let sql = format!(
        "SELECT count(*), count(DISTINCT agent_id) FROM {}",
        qualified(TARGET, HEADS)
    );
    let r = db.query_one(&sql, &[]).contract(HEADS_CLAUSE, &sql)?;
    let (n, distinct): (i64, i64) = (r.get(0), r.get(1));
    if n != h.agents.len() as i64 || distinct != n {
        return Err(CaseError::mismatch(
            "the rebuilt heads do not hold one row per rehydrated agent",
            h.agents.len(),
            format!("{n} rows, {distinct} agents"),
        ));
    }
    for a in &h.agents {
        let (ok, errors) = heads_ok(&mut db, &a.agent_id)?;
        if !ok {
            return Err(CaseError::mismatch(
                format!("rebuilt heads of {} differ from the source's", a.agent_id),
                "ok",
                errors,
            ));
        }
        compare_heads(&mut db, &a.agent_id)?;
    }
    // Sensitivity: drop agent 0's latest action from the copy.
    let agent = &h.agents[0].agent_id;
    let log = qualified(TARGET, TABLES[0].name);
    db.batch_execute("SET session_replication_role = replica")
        .contract(TAMPER_CLAUSE, "")?;
    db.execute(
        &format!(
            "DELETE FROM {log} WHERE seq = (SELECT max(seq) FROM {log} WHERE agent_id = $1::text::uuid)"
        ),
        &[agent],
    )
    .contract(TAMPER_CLAUSE, "")?;
    db.batch_execute("RESET session_replication_role").env()?;
    rebuild_heads(&mut db, TARGET)?;
    let (ok, _) = heads_ok(&mut db, agent)?;
    if ok {
        return Err(CaseError::fail(format!(
            "verify_heads_equivalence still says ok after {agent}'s latest action was removed from the copy"
        )));
    }
    Ok(())
}

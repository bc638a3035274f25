//! Shared machinery of the durability properties: the contract's table facts,
//! applying histories through the aperture, reading rows, the Rust oracle's
//! multisets, and the kernel's verification answer.
//!
//! Row contents are always read as `content::text` (PostgreSQL's own jsonb
//! rendering) and packs are handled as text, so no number is ever rounded by
//! the harness.

use crate::case::{CaseError, CaseResult};
use crate::copy_stream::copy_rows;
use crate::pg::{answer, query_strings, quote_ident, quote_literal, Answer, PgResultExt};
use crate::sandbox::{CaseDb, Sandbox};
use crate::snapshot::Snapshot;
use pgconform_generators::durability::{canonical_types, Commit, History};
use pgconform_generators::json::json_string;
use pgconform_oracle::{diff, Digest, DigestMultiset, MultisetDiff};
use pgconform_reports::FailureDetail;
use postgres::Client;
use std::collections::BTreeMap;

/// The source schema, the canonical tables' facts and the projection table,
/// as contract §1 names them (`pgconform_contract`).
pub use pgconform_contract::durability::{TableFacts, HEADS, SCHEMA as SOURCE, TABLES};

/// `schema.table`, both quoted.
pub fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(table))
}

/// The action-log content the contract prescribes for a commit, as JSON text.
pub fn expected_action_json(c: &Commit) -> String {
    format!(
        "{{\"action_type\":{},\"action\":{},\"actor_id\":{}}}",
        json_string(&c.action_type),
        c.action,
        c.actor.as_deref().map_or("null".to_owned(), json_string)
    )
}

/// The SQL of one commit (parameters: type, action, artifacts, agent, actor).
pub const COMMIT_SQL: &str =
    "SELECT cpo.commit_action($1, $2::text::jsonb, $3::text::jsonb, $4::text::uuid, $5::text::uuid)::text";

/// Run one commit for `agent`; the kernel's answer (a refusal is an `Err`).
pub fn commit(client: &mut Client, agent: &str, c: &Commit) -> Result<Answer<String>, CaseError> {
    let artifacts = c.artifacts_json();
    let r = client
        .query_one(
            COMMIT_SQL,
            &[&c.action_type, &c.action, &artifacts, &agent, &c.actor],
        )
        .map(|row| row.get::<_, Option<String>>(0));
    match answer(r)? {
        Answer::Ok(Some(id)) => Ok(Answer::Ok(id)),
        Answer::Ok(None) => Err(CaseError::fail(
            "contract §1 commit_action returns uuid: it returned NULL for an accepted commit",
        )
        .with_sql(COMMIT_SQL)),
        Answer::Err { sqlstate, message } => Ok(Answer::Err { sqlstate, message }),
    }
}

/// A server error on a statement that only uses contract names is the
/// kernel's fault: a failure naming `clause`; other errors stay environment
/// errors.
pub trait ContractExt<T> {
    /// Map a server error to a failure of `clause`.
    fn contract(self, clause: &str, sql: &str) -> Result<T, CaseError>;
}

impl<T> ContractExt<T> for Result<T, postgres::Error> {
    fn contract(self, clause: &str, sql: &str) -> Result<T, CaseError> {
        self.map_err(|e| crate::pg::server_failure(e, sql, |m| format!("{clause}: {m}")))
    }
}

/// The contract clause of the pack format.
pub const PACK_CLAUSE: &str = "contract §1 export_evidence_pack: {\"format\": \"cpo.evidence_pack/v1\", \"agent_id\", \"artifacts\": {type: [content object, ...]}}";

/// The contract clause of the registry.
pub const REGISTRY_CLAUSE: &str = "contract §1 Registry: cpo.artifact_table_registry(artifact_type text PK, table_regclass, table_kind, is_canonical, is_exported, export_order, logical_id_column, seq_column, insert_agent_id_column, insert_content_column)";

/// The clause of the harness's tampering: as superuser with
/// session_replication_role = replica, on the contract's columns.
pub const TAMPER_CLAUSE: &str = "contract §1 DUR-TAMPER/DUR-PROJECTION: the harness, as superuser with session_replication_role = replica, changes rows of the rehydrated copy through agent_id and content";

/// The clause of the harness's corruptions of the kernel.
pub const CORRUPT_CLAUSE: &str = "contract §1 DUR-APERTURE/DUR-WIRING: the harness, as superuser, corrupts the registry and the durability functions by their contract names";

/// The contract clause of the canonical tables' shape.
pub const TABLE_CLAUSE: &str =
    "contract §1 Objects: each canonical table has agent_id uuid NOT NULL and content jsonb NOT NULL";

/// `schema.table` must exist with the contract's columns `agent_id uuid`,
/// `content jsonb` and the given generated columns; a kernel whose table
/// lacks one fails naming the clause.
pub fn require_table(
    client: &mut Client,
    schema: &str,
    t: &TableFacts,
    extra: &[&str],
) -> CaseResult {
    let sql = "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) \
                 FROM pg_attribute a \
                WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped";
    let qualified_name = qualified(schema, t.name);
    let cols: BTreeMap<String, String> = client
        .query(sql, &[&qualified_name])
        .env()?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    if cols.is_empty() {
        return Err(CaseError::fail(format!(
            "{TABLE_CLAUSE}: table {qualified_name} does not exist"
        )));
    }
    for (col, ty) in [("agent_id", Some("uuid")), ("content", Some("jsonb"))]
        .into_iter()
        .chain(extra.iter().map(|c| (*c, None)))
    {
        match cols.get(col) {
            None => {
                return Err(CaseError::fail(format!(
                "{TABLE_CLAUSE} (generated columns: {:?}): {qualified_name} has no column {col}",
                t.generated()
            )))
            }
            Some(actual) if ty.is_some_and(|want| want != actual) => {
                return Err(CaseError::mismatch(
                    format!("{TABLE_CLAUSE}: {qualified_name}.{col} has the wrong type"),
                    ty.unwrap_or_default(),
                    actual,
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// A fresh database holding `history`, committed through the aperture
/// ([`apply_history`]).
pub fn history_db(sandbox: &dyn Sandbox, history: &History) -> Result<CaseDb, CaseError> {
    let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
    apply_history(&mut db, history)?;
    Ok(db)
}

/// Apply every commit of `history` (all must be accepted). An invalid
/// history (a recorded or hand-edited case) is rejected, never a failure.
pub fn apply_history(client: &mut Client, history: &History) -> CaseResult {
    history.validate().map_err(CaseError::Reject)?;
    for (i, c) in history.schedule() {
        let agent = &history.agents[i].agent_id;
        if let Answer::Err { sqlstate, message } = commit(client, agent, c)? {
            return Err(CaseError::Fail(Box::new(FailureDetail {
                message: format!(
                    "contract §1 commit_action: a valid commit (real actor, object content) was refused for agent {agent}: {message}"
                ),
                sql: Some(format!(
                    "SELECT cpo.commit_action({}, {}::jsonb, {}::jsonb, '{agent}', {})",
                    crate::pg::quote_literal(&c.action_type),
                    crate::pg::quote_literal(&c.action),
                    crate::pg::quote_literal(&c.artifacts_json()),
                    c.actor
                        .as_deref()
                        .map_or("NULL".to_owned(), |a| format!("'{a}'"))
                )),
                sqlstate: Some(sqlstate),
                ..FailureDetail::default()
            })));
        }
    }
    Ok(())
}

/// The agent's rows of one table as `content::text`, in insertion order
/// where the table has an order column (seq or bigserial id: both are
/// contract columns), else in byte order of the text.
pub fn rows(
    client: &mut Client,
    schema: &str,
    t: &TableFacts,
    agent: &str,
) -> Result<Vec<String>, CaseError> {
    let order = match t.order_column() {
        Some(c) => quote_ident(c),
        None => "content::text COLLATE \"C\"".to_owned(),
    };
    require_table(
        client,
        schema,
        t,
        &t.order_column().into_iter().collect::<Vec<_>>(),
    )?;
    let sql = format!(
        "SELECT content::text FROM {} WHERE agent_id = $1::text::uuid ORDER BY {order}",
        qualified(schema, t.name)
    );
    Ok(client
        .query(&sql, &[&agent])
        .contract(TABLE_CLAUSE, &sql)?
        .into_iter()
        .map(|r| {
            r.get::<_, Option<String>>(0)
                .unwrap_or_else(|| "null".to_owned())
        })
        .collect())
}

/// The oracle's per-type digest multiset of the agent's rows in `schema`,
/// streamed with binary COPY and hashed as they arrive (`content::text` is
/// the server's own `jsonb` output, so it is hashed as it is).
pub fn oracle_multiset(
    client: &mut Client,
    schema: &str,
    agent: &str,
) -> Result<DigestMultiset, CaseError> {
    let mut m = DigestMultiset::new();
    for t in &TABLES {
        require_table(client, schema, t, &[])?;
        m.ensure_type(t.name);
        let select = format!(
            "SELECT content::text FROM {} WHERE agent_id = {}::uuid",
            qualified(schema, t.name),
            quote_literal(agent)
        );
        copy_rows(client, &select, |f| {
            m.insert_canonical(t.name, f[0]);
        })?;
    }
    Ok(m)
}

/// The oracle's diff of the agent between two schemas.
pub fn oracle_diff(
    client: &mut Client,
    source: &str,
    target: &str,
    agent: &str,
) -> Result<MultisetDiff, CaseError> {
    let s = oracle_multiset(client, source, agent)?;
    let t = oracle_multiset(client, target, agent)?;
    Ok(diff(&s, &t))
}

/// The oracle's multisets `expected` and `actual` must be equal; else a
/// failure `message`, expecting `what` and showing the oracle's diff.
pub fn same_multiset(
    expected: &DigestMultiset,
    actual: &DigestMultiset,
    message: impl Into<String>,
    what: &str,
) -> CaseResult {
    let d = diff(expected, actual);
    if !d.is_equal() {
        return Err(CaseError::mismatch(message, what, d.to_string()));
    }
    Ok(())
}

/// The whole database must still be as it was in `before`; else a failure
/// saying that `what` changed it.
pub fn unchanged(client: &mut Client, before: &Snapshot, what: &str) -> CaseResult {
    let after = crate::snapshot::take(client, true).env()?;
    crate::snapshot::expect_same(
        before,
        &after,
        format!("{what} changed the database"),
        "unchanged",
        10,
    )
}

/// One type of the kernel's `verify_reconstruction` answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct KernelType {
    /// `source_count`.
    pub source_count: Option<u64>,
    /// `target_count`.
    pub target_count: Option<u64>,
    /// `missing`, sorted.
    pub missing: Vec<String>,
    /// `extra`, sorted.
    pub extra: Vec<String>,
}

/// The kernel's `verify_reconstruction` answer.
#[derive(Debug, Clone)]
pub struct KernelVerify {
    /// `ok`.
    pub ok: bool,
    /// `types`.
    pub types: BTreeMap<String, KernelType>,
    /// The raw answer.
    pub raw: serde_json::Value,
}

/// The SQL of a verification (parameters: agent, source, target).
pub const VERIFY_SQL: &str = "SELECT cpo.verify_reconstruction($1::text::uuid, $2, $3)::text";

/// Call `cpo.verify_reconstruction`; a raised error is a failure.
pub fn kernel_verify(
    client: &mut Client,
    agent: &str,
    source: &str,
    target: &str,
) -> Result<KernelVerify, CaseError> {
    let text: Option<String> = client
        .query_one(VERIFY_SQL, &[&agent, &source, &target])
        .kernel(VERIFY_SQL)?
        .get(0);
    let text = text.ok_or_else(|| {
        CaseError::fail(
            "contract §1 verify_reconstruction returns jsonb {\"ok\", \"types\"}: it returned NULL",
        )
        .with_sql(VERIFY_SQL)
    })?;
    parse_verify(&text)
}

fn hex_list(v: Option<&serde_json::Value>) -> Vec<String> {
    let mut out: Vec<String> = v
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Parse a `verify_reconstruction` answer; a malformed one is a failure.
pub fn parse_verify(text: &str) -> Result<KernelVerify, CaseError> {
    let raw: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        CaseError::fail(format!(
            "verify_reconstruction returned unparsable JSON ({e}): {text}"
        ))
    })?;
    let ok = raw
        .get("ok")
        .and_then(serde_json::Value::as_bool)
        .ok_or_else(|| {
            CaseError::fail(format!(
                "verify_reconstruction answer has no boolean \"ok\": {text}"
            ))
        })?;
    let mut types = BTreeMap::new();
    if let Some(obj) = raw.get("types").and_then(serde_json::Value::as_object) {
        for (k, v) in obj {
            types.insert(
                k.clone(),
                KernelType {
                    source_count: v.get("source_count").and_then(serde_json::Value::as_u64),
                    target_count: v.get("target_count").and_then(serde_json::Value::as_u64),
                    missing: hex_list(v.get("missing")),
                    extra: hex_list(v.get("extra")),
                },
            );
        }
    }
    Ok(KernelVerify { ok, types, raw })
}

fn hexes(d: &[Digest]) -> Vec<String> {
    let mut v: Vec<String> = d.iter().map(Digest::to_hex).collect();
    v.sort();
    v
}

/// The kernel's verification must agree with the oracle's diff: same
/// verdict, and per canonical type the same counts, missing and extra.
pub fn agree(kernel: &KernelVerify, oracle: &MultisetDiff) -> CaseResult {
    if kernel.ok != oracle.is_ok() {
        return Err(CaseError::mismatch(
            format!(
                "verify_reconstruction says ok={} but the Rust oracle says ok={}",
                kernel.ok,
                oracle.is_ok()
            ),
            format!("oracle: {oracle}"),
            format!("kernel: {}", kernel.raw),
        ));
    }
    for (name, od) in &oracle.types {
        let Some(kt) = kernel.types.get(name) else {
            return Err(CaseError::mismatch(
                format!("verify_reconstruction does not report canonical type {name}"),
                format!("{name}: {} source rows", od.source_count),
                kernel.raw.to_string(),
            ));
        };
        let expected = KernelType {
            source_count: Some(od.source_count as u64),
            target_count: Some(od.target_count as u64),
            missing: hexes(&od.missing),
            extra: hexes(&od.extra),
        };
        if *kt != expected {
            return Err(CaseError::mismatch(
                format!("verify_reconstruction disagrees with the Rust oracle on {name}"),
                pgconform_reports::json_text(&expected),
                pgconform_reports::json_text(&kt),
            ));
        }
    }
    Ok(())
}

/// The SQL of an export (parameter: agent).
pub const EXPORT_SQL: &str = "SELECT cpo.export_evidence_pack($1::text::uuid)::text";

/// Export one agent's pack as text; a raised error is a failure.
pub fn export(client: &mut Client, agent: &str) -> Result<String, CaseError> {
    let pack: Option<String> = client
        .query_one(EXPORT_SQL, &[&agent])
        .kernel(EXPORT_SQL)?
        .get(0);
    pack.ok_or_else(|| {
        CaseError::fail(format!(
            "contract §1 export_evidence_pack returns a cpo.evidence_pack/v1 object: it returned NULL for agent {agent}"
        ))
        .with_sql(EXPORT_SQL)
    })
}

/// The SQL of a rehydration (parameters: pack text, target schema).
pub const REHYDRATE_SQL: &str = "SELECT cpo.rehydrate_agent($1::text::jsonb, $2)::text";

/// Rehydrate a pack; the kernel's answer (a refusal is an `Err`).
pub fn rehydrate(
    client: &mut Client,
    pack: &str,
    target: &str,
) -> Result<Answer<String>, CaseError> {
    answer(client.query_one(REHYDRATE_SQL, &[&pack, &target]).map(|r| {
        r.get::<_, Option<String>>(0)
            .unwrap_or_else(|| "null".to_owned())
    }))
}

/// The `ok` of an accepted rehydration's answer, when it has a boolean one.
pub fn answered_ok(text: &str) -> Option<bool> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("ok").and_then(serde_json::Value::as_bool))
}

/// Rebuild the heads projection of `schema` (`cpo.rebuild_agent_heads`); a
/// raised error is a failure.
pub fn rebuild_heads(client: &mut Client, schema: &str) -> CaseResult {
    let sql = "SELECT cpo.rebuild_agent_heads($1)::text";
    client.query_one(sql, &[&schema]).kernel(sql)?;
    Ok(())
}

/// Rehydrate a pack that must be accepted.
pub fn rehydrate_ok(client: &mut Client, pack: &str, target: &str) -> CaseResult {
    match rehydrate(client, pack, target)? {
        Answer::Ok(text) => {
            if answered_ok(&text) == Some(false) {
                return Err(CaseError::fail(format!(
                    "rehydrate_agent into {target:?} answered ok=false: {text}"
                ))
                .with_sql(REHYDRATE_SQL));
            }
            Ok(())
        }
        Answer::Err { sqlstate, message } => Err(CaseError::Fail(Box::new(FailureDetail {
            message: format!(
                "rehydrate_agent refused a pack it exported, into {target:?}: {message}"
            ),
            sql: Some(REHYDRATE_SQL.to_owned()),
            sqlstate: Some(sqlstate),
            ..FailureDetail::default()
        }))),
    }
}

/// The pack's rows per type as PostgreSQL renders them, in pack order.
pub fn pack_rows(
    client: &mut Client,
    pack: &str,
) -> Result<BTreeMap<String, Vec<String>>, CaseError> {
    let sql = "SELECT t.key, e.value::text FROM jsonb_each($1::text::jsonb -> 'artifacts') t \
               LEFT JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(t.value) = 'array' \
               THEN t.value ELSE '[]'::jsonb END) WITH ORDINALITY AS e(value, ord) ON true \
               ORDER BY t.key, e.ord";
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in client.query(sql, &[&pack]).contract(PACK_CLAUSE, "")? {
        let k: String = r.get(0);
        let v: Option<String> = r.get(1);
        let e = out.entry(k).or_default();
        if let Some(v) = v {
            e.push(v);
        }
    }
    Ok(out)
}

/// Canonical type names as owned strings.
pub fn canonical_names() -> Vec<String> {
    canonical_types().into_iter().map(str::to_owned).collect()
}

/// Schemas of the database other than the system ones, sorted.
pub fn user_schemas(client: &mut Client) -> Result<Vec<String>, CaseError> {
    query_strings(
        client,
        "SELECT nspname::text FROM pg_namespace WHERE nspname NOT IN ('pg_catalog','information_schema','pg_toast') \
         AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%' ORDER BY 1",
        &[],
    )
}

/// Coverage classes of a history: touched artifact types and content kinds.
pub fn history_coverage(h: &History) -> Vec<String> {
    let mut out = vec![format!("artifact:{}", canonical_types()[0])];
    out.extend(
        h.types_touched()
            .into_iter()
            .map(|t| format!("artifact:{t}")),
    );
    let mut kinds: Vec<&'static str> = h
        .agents
        .iter()
        .flat_map(|a| &a.commits)
        .flat_map(|c| &c.artifacts)
        .flat_map(|b| &b.rows)
        .map(|c| c.kind.label())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    out.extend(kinds.into_iter().map(|k| format!("content:{k}")));
    if h.agents.len() > 1 {
        out.push("agents:many".to_owned());
    }
    if h.agents
        .iter()
        .flat_map(|a| &a.commits)
        .any(|c| c.artifacts.is_empty())
    {
        out.push("commit:no_artifacts".to_owned());
    }
    out
}

/// What the contract says the agent's canonical rows are after `history`
/// was committed: one action-log row per commit and each batch's rows, as
/// the oracle renders the committed JSON.
pub fn expected_multiset(history: &History, agent: &str) -> Result<DigestMultiset, CaseError> {
    let mut m = DigestMultiset::new();
    for t in &TABLES {
        m.ensure_type(t.name);
    }
    for a in history.agents.iter().filter(|a| a.agent_id == agent) {
        for c in &a.commits {
            m.insert_json(TABLES[0].name, &expected_action_json(c))
                .map_err(|e| CaseError::env(format!("oracle rejects the action JSON: {e}")))?;
            for b in &c.artifacts {
                for row in &b.rows {
                    m.insert_json(&b.artifact_type, &row.json).map_err(|e| {
                        CaseError::env(format!("oracle rejects generated content: {e}"))
                    })?;
                }
            }
        }
    }
    Ok(m)
}

/// The agent's stored rows must be exactly what was committed (contract §1
/// commit_action), read by the harness itself.
pub fn check_stored(client: &mut Client, history: &History, agent: &str) -> CaseResult {
    let want = expected_multiset(history, agent)?;
    let got = oracle_multiset(client, SOURCE, agent)?;
    same_multiset(
        &want,
        &got,
        format!(
            "contract §1 commit_action: the rows stored for agent {agent} are not what was committed (harness's own reading)"
        ),
        "one action-log row {action_type, action, actor_id} per commit and each batch's rows",
    )
}

//! DUR-FAILCLOSED: every refusal of §1 refuses and changes nothing.

use super::common::{
    answered_ok, export, history_coverage, history_db, kernel_verify, oracle_multiset, rehydrate,
    rehydrate_ok, same_multiset, unchanged, ContractExt, COMMIT_SQL, PACK_CLAUSE, REGISTRY_CLAUSE,
    REHYDRATE_SQL, SOURCE,
};
use super::meta;
use crate::case::{CaseError, CaseResult};
use crate::invariant::InvariantMeta;
use crate::pg::{answer, Answer, PgResultExt};
use crate::property::Property;
use crate::sandbox::Sandbox;
use pgconform_generators::durability::{
    actor_uuid, arb_background_history, arb_refusal_set, ArtifactBatch, History, NullField,
    Refusal, ACTION_LOG_TYPE,
};
use pgconform_generators::json::json_string;
use postgres::Client;
use proptest::prelude::*;

/// The rehydration target of refusal probe `i` (each probe its own, so a
/// probe never meets an earlier probe's rows).
fn target(i: usize) -> String {
    format!("pgc_fc_target_{i}")
}

/// The actor of every probe: a real one, so a kernel that refuses a null
/// actor still exercises the refusal under test.
fn probe_actor() -> String {
    actor_uuid(0xfc)
}

/// Input of DUR-FAILCLOSED.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RefusalCase {
    /// One agent's history, applied first.
    pub history: History,
    /// The requests that must be refused (one of each kind), probed in
    /// order; the empty-registry probe, which breaks the kernel, runs last.
    pub refusals: Vec<Refusal>,
}

/// DUR-FAILCLOSED. Remembers the kind of the probe that failed last and
/// runs it first: while shrinking, a candidate that still fails fails fast
/// (the verdict never depends on the order: each probe is independent).
pub struct FailClosed(InvariantMeta, std::sync::Mutex<Option<&'static str>>);

impl FailClosed {
    /// The invariant.
    pub fn new() -> Self {
        Self(meta(
            "DUR-FAILCLOSED",
            "every refusal changes nothing",
            "Every case probes every refusal, each with a real actor and only the refused thing wrong: commit_action with an unknown or action-log type, a non-array, a non-object element, non-object artifacts or a null agent raises and writes nothing (not even a valid batch of the same call); a null actor, action or action type is refused writing nothing or stored as JSON null writing exactly the call's rows (the kernel's choice); rehydrate into the source schema, of an unknown format, with an unknown or missing type, or of an agent already present refuses and leaves the database exactly as before; verify with an empty registry is not ok.",
            12,
        ), std::sync::Mutex::new(None))
    }
}

impl Default for FailClosed {
    fn default() -> Self {
        Self::new()
    }
}

fn with_valid(bad_key: &str, bad_value: &str, valid: &Option<ArtifactBatch>) -> String {
    let mut parts = vec![format!("{}:{bad_value}", json_string(bad_key))];
    if let Some(b) = valid {
        if b.artifact_type != bad_key {
            let rows: Vec<&str> = b.rows.iter().map(|c| c.json.as_str()).collect();
            parts.push(format!(
                "{}:[{}]",
                json_string(&b.artifact_type),
                rows.join(",")
            ));
        }
    }
    format!("{{{}}}", parts.join(","))
}

/// A refused commit: must raise and change nothing.
fn refused_commit(client: &mut Client, artifacts: &str, agent: Option<&str>) -> CaseResult {
    let before = crate::snapshot::take(client, true).env()?;
    let r = answer(client.query_one(
        COMMIT_SQL,
        &[
            &"refusal_probe",
            &"{}",
            &artifacts,
            &agent,
            &Some(probe_actor()),
        ],
    ));
    if let Answer::Ok(_) = r? {
        return Err(CaseError::mismatch(
            "commit_action accepted a request it must refuse",
            "an error",
            format!("accepted p_artifacts = {artifacts}, agent = {agent:?}"),
        )
        .with_sql(COMMIT_SQL));
    }
    unchanged(client, &before, "a refused commit_action")
}

/// A refused rehydrate: error or ok=false, and nothing changed.
fn refused_rehydrate(client: &mut Client, pack: &str, target: &str, what: &str) -> CaseResult {
    let before = crate::snapshot::take(client, true).env()?;
    if let Answer::Ok(text) = rehydrate(client, pack, target)? {
        if answered_ok(&text) != Some(false) {
            return Err(CaseError::mismatch(
                format!("rehydrate_agent accepted {what}"),
                "an error or ok=false",
                text,
            )
            .with_sql(REHYDRATE_SQL));
        }
    }
    unchanged(client, &before, &format!("a refused rehydrate ({what})"))
}

/// A commit with one null argument whose handling is the kernel's choice:
/// refused with nothing written, or accepted writing exactly the action log
/// row (that argument as JSON null) and the call's valid batch.
fn null_choice(
    client: &mut Client,
    agent: &str,
    field: NullField,
    valid: &Option<ArtifactBatch>,
    seen: &mut Vec<String>,
) -> CaseResult {
    let artifacts = match valid {
        Some(b) => {
            let rows: Vec<&str> = b.rows.iter().map(|c| c.json.as_str()).collect();
            format!("{{{}:[{}]}}", json_string(&b.artifact_type), rows.join(","))
        }
        None => "{}".to_owned(),
    };
    let action_type = (field != NullField::ActionType).then_some("null_probe");
    let action = (field != NullField::Action).then_some("{\"probe\": true}");
    let actor = (field != NullField::Actor).then(probe_actor);
    let before_snap = crate::snapshot::take(client, true).env()?;
    let before = oracle_multiset(client, SOURCE, agent)?;
    let r = answer(client.query_one(
        COMMIT_SQL,
        &[&action_type, &action, &artifacts, &agent, &actor],
    ))?;
    if let Answer::Err { .. } = r {
        unchanged(
            client,
            &before_snap,
            &format!("a commit_action refusing a null {}", field.content_key()),
        )?;
        seen.push(format!("null_{}:refused", field.content_key()));
        return Ok(());
    }
    let opt = |v: Option<&str>, quoted: bool| match v {
        None => "null".to_owned(),
        Some(v) if quoted => json_string(v),
        Some(v) => v.to_owned(),
    };
    let log_row = format!(
        "{{\"action_type\":{},\"action\":{},\"actor_id\":{}}}",
        opt(action_type, true),
        opt(action, false),
        opt(actor.as_deref(), true)
    );
    let mut want = before.clone();
    want.insert_json(ACTION_LOG_TYPE, &log_row)
        .map_err(|e| CaseError::env(format!("oracle rejects the probe's action row: {e}")))?;
    if let Some(b) = valid {
        for row in &b.rows {
            want.insert_json(&b.artifact_type, &row.json)
                .map_err(|e| CaseError::env(format!("oracle rejects a generated row: {e}")))?;
        }
    }
    let after = oracle_multiset(client, SOURCE, agent)?;
    same_multiset(
        &want,
        &after,
        format!(
            "commit_action accepted a null {} but did not store exactly the call's rows with it as JSON null (contract §1 commit_action, v2)",
            field.content_key()
        ),
        &format!("the agent's rows plus {log_row} and the valid batch"),
    )
    .map_err(|e| e.with_sql(COMMIT_SQL))?;
    seen.push(format!("null_{}:stored", field.content_key()));
    Ok(())
}

/// Pack edits for [`edit_pack`]: set the format to `x`; add an artifact
/// type `x` with one empty row; drop artifact type `x` (and the digests).
const SET_FORMAT: &str = "jsonb_set(p, '{format}', to_jsonb(x))";
const ADD_TYPE: &str =
    "jsonb_set(p, '{artifacts}', (p -> 'artifacts') || jsonb_build_object(x, '[{}]'::jsonb))";
const DROP_TYPE: &str = "jsonb_set(p, '{artifacts}', (p -> 'artifacts') - x) - 'digests'";

/// Modify the pack in SQL (so its numbers stay exact).
fn edit_pack(
    client: &mut Client,
    pack: &str,
    expr: &str,
    param: &str,
) -> Result<String, CaseError> {
    let sql = format!("SELECT ({expr})::text FROM (SELECT $1::text::jsonb AS p, $2::text AS x) s");
    Ok(client
        .query_one(&sql, &[&pack, &param])
        .contract(PACK_CLAUSE, "")?
        .get(0))
}

impl Property for FailClosed {
    type Input = RefusalCase;

    fn meta(&self) -> &InvariantMeta {
        &self.0
    }

    fn strategy(&self) -> BoxedStrategy<RefusalCase> {
        (arb_background_history(), arb_refusal_set())
            .prop_map(|(history, refusals)| RefusalCase { history, refusals })
            .boxed()
    }

    fn coverage(&self, input: &RefusalCase) -> Vec<String> {
        let mut c = history_coverage(&input.history);
        c.extend(
            input
                .refusals
                .iter()
                .map(|r| format!("refusal:{}", r.label())),
        );
        c
    }

    fn check(&self, sandbox: &dyn Sandbox, input: &RefusalCase) -> CaseResult {
        self.check_seeing(sandbox, input, &mut Vec::new())
    }

    /// The check; `seen` gets the kernel's choice for each null probe
    /// (`null_<field>:refused` or `null_<field>:stored`).
    fn check_seeing(
        &self,
        sandbox: &dyn Sandbox,
        input: &RefusalCase,
        seen: &mut Vec<String>,
    ) -> CaseResult {
        let mut db = history_db(sandbox, &input.history)?;
        let agent = input.history.agents[0].agent_id.clone();
        let last = *self.1.lock().unwrap_or_else(|p| p.into_inner());
        let mut order: Vec<(usize, &Refusal)> = input.refusals.iter().enumerate().collect();
        order.sort_by_key(|(_, r)| Some(r.label()) != last);
        for (i, refusal) in order {
            probe(sandbox, &mut db, &input.history, &agent, i, refusal, seen).map_err(
                |e| match e {
                    CaseError::Fail(mut d) => {
                        *self.1.lock().unwrap_or_else(|p| p.into_inner()) = Some(refusal.label());
                        d.message = format!("[{}] {}", refusal.label(), d.message);
                        CaseError::Fail(d)
                    }
                    other => other,
                },
            )?;
        }
        Ok(())
    }
}

/// One refusal probe against the database holding the agent's history.
fn probe(
    sandbox: &dyn Sandbox,
    db: &mut Client,
    history: &History,
    agent: &str,
    i: usize,
    refusal: &Refusal,
    seen: &mut Vec<String>,
) -> CaseResult {
    let target = target(i);
    let target = target.as_str();
    let a = Some(agent);
    match refusal {
        Refusal::CommitUnknownType { type_name, valid } => {
            refused_commit(db, &with_valid(type_name, "[{}]", valid), a)
        }
        Refusal::CommitActionLogType { valid } => refused_commit(
            db,
            &with_valid(ACTION_LOG_TYPE, "[{\"action_type\":\"x\"}]", valid),
            a,
        ),
        Refusal::CommitNonArray {
            artifact_type,
            value,
            valid,
        } => refused_commit(db, &with_valid(artifact_type, value, valid), a),
        Refusal::CommitNonObjectElement {
            artifact_type,
            element,
            valid,
        } => refused_commit(
            db,
            &with_valid(artifact_type, &format!("[{{}},{element}]"), valid),
            a,
        ),
        Refusal::CommitArtifactsNotObject { value } => refused_commit(db, value, a),
        Refusal::CommitNullAgent { valid } => {
            let arts = match valid {
                Some(b) => with_valid(&b.artifact_type, "[{}]", &None),
                None => "{}".to_owned(),
            };
            refused_commit(db, &arts, None)
        }
        Refusal::CommitNullChoice { field, valid } => null_choice(db, agent, *field, valid, seen),
        Refusal::RehydrateSourceSchema => refused_source_schema(sandbox, db, agent),
        Refusal::RehydrateUnknownFormat { format } => refused_edited_pack(
            db,
            agent,
            target,
            (SET_FORMAT, format),
            &format!("format {format:?}"),
        ),
        Refusal::RehydrateUnknownType { type_name } => refused_edited_pack(
            db,
            agent,
            target,
            (ADD_TYPE, type_name),
            &format!("unknown type {type_name:?}"),
        ),
        Refusal::RehydrateMissingType { artifact_type } => refused_edited_pack(
            db,
            agent,
            target,
            (DROP_TYPE, artifact_type),
            &format!("a pack without {artifact_type}"),
        ),
        Refusal::RehydrateAgentPresent => {
            let pack = export(db, agent)?;
            rehydrate_ok(db, &pack, target)?;
            refused_rehydrate(db, &pack, target, "an agent already present in the target")
        }
        Refusal::VerifyEmptyRegistry => empty_registry_not_ok(sandbox, history, agent, target),
    }
}

/// Rehydrating into the source schema is refused, where the agent is
/// present and where it is absent.
fn refused_source_schema(sandbox: &dyn Sandbox, db: &mut Client, agent: &str) -> CaseResult {
    let pack = export(db, agent)?;
    refused_rehydrate(
        db,
        &pack,
        SOURCE,
        "the source schema as target (agent present)",
    )?;
    // Where the agent is absent, the source schema is still refused.
    let mut other = sandbox.fresh_db().map_err(CaseError::env)?;
    refused_rehydrate(
        &mut other,
        &pack,
        SOURCE,
        "the source schema as target (agent absent)",
    )
}

/// The agent's pack, edited by `(expr, param)` (see [`edit_pack`]), is
/// refused rehydration into `target`.
fn refused_edited_pack(
    db: &mut Client,
    agent: &str,
    target: &str,
    (expr, param): (&str, &str),
    what: &str,
) -> CaseResult {
    let pack = export(db, agent)?;
    let bad = edit_pack(db, &pack, expr, param)?;
    refused_rehydrate(db, &bad, target, what)
}

/// With an empty type registry, verify_reconstruction of a faithful
/// rehydration is not ok. It breaks the kernel: a database of its own.
fn empty_registry_not_ok(
    sandbox: &dyn Sandbox,
    history: &History,
    agent: &str,
    target: &str,
) -> CaseResult {
    let mut own = history_db(sandbox, history)?;
    let db = &mut own;
    let pack = export(db, agent)?;
    rehydrate_ok(db, &pack, target)?;
    db.batch_execute(
        "SET session_replication_role = replica; DELETE FROM cpo.artifact_table_registry; \
         RESET session_replication_role;",
    )
    .contract(REGISTRY_CLAUSE, "")?;
    let sql = super::common::VERIFY_SQL;
    match answer(db.query_one(sql, &[&agent, &SOURCE, &target]))? {
        Answer::Err { .. } => Ok(()),
        Answer::Ok(_) => {
            let v = kernel_verify(db, agent, SOURCE, target)?;
            if v.ok {
                Err(CaseError::mismatch(
                    "verify_reconstruction passes with zero registry types",
                    "ok = false or an error",
                    v.raw.to_string(),
                )
                .with_sql(sql))
            } else {
                Ok(())
            }
        }
    }
}

//! DUR-FAILCLOSED: every refusal of §1 refuses and changes nothing.

use super::common::{
    apply_history, export, history_coverage, kernel_verify, rehydrate, rehydrate_ok, COMMIT_SQL,
    REHYDRATE_SQL, SOURCE,
};
use super::meta;
use crate::case::{CaseError, CaseResult};
use crate::invariant::InvariantMeta;
use crate::pg::{answer, Answer, PgResultExt};
use crate::property::Property;
use crate::sandbox::Sandbox;
use pgconform_generators::durability::{
    arb_refusal, arb_single_agent_history, ArtifactBatch, History, Refusal, ACTION_LOG_TYPE,
};
use pgconform_generators::json::json_string;
use postgres::Client;
use proptest::prelude::*;

/// The rehydration target of refusal cases.
const TARGET: &str = "pgc_fc_target";

/// Input of DUR-FAILCLOSED.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RefusalCase {
    /// One agent's history, applied first.
    pub history: History,
    /// The request that must be refused.
    pub refusal: Refusal,
}

/// DUR-FAILCLOSED.
pub struct FailClosed(InvariantMeta);

impl FailClosed {
    /// The invariant.
    pub fn new() -> Self {
        Self(meta(
            "DUR-FAILCLOSED",
            "every refusal changes nothing",
            "commit_action with an unknown or action-log type, a non-array, a non-object element, non-object artifacts or a null agent raises and writes nothing (not even a valid batch of the same call); rehydrate into the source schema, of an unknown format, with an unknown or missing type, or of an agent already present refuses and leaves the database exactly as before; verify with an empty registry is not ok.",
            32,
        ))
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
        &[&"refusal_probe", &"{}", &artifacts, &agent, &None::<String>],
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

fn unchanged(client: &mut Client, before: &crate::snapshot::Snapshot, what: &str) -> CaseResult {
    let after = crate::snapshot::take(client, true).env()?;
    if *before != after {
        return Err(CaseError::mismatch(
            format!("{what} changed the database"),
            "unchanged",
            crate::snapshot::describe_diff(before, &after, 10),
        ));
    }
    Ok(())
}

/// A refused rehydrate: error or ok=false, and nothing changed.
fn refused_rehydrate(client: &mut Client, pack: &str, target: &str, what: &str) -> CaseResult {
    let before = crate::snapshot::take(client, true).env()?;
    if let Answer::Ok(text) = rehydrate(client, pack, target)? {
        let ok = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("ok").and_then(serde_json::Value::as_bool));
        if ok != Some(false) {
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

/// Modify the pack in SQL (so its numbers stay exact).
fn edit_pack(
    client: &mut Client,
    pack: &str,
    expr: &str,
    param: &str,
) -> Result<String, CaseError> {
    let sql = format!("SELECT ({expr})::text FROM (SELECT $1::text::jsonb AS p, $2::text AS x) s");
    Ok(client.query_one(&sql, &[&pack, &param]).env()?.get(0))
}

impl Property for FailClosed {
    type Input = RefusalCase;

    fn meta(&self) -> &InvariantMeta {
        &self.0
    }

    fn strategy(&self) -> BoxedStrategy<RefusalCase> {
        (arb_single_agent_history(), arb_refusal())
            .prop_map(|(history, refusal)| RefusalCase { history, refusal })
            .boxed()
    }

    fn coverage(&self, input: &RefusalCase) -> Vec<String> {
        let mut c = history_coverage(&input.history);
        c.push(format!("refusal:{}", input.refusal.label()));
        c
    }

    fn check(&self, sandbox: &dyn Sandbox, input: &RefusalCase) -> CaseResult {
        let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
        apply_history(&mut db, &input.history)?;
        let agent = input.history.agents[0].agent_id.clone();
        let a = Some(agent.as_str());
        match &input.refusal {
            Refusal::CommitUnknownType { type_name, valid } => {
                refused_commit(&mut db, &with_valid(type_name, "[{}]", valid), a)
            }
            Refusal::CommitActionLogType { valid } => refused_commit(
                &mut db,
                &with_valid(ACTION_LOG_TYPE, "[{\"action_type\":\"x\"}]", valid),
                a,
            ),
            Refusal::CommitNonArray {
                artifact_type,
                value,
                valid,
            } => refused_commit(&mut db, &with_valid(artifact_type, value, valid), a),
            Refusal::CommitNonObjectElement {
                artifact_type,
                element,
                valid,
            } => refused_commit(
                &mut db,
                &with_valid(artifact_type, &format!("[{{}},{element}]"), valid),
                a,
            ),
            Refusal::CommitArtifactsNotObject { value } => refused_commit(&mut db, value, a),
            Refusal::CommitNullAgent { valid } => {
                let arts = match valid {
                    Some(b) => with_valid(&b.artifact_type, "[{}]", &None),
                    None => "{}".to_owned(),
                };
                refused_commit(&mut db, &arts, None)
            }
            Refusal::RehydrateSourceSchema => {
                let pack = export(&mut db, &agent)?;
                refused_rehydrate(
                    &mut db,
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
            Refusal::RehydrateUnknownFormat { format } => {
                let pack = export(&mut db, &agent)?;
                let bad = edit_pack(
                    &mut db,
                    &pack,
                    "jsonb_set(p, '{format}', to_jsonb(x))",
                    format,
                )?;
                refused_rehydrate(&mut db, &bad, TARGET, &format!("format {format:?}"))
            }
            Refusal::RehydrateUnknownType { type_name } => {
                let pack = export(&mut db, &agent)?;
                let bad = edit_pack(
                    &mut db,
                    &pack,
                    "jsonb_set(p, '{artifacts}', (p -> 'artifacts') || jsonb_build_object(x, '[{}]'::jsonb))",
                    type_name,
                )?;
                refused_rehydrate(
                    &mut db,
                    &bad,
                    TARGET,
                    &format!("unknown type {type_name:?}"),
                )
            }
            Refusal::RehydrateMissingType { artifact_type } => {
                let pack = export(&mut db, &agent)?;
                let bad = edit_pack(
                    &mut db,
                    &pack,
                    "jsonb_set(p, '{artifacts}', (p -> 'artifacts') - x) - 'digests'",
                    artifact_type,
                )?;
                refused_rehydrate(
                    &mut db,
                    &bad,
                    TARGET,
                    &format!("a pack without {artifact_type}"),
                )
            }
            Refusal::RehydrateAgentPresent => {
                let pack = export(&mut db, &agent)?;
                rehydrate_ok(&mut db, &pack, TARGET)?;
                refused_rehydrate(
                    &mut db,
                    &pack,
                    TARGET,
                    "an agent already present in the target",
                )
            }
            Refusal::VerifyEmptyRegistry => {
                let pack = export(&mut db, &agent)?;
                rehydrate_ok(&mut db, &pack, TARGET)?;
                db.batch_execute(
                    "SET session_replication_role = replica; DELETE FROM cpo.artifact_table_registry; \
                     RESET session_replication_role;",
                )
                .env()?;
                let sql = super::common::VERIFY_SQL;
                match answer(db.query_one(sql, &[&agent, &SOURCE, &TARGET]))? {
                    Answer::Err { .. } => Ok(()),
                    Answer::Ok(_) => {
                        let v = kernel_verify(&mut db, &agent, SOURCE, TARGET)?;
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
        }
    }
}

//! DUR-HOSTILE: hostile content round-trips or is refused whole, never
//! silently altered; hostile schema names are names, never SQL.

use super::common::{
    agree, commit, expected_action_json, export, kernel_verify, oracle_diff, oracle_multiset,
    rebuild_heads, rehydrate, same_multiset, unchanged, user_schemas, SOURCE, TABLES,
};
use super::meta;
use crate::case::{CaseError, CaseResult};
use crate::invariant::InvariantMeta;
use crate::pg::{Answer, PgResultExt};
use crate::property::Property;
use crate::sandbox::Sandbox;
use pgconform_generators::durability::{
    arb_hostile_history, arb_target_schema, effective_schema_name, Commit, History,
};
use pgconform_oracle::DigestMultiset;
use postgres::Client;
use proptest::prelude::*;

/// Input of DUR-HOSTILE.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct HostileCase {
    /// One agent's hostile history.
    pub history: History,
    /// The rehydration target.
    pub target_schema: String,
}

/// DUR-HOSTILE.
pub struct Hostile(InvariantMeta);

impl Hostile {
    /// The invariant.
    pub fn new() -> Self {
        Self(meta(
            "DUR-HOSTILE",
            "hostile content round-trips or is refused, never altered; hostile schema names stay names",
            "Each commit of hostile content (unicode, escapes, deep nesting, extreme numbers, empty containers, duplicate keys, big rows) is stored exactly as the oracle renders it, or refused whole with an error; input jsonb cannot represent is always refused. The pack then rehydrates into a hostile-named schema (or is refused changing nothing), verifies ok with the oracle agreeing, and no other schema or table appears or disappears.",
            24,
        ))
    }
}

impl Default for Hostile {
    fn default() -> Self {
        Self::new()
    }
}

impl Property for Hostile {
    type Input = HostileCase;

    fn meta(&self) -> &InvariantMeta {
        &self.0
    }

    fn strategy(&self) -> BoxedStrategy<HostileCase> {
        (arb_hostile_history(), arb_target_schema())
            .prop_map(|(history, target_schema)| HostileCase {
                history,
                target_schema,
            })
            .boxed()
    }

    /// The history's classes; what the kernel did with it is claimed by
    /// [`Property::check_seeing`].
    fn coverage(&self, input: &HostileCase) -> Vec<String> {
        super::common::history_coverage(&input.history)
    }

    fn check(&self, sandbox: &dyn Sandbox, input: &HostileCase) -> CaseResult {
        self.check_seeing(sandbox, input, &mut Vec::new())
    }

    /// The check, naming in `seen` what happened: `hostile:refused_commit`
    /// when the kernel refused a commit, `schema:hostile` when a pack was
    /// rehydrated into the hostile name (`schema:hostile_refused` when the
    /// kernel refused it), `hostile:round_trip` when the content came back.
    fn check_seeing(
        &self,
        sandbox: &dyn Sandbox,
        input: &HostileCase,
        seen: &mut Vec<String>,
    ) -> CaseResult {
        input.history.validate().map_err(CaseError::Reject)?;
        let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
        db.batch_execute(
            "CREATE TABLE public.pgc_canary (x int); INSERT INTO public.pgc_canary VALUES (1);",
        )
        .env()?;
        let agent = input.history.agents[0].agent_id.clone();
        let (accepted, refused) = commit_all(&mut db, &agent, &input.history)?;
        if refused > 0 {
            seen.push("hostile:refused_commit".to_owned());
        }
        if accepted == 0 {
            return Ok(());
        }
        let pack = export(&mut db, &agent)?;
        let schemas_before = user_schemas(&mut db)?;
        let snap_before = crate::snapshot::take(&mut db, true).env()?;
        let target = input.target_schema.as_str();
        seen.push("schema:hostile".to_owned());
        match rehydrate(&mut db, &pack, target)? {
            Answer::Err { sqlstate, message } => {
                seen.push("schema:hostile_refused".to_owned());
                check_refused_rehydrate(&mut db, target, sqlstate, message, &snap_before)?;
            }
            Answer::Ok(_) => {
                check_hostile_round_trip(&mut db, &agent, target, &schemas_before)?;
                seen.push("hostile:round_trip".to_owned());
            }
        }
        Ok(())
    }
}

/// Commit the first agent's commits one by one: an accepted commit must be
/// representable and is added to what the oracle expects stored, a refused
/// one must write nothing; in the end the stored rows must be exactly the
/// expected ones. How many commits were accepted and refused.
fn commit_all(
    db: &mut Client,
    agent: &str,
    history: &History,
) -> Result<(usize, usize), CaseError> {
    // What the oracle says the kernel must hold after the accepted commits.
    let mut expected = DigestMultiset::new();
    for t in &TABLES {
        expected.ensure_type(t.name);
    }
    let mut accepted = 0usize;
    let mut refused = 0usize;
    for c in &history.agents[0].commits {
        let before = oracle_multiset(db, SOURCE, agent)?;
        match commit(db, agent, c)? {
            Answer::Ok(_) => {
                if !c.is_accepted() {
                    return Err(CaseError::fail(format!(
                        "commit_action accepted content jsonb cannot represent: {}",
                        c.artifacts_json().chars().take(200).collect::<String>()
                    )));
                }
                accepted += 1;
                expect_committed(&mut expected, c)?;
            }
            Answer::Err { .. } => {
                refused += 1;
                let after = oracle_multiset(db, SOURCE, agent)?;
                same_multiset(
                    &before,
                    &after,
                    "a refused commit wrote rows",
                    "nothing written",
                )?;
            }
        }
    }
    let stored = oracle_multiset(db, SOURCE, agent)?;
    same_multiset(
        &expected,
        &stored,
        "the kernel stored content different from what was committed (oracle rendering)",
        "stored rows = oracle rendering of the committed JSON",
    )?;
    Ok((accepted, refused))
}

/// Add an accepted commit's action and artifact rows to `expected`.
fn expect_committed(expected: &mut DigestMultiset, c: &Commit) -> CaseResult {
    expected
        .insert_json(TABLES[0].name, &expected_action_json(c))
        .map_err(|e| CaseError::env(format!("oracle rejects the action JSON: {e}")))?;
    for b in &c.artifacts {
        for row in &b.rows {
            expected
                .insert_json(&b.artifact_type, &row.json)
                .map_err(|e| {
                    CaseError::fail(format!(
                        "the kernel accepted content the oracle rejects ({e}): {}",
                        row.json.chars().take(200).collect::<String>()
                    ))
                })?;
        }
    }
    Ok(())
}

/// A refused rehydrate into the hostile `target` must be a deliberate
/// refusal and leave the database as it was (`snap_before`).
fn check_refused_rehydrate(
    db: &mut Client,
    target: &str,
    sqlstate: String,
    message: String,
    snap_before: &crate::snapshot::Snapshot,
) -> CaseResult {
    // A deliberate refusal is a data exception, a raised error or
    // a privilege/state refusal; anything else (a syntax error, a
    // duplicate or missing object) means the name reached SQL text.
    // PostgreSQL's own refusal of a name it cannot use (empty,
    // over 63 bytes, reserved pg_ prefix) is a correct refusal.
    // An empty name carries no SQL to inject: PostgreSQL's parser
    // refuses `""` itself (42601 "zero-length delimited
    // identifier"), so any refusal of it is correct.
    let deliberate = ["22", "P0", "55"].iter().any(|c| sqlstate.starts_with(c))
        || ["42501", "42602", "42622", "42939"].contains(&sqlstate.as_str())
        || target.is_empty();
    if !deliberate {
        return Err(CaseError::Fail(Box::new(pgconform_reports::FailureDetail {
            message: format!(
                "rehydrate into {target:?} failed as if the name had been spliced into SQL: {message}"
            ),
            sql: Some(super::common::REHYDRATE_SQL.to_owned()),
            sqlstate: Some(sqlstate),
            ..Default::default()
        })));
    }
    unchanged(
        db,
        snap_before,
        &format!("a refused rehydrate into {target:?}"),
    )
}

/// An accepted rehydrate into the hostile `target`: only that schema
/// appeared, the canary is intact, the content came back (kernel and oracle
/// agree) and the heads rebuild there.
fn check_hostile_round_trip(
    db: &mut Client,
    agent: &str,
    target: &str,
    schemas_before: &[String],
) -> CaseResult {
    // An over-long name is truncated by PostgreSQL itself.
    let effective = effective_schema_name(target);
    let target = effective.as_str();
    let mut want = schemas_before.to_vec();
    if !want.iter().any(|s| s == target) {
        want.push(target.to_owned());
        want.sort();
    }
    let got = user_schemas(db)?;
    if got != want {
        return Err(CaseError::mismatch(
            format!("rehydrating into {target:?} created or dropped other schemas"),
            pgconform_reports::json_text(&want),
            pgconform_reports::json_text(&got),
        ));
    }
    let canary: i64 = db
        .query_one("SELECT count(*) FROM public.pgc_canary", &[])
        .kernel("SELECT count(*) FROM public.pgc_canary")?
        .get(0);
    if canary != 1 {
        return Err(CaseError::fail("the canary table changed during rehydrate"));
    }
    let kernel = kernel_verify(db, agent, SOURCE, target)?;
    let oracle = oracle_diff(db, SOURCE, target, agent)?;
    if !oracle.is_ok() {
        return Err(CaseError::mismatch(
            format!("hostile content did not survive the round trip into {target:?}"),
            "equal",
            oracle.to_string(),
        ));
    }
    agree(&kernel, &oracle)?;
    rebuild_heads(db, target)
}

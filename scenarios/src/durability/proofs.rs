//! DUR-APERTURE and DUR-WIRING: the kernel's structural proofs pass on the
//! kernel and fail, naming the right proof, when the harness corrupts it.

use super::common::{qualified, ContractExt, CORRUPT_CLAUSE};
use super::meta;
use crate::case::{CaseError, CaseResult};
use crate::pg::{quote_ident, quote_literal, PgResultExt};
use crate::property::declare_property;
use crate::sandbox::Sandbox;
use crate::sql_lexer;
use pgconform_generators::durability::{
    arb_aperture_corruption_set, arb_wiring_corruption_set, ApertureCorruption, WiringCorruption,
};
use postgres::Client;

/// One row of a proof function.
#[derive(Debug, Clone)]
pub struct ProofRow {
    /// Proof number.
    pub proof: i32,
    /// Name.
    pub name: String,
    /// Verdict.
    pub passed: bool,
    /// Detail.
    pub detail: String,
}

/// Run a proof function; raising instead of reporting is a failure.
pub fn run_proofs(client: &mut Client, function: &str) -> Result<Vec<ProofRow>, CaseError> {
    let sql = format!("SELECT proof, name, passed, detail FROM {function}() ORDER BY proof");
    let rows = client.query(&sql, &[]).kernel(&sql)?;
    let clause = format!(
        "contract §1 {function}() returns table(proof int, name text, passed boolean, detail text)"
    );
    rows.into_iter()
        .map(|r| {
            let proof = r
                .try_get::<_, Option<i32>>(0)
                .map_err(|e| {
                    CaseError::fail(format!("{clause}: proof column: {e}")).with_sql(&sql)
                })?
                .ok_or_else(|| {
                    CaseError::fail(format!("{clause}: a proof number is NULL")).with_sql(&sql)
                })?;
            Ok(ProofRow {
                proof,
                name: r
                    .try_get::<_, Option<String>>(1)
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
                passed: r.try_get::<_, Option<bool>>(2).ok().flatten() == Some(true),
                detail: r
                    .try_get::<_, Option<String>>(3)
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
            })
        })
        .collect()
}

fn render(rows: &[ProofRow]) -> String {
    rows.iter()
        .map(|r| {
            format!(
                "{} {} [{}] {}",
                r.proof,
                r.name,
                if r.passed { "pass" } else { "FAIL" },
                r.detail
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The proofs must be exactly 1..=n and all pass.
fn all_pass(rows: &[ProofRow], n: i32, function: &str) -> CaseResult {
    let numbers: Vec<i32> = rows.iter().map(|r| r.proof).collect();
    let want: Vec<i32> = (1..=n).collect();
    if numbers != want || rows.iter().any(|r| !r.passed) {
        return Err(CaseError::mismatch(
            format!("{function}() does not pass proofs 1–{n} on the kernel"),
            format!("proofs {want:?} all passed"),
            render(rows),
        ));
    }
    Ok(())
}

/// At least one of `expected` must fail, and all proofs must be reported.
fn names_failure(
    rows: &[ProofRow],
    n: i32,
    expected: &[i32],
    function: &str,
    what: &str,
) -> CaseResult {
    let numbers: Vec<i32> = rows.iter().map(|r| r.proof).collect();
    let want: Vec<i32> = (1..=n).collect();
    if numbers != want {
        return Err(CaseError::mismatch(
            format!("{function}() does not report every proof after {what}"),
            pgconform_reports::json_text(&want),
            render(rows),
        ));
    }
    if !rows
        .iter()
        .any(|r| expected.contains(&r.proof) && !r.passed)
    {
        return Err(CaseError::mismatch(
            format!("{function}() does not fail proof {expected:?} after {what}"),
            format!("proof {expected:?} failed"),
            render(rows),
        ));
    }
    Ok(())
}

/// The definition of commit_action with `stmt` (a statement valid in SQL and
/// PL/pgSQL, ending in `;`) injected at the start of its body, as a CREATE OR
/// REPLACE statement: after the body's first `BEGIN` (PL/pgSQL's block,
/// SQL-standard `BEGIN ATOMIC`), else in front of a SQL function's
/// statements. Found with a lexer, so the kernel's layout does not matter.
fn inject_into_commit_action(client: &mut Client, stmt: &str) -> Result<String, CaseError> {
    let row = client
        .query_one(
            "SELECT pg_get_functiondef(p.oid), l.lanname::text, p.prosrc \
             FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang \
             WHERE p.oid = 'cpo.commit_action(text,jsonb,jsonb,uuid,uuid)'::regprocedure",
            &[],
        )
        .kernel("pg_get_functiondef(cpo.commit_action)")?;
    let (def, language, src): (String, String, String) = (row.get(0), row.get(1), row.get(2));
    let cannot = |why: &str| {
        CaseError::env(format!(
            "pgconform cannot inject an insert target into commit_action (LANGUAGE {language}): {why}"
        ))
    };
    // SQL-standard body: the routine body is in the definition, not prosrc.
    let (body_at, body) = if src.trim().is_empty() {
        (0, def.as_str())
    } else {
        let at = def
            .rfind(src.as_str())
            .ok_or_else(|| cannot("its source is not in its definition"))?;
        (at, src.as_str())
    };
    let offset = match (language.as_str(), sql_lexer::keyword_end(body, "BEGIN")) {
        ("plpgsql", Some(end)) => end,
        ("sql", Some(end)) if src.trim().is_empty() => {
            let atomic = sql_lexer::keyword_end(&body[end..], "ATOMIC")
                .ok_or_else(|| cannot("BEGIN without ATOMIC"))?;
            end + atomic
        }
        ("sql", _) => 0,
        ("plpgsql", None) => return Err(cannot("no BEGIN in its body")),
        _ => return Err(cannot("only SQL and PL/pgSQL bodies are supported")),
    };
    let at = body_at + offset;
    Ok(format!("{}\n    {stmt}\n{}", &def[..at], &def[at..]))
}

/// Apply an aperture corruption as superuser.
pub fn apply_aperture(client: &mut Client, c: &ApertureCorruption) -> CaseResult {
    match c {
        ApertureCorruption::UnregisteredInsertTarget { schema, table } => {
            client
                .batch_execute(&format!(
                    "CREATE SCHEMA IF NOT EXISTS {s}; CREATE TABLE {t} (agent_id uuid, content jsonb);",
                    s = quote_ident(schema),
                    t = qualified(schema, table)
                ))
                .contract(CORRUPT_CLAUSE, "")?;
            // Unquoted, so the extraction sees it exactly as an author would
            // write it; inserts no row.
            let def = inject_into_commit_action(
                client,
                &format!(
                    "INSERT INTO {schema}.{table} (agent_id, content) SELECT NULL, NULL WHERE false;"
                ),
            )?;
            client.batch_execute(&def).contract(CORRUPT_CLAUSE, "")?;
        }
        ApertureCorruption::DeletedRegistryRow { artifact_type } => {
            client
                .execute(
                    "DELETE FROM cpo.artifact_table_registry WHERE artifact_type = $1",
                    &[artifact_type],
                )
                .contract(CORRUPT_CLAUSE, "")?;
        }
        ApertureCorruption::NonexistentDeclaredColumn {
            artifact_type,
            field,
            column,
        } => {
            client
                .execute(
                    &format!(
                        "UPDATE cpo.artifact_table_registry SET {} = $1 WHERE artifact_type = $2",
                        field.column()
                    ),
                    &[column, artifact_type],
                )
                .contract(CORRUPT_CLAUSE, "")?;
        }
        ApertureCorruption::CanonicalNotExported { artifact_type } => {
            client
                .execute(
                    "UPDATE cpo.artifact_table_registry SET is_exported = false WHERE artifact_type = $1",
                    &[artifact_type],
                )
                .contract(CORRUPT_CLAUSE, "")?;
        }
        ApertureCorruption::ExtraOverload { args } => {
            client
                .batch_execute(&format!(
                    "CREATE FUNCTION cpo.commit_action({}) RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid'",
                    args.join(", ")
                ))
                .contract(CORRUPT_CLAUSE, "")?;
        }
        ApertureCorruption::ZeroExtractedTargets => {
            client
                .batch_execute(
                    "CREATE OR REPLACE FUNCTION cpo.commit_action(p_action_type text, p_action jsonb, p_artifacts jsonb, \
                     p_agent_id uuid, p_actor_id uuid) RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER \
                     SET search_path = pg_catalog AS $fn$ BEGIN RAISE EXCEPTION 'writes disabled'; END $fn$",
                )
                .contract(CORRUPT_CLAUSE, "")?;
        }
    }
    Ok(())
}

declare_property! {
    /// DUR-APERTURE.
    Aperture {
        input: Vec<ApertureCorruption>,
        meta: meta(
            "DUR-APERTURE",
            "write-aperture proofs 1–7 pass, and fail naming the proof on a corrupted kernel",
            "run_write_aperture_proofs() reports proofs 1–7 all passing on the kernel; after an unregistered insert target (4), a deleted registry row (4 or 5), a nonexistent declared column (6), a canonical type not exported (5), an extra commit_action overload (1) or zero extracted targets (2), it still reports all seven and fails the named one. Every case checks the clean kernel and every kind of corruption (each in its own database).",
            8,
        ),
        strategy: arb_aperture_corruption_set,
        coverage: |input: &Vec<ApertureCorruption>| {
            corruption_coverage(input.iter().map(ApertureCorruption::label))
        },
        check: |sandbox: &dyn Sandbox, input: &Vec<ApertureCorruption>| {
            proofs_named(sandbox, "cpo.run_write_aperture_proofs", 7, input, apply_aperture, |c| {
                c.expected_failing_proofs().to_vec()
            })
        },
    }
}

/// The coverage of a corruption set: the clean kernel and each corruption.
fn corruption_coverage(labels: impl Iterator<Item = &'static str>) -> Vec<String> {
    let mut c = vec!["corruption:none".to_owned()];
    c.extend(labels.map(|l| format!("corruption:{l}")));
    c
}

/// Proof function `f` passes its `n` proofs on the clean kernel, and after
/// each corruption (applied by `apply`, each in a database of its own) still
/// reports all `n` and fails the ones `expected` names.
fn proofs_named<C: std::fmt::Debug>(
    sandbox: &dyn Sandbox,
    f: &str,
    n: i32,
    corruptions: &[C],
    apply: impl Fn(&mut Client, &C) -> CaseResult,
    expected: impl Fn(&C) -> Vec<i32>,
) -> CaseResult {
    let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
    all_pass(&run_proofs(&mut db, f)?, n, f)?;
    drop(db);
    for c in corruptions {
        let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
        apply(&mut db, c)?;
        let rows = run_proofs(&mut db, f)?;
        names_failure(&rows, n, &expected(c), f, &format!("{c:?}"))?;
    }
    Ok(())
}

fn hand_list_export(types: &[String]) -> String {
    let parts: Vec<String> = types
        .iter()
        .map(|t| {
            format!(
                "{}, (SELECT coalesce(jsonb_agg(x.content), '[]'::jsonb) FROM cpo.{t} x WHERE x.agent_id = p_agent_id)",
                quote_literal(t)
            )
        })
        .collect();
    format!(
        "CREATE OR REPLACE FUNCTION cpo.export_evidence_pack(p_agent_id uuid) RETURNS jsonb LANGUAGE sql STABLE \
         SET search_path = pg_catalog AS $fn$ SELECT jsonb_build_object('format', 'cpo.evidence_pack/v1', \
         'agent_id', p_agent_id, 'artifacts', jsonb_build_object({})) $fn$",
        parts.join(", ")
    )
}

fn hand_list_rehydrate(types: &[String]) -> String {
    let mut body =
        String::from("EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', p_target_schema);\n");
    for t in types {
        body.push_str(&format!(
            "EXECUTE format('CREATE TABLE IF NOT EXISTS %I.{t} (LIKE cpo.{t} INCLUDING ALL)', p_target_schema);\n\
             EXECUTE format('INSERT INTO %I.{t} (agent_id, content) SELECT ($1 ->> ''agent_id'')::uuid, e \
             FROM jsonb_array_elements($1 -> ''artifacts'' -> ''{t}'') e', p_target_schema) USING p_pack;\n"
        ));
    }
    format!(
        "CREATE OR REPLACE FUNCTION cpo.rehydrate_agent(p_pack jsonb, p_target_schema text) RETURNS jsonb \
         LANGUAGE plpgsql SET search_path = pg_catalog AS $fn$ BEGIN\n{body}RETURN '{{\"ok\": true}}'::jsonb; END $fn$"
    )
}

fn count_only_verify(types: &[String]) -> String {
    let parts: Vec<String> = types
        .iter()
        .map(|t| {
            format!(
                "EXECUTE format('SELECT (SELECT count(*) FROM %I.{t} WHERE agent_id = $1) = (SELECT count(*) FROM %I.{t} WHERE agent_id = $1)', \
                 p_source_schema, p_target_schema) INTO v_same USING p_agent_id;\n v_ok := v_ok AND v_same;\n"
            )
        })
        .collect();
    format!(
        "CREATE OR REPLACE FUNCTION cpo.verify_reconstruction(p_agent_id uuid, p_source_schema text, p_target_schema text) \
         RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog AS $fn$ DECLARE v_ok boolean := true; v_same boolean; \
         BEGIN\n{}RETURN jsonb_build_object('ok', v_ok, 'types', '{{}}'::jsonb); END $fn$",
        parts.concat()
    )
}

/// Apply a wiring corruption as superuser.
pub fn apply_wiring(client: &mut Client, c: &WiringCorruption) -> CaseResult {
    let sql = match c {
        WiringCorruption::ExportHandList { types } => hand_list_export(types),
        WiringCorruption::RehydrateHandList { types } => hand_list_rehydrate(types),
        WiringCorruption::VerifyCountOnly { types } => count_only_verify(types),
        WiringCorruption::OrphanDurabilityFunction {
            suffix,
            artifact_type,
        } => format!(
            "CREATE FUNCTION cpo.export_{suffix}(p uuid) RETURNS bigint LANGUAGE sql STABLE \
             AS $fn$ SELECT count(*) FROM cpo.{artifact_type} WHERE agent_id = p $fn$"
        ),
        WiringCorruption::EmptyRegistryHelper => {
            let result: String = client
                .query_one(
                    "SELECT pg_get_function_result('cpo.get_canonical_artifact_types()'::regprocedure)",
                    &[],
                )
                .env()?
                .get(0);
            format!(
                "ALTER FUNCTION cpo.get_canonical_artifact_types() RENAME TO pgc_shadowed_canonical_types; \
                 CREATE FUNCTION cpo.get_canonical_artifact_types() RETURNS {result} LANGUAGE sql STABLE \
                 AS $fn$ SELECT * FROM cpo.pgc_shadowed_canonical_types() WHERE false $fn$"
            )
        }
        WiringCorruption::RoundTripUnwired => {
            "CREATE OR REPLACE FUNCTION cpo.durability_round_trip_test(p_agent_id uuid) RETURNS jsonb \
             LANGUAGE sql AS $fn$ SELECT '{\"pass\": true}'::jsonb $fn$"
                .to_owned()
        }
    };
    client.batch_execute(&sql).contract(CORRUPT_CLAUSE, "")
}

declare_property! {
    /// DUR-WIRING.
    Wiring {
        input: Vec<WiringCorruption>,
        meta: meta(
            "DUR-WIRING",
            "wiring proofs 1–6 pass, and fail when a durability function bypasses the registry",
            "run_durability_wiring_proofs() reports proofs 1–6 all passing on the kernel; when export (1), rehydrate (2) or verification (3) is replaced by a hand-listed version, an orphan durability function appears (4), the registry helper returns nothing (5) or the round-trip test stops calling the pipeline (6), the named proof fails. Every case checks the clean kernel and every kind of corruption (each in its own database).",
            6,
        ),
        strategy: arb_wiring_corruption_set,
        coverage: |input: &Vec<WiringCorruption>| {
            corruption_coverage(input.iter().map(WiringCorruption::label))
        },
        check: |sandbox: &dyn Sandbox, input: &Vec<WiringCorruption>| {
            proofs_named(sandbox, "cpo.run_durability_wiring_proofs", 6, input, apply_wiring, |c| {
                vec![c.expected_failing_proof()]
            })
        },
    }
}

//! The evidence suite (CONTRACT.md §3, seeds 001 and 004) against the bundled
//! kernel and its mutants.

use pgconform::testkit::{self, describe, TestRun};
use pgconform_reports::{InvariantResult, Verdict};
use pgconform_scenarios::invariant::Suite;
use rstest::rstest;
use std::path::{Path, PathBuf};

const SEED: u64 = 1001;

/// Shrinking bound for these tests: enough to drop irrelevant steps and most
/// of the generated case, short enough for the suite's time budget.
const SHRINK_SECS: u64 = 12;

/// How these tests run an invariant: `cases` None runs the invariant's
/// default count.
fn opts(cases: Option<u32>) -> TestRun {
    TestRun {
        cases,
        ..TestRun::seed(SEED)
    }
    .shrink_secs(SHRINK_SECS)
}

/// Run invariant `id` on the bundled kernel (+ `mutant`).
fn run(id: &str, cases: Option<u32>, mutant: Option<&Path>) -> InvariantResult {
    let mut o = opts(cases);
    o.mutant = mutant.map(Path::to_path_buf);
    testkit::run_invariant(id, &o).expect("run")
}

#[rstest]
#[case("EVID-RESTORE", 10)]
#[case("EVID-FAILCLOSED", 10)]
#[case("EVID-NO-SOURCE-NO-CHANGE", 10)]
#[case("EVID-IMMUTABLE", 10)]
#[case("EVID-ACL", 10)]
fn kernel_holds(#[case] id: &str, #[case] cases: u32) {
    let r = testkit::assert_kernel_holds(id, &opts(Some(cases)));
    for class in ["lang:", "security:"] {
        if id != "EVID-IMMUTABLE" {
            assert!(
                r.coverage.keys().any(|k| k.starts_with(class)),
                "{id} covers no {class}: {:?}",
                r.coverage
            );
        }
    }
}

#[test]
fn suite_lists_every_contract_invariant() {
    let ids = testkit::suite_ids(Suite::Evidence);
    for id in [
        "EVID-RESTORE",
        "EVID-FAILCLOSED",
        "EVID-NO-SOURCE-NO-CHANGE",
        "EVID-IMMUTABLE",
        "EVID-ACL",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}

/// Each mutant is killed, within the invariant's default case count, by one of
/// the invariants its header names, with a recorded (shrunk) counterexample.
#[rstest]
fn mutant_killed(#[files("../kernel/mutants/evidence/*.sql")] path: PathBuf) {
    let r = testkit::first_kill(&path, |_| vec![opts(None)]).unwrap_or_else(|e| panic!("{e}"));
    let f = r.failures.first().expect("a failure record");
    assert!(!f.input.is_null(), "the shrunk counterexample is recorded");
    eprintln!("{} killed: {}", path.display(), describe(&r));
}

/// Run invariant `id` on an existing sandbox.
fn run_on(
    sb: &dyn pgconform_scenarios::sandbox::Sandbox,
    id: &str,
    cases: Option<u32>,
) -> InvariantResult {
    testkit::run_on(sb, id, &opts(cases)).expect("run")
}

/// Each variant (a different choice the contract allows) passes every
/// evidence invariant.
#[rstest]
fn variant_passes(#[files("../kernel/variants/evidence/*.sql")] path: PathBuf) {
    let text = std::fs::read_to_string(&path).expect("read variant");
    assert!(
        text.starts_with("-- variant: ")
            && text.contains("\n-- choice: ")
            && text.contains("\n-- why: "),
        "{} lacks the variant header",
        path.display()
    );
    let sb = testkit::sandbox(Some(&path)).expect("sandbox");
    for id in testkit::suite_ids(Suite::Evidence) {
        let r = run_on(sb.as_ref(), id, Some(8));
        assert_eq!(
            r.verdict,
            Verdict::Passed,
            "{} on variant {}: {}",
            id,
            path.display(),
            describe(&r)
        );
    }
}

/// A kernel fault (a NULL where the contract promises a value, a missing
/// contract column, a refused fault injection) is a failure naming the
/// contract clause, never an environment error.
#[rstest]
#[case::seal_returns_null(
    "CREATE OR REPLACE FUNCTION qt001_cp.seal_artifact(p_uri text, p_body bytea, p_kind text, \
     p_storage_class text, p_issuer uuid, p_valid_for interval) RETURNS uuid LANGUAGE sql \
     SET search_path = pg_catalog, pg_temp AS $$ SELECT NULL::uuid $$;",
    "EVID-IMMUTABLE",
    "seal_artifact"
)]
#[case::registry_lacks_a_contract_column(
    "ALTER TABLE qt001_cp.evidence_registry DROP COLUMN control_epoch;",
    "EVID-IMMUTABLE",
    "CONTRACT §3 objects: qt001_cp.evidence_registry"
)]
#[case::store_lacks_body(
    "ALTER TABLE qt001_cp.artifact_store RENAME COLUMN body TO content;",
    "EVID-IMMUTABLE",
    "CONTRACT §3"
)]
#[case::unread_evidence_cannot_exist(
    "ALTER TABLE qt001_cp.evidence_registry ADD CONSTRAINT always_read CHECK (last_readback_at IS NOT NULL);",
    "EVID-FAILCLOSED",
    "never-read-back"
)]
fn kernel_faults_fail_naming_the_clause(#[case] sql: &str, #[case] id: &str, #[case] clause: &str) {
    let dir = std::env::temp_dir().join(format!("pgc-evid-fault-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{:x}.sql", {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        sql.hash(&mut h);
        h.finish()
    }));
    std::fs::write(
        &path,
        format!("-- mutant: kernel-fault\n-- kills: {id}\n-- why: test\n{sql}\n"),
    )
    .expect("write mutant");
    let r = run(id, None, Some(&path));
    assert_eq!(r.verdict, Verdict::Failed, "{}", describe(&r));
    let f = r.failures.first().expect("a failure record");
    assert!(
        f.detail.message.contains(clause),
        "the failure names {clause:?}: {}",
        describe(&r)
    );
    let _ = std::fs::remove_file(&path);
}

/// The harness's live definition hash (its own query under `search_path =
/// pg_catalog, pg_temp`) and the reference kernel's agree, whatever the
/// caller's search_path.
#[test]
fn harness_and_kernel_agree_on_the_live_definition_hash() {
    let sb = testkit::sandbox(None).expect("sandbox");
    let mut db = sb.fresh_db().expect("db");
    db.batch_execute(
        "CREATE SCHEMA \"s q\"; CREATE TYPE \"s q\".t AS (a int); \
         CREATE FUNCTION \"s q\".f(x \"s q\".t, y int DEFAULT 2) RETURNS SETOF \"s q\".t \
         LANGUAGE sql AS $$ SELECT x $$; SET search_path = \"s q\", public",
    )
    .expect("fixture");
    let oid: u32 = db
        .query_one("SELECT 'f(t, integer)'::regprocedure::oid", &[])
        .expect("oid")
        .get(0);
    let kernel: String = db
        .query_one(
            "SELECT qt001_cp.live_definition_sha256($1::oid::regprocedure)",
            &[&oid],
        )
        .expect("kernel hash")
        .get(0);
    let mut tx = db.transaction().expect("tx");
    tx.batch_execute("SET LOCAL search_path = pg_catalog, pg_temp")
        .expect("path");
    let row = tx
        .query_one(
            "SELECT pg_get_functiondef($1::oid), \
                    encode(sha256(convert_to(pg_get_functiondef($1::oid), 'UTF8')), 'hex')",
            &[&oid],
        )
        .expect("def");
    let (def, harness): (String, String) = (row.get(0), row.get(1));
    tx.commit().expect("commit");
    assert_eq!(harness, kernel, "{def}");
    assert!(def.contains("\"s q\".t"), "types are qualified: {def}");
}

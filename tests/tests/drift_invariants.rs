//! The drift suite (CONTRACT.md §2) against the bundled kernel and its mutants.

use pgconform::testkit::{self, describe, TestRun};
use pgconform_reports::{InvariantResult, Verdict};
use pgconform_scenarios::registry::Options;
use rstest::rstest;
use std::path::PathBuf;
use std::time::Instant;

#[rstest]
#[case("DRIFT-CLEAN", 12)]
#[case("DRIFT-DETECT", 12)]
#[case("DRIFT-ORDER", 8)]
#[case("DRIFT-EXTRA-INDEX", 8)]
#[case("DRIFT-DEFERRED-FK", 6)]
#[case("DRIFT-FORWARD-ONLY", 4)]
#[case("DRIFT-REVERSAL", 3)]
fn kernel_holds(#[case] id: &str, #[case] cases: u32) {
    testkit::assert_kernel_holds(id, &TestRun::seed(2002).cases(cases));
}

/// Run `id` with `opts` (None: the bundled default) and a bounded shrink time.
fn run(
    id: &str,
    opts: &Options,
    cases: u32,
    mutant: Option<&std::path::Path>,
    shrink_secs: u64,
) -> InvariantResult {
    let mut run = TestRun::seed(2002)
        .cases(cases)
        .shrink_secs(shrink_secs)
        .options(opts.clone());
    run.mutant = mutant.map(std::path::Path::to_path_buf);
    testkit::run_invariant(id, &run).expect("run")
}

#[rstest]
fn mutant_killed(#[files("../kernel/mutants/drift/*.sql")] path: PathBuf) {
    let r = testkit::first_kill(&path, |_| {
        vec![TestRun::seed(2002).cases(48).shrink_secs(20)]
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let f = r.failures.first().expect("a failure record");
    assert!(!f.input.is_null(), "the shrunk counterexample is recorded");
    eprintln!("{} killed by {}", path.display(), describe(&r));
}

const USER_SCHEMA: &str = r#"
CREATE SCHEMA "App Data";
CREATE FUNCTION "App Data".touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TABLE "App Data".account (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    "Display Name" text,
    balance numeric(12,2) CHECK (balance >= 0),
    during tstzrange,
    CONSTRAINT account_email_key UNIQUE NULLS NOT DISTINCT (email),
    CONSTRAINT account_no_overlap EXCLUDE USING gist (during WITH &&)
);
CREATE TABLE "App Data".ledger (
    id bigint PRIMARY KEY,
    account_id bigint REFERENCES "App Data".account (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    amount numeric NOT NULL
);
CREATE INDEX ledger_account_idx ON "App Data".ledger (account_id, amount DESC) WHERE amount > 0;
CREATE INDEX account_lower_email ON "App Data".account (lower(email) text_pattern_ops) INCLUDE (balance);
CREATE TRIGGER ledger_touch BEFORE INSERT OR UPDATE ON "App Data".ledger FOR EACH ROW EXECUTE FUNCTION "App Data".touch();
"#;

fn run_with_user_schema(id: &str, cases: u32, mutant: Option<&std::path::Path>) -> InvariantResult {
    let opts = Options {
        user_schema_sql: Some(USER_SCHEMA.to_owned()),
    };
    let mut run = TestRun::seed(7).cases(cases).shrink_secs(30).options(opts);
    run.mutant = mutant.map(std::path::Path::to_path_buf);
    testkit::run_invariant(id, &run).expect("run")
}

#[test]
fn user_schema_clean_and_detect() {
    let r = run_with_user_schema("DRIFT-CLEAN", 1, None);
    assert_eq!(r.verdict, Verdict::Passed, "{}", describe(&r));
    let r = run_with_user_schema("DRIFT-DETECT", 24, None);
    assert_eq!(r.verdict, Verdict::Passed, "{}", describe(&r));
    assert!(
        r.coverage.contains_key("mutation:alter"),
        "{:?}",
        r.coverage
    );
}

#[test]
fn user_schema_detect_kills_one_direction_verify() {
    let m = testkit::repo_root().join("kernel/mutants/drift/verify-one-direction.sql");
    let r = run_with_user_schema("DRIFT-DETECT", 24, Some(&m));
    assert_eq!(r.verdict, Verdict::Failed, "{}", describe(&r));
}

#[test]
fn seal_kernel_script_protects_the_kernel_schema() {
    let sb = testkit::sandbox(None).expect("sandbox");
    let mut db = sb.fresh_db().expect("db");
    let script = sb
        .sut()
        .script("seal-kernel")
        .expect("seal-kernel script")
        .sql
        .clone();
    db.batch_execute(&script).expect("seal-kernel");
    let v = verify_kernel_set(&mut db);
    assert_eq!(v["ok"], serde_json::json!(true), "{v}");
    // running it twice is refused
    assert!(db.batch_execute(&script).is_err());
    db.batch_execute("ALTER TABLE qt001_cp.manifest_activation DROP CONSTRAINT manifest_activation_rollback_evidence_fkey")
        .expect("drop fk");
    let v = verify_kernel_set(&mut db);
    assert_eq!(v["ok"], serde_json::json!(false), "{v}");
    let f = &v["failures"][0];
    assert_eq!(
        f["object_identity"],
        "qt001_cp.manifest_activation.manifest_activation_rollback_evidence_fkey",
        "{v}"
    );
    assert_eq!(f["kind"], "missing", "{v}");
}

/// Snapshot + verify time over 5 000 constraints, indexes and triggers.
/// Runs only with `PGCONFORM_BENCH=1`.
#[test]
fn bench_snapshot_and_verify_5000_objects() {
    if std::env::var("PGCONFORM_BENCH").as_deref() != Ok("1") {
        eprintln!("skipped: set PGCONFORM_BENCH=1");
        return;
    }
    let sb = testkit::sandbox(None).expect("sandbox");
    let mut db = sb.fresh_db().expect("db");
    // 340 tables × 15 constraints, indexes and triggers ≈ 5 100 objects
    let mut sql = String::from(
        "CREATE SCHEMA bench; CREATE FUNCTION bench.f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;",
    );
    for t in 0..340 {
        sql.push_str(&format!(
            "CREATE TABLE bench.t{t} (id int PRIMARY KEY, a int CHECK (a > 0), b text UNIQUE, c int, d int, e int);\
             CREATE INDEX t{t}_a ON bench.t{t} (a, c DESC);\
             CREATE INDEX t{t}_p ON bench.t{t} (c) WHERE c > 5;\
             CREATE INDEX t{t}_x ON bench.t{t} (lower(b));\
             CREATE INDEX t{t}_d ON bench.t{t} (d) INCLUDE (e);\
             CREATE TRIGGER t{t}_g BEFORE INSERT ON bench.t{t} FOR EACH ROW EXECUTE FUNCTION bench.f();\
             CREATE TRIGGER t{t}_h AFTER UPDATE ON bench.t{t} FOR EACH STATEMENT EXECUTE FUNCTION bench.f();\
             ALTER TABLE bench.t{t} ADD CONSTRAINT t{t}_e CHECK (e <> 0);\
             ALTER TABLE bench.t{t} ADD CONSTRAINT t{t}_cd UNIQUE (c, d);"
        ));
        if t > 0 {
            sql.push_str(&format!(
                "ALTER TABLE bench.t{t} ADD CONSTRAINT t{t}_fk FOREIGN KEY (c) REFERENCES bench.t{} (id);",
                t - 1
            ));
        }
    }
    db.batch_execute(&sql).expect("bench schema");
    let n: i64 = db
        .query_one("SELECT count(*) FROM qt001_cp.realized_authority_snapshot(ARRAY['bench']) WHERE object_type <> 'TABLE'", &[])
        .expect("count")
        .get(0);
    let t0 = Instant::now();
    db.query(
        "SELECT * FROM qt001_cp.realized_authority_snapshot(ARRAY['bench'])",
        &[],
    )
    .expect("snapshot");
    let snap = t0.elapsed();
    let m: uuid::Uuid = db
        .query_one(
            "SELECT qt001_cp.seal_manifest_from_realized('bench', ARRAY['bench'])",
            &[],
        )
        .expect("seal")
        .get(0);
    let seal = t0.elapsed() - snap;
    let ev: uuid::Uuid = db
        .query_one(
            "SELECT qt001_cp.seal_artifact('bench:1', convert_to('bench', 'UTF8'), 'manifest_payload', 'embedded', \
             gen_random_uuid(), interval '1 day')",
            &[],
        )
        .expect("evidence")
        .get(0);
    db.execute("SELECT qt001_cp.activate_manifest($1, $2)", &[&m, &ev])
        .expect("activate");
    let t1 = Instant::now();
    let v: serde_json::Value = db
        .query_one("SELECT qt001_cp.verify_object_authority('bench')", &[])
        .expect("verify")
        .get(0);
    let verify = t1.elapsed();
    assert_eq!(v["ok"], serde_json::json!(true));
    eprintln!("BENCH objects={n} snapshot={snap:?} seal={seal:?} verify={verify:?}");
    assert!(n >= 5000, "only {n} objects");
}

/// A kernel whose uninstall drops two functions out of reverse order (same
/// final state) is caught by DRIFT-REVERSAL's event-trigger order check.
#[test]
fn reversal_catches_an_uninstall_out_of_reverse_order() {
    let src = testkit::repo_root().join("kernel");
    let dir = std::env::temp_dir().join(format!("pgc_drift_kernel_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sql")).expect("mkdir");
    std::fs::copy(src.join("MANIFEST"), dir.join("MANIFEST")).expect("manifest");
    for e in std::fs::read_dir(src.join("sql")).expect("sql dir") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, dir.join("sql").join(p.file_name().expect("name"))).expect("copy");
    }
    let un = dir.join("sql/299_drift_uninstall.sql");
    let text = std::fs::read_to_string(&un).expect("read");
    let a = "    DROP FUNCTION qt001_cp.verify_object_authority(text);\n";
    let b = "    DROP FUNCTION qt001_cp.rollback_manifest(text);\n";
    let swapped = text.replace(b, "@@B@@").replace(a, b).replace("@@B@@", a);
    assert_ne!(swapped, text);
    std::fs::write(&un, swapped).expect("write");

    let session = testkit::session_for(&dir, None, &[]).expect("session");
    let r = testkit::run_on(
        &session.sandbox,
        "DRIFT-REVERSAL",
        &TestRun::seed(1).cases(6).shrink_secs(10),
    )
    .expect("run");
    drop(session);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(r.verdict, Verdict::Failed, "{}", describe(&r));
    let msg = &r.failures[0].detail.message;
    assert!(msg.contains("reverse"), "{msg}");
}

const DRIFT_IDS: [&str; 7] = [
    "DRIFT-CLEAN",
    "DRIFT-DETECT",
    "DRIFT-ORDER",
    "DRIFT-EXTRA-INDEX",
    "DRIFT-DEFERRED-FK",
    "DRIFT-FORWARD-ONLY",
    "DRIFT-REVERSAL",
];

/// Every drift variant (a different choice the contract allows) passes every
/// drift invariant.
#[rstest]
fn variant_holds(#[files("../kernel/variants/drift/*.sql")] path: PathBuf) {
    let text = std::fs::read_to_string(&path).expect("read variant");
    assert!(text.starts_with("-- variant: "), "{}", path.display());
    for id in DRIFT_IDS {
        let r = run(id, &Options::default(), 6, Some(&path), 10);
        assert_eq!(
            r.verdict,
            Verdict::Passed,
            "{}: {}",
            path.display(),
            describe(&r)
        );
    }
}

/// Layout variants (a directory with its own MANIFEST) pass too.
#[rstest]
fn layout_variant_holds(#[files("../kernel/variants/drift/*/MANIFEST")] manifest: PathBuf) {
    let dir = manifest.parent().expect("variant dir");
    let session = testkit::session_for(dir, None, &[]).expect("session");
    for id in DRIFT_IDS {
        let run = TestRun::seed(3).cases(4).shrink_secs(10);
        let r = testkit::run_on(&session.sandbox, id, &run).expect("run");
        assert_eq!(
            r.verdict,
            Verdict::Passed,
            "{}: {}",
            dir.display(),
            describe(&r)
        );
    }
}

/// A kernel fault (activate_manifest answering NULL) is an invariant failure
/// naming the contract clause, never an environment error.
#[test]
fn null_answer_is_a_failure_naming_the_clause() {
    let path = std::env::temp_dir().join(format!("pgc_drift_null_{}.sql", std::process::id()));
    std::fs::write(
        &path,
        "-- mutant: activate-returns-null\n-- kills: DRIFT-CLEAN\n-- why: test\n\
         CREATE OR REPLACE FUNCTION qt001_cp.activate_manifest(p_manifest_id uuid, p_rollback_evidence_id uuid) \
         RETURNS uuid LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$ SELECT NULL::uuid $$;\n",
    )
    .expect("write");
    let r = run("DRIFT-CLEAN", &Options::default(), 2, Some(&path), 2);
    let _ = std::fs::remove_file(&path);
    assert_eq!(r.verdict, Verdict::Failed, "{}", describe(&r));
    let msg = &r.failures[0].detail.message;
    assert!(msg.contains("CONTRACT §2 activate_manifest"), "{msg}");
}

/// `verify_object_authority` of the kernel's own sealed set.
fn verify_kernel_set(db: &mut postgres::Client) -> serde_json::Value {
    db.query_one(
        "SELECT qt001_cp.verify_object_authority('qt001_cp.kernel')",
        &[],
    )
    .expect("verify")
    .get(0)
}

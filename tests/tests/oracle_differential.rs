//! The oracle is exact: for generated JSON (deep nesting, unicode, escapes,
//! every numeric edge, duplicate keys, empty containers, long strings, invalid
//! inputs), the Rust rendering equals live PG16's `::jsonb::text` byte for
//! byte, the digest equals PG's sha256 of it, and Rust rejects exactly what PG
//! rejects.

use pgconform::provision::embedded::Cluster;
use pgconform_generators::json::differential::arb_json_text;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use rstest::rstest;

const SQL: &str = "SELECT $1::text::jsonb::text, \
                   encode(sha256(convert_to($1::text::jsonb::text, 'UTF8')), 'hex')";

/// PG's verdict on one input: rendered text and digest, or rejection.
fn pg_verdict(client: &mut postgres::Client, input: &str) -> Option<(String, String)> {
    client.batch_execute("SAVEPOINT s").expect("savepoint");
    match client.query_one(SQL, &[&input]) {
        Ok(row) => {
            client
                .batch_execute("RELEASE SAVEPOINT s")
                .expect("release");
            Some((row.get(0), row.get(1)))
        }
        Err(e) => {
            assert!(
                e.as_db_error().is_some(),
                "driver error, not a PG verdict: {e}"
            );
            client
                .batch_execute("ROLLBACK TO SAVEPOINT s")
                .expect("rollback to");
            None
        }
    }
}

fn rust_verdict(input: &str) -> Option<(String, String)> {
    let rendered = pgconform_oracle::render(input).ok()?;
    let digest = pgconform_oracle::row_digest(input).ok()?;
    Some((rendered, digest.to_string()))
}

fn connect(cluster: &Cluster) -> postgres::Client {
    let mut cfg = cluster.config();
    cfg.dbname("postgres");
    let mut client = cfg.connect(postgres::NoTls).expect("connect");
    client.batch_execute("BEGIN").expect("begin");
    client
}

#[test]
fn generated_json_renders_and_hashes_exactly_like_pg16() {
    let cluster = Cluster::start(None, false).expect("embedded PG16");
    let client = std::cell::RefCell::new(connect(&cluster));
    let cases = std::env::var("PGCONFORM_ORACLE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1500);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let result = runner.run(&arb_json_text(), |input| {
        if input.contains('\0') {
            // A raw NUL cannot even be sent to PG as text; not a JSON question.
            return Err(TestCaseError::reject("raw NUL"));
        }
        let pg = pg_verdict(&mut client.borrow_mut(), &input);
        let rust = rust_verdict(&input);
        if pg != rust {
            return Err(TestCaseError::fail(format!(
                "input {input:?}: PG16 says {pg:?}, oracle says {rust:?}"
            )));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("oracle disagrees with PG16: {e}");
    }
}

/// Cases that once disagreed, or that sit on an edge PG's numeric handles
/// specially; each is checked against the live server, not a stored answer.
#[rstest]
#[case::negative_zero("-0")]
#[case::negative_zero_scaled("-0.000e3")]
#[case::exponent_keeps_scale("1.50e1")]
#[case::tiny("1e-7")]
#[case::huge_exponent("1e1000")]
#[case::too_small("1e-1000")]
#[case::nul_escape("\"\\u0000\"")]
#[case::lone_surrogate("\"\\ud800\"")]
#[case::surrogate_pair("\"\\ud83d\\ude00\"")]
#[case::dup_keys_last_wins("{\"a\":1,\"a\":2}")]
#[case::key_order_length_first("{\"bb\":1,\"a\":2,\"ab\":3}")]
#[case::control_chars("\"\\u001f\\b\\f\"")]
#[case::deep("[[[[[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]]]]")]
#[case::high_precision("123456789012345678901234567890.123456789012345678901234567890")]
#[case::empty_containers("{\"\":[],\"x\":{}}")]
fn named_regression_cases_agree_with_pg16(#[case] input: &str) {
    let cluster = Cluster::start(None, false).expect("embedded PG16");
    let mut client = connect(&cluster);
    assert_eq!(
        pg_verdict(&mut client, input),
        rust_verdict(input),
        "input {input:?}"
    );
}

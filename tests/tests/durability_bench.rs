//! Durability measurements, run only with `PGCONFORM_BENCH=1`:
//!
//! * DUR-RT round-trip cases per second at the default case count;
//! * one agent with 100 000 rows: export, rehydrate, and verification by the
//!   kernel (`cpo.verify_reconstruction`) next to the Rust oracle (stream
//!   `content::text` from both schemas with binary COPY, per-type sha256
//!   multisets, diff), one schema after the other and both at once.
//!
//! `PGCONFORM_BENCH=1 cargo test -p pgconform-tests --release --test durability_bench -- --nocapture`

use pgconform::testkit::{self, TestRun};
use pgconform_oracle::{diff, DigestMultiset};
use pgconform_reports::Verdict;
use pgconform_scenarios::durability::common::{oracle_multiset, TABLES};
use std::time::Instant;

const ROWS: usize = 100_000;
const PER_COMMIT: usize = 1_000;
const AGENT: &str = "a0000000-0000-4000-8000-00000000b001";

fn enabled() -> bool {
    std::env::var("PGCONFORM_BENCH").is_ok_and(|v| v == "1")
}

#[test]
fn round_trip_cases_per_second() {
    if !enabled() {
        eprintln!("skipped: set PGCONFORM_BENCH=1");
        return;
    }
    let r = testkit::run_invariant(
        "DUR-RT",
        &TestRun {
            seed: 7,
            ..TestRun::default()
        },
    )
    .expect("run");
    assert_eq!(r.verdict, Verdict::Passed);
    let secs = r.duration_ms as f64 / 1000.0;
    eprintln!(
        "DUR-RT: {} cases in {secs:.2} s = {:.2} cases/s",
        r.cases,
        r.cases as f64 / secs
    );
}

fn content(i: usize) -> String {
    format!(
        r#"{{"i":{i},"kind":"bench","note":"row {i} ünïcødé","n":{}.{:03},"tags":["t{}","u{}"],"nested":{{"a":[{i},{},null,true]}}}}"#,
        i * 7919 % 100_003,
        i % 1000,
        i % 13,
        i % 7,
        i % 97
    )
}

/// The harness's own path: `oracle_multiset` (binary COPY of every table).
fn oracle_side(client: &mut postgres::Client, schema: &str) -> DigestMultiset {
    oracle_multiset(client, schema, AGENT).expect("oracle multiset")
}

/// Write ROWS artifact rows through `cpo.commit_action`, PER_COMMIT a commit:
/// one action-log row per commit, the rest spread over the artifact types.
fn commit_rows(db: &mut postgres::Client) {
    let types: Vec<&str> = TABLES.iter().skip(1).map(|t| t.name).collect();
    let mut written = 0usize;
    let mut k = 0usize;
    while written < ROWS {
        // One action-log row per commit; the rest spread over the types.
        let n = PER_COMMIT.min(ROWS - written) - 1;
        let mut per: Vec<Vec<String>> = vec![Vec::new(); types.len()];
        for j in 0..n {
            per[(written + j) % types.len()].push(content(written + j));
        }
        let parts: Vec<String> = types
            .iter()
            .zip(&per)
            .filter(|(_, v)| !v.is_empty())
            .map(|(t, v)| format!("\"{t}\":[{}]", v.join(",")))
            .collect();
        let artifacts = format!("{{{}}}", parts.join(","));
        let action = format!("{{\"step\":{k}}}");
        db.query_one(
            "SELECT cpo.commit_action('bench', $1::text::jsonb, $2::text::jsonb, $3::text::uuid, NULL)",
            &[&action, &artifacts, &AGENT],
        )
        .expect("commit");
        written += n + 1;
        k += 1;
    }
}

/// The result of `step` and the seconds it took.
fn timed<R>(step: impl FnOnce() -> R) -> (R, f64) {
    let started = Instant::now();
    let r = step();
    (r, started.elapsed().as_secs_f64())
}

#[test]
fn verify_100k_rows_kernel_vs_oracle() {
    if !enabled() {
        eprintln!("skipped: set PGCONFORM_BENCH=1");
        return;
    }
    let sb = testkit::sandbox(None).expect("sandbox");
    let mut db = sb.fresh_db().expect("db");
    let ((), commit_s) = timed(|| commit_rows(&mut db));
    let (pack, export_s) = timed(|| -> String {
        db.query_one(
            "SELECT cpo.export_evidence_pack($1::text::uuid)::text",
            &[&AGENT],
        )
        .expect("export")
        .get(0)
    });
    let (_, rehydrate_s) = timed(|| {
        db.query_one(
            "SELECT cpo.rehydrate_agent($1::text::jsonb, 'bench_target')::text",
            &[&pack],
        )
        .expect("rehydrate")
    });
    let (ok, kernel_s) = timed(|| -> bool {
        db.query_one(
            "SELECT (cpo.verify_reconstruction($1::text::uuid, 'cpo', 'bench_target') ->> 'ok')::boolean",
            &[&AGENT],
        )
        .expect("verify")
        .get(0)
    });
    let ((s, d), oracle_s) = timed(|| {
        let s = oracle_side(&mut db, "cpo");
        let x = oracle_side(&mut db, "bench_target");
        let d = diff(&s, &x);
        (s, d)
    });

    // The same with the two schemas streamed at once over two sessions.
    let mut other = db.connect().expect("second session");
    let (d2, oracle2_s) = timed(|| {
        let (s2, x2) = std::thread::scope(|scope| {
            let target = scope.spawn(|| oracle_side(&mut other, "bench_target"));
            let source = oracle_side(&mut db, "cpo");
            (source, target.join().expect("target reader"))
        });
        diff(&s2, &x2)
    });
    assert!(d2.is_ok(), "{d2}");

    let (v, pack_s) = timed(|| pgconform_oracle::verify_pack(pack.as_bytes()).expect("pack"));

    assert!(ok, "kernel verify not ok");
    assert!(d.is_ok(), "{d}");
    assert!(v.is_ok());
    assert_eq!(s.len(), ROWS);
    eprintln!(
        "100k rows ({} MB pack): commit {commit_s:.2} s, export {export_s:.2} s, rehydrate {rehydrate_s:.2} s\n\
         verify: kernel verify_reconstruction {kernel_s:.3} s | Rust oracle (binary COPY of both schemas + multisets + diff) {oracle_s:.3} s, \
         both schemas at once over two sessions {oracle2_s:.3} s\n\
         offline pack verification by the oracle (render + hash every row): {pack_s:.3} s",
        pack.len() / 1_000_000
    );
}

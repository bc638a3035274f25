//! The same verification of two tables of ~200-byte `jsonb` rows done two
//! ways on one embedded PG16 server, side by side (issue goal: the harness's
//! path wins by ≥ 2×):
//!
//! * `postgres_sql` — PostgreSQL itself: sha256 of `content::text` per row,
//!   counted per type and digest in one statement
//!   ([`verify_paths::verify_in_postgres`]);
//! * `harness_stream` — stream both sides out at once with binary COPY, hash
//!   and diff in Rust ([`verify_paths::verify_in_rust`]).
//!
//! Sides are equal (the common case). Sizes 10^3..10^6 rows per side; set
//! `PGCONFORM_VERIFY_MAX_ROWS` to stop earlier (loading 10^6 rows takes
//! ~12 s). `cargo run --release -p pgconform --example verify_ratios` prints
//! the ratio, also with tampers.
//!
//! `cargo bench -p pgconform --bench verify`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pgconform::provision::ProvisionOptions;
use pgconform::session::Session;
use pgconform_scenarios::verify_paths::{
    self, load_workload, verify_in_postgres, verify_in_rust, SOURCE, TARGET,
};
use pgconform_scenarios::Sandbox;

const SIZES: [u64; 4] = [1_000, 10_000, 100_000, 1_000_000];

fn verify(c: &mut Criterion) {
    let max: u64 = std::env::var("PGCONFORM_VERIFY_MAX_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let session = Session::prepare(
        &pgconform::sut::bundled_kernel_dir(),
        None,
        &ProvisionOptions::default(),
        &[],
    )
    .expect("embedded session");
    let mut db = session.sandbox.fresh_db().expect("database");
    // The harness's two reading sessions, opened once like the SQL path's.
    let (mut src_reader, mut dst_reader) = (
        db.connect().expect("connect"),
        db.connect().expect("connect"),
    );
    let mut g = c.benchmark_group("verify");
    for n in SIZES.into_iter().filter(|&n| n <= max) {
        load_workload(db.client(), n, 0).expect("load workload");
        if n >= 100_000 {
            g.sample_size(10).measurement_time(Duration::from_secs(20));
        } else {
            g.sample_size(20).measurement_time(Duration::from_secs(5));
        }
        g.throughput(Throughput::Elements(2 * n));
        g.bench_with_input(BenchmarkId::new("postgres_sql", n), &n, |b, _| {
            b.iter(|| verify_in_postgres(db.client(), SOURCE, TARGET).expect("sql verify"));
        });
        g.bench_with_input(BenchmarkId::new("harness_stream", n), &n, |b, _| {
            b.iter(|| {
                verify_in_rust(&mut src_reader, &mut dst_reader, SOURCE, TARGET)
                    .expect("rust verify")
            });
        });
        let sql = verify_in_postgres(db.client(), SOURCE, TARGET).expect("sql verify");
        let rust =
            verify_in_rust(&mut src_reader, &mut dst_reader, SOURCE, TARGET).expect("rust verify");
        assert!(
            verify_paths::agree(&sql, &rust),
            "the two paths disagree at {n} rows"
        );
    }
    g.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);

//! Provisioning costs (issue goals): cold start to the first case on the
//! embedded backend with a warm cache (≤ 2 s), per-case isolation — a template
//! clone plus its drop — (≤ 15 ms median; measured back to back, which is the
//! clone rate, and as the wait a case sees after another case), and docker
//! backend start (≤ 5 s).
//!
//! `cargo bench -p pgconform --bench provision`

use criterion::{criterion_group, criterion_main, Criterion};
use pgconform::provision::{self, BackendKind, ProvisionOptions};
use pgconform::session::Session;
use pgconform_scenarios::Sandbox;
use std::time::Duration;

fn kernel() -> std::path::PathBuf {
    pgconform::sut::bundled_kernel_dir()
}

fn embedded(c: &mut Criterion) {
    let mut g = c.benchmark_group("embedded");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("cold_start_to_first_case", |b| {
        b.iter(|| {
            let s = Session::prepare(&kernel(), None, &ProvisionOptions::default(), &[])
                .expect("session");
            let mut db = s.sandbox.fresh_db().expect("fresh db");
            db.batch_execute("SELECT public.kernel_now()")
                .expect("first query");
        });
    });
    g.finish();

    let session =
        Session::prepare(&kernel(), None, &ProvisionOptions::default(), &[]).expect("session");
    let mut g = c.benchmark_group("isolation");
    g.sample_size(50);
    // Back to back: nothing to overlap the background clone with, so this
    // is the clone rate itself.
    g.bench_function("fresh_db_clone_and_drop", |b| {
        b.iter(|| {
            let db = session.sandbox.fresh_db().expect("fresh db");
            drop(db);
        });
    });
    // What a case waits for: its database is requested after the previous
    // case did ~20 ms of work on the server (untimed), during which the
    // next clone is prepared in the background.
    g.bench_function("fresh_db_after_a_case", |b| {
        b.iter_custom(|iters| {
            let mut waited = Duration::ZERO;
            for _ in 0..iters {
                let mut db = session.sandbox.fresh_db().expect("fresh db");
                db.batch_execute("SELECT count(*) FROM generate_series(1, 300000)")
                    .expect("case work");
                drop(db);
                let t = std::time::Instant::now();
                let db = session.sandbox.fresh_db().expect("fresh db");
                waited += t.elapsed();
                drop(db);
            }
            waited
        });
    });
    g.finish();
}

fn docker(c: &mut Criterion) {
    let ok = std::process::Command::new("docker")
        .arg("info")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("docker/start: skipped, no Docker engine");
        return;
    }
    let opts = ProvisionOptions {
        backend: BackendKind::Docker,
        ..ProvisionOptions::default()
    };
    let mut g = c.benchmark_group("docker");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.bench_function("start_to_ready", |b| {
        b.iter(|| drop(provision::start(&opts).expect("container")));
    });
    g.finish();
}

criterion_group!(benches, embedded, docker);
criterion_main!(benches);

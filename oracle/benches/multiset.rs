//! Throughput of the oracle's paths on ~200-byte canonical rows, 10^3..10^6
//! rows per side. Every path processes BOTH sides, so:
//!
//! * `sha256_both_sides` — the physical limit: sha256 of both sides'
//!   pre-rendered bytes, one thread;
//! * `render_hash_both_sides` — render (canonical rows are recognised in one
//!   pass) + sha256 of both sides, one thread;
//! * `render_hash_noncanonical` — the same rows spelled compactly with keys
//!   reversed, so every row is fully re-rendered;
//! * `multiset_diff_equal` / `multiset_diff_tampered` — hash both sides into
//!   per-type multisets, compare and localise (5 tampers), one thread;
//! * `multiset_diff_equal_2_threads` — the same on a 2-thread rayon pool.
//!
//! `cargo run --release -p pgconform-oracle --example ratios` prints the
//! ratios between these at 10^6 rows.

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::*;
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, Throughput,
};

const SIZES: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];

/// Benchmark `f` as `name` at `n` rows per side.
fn bench<R>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, n: usize, f: impl Fn() -> R) {
    g.bench_function(BenchmarkId::new(name, n), |bch| bch.iter(&f));
}

fn benches(c: &mut Criterion) {
    let (buf, spans) = make_rows(SIZES[SIZES.len() - 1] + 1);
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap_or_else(|e| panic!("cannot build a 2-thread pool: {e}"));
    let mut g = c.benchmark_group("oracle");
    for &n in &SIZES {
        if n >= 100_000 {
            g.sample_size(10);
            g.measurement_time(Duration::from_secs(8));
        } else {
            g.sample_size(30);
            g.measurement_time(Duration::from_secs(3));
        }
        let spare = &buf[spans[n].0..spans[n].1];
        let a = side(&buf, &spans[..n]);
        let b = a.clone();
        let t = tampered(&a, spare, 5);
        let nc = noncanonical_rows(n);
        g.throughput(Throughput::Elements(2 * n as u64));
        bench(&mut g, "sha256_both_sides", n, || {
            hash_both(black_box(&a), black_box(&b))
        });
        bench(&mut g, "render_hash_both_sides", n, || {
            render_hash_both(black_box(&a), black_box(&b))
        });
        bench(&mut g, "render_hash_noncanonical", n, || {
            render_hash_noncanonical(black_box(&nc), black_box(&nc))
        });
        bench(&mut g, "multiset_diff_equal", n, || {
            multiset_diff_seq(black_box(&a), black_box(&b))
        });
        bench(&mut g, "multiset_diff_tampered", n, || {
            multiset_diff_seq(black_box(&a), black_box(&t))
        });
        // The pool is entered once around the timed loop, not per iteration.
        g.bench_function(
            BenchmarkId::new("multiset_diff_equal_2_threads", n),
            |bch| two.install(|| bch.iter(|| multiset_diff_par(black_box(&a), black_box(&b)))),
        );
    }
    g.finish();
}

criterion_group!(oracle, benches);
criterion_main!(oracle);

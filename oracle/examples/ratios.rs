//! Times each oracle path at 10^6 rows per side (best of N) and prints the
//! figures and their ratios to the physical limit.
//!
//! `cargo run --release -p pgconform-oracle --example ratios [rows] [repeats]`
//!
//! Baseline (1) is "sha256 of both sides' bytes": every multiset diff must
//! hash both sides, so that is the floor it is compared with.
//!
//! Single-threaded paths are timed in on-CPU time of the measuring thread
//! (so other load on a shared machine does not distort the ratios);
//! multi-threaded paths, and their single-threaded references, in wall-clock
//! time, which only means something on an otherwise idle machine.

#[path = "../benches/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::*;

/// On-CPU time of the calling thread (Linux `/proc/thread-self/schedstat`),
/// which other processes on a shared machine do not inflate.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Best of `repeats`: on-CPU time of this thread when available (for the
/// single-threaded paths), else wall-clock time.
fn best<R>(repeats: usize, mut f: impl FnMut() -> R) -> Duration {
    (0..repeats)
        .map(|_| {
            let (t, c) = (Instant::now(), thread_cpu());
            black_box(f());
            match (c, thread_cpu()) {
                (Some(c0), Some(c1)) => c1 - c0,
                _ => t.elapsed(),
            }
        })
        .min()
        .unwrap_or_default()
}

/// Best of `repeats` in wall-clock time (for the multi-threaded paths).
fn best_wall<R>(repeats: usize, mut f: impl FnMut() -> R) -> Duration {
    (0..repeats)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Best of `repeats` of the busiest pool thread's on-CPU time while `f` runs
/// on `pool`. Everything inside `install` (parallel and serial parts) runs on
/// the pool's threads, so on an idle machine the wall time would be about
/// this critical path; unlike wall time it is not inflated by other load.
fn best_critical_path<R: Send>(
    pool: &rayon::ThreadPool,
    repeats: usize,
    f: impl Fn() -> R + Sync,
) -> Duration {
    (0..repeats)
        .map(|_| {
            let before = pool.broadcast(|_| thread_cpu().unwrap_or_default());
            pool.install(|| black_box(f()));
            let after = pool.broadcast(|_| thread_cpu().unwrap_or_default());
            before
                .iter()
                .zip(&after)
                .map(|(b, a)| a.saturating_sub(*b))
                .max()
                .unwrap_or_default()
        })
        .min()
        .unwrap_or_default()
}

/// Best wall time of `f` on `one` and on `two`, measured alternately (one,
/// two, one, two, …) so that a noisy moment on a shared machine cannot
/// favour either side of the comparison.
fn best_wall_alternating<R: Send>(
    one: &rayon::ThreadPool,
    two: &rayon::ThreadPool,
    repeats: usize,
    f: impl Fn() -> R + Sync,
) -> (Duration, Duration) {
    let (mut b1, mut b2) = (Duration::MAX, Duration::MAX);
    for _ in 0..repeats {
        for (pool, best) in [(one, &mut b1), (two, &mut b2)] {
            let t = Instant::now();
            pool.install(|| black_box(f()));
            *best = (*best).min(t.elapsed());
        }
    }
    (b1, b2)
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap_or_else(|e| panic!("cannot build a {threads}-thread pool: {e}"))
}

/// Every figure the example measures (best times; see `main`'s output for
/// what each one is).
#[derive(Clone, Copy)]
struct Timings {
    t1: Duration,
    t2: Duration,
    t2_nc: Duration,
    nc_bytes: usize,
    t1_nc: Duration,
    t3_eq: Duration,
    t3_loc: Duration,
    t3_all: Duration,
    b3_eq: Duration,
    b3_loc: Duration,
    b3_all: Duration,
    t3_eq_w: Duration,
    alternating: usize,
    t3_eq_p1: Duration,
    t3_eq_p2: Duration,
    t3_loc_p1: Duration,
    t3_loc_p2: Duration,
    r_p1: Duration,
    r_p2: Duration,
    cp_eq_1: Duration,
    cp_eq_2: Duration,
    cp_loc_1: Duration,
    cp_loc_2: Duration,
    cp_r_1: Duration,
    cp_r_2: Duration,
}

/// Times every path on sides `a` (equal, tampered and disjoint copies).
fn measure(
    a: &Side<'_>,
    b_equal: &Side<'_>,
    b_tampered: &Side<'_>,
    b_disjoint: &Side<'_>,
    n: usize,
    repeats: usize,
) -> Timings {
    let one = pool(1);
    let two = pool(2);
    let nc = noncanonical_rows(n);
    let alternating = 2 * repeats + 1;
    let (t3_eq_p1, t3_eq_p2) =
        best_wall_alternating(&one, &two, alternating, || multiset_diff_par(a, b_equal));
    let (t3_loc_p1, t3_loc_p2) =
        best_wall_alternating(&one, &two, alternating, || multiset_diff_par(a, b_tampered));
    let (r_p1, r_p2) = best_wall_alternating(&one, &two, alternating, || {
        render_multiset_diff_par(a, b_equal)
    });
    Timings {
        t1: best(repeats, || hash_both(a, b_equal)),
        t2: best(repeats, || render_hash_both(a, b_equal)),
        t2_nc: best(repeats, || render_hash_noncanonical(&nc, &nc)),
        nc_bytes: nc.iter().map(String::len).sum(),
        t1_nc: best(repeats, || {
            nc.iter().chain(&nc).fold(0u8, |x, t| {
                x ^ pgconform_oracle::Digest::of_canonical(t.as_bytes()).0[0]
            })
        }),
        t3_eq: best(repeats, || multiset_diff_seq(a, b_equal)),
        t3_loc: best(repeats, || multiset_diff_seq(a, b_tampered)),
        t3_all: best(repeats, || multiset_diff_seq(a, b_disjoint)),
        b3_eq: best_critical_path(&one, repeats, || multiset_diff_par(a, b_equal)),
        b3_loc: best_critical_path(&one, repeats, || multiset_diff_par(a, b_tampered)),
        b3_all: best_critical_path(&one, repeats, || multiset_diff_par(a, b_disjoint)),
        t3_eq_w: best_wall(repeats, || multiset_diff_seq(a, b_equal)),
        alternating,
        t3_eq_p1,
        t3_eq_p2,
        t3_loc_p1,
        t3_loc_p2,
        r_p1,
        r_p2,
        cp_eq_1: best_critical_path(&one, repeats, || multiset_diff_par(a, b_equal)),
        cp_eq_2: best_critical_path(&two, repeats, || multiset_diff_par(a, b_equal)),
        cp_loc_1: best_critical_path(&one, repeats, || multiset_diff_par(a, b_tampered)),
        cp_loc_2: best_critical_path(&two, repeats, || multiset_diff_par(a, b_tampered)),
        cp_r_1: best_critical_path(&one, repeats, || render_multiset_diff_par(a, b_equal)),
        cp_r_2: best_critical_path(&two, repeats, || render_multiset_diff_par(a, b_equal)),
    }
}

/// Prints the figures as ratios to the raw sha256 baseline `t.t1`.
fn print_timings(t: &Timings, n: usize, missing: usize, extra: usize) {
    let rate = |d: Duration, rows: usize| rows as f64 / d.as_secs_f64() / 1e6;
    let ratio = |d: Duration| d.as_secs_f64() / t.t1.as_secs_f64();
    println!(
        "(1)  sha256 of both sides' bytes, 1 thread          {:8.1} ms  {:5.2} M rows/s",
        ms(t.t1),
        rate(t.t1, 2 * n)
    );
    println!(
        "(2)  render + sha256, both sides, 1 thread          {:8.1} ms  ratio to (1) {:.3}",
        ms(t.t2),
        ratio(t.t2)
    );
    println!(
        "(2') render + sha256 of non-canonical rows ({:.0} bytes), 1 thread {:8.1} ms  ratio to sha256 of those bytes {:.3}",
        t.nc_bytes as f64 / n as f64,
        ms(t.t2_nc),
        t.t2_nc.as_secs_f64() / t.t1_nc.as_secs_f64()
    );
    println!(
        "(3)  multiset diff (bulk API, 1-thread pool), sides equal   {:8.1} ms  ratio to (1) {:.3}",
        ms(t.b3_eq),
        ratio(t.b3_eq)
    );
    println!(
        "(3)  multiset diff (bulk API, 1-thread pool), 5 tampers ({missing} missing, {extra} extra) {:8.1} ms  ratio to (1) {:.3}",
        ms(t.b3_loc),
        ratio(t.b3_loc)
    );
    println!(
        "(3)  multiset diff (bulk API, 1-thread pool), every row differs {:8.1} ms  ratio to (1) {:.3}",
        ms(t.b3_all),
        ratio(t.b3_all)
    );
    println!(
        "(3)  multiset diff (row-by-row insert API, 1 thread), equal / 5 tampers / all differ: {:.1} / {:.1} / {:.1} ms  ratios {:.3} / {:.3} / {:.3}",
        ms(t.t3_eq),
        ms(t.t3_loc),
        ms(t.t3_all),
        ratio(t.t3_eq),
        ratio(t.t3_loc),
        ratio(t.t3_all)
    );
    print_parallel(t);
}

/// A duration in milliseconds.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A 1-thread and a 2-thread time side by side, with the speedup.
fn one_vs_two(p1: Duration, p2: Duration) -> String {
    format!(
        "{:8.1} / {:.1} ms  speedup {:.2}x",
        ms(p1),
        ms(p2),
        p1.as_secs_f64() / p2.as_secs_f64()
    )
}

/// The parallel figures: 1 against 2 threads.
fn print_parallel(t: &Timings) {
    println!(
        "(3)  multiset diff, equal, rayon 1 / 2 threads (wall, alternating, best of {}) {}",
        t.alternating,
        one_vs_two(t.t3_eq_p1, t.t3_eq_p2)
    );
    println!(
        "(3)  multiset diff, 5 tampers, rayon 1 / 2 threads (wall, alternating)  {}",
        one_vs_two(t.t3_loc_p1, t.t3_loc_p2)
    );
    println!(
        "(3)  multiset diff, sides equal, 1 thread (wall)    {:8.1} ms  speedup of 2 threads {:.2}x",
        ms(t.t3_eq_w),
        t.t3_eq_w.as_secs_f64() / t.t3_eq_p2.as_secs_f64()
    );
    println!(
        "(2+3) render+hash+diff, rayon 1 / 2 threads (wall, alternating)  {}",
        one_vs_two(t.r_p1, t.r_p2)
    );
    for (label, c1, c2) in [
        ("multiset diff, sides equal", t.cp_eq_1, t.cp_eq_2),
        ("multiset diff, 5 tampers", t.cp_loc_1, t.cp_loc_2),
        ("render + hash + diff", t.cp_r_1, t.cp_r_2),
    ] {
        println!(
            "(par) {label}: critical path (busiest thread's CPU) 1 / 2 threads {:.1} / {:.1} ms  => speedup {:.2}x",
            ms(c1),
            ms(c2),
            c1.as_secs_f64() / c2.as_secs_f64()
        );
    }
    println!(
        "load average while measuring: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let repeats: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let (buf, spans) = make_rows(n + 1);
    let spare = &buf[spans[n].0..spans[n].1];
    let a = side(&buf, &spans[..n]);
    let b_equal = a.clone();
    let b_tampered = tampered(&a, spare, 5);
    let (buf2, spans2) = make_rows(2 * n);
    let b_disjoint: Side<'_> = side(&buf2, &spans2[n..]);
    let bytes: usize = a.iter().map(|(_, t)| t.len()).sum();
    println!(
        "rows per side: {n}, mean row {:.0} bytes, best of {repeats}, {} cores",
        bytes as f64 / n as f64,
        std::thread::available_parallelism().map_or(1, usize::from)
    );

    let t = measure(&a, &b_equal, &b_tampered, &b_disjoint, n, repeats);

    // Sanity: the tampered side really differs, the equal one does not.
    let d = multiset_diff_seq(&a, &b_tampered);
    let (missing, extra): (usize, usize) = d
        .types
        .values()
        .fold((0, 0), |(m, e), t| (m + t.missing.len(), e + t.extra.len()));
    assert!(multiset_diff_seq(&a, &b_equal).is_ok());

    print_timings(&t, n, missing, extra);
}

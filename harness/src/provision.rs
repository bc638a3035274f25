//! Disposable PostgreSQL 16 servers behind one interface, three backends.

pub mod docker;
pub mod dsn;
pub mod embedded;
pub mod owner;
pub mod pgbin;
pub mod reaper;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Which backend provides the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// A disposable cluster from PG16 binaries (default).
    Embedded,
    /// A container (testcontainers), image `postgres:16.14` by default.
    Docker,
    /// An existing server; only throwaway databases are created there.
    Dsn,
}

impl BackendKind {
    /// The name used on the command line and in reports: `embedded`, `docker`, `dsn`.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Embedded => "embedded",
            BackendKind::Docker => "docker",
            BackendKind::Dsn => "dsn",
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// Everything needed to obtain a server.
#[derive(Debug, Clone)]
pub struct ProvisionOptions {
    /// Backend to use.
    pub backend: BackendKind,
    /// Connection URL for the `dsn` backend.
    pub dsn: Option<String>,
    /// Image for the `docker` backend.
    pub image: String,
    /// Directory of PG16 binaries (`PG_BIN`) for the `embedded` backend.
    pub pg_bin: Option<PathBuf>,
    /// Accept a server whose major version is not 16.
    pub allow_any_major: bool,
}

impl Default for ProvisionOptions {
    fn default() -> Self {
        Self {
            backend: BackendKind::Embedded,
            dsn: None,
            image: docker::DEFAULT_IMAGE.to_owned(),
            pg_bin: std::env::var_os("PG_BIN").map(PathBuf::from),
            allow_any_major: false,
        }
    }
}

/// Why a server could not be provided. Always an environment error (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// PG binaries are missing or unusable.
    #[error("{0}")]
    Binaries(String),
    /// The cluster or container did not start.
    #[error("{0}")]
    Start(String),
    /// The server could not be reached.
    #[error("{0}")]
    Connect(String),
    /// The server is not PostgreSQL 16.
    #[error("{0}")]
    Version(String),
    /// Filesystem trouble (full disk, permissions).
    #[error("{0}")]
    Io(String),
}

/// What the report says about the server.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServerIdentity {
    /// Backend that provided it.
    pub backend: BackendKind,
    /// `version()` of the server.
    pub version: String,
    /// `server_version_num`.
    pub version_num: i32,
    /// Binary directory, image, or redacted DSN.
    pub source: String,
    /// Set when a non-16 major was accepted by `--allow-any-major`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_note: Option<String>,
}

/// A running server; dropping it stops and removes it (embedded, docker) or
/// releases it (dsn).
pub struct Server {
    /// Connection parameters without a database name.
    pub config: postgres::Config,
    /// Identity for reports.
    pub identity: ServerIdentity,
    /// Prefix for every database this process creates on the server.
    pub db_prefix: String,
    _guard: Box<dyn Send + Sync>,
}

impl Server {
    /// Connection parameters for database `dbname`.
    pub fn config_for(&self, dbname: &str) -> postgres::Config {
        let mut c = self.config.clone();
        c.dbname(dbname);
        c
    }

    /// Connect to `dbname`.
    pub fn connect(&self, dbname: &str) -> Result<postgres::Client, ProvisionError> {
        self.config_for(dbname)
            .connect(postgres::NoTls)
            .map_err(|e| {
                ProvisionError::Connect(format!(
                    "cannot connect to database {dbname}: {}",
                    pgconform_scenarios::pg::describe(&e)
                ))
            })
    }
}

/// Start (or attach to) a server with `opts`, after reaping orphans of
/// earlier runs that died without cleaning up.
pub fn start(opts: &ProvisionOptions) -> Result<Server, ProvisionError> {
    let (config, source, guard, db_prefix): (
        postgres::Config,
        String,
        Box<dyn Send + Sync>,
        String,
    ) = match opts.backend {
        BackendKind::Embedded => {
            reaper::reap_embedded();
            let c = embedded::Cluster::start(opts.pg_bin.as_deref(), opts.allow_any_major)?;
            let config = c.config();
            let source = c.bin_dir().display().to_string();
            (config, source, Box::new(c), owner::db_prefix())
        }
        BackendKind::Docker => {
            reaper::reap_docker();
            let c = docker::Container::start(&opts.image)?;
            let config = c.config();
            (config, opts.image.clone(), Box::new(c), owner::db_prefix())
        }
        BackendKind::Dsn => {
            let url = opts.dsn.as_deref().ok_or_else(|| {
                ProvisionError::Connect("--backend dsn needs --dsn URL".to_owned())
            })?;
            let target = dsn::Target::parse(url)?;
            reaper::reap_dsn(&target.config);
            let source = target.redacted.clone();
            (target.config, source, Box::new(()), owner::db_prefix())
        }
    };
    let identity = identify(&config, opts, source)?;
    Ok(Server {
        config,
        identity,
        db_prefix,
        _guard: guard,
    })
}

/// Wait for a server a backend has just started: try a login to database
/// `postgres` with `config` every `poll`, from the start (no sleep before the
/// first try), until one succeeds or `timeout` has passed. Before each try
/// `ready_to_try` looks at the server's own signs: an error ends the wait (the
/// server died), `false` skips this try (its socket is not there yet). On
/// timeout the error is `timed_out`'s, given the last login error if a login
/// was tried.
fn wait_for_login(
    config: &postgres::Config,
    timeout: Duration,
    poll: Duration,
    mut ready_to_try: impl FnMut() -> Result<bool, ProvisionError>,
    timed_out: impl FnOnce(Option<postgres::Error>) -> ProvisionError,
) -> Result<(), ProvisionError> {
    let deadline = Instant::now() + timeout;
    let mut config = config.clone();
    config
        .dbname("postgres")
        .connect_timeout(Duration::from_secs(2));
    loop {
        let mut login_error = None;
        if ready_to_try()? {
            match config.connect(postgres::NoTls) {
                Ok(_) => return Ok(()),
                Err(e) => login_error = Some(e),
            }
        }
        if Instant::now() >= deadline {
            return Err(timed_out(login_error));
        }
        std::thread::sleep(poll);
    }
}

/// Ask the server who it is, and refuse anything but PostgreSQL 16 unless allowed.
fn identify(
    config: &postgres::Config,
    opts: &ProvisionOptions,
    source: String,
) -> Result<ServerIdentity, ProvisionError> {
    let mut c = config.clone();
    if c.get_dbname().is_none() {
        c.dbname("postgres");
    }
    let mut client = c.connect(postgres::NoTls).map_err(|e| {
        ProvisionError::Connect(format!(
            "cannot connect to the server ({source}): {}",
            pgconform_scenarios::pg::describe(&e)
        ))
    })?;
    let row = client
        .query_one(
            "SELECT version(), current_setting('server_version_num')::int, \
             (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)",
            &[],
        )
        .map_err(|e| {
            ProvisionError::Connect(format!(
                "cannot query the server ({source}): {}",
                pgconform_scenarios::pg::describe(&e)
            ))
        })?;
    let version: String = row.get(0);
    let version_num: i32 = row.get(1);
    let superuser: bool = row.get(2);
    if !superuser {
        return Err(ProvisionError::Connect(format!(
            "the role used for {source} is not a superuser; pgconform installs kernels and roles and needs one"
        )));
    }
    let major = version_num / 10000;
    let mut version_note = None;
    if major != 16 {
        if !opts.allow_any_major {
            return Err(ProvisionError::Version(format!(
                "the server is PostgreSQL {major} ({version}); pgconform checks PostgreSQL 16 kernels \
                 (pass --allow-any-major to run anyway, reported as such)"
            )));
        }
        version_note = Some(format!(
            "PostgreSQL {major} accepted by --allow-any-major: results are not PG16 conformance"
        ));
    }
    Ok(ServerIdentity {
        backend: opts.backend,
        version,
        version_num,
        source,
        version_note,
    })
}

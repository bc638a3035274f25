//! The narrow seam between scenarios and a running server.
//!
//! The harness implements [`Sandbox`] for every backend; scenarios only ask for
//! fresh databases and never see how the server was provisioned.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// A failure to provide a database: always an environment problem.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// Could not create, clone, connect to or drop a database.
    #[error("{0}")]
    Database(String),
    /// The SUT could not be installed.
    #[error("{0}")]
    Install(String),
}

/// One SQL file of a system under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFile {
    /// Path relative to the SUT directory (or absolute for mutants).
    pub path: String,
    /// File content.
    pub sql: String,
    /// Lowercase hex sha256 of the content.
    pub sha256: String,
}

/// A system under test: its install files in order and its named scripts.
#[derive(Debug, Clone, Default)]
pub struct Sut {
    /// Directory the SUT was loaded from.
    pub dir: PathBuf,
    /// Install files in manifest order (a mutant, if any, comes last).
    pub install: Vec<SqlFile>,
    /// Named scripts from the manifest (e.g. `gates-rollback`, `uninstall`).
    pub scripts: BTreeMap<String, SqlFile>,
    /// sha256 over the manifest and every file's path and hash.
    pub fingerprint: String,
    /// The mutant applied on top of the kernel, if any.
    pub mutant: Option<SqlFile>,
    /// Which install files (indexes into `install`, in order) the `uninstall`
    /// script reverses, from the manifest's `uninstall-reverses FIRST LAST`.
    pub uninstall_reverses: Option<std::ops::RangeInclusive<usize>>,
}

impl Sut {
    /// The install files followed by the mutant, as installed in the template.
    pub fn install_with_mutant(&self) -> impl Iterator<Item = &SqlFile> {
        self.install.iter().chain(self.mutant.iter())
    }

    /// A named script, or a clear error naming it.
    pub fn script(&self, name: &str) -> Result<&SqlFile, SandboxError> {
        self.scripts.get(name).ok_or_else(|| {
            SandboxError::Install(format!(
                "the SUT manifest in {} declares no `script {name}` entry",
                self.dir.display()
            ))
        })
    }
}

/// Something that hands out isolated databases on one running server.
pub trait Sandbox: Send + Sync {
    /// A fresh database cloned from the template that holds the installed SUT
    /// (and mutant). No case ever sees another case's database.
    fn fresh_db(&self) -> Result<CaseDb, SandboxError>;

    /// A fresh, empty database (no SUT installed), for install/uninstall cases.
    fn empty_db(&self) -> Result<CaseDb, SandboxError>;

    /// The system under test installed in the template.
    fn sut(&self) -> &Sut;

    /// `server_version_num` of the server, e.g. 160014.
    fn server_version_num(&self) -> i32;
}

type Dropper = Box<dyn FnOnce(&str) + Send>;

/// A disposable database with an open superuser session.
///
/// Dropping it closes the session and drops the database.
pub struct CaseDb {
    name: String,
    config: postgres::Config,
    client: Option<postgres::Client>,
    dropper: Option<Dropper>,
}

impl CaseDb {
    /// Wrap a database created by a sandbox; `dropper` is called with the
    /// database name after the session closes.
    pub fn new(
        name: String,
        config: postgres::Config,
        client: postgres::Client,
        dropper: impl FnOnce(&str) + Send + 'static,
    ) -> Self {
        Self {
            name,
            config,
            client: Some(client),
            dropper: Some(Box::new(dropper)),
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The superuser session of this database.
    pub fn client(&mut self) -> &mut postgres::Client {
        self.client
            .as_mut()
            .expect("CaseDb client is present until drop")
    }

    /// Open another session to the same database (for concurrency cases).
    pub fn connect(&self) -> Result<postgres::Client, SandboxError> {
        self.config
            .connect(postgres::NoTls)
            .map_err(|e| SandboxError::Database(format!("connect to {}: {e}", self.name)))
    }

    /// Connection parameters of this database (for external tools).
    pub fn config(&self) -> &postgres::Config {
        &self.config
    }
}

impl std::ops::Deref for CaseDb {
    type Target = postgres::Client;
    fn deref(&self) -> &postgres::Client {
        self.client
            .as_ref()
            .expect("CaseDb client is present until drop")
    }
}

impl std::ops::DerefMut for CaseDb {
    fn deref_mut(&mut self) -> &mut postgres::Client {
        self.client()
    }
}

impl Drop for CaseDb {
    fn drop(&mut self) {
        drop(self.client.take());
        if let Some(dropper) = self.dropper.take() {
            dropper(&self.name);
        }
    }
}

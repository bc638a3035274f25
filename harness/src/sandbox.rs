//! The harness's [`Sandbox`]: a template database holding the installed SUT on
//! one server, and a fresh clone of it for every case.

use crate::provision::{owner, BackendKind, Server};
use pgconform_scenarios::pg::{describe, quote_ident as ident};
use pgconform_scenarios::sandbox::{CaseDb, Sandbox, SandboxError, SqlFile, Sut};
use postgres::Client;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SendError};
use std::sync::{Arc, Mutex};

/// An install file that failed, located for a human.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}{}", .sqlstate.as_deref().map(|s| format!(" (SQLSTATE {s})")).unwrap_or_default())]
pub struct InstallError {
    /// The file, as named in the manifest (or the mutant's path).
    pub file: String,
    /// 1-based line of the error position, or 1 when the server gave none.
    pub line: usize,
    /// The server's message, with its detail, hint and context.
    pub message: String,
    /// SQLSTATE, when the server raised one.
    pub sqlstate: Option<String>,
}

/// Run `files` in one transaction on `client`; on error roll back and locate it.
pub fn install_files<'a>(
    client: &mut Client,
    files: impl IntoIterator<Item = &'a SqlFile>,
) -> Result<(), InstallError> {
    let env = |e: postgres::Error| InstallError {
        file: "(transaction)".to_owned(),
        line: 1,
        message: describe(&e),
        sqlstate: None,
    };
    client.batch_execute("BEGIN").map_err(env)?;
    for f in files {
        if let Err(e) = client.batch_execute(&f.sql) {
            let _ = client.batch_execute("ROLLBACK");
            return Err(locate(f, &e));
        }
    }
    client.batch_execute("COMMIT").map_err(env)
}

/// Turn a driver error for file `f` into file:line and message.
pub fn locate(f: &SqlFile, e: &postgres::Error) -> InstallError {
    let Some(db) = e.as_db_error() else {
        return InstallError {
            file: f.path.clone(),
            line: 1,
            message: describe(e),
            sqlstate: None,
        };
    };
    let line = match db.position() {
        Some(postgres::error::ErrorPosition::Original(pos)) => {
            let pos = usize::try_from(*pos).unwrap_or(1).saturating_sub(1);
            1 + f.sql.chars().take(pos).filter(|c| *c == '\n').count()
        }
        _ => 1,
    };
    let mut message = db.message().to_owned();
    if let Some(d) = db.detail() {
        message.push_str(&format!("; detail: {d}"));
    }
    if let Some(h) = db.hint() {
        message.push_str(&format!("; hint: {h}"));
    }
    if let Some(w) = db.where_() {
        message.push_str(&format!(" [{}]", w.replace('\n', " / ")));
    }
    InstallError {
        file: f.path.clone(),
        line,
        message,
        sqlstate: Some(db.code().code().to_owned()),
    }
}

/// Cases' databases on one server, cloned from a template with the SUT.
///
/// After the first [`Sandbox::fresh_db`], a background thread keeps one
/// clone of the template created and connected ahead of time, so a case
/// gets its database without waiting for `CREATE DATABASE` whenever the
/// previous case took longer than a clone.
pub struct ServerSandbox {
    cloner: Arc<Cloner>,
    reclaimer: Reclaimer,
    spare: Mutex<Option<Prefetcher>>,
    sut: Sut,
    version_num: i32,
}

/// Errors preparing the template (all exit 2).
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The server refused an administrative statement.
    #[error("{0}")]
    Server(String),
    /// The SUT failed to install.
    #[error("the SUT does not install: {0}")]
    Install(#[from] InstallError),
}

impl ServerSandbox {
    /// Create the template database on `server` and install `sut` into it.
    pub fn prepare(server: Arc<Server>, sut: Sut) -> Result<Self, PrepareError> {
        let admin = server
            .connect(admin_db(&server))
            .map_err(|e| PrepareError::Server(e.to_string()))?;
        let admin = Arc::new(Mutex::new(admin));
        let reclaimer = Reclaimer::start(&server, Arc::clone(&admin))?;
        let template = format!("{}_tpl", server.db_prefix);
        let cloner = Arc::new(Cloner {
            server,
            admin,
            template,
            counter: AtomicU64::new(0),
        });
        let mut sb = Self {
            cloner,
            reclaimer,
            spare: Mutex::new(None),
            sut,
            version_num: 0,
        };
        let c = &sb.cloner;
        c.create_db(&c.template, "template0")
            .map_err(|e| PrepareError::Server(e.to_string()))?;
        let mut client = c
            .server
            .connect(&c.template)
            .map_err(|e| PrepareError::Server(e.to_string()))?;
        let version_num: i32 = client
            .query_one("SELECT current_setting('server_version_num')::int", &[])
            .map_err(|e| PrepareError::Server(describe(&e)))?
            .get(0);
        install_files(&mut client, sb.sut.install_with_mutant())?;
        drop(client);
        sb.version_num = version_num;
        Ok(sb)
    }

    /// Connect to the template database (e.g. for the contract check).
    pub fn connect_template(&self) -> Result<Client, SandboxError> {
        self.cloner
            .server
            .connect(&self.cloner.template)
            .map_err(|e| SandboxError::Database(e.to_string()))
    }

    fn wrap(&self, ready: Ready) -> CaseDb {
        let reclaim = self.reclaimer.handle();
        CaseDb::new(ready.name, ready.config, ready.client, move |name: &str| {
            reclaim(name)
        })
    }

    /// The SUT fingerprint.
    pub fn fingerprint(&self) -> &str {
        &self.sut.fingerprint
    }
}

/// Creates case databases (shared with the prefetching thread).
struct Cloner {
    server: Arc<Server>,
    admin: Arc<Mutex<Client>>,
    template: String,
    counter: AtomicU64,
}

/// A case database, created and connected.
struct Ready {
    name: String,
    config: postgres::Config,
    client: Client,
}

impl Cloner {
    fn admin(&self) -> std::sync::MutexGuard<'_, Client> {
        self.admin.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn create_db(&self, name: &str, template: &str) -> Result<(), SandboxError> {
        let sql = format!(
            "CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY",
            ident(name),
            ident(template)
        );
        let mut admin = self.admin();
        admin.batch_execute(&sql).map_err(|e| {
            SandboxError::Database(format!("create database {name}: {}", describe(&e)))
        })?;
        if self.server.identity.backend != BackendKind::Dsn {
            // Disposable servers die with the run; only databases on a
            // user's server need an owner mark for reaping after a crash.
            return Ok(());
        }
        let comment = format!(
            "pgconform:{}",
            serde_json::to_string(owner::me()).unwrap_or_default()
        );
        admin
            .batch_execute(&format!(
                "COMMENT ON DATABASE {} IS '{}'",
                ident(name),
                comment.replace('\'', "''")
            ))
            .map_err(|e| SandboxError::Database(format!("mark database {name}: {}", describe(&e))))
    }

    /// A new database cloned from `template`, with a superuser session.
    fn ready(&self, template: &str) -> Result<Ready, SandboxError> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}_{n}", self.server.db_prefix);
        self.create_db(&name, template)?;
        let config = self.server.config_for(&name);
        match config.connect(postgres::NoTls) {
            Ok(client) => Ok(Ready {
                name,
                config,
                client,
            }),
            Err(e) => {
                let _ = self.admin().batch_execute(&drop_sql(&name));
                Err(SandboxError::Database(format!(
                    "connect to {name}: {}",
                    describe(&e)
                )))
            }
        }
    }
}

/// Keeps one template clone ready on a background thread: it creates one,
/// then waits until a case takes it (a rendezvous channel), then creates the
/// next. Dropping it reclaims the clone nobody took.
struct Prefetcher {
    rx: Option<Receiver<Result<Ready, SandboxError>>>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl Prefetcher {
    fn start(
        cloner: Arc<Cloner>,
        reclaim: impl Fn(&str) + Send + 'static,
    ) -> Result<Self, SandboxError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Ready, SandboxError>>(0);
        let worker = std::thread::Builder::new()
            .name("pgconform-prefetch".to_owned())
            .spawn(move || loop {
                let next = cloner.ready(&cloner.template);
                if let Err(SendError(unwanted)) = tx.send(next) {
                    if let Ok(ready) = unwanted {
                        drop(ready.client);
                        reclaim(&ready.name);
                    }
                    return;
                }
            })
            .map_err(|e| {
                SandboxError::Database(format!("cannot start the prefetching thread: {e}"))
            })?;
        Ok(Self {
            rx: Some(rx),
            worker: Some(worker),
        })
    }

    /// The next clone (waits for it when the previous case was quick).
    fn take(&self) -> Option<Result<Ready, SandboxError>> {
        self.rx.as_ref()?.recv().ok()
    }
}

impl Drop for Prefetcher {
    fn drop(&mut self) {
        // A closed channel makes the worker's pending send fail: it reclaims
        // that clone and stops.
        drop(self.rx.take());
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

fn admin_db(server: &Server) -> &str {
    server.config.get_dbname().unwrap_or("postgres")
}

impl Sandbox for ServerSandbox {
    fn fresh_db(&self) -> Result<CaseDb, SandboxError> {
        let mut spare = self.spare.lock().unwrap_or_else(|p| p.into_inner());
        if spare.is_none() {
            let reclaim = self.reclaimer.handle();
            *spare = Some(Prefetcher::start(Arc::clone(&self.cloner), reclaim)?);
        }
        let ready = match spare.as_ref().and_then(Prefetcher::take) {
            Some(r) => r?,
            // The worker is gone (it cannot be while the sandbox lives, but
            // never hang on it): clone on this thread.
            None => self.cloner.ready(&self.cloner.template)?,
        };
        drop(spare);
        Ok(self.wrap(ready))
    }

    fn empty_db(&self) -> Result<CaseDb, SandboxError> {
        Ok(self.wrap(self.cloner.ready("template0")?))
    }

    fn sut(&self) -> &Sut {
        &self.sut
    }

    fn server_version_num(&self) -> i32 {
        self.version_num
    }
}

impl Drop for ServerSandbox {
    fn drop(&mut self) {
        // The prefetched clone goes back through the reclaimer, so stop the
        // prefetcher first, then drain the reclaimer, then drop the template.
        drop(self.spare.lock().unwrap_or_else(|p| p.into_inner()).take());
        self.reclaimer.finish();
        let sql = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            ident(&self.cloner.template)
        );
        let _ = self.cloner.admin().batch_execute(&sql);
    }
}

/// Drops finished case databases on a background session, so a case's
/// isolation costs one clone on the hot path; drains fully before the
/// sandbox goes away.
struct Reclaimer {
    tx: Option<std::sync::mpsc::Sender<String>>,
    worker: Option<std::thread::JoinHandle<()>>,
    admin: Arc<Mutex<Client>>,
}

fn drop_sql(name: &str) -> String {
    format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(name))
}

impl Reclaimer {
    fn start(server: &Server, admin: Arc<Mutex<Client>>) -> Result<Self, PrepareError> {
        let mut client = server
            .connect(admin_db(server))
            .map_err(|e| PrepareError::Server(e.to_string()))?;
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let worker = std::thread::Builder::new()
            .name("pgconform-reclaimer".to_owned())
            .spawn(move || {
                for name in rx {
                    let _ = client.batch_execute(&drop_sql(&name));
                }
            })
            .map_err(|e| PrepareError::Server(format!("cannot start the reclaimer thread: {e}")))?;
        Ok(Self {
            tx: Some(tx),
            worker: Some(worker),
            admin,
        })
    }

    /// A function that reclaims databases (inline if the worker is gone).
    fn handle(&self) -> impl Fn(&str) + Send + 'static {
        let tx = self.tx.clone();
        let admin = Arc::clone(&self.admin);
        move |name: &str| {
            let queued = tx
                .as_ref()
                .is_some_and(|tx| tx.send(name.to_owned()).is_ok());
            if !queued {
                let mut admin = admin.lock().unwrap_or_else(|p| p.into_inner());
                let _ = admin.batch_execute(&drop_sql(name));
            }
        }
    }

    /// Drop everything queued and stop the worker.
    fn finish(&mut self) {
        drop(self.tx.take());
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

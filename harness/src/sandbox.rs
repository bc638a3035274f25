//! The harness's [`Sandbox`]: a template database holding the installed SUT on
//! one server, and a fresh clone of it for every case.

use crate::provision::{owner, BackendKind, Server};
use pgconform_scenarios::pg::{describe, quote_ident as ident};
use pgconform_scenarios::sandbox::{CaseDb, Sandbox, SandboxError, SqlFile, Sut};
use postgres::Client;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// An install file that failed, located for a human.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}{}", .sqlstate.as_deref().map(|s| format!(" (SQLSTATE {s})")).unwrap_or_default())]
pub struct InstallError {
    /// The file, as named in the manifest (or the mutant's path).
    pub file: String,
    /// 1-based line of the error position, or 1 when the server gave none.
    pub line: usize,
    /// The server's message (and context).
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
pub struct ServerSandbox {
    server: Arc<Server>,
    admin: Arc<Mutex<Client>>,
    reclaimer: Reclaimer,
    template: String,
    sut: Sut,
    counter: AtomicU64,
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
        let mut sb = Self {
            server,
            admin,
            reclaimer,
            template,
            sut,
            counter: AtomicU64::new(0),
            version_num: 0,
        };
        sb.create_db(&sb.template, "template0")
            .map_err(|e| PrepareError::Server(e.to_string()))?;
        let mut client = sb
            .server
            .connect(&sb.template)
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
        self.server
            .connect(&self.template)
            .map_err(|e| SandboxError::Database(e.to_string()))
    }

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

    fn case_db(&self, template: &str) -> Result<CaseDb, SandboxError> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}_{n}", self.server.db_prefix);
        self.create_db(&name, template)?;
        let config = self.server.config_for(&name);
        let client = config
            .connect(postgres::NoTls)
            .map_err(|e| SandboxError::Database(format!("connect to {name}: {}", describe(&e))))?;
        let reclaim = self.reclaimer.handle();
        Ok(CaseDb::new(name, config, client, move |name: &str| {
            reclaim(name)
        }))
    }

    /// The SUT fingerprint.
    pub fn fingerprint(&self) -> &str {
        &self.sut.fingerprint
    }
}

fn admin_db(server: &Server) -> &str {
    server.config.get_dbname().unwrap_or("postgres")
}

impl Sandbox for ServerSandbox {
    fn fresh_db(&self) -> Result<CaseDb, SandboxError> {
        self.case_db(&self.template)
    }

    fn empty_db(&self) -> Result<CaseDb, SandboxError> {
        self.case_db("template0")
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
        self.reclaimer.finish();
        let sql = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            ident(&self.template)
        );
        let _ = self.admin().batch_execute(&sql);
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

    /// A function that reclaims one database (inline if the worker is gone).
    fn handle(&self) -> impl FnOnce(&str) + Send + 'static {
        let tx = self.tx.clone();
        let admin = Arc::clone(&self.admin);
        move |name: &str| {
            let queued = tx.is_some_and(|tx| tx.send(name.to_owned()).is_ok());
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

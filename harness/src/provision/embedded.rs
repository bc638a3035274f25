//! The embedded backend: a disposable PG16 cluster started from binaries.
//!
//! `initdb` runs once per binary set into a cached template cluster; each
//! cluster is a copy of it on tmpfs (fsync off), listening only on a private
//! unix socket, run as an unprivileged user when pgconform runs as root, and
//! stopped and deleted on drop.

use super::owner;
use super::pgbin;
use super::ProvisionError;
use crate::cleanup;
use nix::sys::signal::{kill, Signal};
use nix::unistd::{Pid, User};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Port number used in the socket file name (no TCP listener is opened).
const SOCKET_PORT: u16 = 5432;

/// Settings for a throwaway cluster.
const SERVER_SETTINGS: &[(&str, &str)] = &[
    ("listen_addresses", ""),
    ("fsync", "off"),
    ("full_page_writes", "off"),
    ("synchronous_commit", "off"),
    ("max_connections", "200"),
    ("shared_buffers", "64MB"),
    ("max_locks_per_transaction", "256"),
    ("log_min_messages", "warning"),
    ("log_min_error_statement", "panic"),
];

/// Where run directories of clusters live: tmpfs when available.
pub fn runs_root() -> PathBuf {
    if let Some(p) = std::env::var_os("PGCONFORM_RUN_DIR") {
        return PathBuf::from(p);
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.join("pgconform")
    } else {
        std::env::temp_dir().join("pgconform")
    }
}

/// The OS user the server runs as: `nobody` when we are root, else ourselves.
fn server_user() -> Result<Option<(u32, u32)>, ProvisionError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    let name = std::env::var("PGCONFORM_SERVER_USER").unwrap_or_else(|_| "nobody".to_owned());
    let user = User::from_name(&name)
        .map_err(|e| ProvisionError::Start(format!("cannot look up user {name}: {e}")))?
        .ok_or_else(|| {
            ProvisionError::Start(format!(
                "running as root, but user {name} (the unprivileged server user) does not exist; \
                 set PGCONFORM_SERVER_USER"
            ))
        })?;
    Ok(Some((user.uid.as_raw(), user.gid.as_raw())))
}

fn io_err(what: impl std::fmt::Display, e: std::io::Error) -> ProvisionError {
    let hint = if e.raw_os_error() == Some(28) {
        " (disk full)"
    } else {
        ""
    };
    ProvisionError::Io(format!("{what}: {e}{hint}"))
}

fn chown_tree(path: &Path, ids: Option<(u32, u32)>) -> Result<(), ProvisionError> {
    let Some((uid, gid)) = ids else { return Ok(()) };
    let status = Command::new("chown")
        .arg("-R")
        .arg(format!("{uid}:{gid}"))
        .arg(path)
        .status()
        .map_err(|e| io_err("run chown", e))?;
    if status.success() {
        Ok(())
    } else {
        Err(ProvisionError::Io(format!(
            "chown {} failed",
            path.display()
        )))
    }
}

/// Copy the directory tree `from` to `to` with `cp -a` (owners and modes
/// kept: the server checks those of its data directory); whether `cp` succeeded.
fn copy_tree(from: &Path, to: &Path) -> Result<bool, ProvisionError> {
    Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .map(|status| status.success())
        .map_err(|e| io_err("run cp", e))
}

/// A command for a server-side program, in a process group of its own: a
/// terminal's Ctrl-C (SIGINT to the foreground group) reaches pgconform
/// alone, which then stops the server itself after its cases wind down.
fn command_as(program: &Path, ids: Option<(u32, u32)>) -> Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(program);
    cmd.process_group(0);
    if let Some((uid, gid)) = ids {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

/// The cached template cluster for `bin`, created with initdb on first use.
/// Binaries of another major version are refused before anything runs,
/// unless `allow_any_major` (the server is then identified and reported as
/// such like any other).
fn template_dir(
    bin: &Path,
    ids: Option<(u32, u32)>,
    allow_any_major: bool,
) -> Result<PathBuf, ProvisionError> {
    let version = pgbin::version_of(bin)?;
    if !version.contains(" 16.") && !allow_any_major {
        return Err(ProvisionError::Version(format!(
            "{} is `{version}`, not PostgreSQL 16; point PG_BIN at PostgreSQL 16 binaries \
             (or pass --allow-any-major to run anyway, reported as such)",
            bin.display()
        )));
    }
    let mut h = Sha256::new();
    h.update(version.as_bytes());
    h.update(bin.as_os_str().as_encoded_bytes());
    h.update(format!("{ids:?}").as_bytes());
    let key = hex::encode(&h.finalize()[..8]);
    let clusters = pgbin::cache_root().join("clusters");
    let template = clusters.join(&key);
    if template.join("PG_VERSION").is_file() {
        return Ok(template);
    }
    std::fs::create_dir_all(&clusters)
        .map_err(|e| io_err(format!("create {}", clusters.display()), e))?;
    let _lock = pgbin::lock_file(&clusters.join(format!("{key}.lock")))?;
    if template.join("PG_VERSION").is_file() {
        return Ok(template);
    }
    // initdb into a private tmpfs dir the server user owns, then move in atomically.
    let scratch = runs_root().join(format!(
        "initdb-{}-{:04x}",
        std::process::id(),
        fastrand::u16(..)
    ));
    std::fs::create_dir_all(&scratch)
        .map_err(|e| io_err(format!("create {}", scratch.display()), e))?;
    chown_tree(&scratch, ids)?;
    let data = scratch.join("data");
    let out = command_as(&bin.join("initdb"), ids)
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
            "--no-instructions",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| io_err(format!("run {}/initdb", bin.display()), e))?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&scratch);
        return Err(ProvisionError::Start(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let staged = clusters.join(format!("{key}.tmp-{}", std::process::id()));
    let copied = copy_tree(&data, &staged)?;
    let _ = std::fs::remove_dir_all(&scratch);
    if !copied {
        return Err(ProvisionError::Io(format!(
            "copying the template into {} failed",
            clusters.display()
        )));
    }
    if std::fs::rename(&staged, &template).is_err() {
        // Another process won the race; use its template.
        let _ = std::fs::remove_dir_all(&staged);
    }
    Ok(template)
}

/// A running disposable cluster.
pub struct Cluster {
    bin: PathBuf,
    run_dir: PathBuf,
    child: Child,
    _token: cleanup::Token,
}

impl Cluster {
    /// Start a fresh cluster from binaries in `pg_bin` (or the cache);
    /// binaries that are not PostgreSQL 16 are refused unless
    /// `allow_any_major`.
    pub fn start(pg_bin: Option<&Path>, allow_any_major: bool) -> Result<Self, ProvisionError> {
        let bin = pgbin::ensure_bin_dir(pg_bin)?;
        let ids = server_user()?;
        let template = template_dir(&bin, ids, allow_any_major)?;
        let root = runs_root();
        std::fs::create_dir_all(&root)
            .map_err(|e| io_err(format!("create {}", root.display()), e))?;
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o1777));
        }
        let run_dir = root.join(format!(
            "run-{}-{:04x}",
            std::process::id(),
            fastrand::u16(..)
        ));
        std::fs::create_dir_all(&run_dir)
            .map_err(|e| io_err(format!("create {}", run_dir.display()), e))?;
        let owner_json = serde_json::to_string(owner::me()).unwrap_or_default();
        std::fs::write(run_dir.join("owner.json"), owner_json)
            .map_err(|e| io_err("write owner.json", e))?;
        let data = run_dir.join("data");
        let cleanup_dir = run_dir.clone();
        let result = (|| {
            if !copy_tree(&template, &data)? {
                return Err(ProvisionError::Io(format!(
                    "copying the template cluster to {} failed",
                    data.display()
                )));
            }
            chown_tree(&run_dir, ids)?;
            let log = std::fs::File::create(run_dir.join("server.log"))
                .map_err(|e| io_err("create server.log", e))?;
            let log2 = log.try_clone().map_err(|e| io_err("dup log", e))?;
            let mut cmd = command_as(&bin.join("postgres"), ids);
            cmd.arg("-D")
                .arg(&data)
                .arg("-k")
                .arg(&run_dir)
                .arg("-p")
                .arg(SOCKET_PORT.to_string());
            for (k, v) in SERVER_SETTINGS {
                cmd.arg("-c").arg(format!("{k}={v}"));
            }
            cmd.stdin(Stdio::null()).stdout(log).stderr(log2);
            cmd.spawn()
                .map_err(|e| io_err(format!("start {}/postgres", bin.display()), e))
        })();
        let child = match result {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&cleanup_dir);
                return Err(e);
            }
        };
        let pid = child.id();
        let token_dir = run_dir.clone();
        let token = cleanup::register(move || stop_pid(pid, &token_dir));
        let mut cluster = Self {
            bin,
            run_dir,
            child,
            _token: token,
        };
        cluster.wait_ready(Duration::from_secs(60))?;
        Ok(cluster)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), ProvisionError> {
        let config = self.config();
        let (child, run_dir) = (&mut self.child, &self.run_dir);
        let socket = run_dir.join(format!(".s.PGSQL.{SOCKET_PORT}"));
        super::wait_for_login(
            &config,
            timeout,
            Duration::from_millis(3),
            || match child.try_wait() {
                Ok(Some(status)) => Err(ProvisionError::Start(format!(
                    "postgres exited during startup ({status}): {}",
                    log_tail(run_dir)
                ))),
                _ => Ok(socket.exists()),
            },
            |_| {
                ProvisionError::Start(format!(
                    "postgres did not accept connections within {}s: {}",
                    timeout.as_secs(),
                    log_tail(run_dir)
                ))
            },
        )
    }

    /// Connection parameters (unix socket, superuser `postgres`).
    pub fn config(&self) -> postgres::Config {
        let mut c = postgres::Config::new();
        c.host_path(&self.run_dir)
            .port(SOCKET_PORT)
            .user("postgres")
            .application_name("pgconform");
        c
    }

    /// The binary directory this cluster runs from.
    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }
}

/// The last lines of the server log in `run_dir`, joined by ` | `.
fn log_tail(run_dir: &Path) -> String {
    let text = std::fs::read_to_string(run_dir.join("server.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(5).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}

/// Stop the postmaster `pid` (immediate shutdown, then SIGKILL) and delete `dir`.
pub fn stop_pid(pid: u32, dir: &Path) {
    let Ok(raw) = i32::try_from(pid) else { return };
    let p = Pid::from_raw(raw);
    let _ = kill(p, Signal::SIGQUIT);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline
        && Path::new(&format!("/proc/{pid}")).exists()
        && !is_zombie(pid)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    if Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(pid) {
        let _ = kill(p, Signal::SIGKILL);
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, r)| r.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let pid = self.child.id();
        if let Ok(raw) = i32::try_from(pid) {
            let _ = kill(Pid::from_raw(raw), Signal::SIGQUIT);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
        let _ = std::fs::remove_dir_all(&self.run_dir);
    }
}

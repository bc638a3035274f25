//! Loading a system under test: its manifest, files, fingerprint and mutant.

use pgconform_reports::SutFile;
use pgconform_scenarios::sandbox::{SqlFile, Sut};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

pub mod check;
pub mod statements;

/// Name of the manifest file in a SUT directory.
pub const MANIFEST: &str = "MANIFEST";

/// A SUT that cannot be loaded (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum SutError {
    /// The directory or a file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// What could not be read.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A manifest line is malformed.
    #[error("{path}:{line}: {message}")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

use pgconform_oracle::sha256_hex;

fn read_file(dir: &Path, rel: &str) -> Result<SqlFile, SutError> {
    let path = dir.join(rel);
    let bytes = std::fs::read(&path).map_err(|source| SutError::Read {
        path: path.clone(),
        source,
    })?;
    let sql = String::from_utf8(bytes.clone()).map_err(|e| SutError::Read {
        path: path.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not UTF-8: {e}")),
    })?;
    Ok(SqlFile {
        path: rel.to_owned(),
        sql,
        sha256: sha256_hex(&bytes),
    })
}

/// Load the SUT in `dir` and, optionally, a mutant file applied on top (its
/// SQL preceded by the patch helper, see [`crate::mutant::patch`]).
pub fn load(dir: &Path, mutant: Option<&Path>) -> Result<Sut, SutError> {
    let manifest_path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&manifest_path).map_err(|source| SutError::Read {
        path: manifest_path.clone(),
        source,
    })?;
    let bad = |line: usize, message: String| SutError::Manifest {
        path: manifest_path.clone(),
        line,
        message,
    };
    let manifest = parse_manifest(dir, &text, &bad)?;
    let uninstall_reverses = match &manifest.reverses {
        None => None,
        Some(r) => Some(resolve_reverses(r, &manifest, &bad)?),
    };
    let Manifest {
        install, scripts, ..
    } = manifest;
    if install.is_empty() {
        return Err(bad(0, "the manifest lists no install files".to_owned()));
    }
    let mutant = mutant.map(load_mutant).transpose()?;
    Ok(Sut {
        dir: dir.to_path_buf(),
        fingerprint: fingerprint(&text, &install, &scripts, mutant.as_ref()),
        install,
        scripts,
        mutant,
        uninstall_reverses,
    })
}

/// The MANIFEST's declarations, its files read.
struct Manifest {
    install: Vec<SqlFile>,
    scripts: BTreeMap<String, SqlFile>,
    /// `uninstall-reverses FIRST LAST`: (line, first, last).
    reverses: Option<(usize, String, String)>,
}

/// Parse the MANIFEST `text` of the SUT in `dir`, reading each file it names.
fn parse_manifest(
    dir: &Path,
    text: &str,
    bad: &impl Fn(usize, String) -> SutError,
) -> Result<Manifest, SutError> {
    let mut install = Vec::new();
    let mut scripts = BTreeMap::new();
    let mut reverses: Option<(usize, String, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["install", file] => install.push(read_file(dir, file)?),
            ["script", name, file] => {
                if scripts
                    .insert((*name).to_owned(), read_file(dir, file)?)
                    .is_some()
                {
                    return Err(bad(i + 1, format!("script `{name}` declared twice")));
                }
            }
            ["uninstall-reverses", first, last] => {
                if reverses.is_some() {
                    return Err(bad(i + 1, "`uninstall-reverses` declared twice".to_owned()));
                }
                reverses = Some((i + 1, (*first).to_owned(), (*last).to_owned()));
            }
            _ => {
                return Err(bad(
                    i + 1,
                    format!(
                        "expected `install FILE`, `script NAME FILE` or \
                         `uninstall-reverses FIRST LAST`, found `{line}`"
                    ),
                ))
            }
        }
    }
    Ok(Manifest {
        install,
        scripts,
        reverses,
    })
}

/// The install files (by index) that `uninstall-reverses FIRST LAST`, declared
/// on `line`, names: both must be install files, in order, and the SUT must
/// have an `uninstall` script.
fn resolve_reverses(
    (line, first, last): &(usize, String, String),
    m: &Manifest,
    bad: &impl Fn(usize, String) -> SutError,
) -> Result<RangeInclusive<usize>, SutError> {
    let at = |f: &str| {
        m.install.iter().position(|x| x.path == f).ok_or_else(|| {
            bad(
                *line,
                format!("`uninstall-reverses`: `{f}` is not an install file"),
            )
        })
    };
    let (a, b) = (at(first)?, at(last)?);
    if a > b {
        return Err(bad(
            *line,
            format!("`uninstall-reverses`: `{first}` is installed after `{last}`"),
        ));
    }
    if !m.scripts.contains_key("uninstall") {
        return Err(bad(
            *line,
            "`uninstall-reverses` without a `script uninstall FILE`".to_owned(),
        ));
    }
    Ok(a..=b)
}

/// Read the mutant file at `p`, its SQL preceded by the patch helpers.
fn load_mutant(p: &Path) -> Result<SqlFile, SutError> {
    let bytes = std::fs::read(p).map_err(|source| SutError::Read {
        path: p.to_path_buf(),
        source,
    })?;
    Ok(SqlFile {
        path: p.display().to_string(),
        sql: crate::mutant::patch::with_helpers(&String::from_utf8_lossy(&bytes)),
        sha256: sha256_hex(&bytes),
    })
}

/// The SUT's fingerprint: the MANIFEST text, each file's path and hash, and
/// the mutant's hash if there is one.
fn fingerprint(
    manifest: &str,
    install: &[SqlFile],
    scripts: &BTreeMap<String, SqlFile>,
    mutant: Option<&SqlFile>,
) -> String {
    let mut h = Sha256::new();
    h.update(manifest.as_bytes());
    for f in install.iter().chain(scripts.values()) {
        h.update(f.path.as_bytes());
        h.update(b"\0");
        h.update(f.sha256.as_bytes());
        h.update(b"\n");
    }
    if let Some(m) = mutant {
        h.update(b"mutant\0");
        h.update(m.sha256.as_bytes());
    }
    hex::encode(h.finalize())
}

/// A file as reports record it: its path and sha256.
pub fn report_file(f: &SqlFile) -> SutFile {
    SutFile {
        path: f.path.clone(),
        sha256: f.sha256.clone(),
    }
}

/// Every install file and script of `sut`, as reports record them.
pub fn report_files(sut: &Sut) -> Vec<SutFile> {
    sut.install
        .iter()
        .chain(sut.scripts.values())
        .map(report_file)
        .collect()
}

/// The bundled reference kernel's directory (`kernel/` next to the workspace),
/// or `PGCONFORM_KERNEL_DIR`.
pub fn bundled_kernel_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("PGCONFORM_KERNEL_DIR") {
        return PathBuf::from(p);
    }
    let from_manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("kernel");
    if from_manifest.join(MANIFEST).is_file() {
        return from_manifest.canonicalize().unwrap_or(from_manifest);
    }
    PathBuf::from("kernel")
}

//! Signing reports from the command line: `--sign-key`, the environment
//! variables CI secrets arrive in, `--trusted-key`, and `pgconform keygen`.
//!
//! The cryptography (minisign's Ed25519 format) lives in
//! `pgconform_reports::signature`; this module only finds the key, writes
//! `report.json.minisig` and never prints, logs or records the secret key.

use anyhow::{bail, Context};
use clap::Args;
use pgconform_reports::signature::{self, SigningKey, TrustedKey};
use std::path::{Path, PathBuf};

/// Environment variable holding the secret key's text (a CI secret).
pub const ENV_KEY: &str = "PGCONFORM_SIGN_KEY";
/// Environment variable naming the secret key's file.
pub const ENV_KEY_FILE: &str = "PGCONFORM_SIGN_KEY_FILE";

/// The signing flag shared by `run`, `mutants` and `report merge`.
#[derive(Debug, Args, Clone, Default)]
pub struct SignArgs {
    /// Sign the report with this minisign secret key [default: $PGCONFORM_SIGN_KEY_FILE, $PGCONFORM_SIGN_KEY, else unsigned].
    ///
    /// Writes `report.json.minisig` and records the key ID in the report.
    /// Without the flag, the key is taken from $PGCONFORM_SIGN_KEY_FILE (a
    /// file) or $PGCONFORM_SIGN_KEY (the key's text, e.g. a CI secret); make
    /// a key with `pgconform keygen`.
    #[arg(long, value_name = "FILE")]
    pub sign_key: Option<PathBuf>,
}

impl SignArgs {
    /// The signing key the flags or the environment give, if any. A key that
    /// cannot be read or parsed is an error (exit 2) before any work starts;
    /// its text never appears in the message.
    pub fn load(&self) -> anyhow::Result<Option<SigningKey>> {
        if let Some(path) = &self.sign_key {
            return load_file(path).map(Some);
        }
        if let Some(path) = std::env::var_os(ENV_KEY_FILE).filter(|v| !v.is_empty()) {
            return load_file(Path::new(&path))
                .with_context(|| format!("${ENV_KEY_FILE}"))
                .map(Some);
        }
        match std::env::var(ENV_KEY) {
            Ok(text) if !text.trim().is_empty() => {
                Ok(Some(SigningKey::parse(&format!("${ENV_KEY}"), &text)?))
            }
            Ok(_) => Ok(None),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                bail!("${ENV_KEY}: not a minisign secret key (not UTF-8)")
            }
        }
    }
}

fn load_file(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read signing key {}", path.display()))?;
    Ok(SigningKey::parse(&path.display().to_string(), &text)?)
}

/// Sign the report file at `path` (its bytes as written now) and write
/// `<path>.minisig`; returns the signature's path.
pub fn sign_report_file(key: &SigningKey, path: &Path, integrity: &str) -> anyhow::Result<PathBuf> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read {} to sign it", path.display()))?;
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let sig = key.sign(&bytes, &name, integrity)?;
    let sig_path = signature::signature_path(path);
    std::fs::write(&sig_path, sig)
        .with_context(|| format!("cannot write {}", sig_path.display()))?;
    Ok(sig_path)
}

/// Parse `--trusted-key` values (files or base64 public keys).
pub fn trusted_keys(args: &[String]) -> anyhow::Result<Vec<TrustedKey>> {
    args.iter()
        .map(|a| TrustedKey::from_arg(a).map_err(anyhow::Error::from))
        .collect()
}

/// Flags of `keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Directory for `pgconform.key` (secret, mode 0600) and `pgconform.pub` (required).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    pub force: bool,
}

/// Execute `pgconform keygen`: a passwordless minisign key pair. Prints the
/// public key and its ID; the secret key goes only into its file.
pub fn keygen(args: KeygenArgs) -> anyhow::Result<i32> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let sk_path = args.out.join("pgconform.key");
    let pk_path = args.out.join("pgconform.pub");
    if !args.force {
        for p in [&sk_path, &pk_path] {
            if p.exists() {
                bail!(
                    "{} exists; refusing to replace a key (--force replaces it)",
                    p.display()
                );
            }
        }
    }
    let g = signature::generate()?;
    if args.force {
        // A replaced file keeps its mode; start from a fresh 0600 file.
        let _ = std::fs::remove_file(&sk_path);
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&sk_path)
        .with_context(|| format!("cannot create {}", sk_path.display()))?;
    f.write_all(g.secret_text.as_bytes())
        .with_context(|| format!("cannot write {}", sk_path.display()))?;
    std::fs::write(&pk_path, &g.public_text)
        .with_context(|| format!("cannot write {}", pk_path.display()))?;
    crate::outln!("key id:     {}", g.key_id);
    crate::outln!("public key: {}", g.public_base64);
    crate::errln!(
        "pgconform keygen: wrote {} (secret, mode 0600, passwordless: store it in your CI's secret store, e.g. as ${ENV_KEY}) and {} (public: publish it with your release policy; `gate --trusted-key`)",
        sk_path.display(),
        pk_path.display()
    );
    Ok(crate::exit_codes::OK)
}

/// After a command wrote `path`: sign it when a key was given, and say so
/// (unless `quiet`). A no-op without a key.
pub fn sign_written(
    key: Option<&SigningKey>,
    path: &Path,
    integrity: &str,
    quiet: bool,
) -> anyhow::Result<()> {
    let Some(key) = key else { return Ok(()) };
    let sig = sign_report_file(key, path, integrity)?;
    if !quiet {
        crate::errln!(
            "pgconform: signed with key {} -> {}",
            key.key_id(),
            sig.display()
        );
    }
    Ok(())
}

/// The gate's authenticity check: with `--trusted-key`s, append every
/// signature reason to `reasons`; returns the line the gate prints about
/// authenticity (also when nothing was checked).
pub fn gate_signature(
    loaded: &pgconform_reports::LoadedReport,
    report: &Path,
    signature_file: Option<&Path>,
    trusted_args: &[String],
    reasons: &mut Vec<pgconform_reports::gate::GateReason>,
) -> anyhow::Result<String> {
    if trusted_args.is_empty() {
        return Ok("authenticity NOT checked: no --trusted-key given; the integrity hash only detects accidental damage (anyone who edits the report can recompute it)".to_owned());
    }
    let trusted = trusted_keys(trusted_args)?;
    let sig_path =
        signature_file.map_or_else(|| signature::signature_path(report), Path::to_path_buf);
    let text = match std::fs::read_to_string(&sig_path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", sig_path.display())),
    };
    let before = reasons.len();
    reasons.extend(pgconform_reports::gate::evaluate_signature(
        loaded,
        &sig_path.display().to_string(),
        text.as_deref(),
        &trusted,
    ));
    let ids: Vec<&str> = trusted.iter().map(|t| t.key_id.as_str()).collect();
    Ok(if reasons.len() == before {
        format!(
            "authenticity checked: {} is signed by trusted key {}{}",
            sig_path.display(),
            loaded.report.signature_key_id.as_deref().unwrap_or("?"),
            if loaded.report.shards.is_empty() {
                String::new()
            } else {
                format!(
                    ", and all {} shards were signed by trusted keys and verified by the merge",
                    loaded.report.shards.len()
                )
            }
        )
    } else {
        format!(
            "authenticity NOT established against trusted key(s) {}",
            ids.join(", ")
        )
    })
}

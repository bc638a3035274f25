//! Flags and helpers shared by the commands that run invariants (`run`,
//! `mutants`, `variants`, and the server flags of `check` and `replay`).

use crate::provision::{BackendKind, ProvisionOptions};
use anyhow::Context;
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Flags choosing the server.
#[derive(Debug, Args, Clone)]
pub struct ServerArgs {
    /// Backend providing PostgreSQL 16.
    #[arg(long, value_enum, default_value = "embedded")]
    pub backend: BackendKind,
    /// Server URL for `--backend dsn`; only throwaway databases are created there.
    #[arg(long, env = "PGCONFORM_DSN")]
    pub dsn: Option<String>,
    /// Image for `--backend docker`.
    #[arg(long, default_value = crate::provision::docker::DEFAULT_IMAGE)]
    pub image: String,
    /// Accept a server that is not PostgreSQL 16 (reported as such).
    #[arg(long)]
    pub allow_any_major: bool,
}

impl ServerArgs {
    /// The provisioning options these flags describe.
    pub fn provision(&self) -> ProvisionOptions {
        ProvisionOptions {
            backend: self.backend,
            dsn: self.dsn.clone(),
            image: self.image.clone(),
            allow_any_major: self.allow_any_major,
            ..ProvisionOptions::default()
        }
    }
}

/// Flags of every command that runs invariants: `run`, `mutants`, `variants`.
#[derive(Debug, Args, Clone)]
pub struct RunFlags {
    /// SUT directory: a MANIFEST and its SQL files [default: the bundled kernel].
    #[arg(long, value_name = "DIR")]
    pub sut: Option<PathBuf>,
    /// Cases per invariant, at least 1 [default: each invariant's own, see `list`].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub cases: Option<u32>,
    /// Run seed [default: random, printed and recorded in the report].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Parallel jobs: invariants at once (`mutants`: mutants, each on its own server).
    #[arg(long, value_name = "N", default_value_t = default_jobs())]
    pub jobs: usize,
    /// Do not shrink failures (shrink later with `replay --shrink`).
    #[arg(long)]
    pub no_shrink: bool,
    /// No progress output and no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Server flags.
    #[command(flatten)]
    pub server: ServerArgs,
}

impl RunFlags {
    /// `--sut`, or the bundled kernel.
    pub fn sut_dir(&self) -> PathBuf {
        self.sut
            .clone()
            .unwrap_or_else(crate::sut::bundled_kernel_dir)
    }

    /// `--seed`, or a fresh random one.
    pub fn seed_or_random(&self) -> u64 {
        self.seed.unwrap_or_else(|| fastrand::u64(..))
    }
}

/// Default `--jobs`: the CPU count (2 when unknown).
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Parse a duration such as `90s`, `10m`, `1h 30m`, `500ms`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).map_err(|_| format!("invalid duration `{s}`"));
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("invalid duration `{s}`: {e} (use e.g. 90s, 10m, 1h)"))
}

/// A duration as people read it, to the tenth of a second under a minute
/// (`4.2s`) and to the second above (`2m 5s`).
pub fn show_elapsed(d: Duration) -> String {
    if d < Duration::from_secs(60) {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
    }
}

/// Current UTC time as RFC 3339, seconds precision (`2026-11-22T21:00:00Z`).
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Refuse an output directory that cannot be written before any work, so a
/// run's results are never lost at the end.
pub fn ensure_writable(out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("--out {} cannot be created", out.display()))?;
    let probe = tempfile::Builder::new()
        .prefix(".pgconform-write-probe-")
        .tempfile_in(out)
        .with_context(|| format!("--out {} is not writable", out.display()))?;
    drop(probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_or_as_plain_seconds() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1").is_err());
    }

    #[test]
    fn timestamps_are_rfc3339_utc_seconds() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.ends_with('Z'), "{t}");
    }
}

//! The dsn backend: an existing server. pgconform only creates uniquely named
//! throwaway databases there (marked with their owner) and drops them.

use super::ProvisionError;
use std::str::FromStr;

/// A parsed `--dsn` target.
pub struct Target {
    /// Connection parameters (the database is the maintenance database).
    pub config: postgres::Config,
    /// The URL with any password hidden, for reports.
    pub redacted: String,
}

impl Target {
    /// Parse a libpq URL or key=value string.
    pub fn parse(url: &str) -> Result<Self, ProvisionError> {
        let mut config = postgres::Config::from_str(url).map_err(|e| {
            ProvisionError::Connect(format!(
                "invalid --dsn (expected postgres://user@host:port/db): {e}"
            ))
        })?;
        if config.get_dbname().is_none() {
            config.dbname("postgres");
        }
        config.connect_timeout(std::time::Duration::from_secs(10));
        config.application_name("pgconform");
        let redacted = redact(url);
        Ok(Self { config, redacted })
    }
}

/// Hide the password of a URL (`postgres://u:secret@h` → `postgres://u:***@h`).
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((userinfo, host)) = rest.split_once('@') {
            if let Some((user, _)) = userinfo.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
        return url.to_owned();
    }
    url.split_whitespace()
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

//! The docker backend: a PG16 container via testcontainers, host networking,
//! listening on 127.0.0.1 only.
//!
//! Readiness does not trust the log line alone (official images print it once
//! for their temporary init server, which has no TCP listener): after the line
//! appears the backend waits for a real TCP login on 127.0.0.1.

use super::owner;
use super::ProvisionError;
use crate::cleanup;
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;
use testcontainers::core::WaitFor;
use testcontainers::runners::SyncRunner;
use testcontainers::{GenericImage, ImageExt};

/// Label carrying the owner of every container pgconform starts.
pub const OWNER_LABEL: &str = "org.pgconform.owner";

/// The default image: an exact PostgreSQL version, the one the embedded
/// backend's pinned binaries carry (so a locally built image matches it).
/// Override with `--image NAME:TAG`.
pub const DEFAULT_IMAGE: &str = "postgres:16.14";

const PASSWORD: &str = "pgconform";

/// A running PG16 container.
pub struct Container {
    inner: Option<testcontainers::Container<GenericImage>>,
    id: String,
    port: u16,
    _token: cleanup::Token,
}

fn free_port() -> Result<u16, ProvisionError> {
    let l = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| ProvisionError::Start(format!("cannot find a free loopback port: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| ProvisionError::Start(format!("cannot read the bound port: {e}")))
}

impl Container {
    /// Start `image` (`name:tag`) and wait until it accepts TCP logins.
    pub fn start(image: &str) -> Result<Self, ProvisionError> {
        let (name, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
        let port = free_port()?;
        let owner = serde_json::to_string(owner::me()).unwrap_or_default();
        let request = GenericImage::new(name, tag)
            .with_wait_for(WaitFor::message_on_stderr("ready to accept connections"))
            .with_network("host")
            .with_env_var("POSTGRES_PASSWORD", PASSWORD)
            .with_env_var("PGPORT", port.to_string())
            .with_label(OWNER_LABEL, owner)
            .with_startup_timeout(Duration::from_secs(120))
            .with_cmd([
                "postgres".to_owned(),
                "-c".to_owned(),
                "listen_addresses=127.0.0.1".to_owned(),
                "-p".to_owned(),
                port.to_string(),
                "-c".to_owned(),
                "fsync=off".to_owned(),
                "-c".to_owned(),
                "full_page_writes=off".to_owned(),
                "-c".to_owned(),
                "synchronous_commit=off".to_owned(),
                "-c".to_owned(),
                "max_connections=200".to_owned(),
            ]);
        let container = request.start().map_err(|e| {
            ProvisionError::Start(format!(
                "cannot start container {image}: {e} (is the Docker engine running and the image \
                 present? scripts/docker/ensure-engine.sh and scripts/docker/build-pg16-image.sh \
                 provide both)"
            ))
        })?;
        let id = container.id().to_owned();
        let token_id = id.clone();
        let token = cleanup::register(move || {
            let _ = Command::new("docker")
                .args(["rm", "-f", "-v", &token_id])
                .output();
        });
        let c = Self {
            inner: Some(container),
            id,
            port,
            _token: token,
        };
        c.wait_tcp(Duration::from_secs(60))?;
        Ok(c)
    }

    fn wait_tcp(&self, timeout: Duration) -> Result<(), ProvisionError> {
        super::wait_for_login(
            &self.config(),
            timeout,
            Duration::from_millis(20),
            || Ok(true),
            |e| {
                let why = e.map(|e| e.to_string()).unwrap_or_default();
                ProvisionError::Start(format!(
                    "container on 127.0.0.1:{} never accepted a login: {why}",
                    self.port
                ))
            },
        )
    }

    /// Connection parameters (127.0.0.1, superuser `postgres`).
    pub fn config(&self) -> postgres::Config {
        let mut c = postgres::Config::new();
        c.host("127.0.0.1")
            .port(self.port)
            .user("postgres")
            .password(PASSWORD)
            .application_name("pgconform");
        c
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        if let Some(c) = self.inner.take() {
            if c.rm().is_err() {
                // Fall back to the CLI so nothing is left running.
                let _ = Command::new("docker")
                    .args(["rm", "-f", "-v", &self.id])
                    .output();
            }
        }
    }
}

/// What `pgconform setup --backend docker` found or did.
#[derive(Debug)]
pub struct PrepareReport {
    /// The engine's server version (`docker info`).
    pub engine: String,
    /// How the image came to be there.
    pub image_source: ImageSource,
    /// `docker image inspect` id of the image.
    pub image_id: String,
}

/// How the image came to be present.
#[derive(Debug, PartialEq, Eq)]
pub enum ImageSource {
    /// It was there already.
    Present,
    /// Pulled from a registry.
    Pulled,
    /// No registry answered: built from the embedded backend's binaries by
    /// this script.
    BuiltLocally(std::path::PathBuf),
}

/// The repository's `scripts/docker/` (engine start and local image build),
/// when this binary was built from a checkout that still has it.
pub fn scripts_dir() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("scripts")
        .join("docker");
    dir.join("build-pg16-image.sh")
        .is_file()
        .then(|| dir.canonicalize().unwrap_or(dir))
}

fn docker(args: &[&str]) -> Result<std::process::Output, ProvisionError> {
    Command::new("docker").args(args).output().map_err(|e| {
        ProvisionError::Start(format!(
            "cannot run the docker CLI: {e} (install a Docker engine; on Debian as root \
             scripts/docker/ensure-engine.sh does)"
        ))
    })
}

fn stdout_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn stderr_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim().to_owned()
}

/// The engine's server version, if `docker info` answers.
pub fn engine_version() -> Result<String, String> {
    let o = docker(&["info", "--format", "{{.ServerVersion}}"]).map_err(|e| e.to_string())?;
    if o.status.success() {
        Ok(stdout_of(&o))
    } else {
        Err(stderr_of(&o))
    }
}

/// The image's id, if it is present locally.
pub fn image_id(image: &str) -> Option<String> {
    let o = docker(&["image", "inspect", "--format", "{{.Id}}", image]).ok()?;
    o.status.success().then(|| stdout_of(&o))
}

/// Make the docker backend usable with `image`: the engine answers (started
/// with `scripts/docker/ensure-engine.sh` when it does not and the script is
/// there), and the image is present — pulled, or, when no registry answers
/// and `image` is [`DEFAULT_IMAGE`], built from `pg_dir` (the embedded
/// backend's PostgreSQL 16 binaries) by `scripts/docker/build-pg16-image.sh`.
pub fn prepare(
    image: &str,
    pg_dir: impl FnOnce() -> Result<std::path::PathBuf, ProvisionError>,
) -> Result<PrepareReport, ProvisionError> {
    let engine = match engine_version() {
        Ok(v) => v,
        Err(first) => start_engine(&first)?,
    };
    let (image_source, image_id) = match image_id(image) {
        Some(id) => (ImageSource::Present, id),
        None => obtain_image(image, pg_dir)?,
    };
    Ok(PrepareReport {
        engine,
        image_source,
        image_id,
    })
}

fn start_engine(why: &str) -> Result<String, ProvisionError> {
    let Some(script) = scripts_dir().map(|d| d.join("ensure-engine.sh")) else {
        return Err(ProvisionError::Start(format!(
            "no Docker engine answers `docker info` ({why}); start one (dockerd) and run \
             setup again"
        )));
    };
    let status = Command::new(&script)
        .status()
        .map_err(|e| ProvisionError::Start(format!("cannot run {}: {e}", script.display())))?;
    if !status.success() {
        return Err(ProvisionError::Start(format!(
            "no Docker engine answers `docker info` and {} could not start one ({status}; its \
             message is above)",
            script.display()
        )));
    }
    engine_version().map_err(|e| {
        ProvisionError::Start(format!("the engine started but `docker info` fails: {e}"))
    })
}

fn obtain_image(
    image: &str,
    pg_dir: impl FnOnce() -> Result<std::path::PathBuf, ProvisionError>,
) -> Result<(ImageSource, String), ProvisionError> {
    let pull = docker(&["pull", "--quiet", image])?;
    if pull.status.success() {
        let id = image_id(image).ok_or_else(|| {
            ProvisionError::Start(format!("{image} was pulled but is not listed afterwards"))
        })?;
        return Ok((ImageSource::Pulled, id));
    }
    let pull_error = stderr_of(&pull);
    let script = scripts_dir().map(|d| d.join("build-pg16-image.sh"));
    let (true, Some(script)) = (image == DEFAULT_IMAGE, script) else {
        return Err(ProvisionError::Start(format!(
            "image {image} is not present and `docker pull` failed: {pull_error}. Load it \
             (`docker load`), or use the default image {DEFAULT_IMAGE}, which setup builds \
             locally from the PostgreSQL 16 binaries when no registry answers"
        )));
    };
    let pg_dir = pg_dir()?;
    let status = Command::new(&script)
        .arg("--pg-dir")
        .arg(&pg_dir)
        .arg("--tag")
        .arg(image)
        .status()
        .map_err(|e| ProvisionError::Start(format!("cannot run {}: {e}", script.display())))?;
    if !status.success() {
        return Err(ProvisionError::Start(format!(
            "no registry answered ({pull_error}) and {} could not build {image} ({status}; its \
             message is above)",
            script.display()
        )));
    }
    let id = image_id(image).ok_or_else(|| {
        ProvisionError::Start(format!(
            "{} ran but {image} is not listed",
            script.display()
        ))
    })?;
    Ok((ImageSource::BuiltLocally(script), id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_image_is_the_version_of_the_pinned_binaries() {
        let tag = DEFAULT_IMAGE
            .strip_prefix("postgres:")
            .expect("an official-image name");
        assert!(
            super::super::pgbin::PG_VERSION_DIR.starts_with(&format!("{tag}.")),
            "{DEFAULT_IMAGE} must name the PostgreSQL version of the embedded binaries ({}), \
             or a locally built image would carry another version than its tag says",
            super::super::pgbin::PG_VERSION_DIR
        );
    }
}

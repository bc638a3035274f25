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
use std::time::{Duration, Instant};
use testcontainers::core::WaitFor;
use testcontainers::runners::SyncRunner;
use testcontainers::{GenericImage, ImageExt};

/// Label carrying the owner of every container pgconform starts.
pub const OWNER_LABEL: &str = "org.pgconform.owner";

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
        let deadline = Instant::now() + timeout;
        let mut config = self.config();
        config
            .dbname("postgres")
            .connect_timeout(Duration::from_secs(2));
        loop {
            match config.connect(postgres::NoTls) {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() >= deadline => {
                    return Err(ProvisionError::Start(format!(
                        "container on 127.0.0.1:{} never accepted a login: {e}",
                        self.port
                    )))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
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

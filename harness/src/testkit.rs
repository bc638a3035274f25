//! Helpers for the workspace's integration tests: the bundled kernel (plus an
//! optional mutant) on a disposable embedded PG16 server of the test process.
//!
//! Each call starts its own cluster from the cached initdb template (a copy and
//! a postmaster start, ~0.1 s) and stops it when the returned value drops, so
//! nothing outlives the test process.

use crate::provision::ProvisionOptions;
use crate::session::Session;
use pgconform_reports::InvariantResult;
use pgconform_scenarios::invariant::{RunContext, ShrinkPolicy, Suite};
use pgconform_scenarios::registry::{self, Options};
use pgconform_scenarios::sandbox::{CaseDb, Sandbox, SandboxError, Sut};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// How a test runs one invariant.
#[derive(Debug, Default, Clone)]
pub struct TestRun {
    /// Cases (`None`: the invariant's default).
    pub cases: Option<u32>,
    /// Run seed.
    pub seed: u64,
    /// Mutant applied on top of the bundled kernel.
    pub mutant: Option<PathBuf>,
    /// Skip shrinking.
    pub no_shrink: bool,
    /// Bound on shrinking (`None`: 60 s).
    pub shrink_time: Option<Duration>,
}

/// The workspace root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A sandbox that owns its session (server + template).
struct OwnedSandbox(Session);

impl Sandbox for OwnedSandbox {
    fn fresh_db(&self) -> Result<CaseDb, SandboxError> {
        self.0.sandbox.fresh_db()
    }
    fn empty_db(&self) -> Result<CaseDb, SandboxError> {
        self.0.sandbox.empty_db()
    }
    fn sut(&self) -> &Sut {
        self.0.sandbox.sut()
    }
    fn server_version_num(&self) -> i32 {
        self.0.sandbox.server_version_num()
    }
}

/// A session for the bundled kernel (+ mutant) on a fresh embedded server.
/// The contract check covers every suite.
pub fn session(mutant: Option<&Path>) -> anyhow::Result<Session> {
    let kernel = repo_root().join("kernel");
    Ok(Session::prepare(
        &kernel,
        mutant,
        &ProvisionOptions::default(),
        &[],
    )?)
}

/// A sandbox for the bundled kernel (+ mutant); dropping it stops the server.
pub fn sandbox(mutant: Option<&Path>) -> anyhow::Result<Arc<dyn Sandbox>> {
    Ok(Arc::new(OwnedSandbox(session(mutant)?)))
}

/// Run invariant `id` against the bundled kernel (+ mutant).
pub fn run_invariant(id: &str, opts: &TestRun) -> anyhow::Result<InvariantResult> {
    let all = registry::all(&Options::default());
    let inv = all
        .iter()
        .find(|i| i.meta().id == id)
        .ok_or_else(|| anyhow::anyhow!("no invariant with ID {id}"))?;
    let sb = sandbox(opts.mutant.as_deref())?;
    let cancel = AtomicBool::new(false);
    let progress = |_: u64, _: u64| {};
    let ctx = RunContext {
        sandbox: sb.as_ref(),
        cases: opts.cases,
        seed: opts.seed,
        shrink: ShrinkPolicy {
            disabled: opts.no_shrink,
            max_time: opts.shrink_time.unwrap_or(Duration::from_secs(60)),
        },
        deadline: None,
        cancel: &cancel,
        progress: &progress,
    };
    Ok(inv.run(&ctx))
}

/// Every invariant ID of `suite`.
pub fn suite_ids(suite: Suite) -> Vec<&'static str> {
    registry::of_suite(suite, &Options::default())
        .iter()
        .map(|i| i.meta().id)
        .collect()
}

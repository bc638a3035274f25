//! Helpers for the workspace's integration tests: the bundled kernel (plus an
//! optional mutant) on a disposable embedded PG16 server of the test process.
//!
//! Each call starts its own cluster from the cached initdb template (a copy and
//! a postmaster start, ~0.1 s) and stops it when the returned value drops, so
//! nothing outlives the test process.

use crate::provision::ProvisionOptions;
use crate::session::Session;
use pgconform_reports::{InvariantResult, Verdict};
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
    /// Options shaping some invariants (a user's schema for drift).
    pub options: Options,
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

impl TestRun {
    /// Default cases, shrinking bounded at 60 s, with `seed`.
    pub fn seed(seed: u64) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }

    /// With `cases` cases.
    pub fn cases(mut self, cases: u32) -> Self {
        self.cases = Some(cases);
        self
    }

    /// With a mutant applied on top of the kernel.
    pub fn mutant(mut self, path: &Path) -> Self {
        self.mutant = Some(path.to_path_buf());
        self
    }

    /// With shrinking bounded at `secs` seconds.
    pub fn shrink_secs(mut self, secs: u64) -> Self {
        self.shrink_time = Some(Duration::from_secs(secs));
        self
    }

    /// With invariant options (e.g. a user's schema).
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }
}

/// Run invariant `id` against the bundled kernel (+ mutant).
pub fn run_invariant(id: &str, opts: &TestRun) -> anyhow::Result<InvariantResult> {
    let sb = sandbox(opts.mutant.as_deref())?;
    run_on(sb.as_ref(), id, opts)
}

/// Run invariant `id` against the bundled kernel with `opts` and assert that
/// it passed after every case `opts` asks for (when it names a count); the
/// result, for further checks. Panics (it is a test's assertion) otherwise.
#[track_caller]
pub fn assert_kernel_holds(id: &str, opts: &TestRun) -> InvariantResult {
    let r = run_invariant(id, opts).unwrap_or_else(|e| panic!("run {id}: {e:#}"));
    eprintln!("{}", describe(&r));
    assert_eq!(r.verdict, Verdict::Passed, "{}", describe(&r));
    if let Some(cases) = opts.cases {
        assert_eq!(r.cases, u64::from(cases), "{}", describe(&r));
    }
    r
}

/// Run invariant `id` on an existing sandbox (`opts.mutant` is not applied:
/// the sandbox has its kernel already).
pub fn run_on(sandbox: &dyn Sandbox, id: &str, opts: &TestRun) -> anyhow::Result<InvariantResult> {
    let all = registry::all(&opts.options);
    let inv = all
        .iter()
        .find(|i| i.meta().id == id)
        .ok_or_else(|| anyhow::anyhow!("no invariant with ID {id}"))?;
    let cancel = AtomicBool::new(false);
    let progress = |_: u64, _: u64| {};
    let ctx = RunContext {
        sandbox,
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

/// A session for the kernel in `sut_dir` (+ mutant) on a fresh embedded
/// server (a variant's own layout, say), its contract checked for `suites`
/// (empty: every suite).
pub fn session_for(
    sut_dir: &Path,
    mutant: Option<&Path>,
    suites: &[Suite],
) -> anyhow::Result<Session> {
    Ok(Session::prepare(
        sut_dir,
        mutant,
        &ProvisionOptions::default(),
        suites,
    )?)
}

/// One result for a test's failure message: verdict, counts, error, and
/// each failure with its expected and actual values and shrunk input.
pub fn describe(r: &InvariantResult) -> String {
    let mut s = format!(
        "{} {:?} after {} of {} cases ({} rejected) in {} ms",
        r.id, r.verdict, r.cases, r.cases_requested, r.rejected, r.duration_ms
    );
    if let Some(e) = &r.error {
        s.push_str(&format!("\nerror: {e}"));
    }
    for f in &r.failures {
        s.push_str(&format!(
            "\nfailure: {}\nexpected: {}\nactual: {}\nsqlstate: {:?}\nsql: {:?}\nshrink steps: {}\ninput: {}",
            f.detail.message,
            f.detail.expected.as_deref().unwrap_or("-"),
            f.detail.actual.as_deref().unwrap_or("-"),
            f.detail.sqlstate,
            f.detail.sql,
            f.shrink_steps,
            f.input
        ));
    }
    s
}

/// Run the invariants a mutant names, in order, each with the runs
/// `runs_for(id)` gives (the mutant applied), until one fails: the failing
/// result, or why none did (every result described). An `Error` verdict
/// ends the search: a harness that broke killed nothing.
pub fn first_kill(
    mutant: &Path,
    runs_for: impl Fn(&str) -> Vec<TestRun>,
) -> Result<InvariantResult, String> {
    let text = std::fs::read_to_string(mutant).map_err(|e| format!("{}: {e}", mutant.display()))?;
    let kills = crate::mutant::parse_header(mutant, &text)
        .map_err(|e| e.to_string())?
        .kills;
    let mut tried = Vec::new();
    for id in &kills {
        for run in runs_for(id) {
            let r = run_invariant(id, &run.mutant(mutant)).map_err(|e| format!("{e:#}"))?;
            match r.verdict {
                Verdict::Failed => return Ok(r),
                Verdict::Error => return Err(format!("harness error: {}", describe(&r))),
                _ => tried.push(describe(&r)),
            }
        }
    }
    Err(format!(
        "{} survived {kills:?}:\n{}",
        mutant.display(),
        tried.join("\n")
    ))
}

/// Every invariant ID of `suite`.
pub fn suite_ids(suite: Suite) -> Vec<&'static str> {
    registry::of_suite(suite, &Options::default())
        .iter()
        .map(|i| i.meta().id)
        .collect()
}

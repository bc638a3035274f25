//! The one place a [`RunReport`] is assembled: `run`, `mutants`, a mutant's
//! kill case and `report merge` all start from [`RunReport::builder`], so a
//! new report field gets its value here once.

use crate::coverage::CoverageRequirement;
use crate::model::{InvariantResult, FORMAT_VERSION};
use crate::mutants::MutantMatrix;
use crate::run_report::{RunReport, ServerInfo, SutInfo};
use crate::shard::{ShardRecord, ShardSpec};

/// Builds a [`RunReport`]; fields not set keep their empty default. The
/// result is unsealed: call [`RunReport::seal`] once it is complete.
#[derive(Debug, Clone)]
#[must_use]
pub struct RunReportBuilder {
    report: RunReport,
}

impl RunReport {
    /// A report of a run with `seed` of `sut` on `server`, by this pgconform
    /// (its version and the git revision it was built from), with no results yet.
    pub fn builder(server: ServerInfo, sut: SutInfo, seed: u64) -> RunReportBuilder {
        RunReportBuilder {
            report: RunReport {
                format_version: FORMAT_VERSION,
                pgconform_version: env!("CARGO_PKG_VERSION").to_owned(),
                git_revision: option_env!("PGCONFORM_GIT_REVISION").map(str::to_owned),
                server,
                sut,
                seed,
                cases_requested: None,
                started_at: String::new(),
                duration_ms: 0,
                results: Vec::new(),
                selection: Vec::new(),
                shard: None,
                shards: Vec::new(),
                coverage_requirements: Vec::new(),
                interrupted: false,
                mutants: None,
                signature_key_id: None,
                integrity_sha256: String::new(),
            },
        }
    }
}

impl RunReportBuilder {
    /// The pgconform that made the run (a merge keeps its shards').
    pub fn made_by(mut self, version: String, git_revision: Option<String>) -> Self {
        self.report.pgconform_version = version;
        self.report.git_revision = git_revision;
        self
    }

    /// `--cases`, if given.
    pub fn cases_requested(mut self, cases: Option<u32>) -> Self {
        self.report.cases_requested = cases;
        self
    }

    /// Start (RFC 3339 UTC) and wall time of the run.
    pub fn timing(mut self, started_at: String, duration_ms: u64) -> Self {
        self.report.started_at = started_at;
        self.report.duration_ms = duration_ms;
        self
    }

    /// Every invariant ID selected (before sharding) and the results of those run.
    pub fn results(mut self, selection: Vec<String>, results: Vec<InvariantResult>) -> Self {
        self.report.selection = selection;
        self.report.results = results;
        self
    }

    /// The shard this report is (`--shard K/N`).
    pub fn shard(mut self, shard: Option<ShardSpec>) -> Self {
        self.report.shard = shard;
        self
    }

    /// The shards a merged report was assembled from.
    pub fn shards(mut self, shards: Vec<ShardRecord>) -> Self {
        self.report.shards = shards;
        self
    }

    /// The coverage requirements, evaluated.
    pub fn coverage(mut self, requirements: Vec<CoverageRequirement>) -> Self {
        self.report.coverage_requirements = requirements;
        self
    }

    /// Whether the run was interrupted.
    pub fn interrupted(mut self, interrupted: bool) -> Self {
        self.report.interrupted = interrupted;
        self
    }

    /// The kill matrix of a mutant run.
    pub fn mutants(mut self, matrix: MutantMatrix) -> Self {
        self.report.mutants = Some(matrix);
        self
    }

    /// The ID of the key that will sign the report.
    pub fn signed_by(mut self, key_id: Option<String>) -> Self {
        self.report.signature_key_id = key_id;
        self
    }

    /// The report (unsealed).
    pub fn build(self) -> RunReport {
        self.report
    }
}

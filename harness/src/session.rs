//! One prepared session: a server, the SUT installed in its template, and the
//! contract check passed. Shared by `run`, `replay`, `mutants` and the testkit.

use crate::provision::{self, ProvisionError, ProvisionOptions, Server};
use crate::sandbox::{PrepareError, ServerSandbox};
use crate::sut::{self, SutError};
use pgconform_reports::{ServerInfo, SutInfo};
use pgconform_scenarios::contract::{self, ContractItem};
use pgconform_scenarios::invariant::Suite;
use std::path::Path;
use std::sync::Arc;

/// Why a session could not be prepared (always exit 2).
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The SUT directory or mutant cannot be loaded.
    #[error(transparent)]
    Sut(#[from] SutError),
    /// No server.
    #[error(transparent)]
    Provision(#[from] ProvisionError),
    /// The template could not be created or the SUT does not install.
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// The SUT breaks the harness protocol (contract §0) before anything runs.
    #[error("the SUT in {dir} is refused before any invariant runs:\n{}", .problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Refused {
        /// SUT directory.
        dir: String,
        /// What is wrong, one line each.
        problems: Vec<crate::sut::check::SutProblem>,
    },
    /// Contract names are missing.
    #[error("the SUT in {dir} does not provide what the contract (docs/contract.md) requires:\n{}", .missing.iter().map(|m| format!("  missing {m} ({})", m.clause())).collect::<Vec<_>>().join("\n"))]
    Contract {
        /// SUT directory.
        dir: String,
        /// Missing items.
        missing: Vec<ContractItem>,
    },
    /// The contract check itself could not run.
    #[error("contract check failed: {0}")]
    ContractQuery(String),
}

/// A server with the SUT installed in a template database.
pub struct Session {
    // Field order matters: the sandbox drops (template database) before the server.
    /// Hands out case databases.
    pub sandbox: ServerSandbox,
    /// The server.
    pub server: Arc<Server>,
}

impl Session {
    /// Load the SUT (and mutant), start a server, install, check the contract
    /// for `suites`.
    pub fn prepare(
        sut_dir: &Path,
        mutant: Option<&Path>,
        provision: &ProvisionOptions,
        suites: &[Suite],
    ) -> Result<Self, SessionError> {
        Self::prepare_for(sut_dir, mutant, provision, suites, &[])
    }

    /// [`Session::prepare`] for a run of the invariants `ids`: before any
    /// server starts, refuse a SUT that lacks a script one of them runs or
    /// has transaction control in a file ([`crate::sut::check`]).
    pub fn prepare_for(
        sut_dir: &Path,
        mutant: Option<&Path>,
        provision: &ProvisionOptions,
        suites: &[Suite],
        ids: &[&str],
    ) -> Result<Self, SessionError> {
        let sut = sut::load(sut_dir, mutant)?;
        let problems = sut::check::problems(&sut, ids);
        if !problems.is_empty() {
            return Err(SessionError::Refused {
                dir: sut_dir.display().to_string(),
                problems,
            });
        }
        let server = Arc::new(provision::start(provision)?);
        let sandbox = ServerSandbox::prepare(Arc::clone(&server), sut)?;
        let mut client = sandbox
            .connect_template()
            .map_err(|e| SessionError::ContractQuery(e.to_string()))?;
        let missing = contract::missing(&mut client, suites)
            .map_err(|e| SessionError::ContractQuery(pgconform_scenarios::pg::describe(&e)))?;
        drop(client);
        if !missing.is_empty() {
            return Err(SessionError::Contract {
                dir: sut_dir.display().to_string(),
                missing,
            });
        }
        Ok(Self { sandbox, server })
    }

    /// The server as recorded in reports.
    pub fn server_info(&self) -> ServerInfo {
        let id = &self.server.identity;
        ServerInfo {
            backend: format!("{:?}", id.backend).to_lowercase(),
            version: id.version.clone(),
            version_num: id.version_num,
            source: id.source.clone(),
            version_note: id.version_note.clone(),
        }
    }

    /// The SUT as recorded in reports.
    pub fn sut_info(&self) -> SutInfo {
        use pgconform_scenarios::Sandbox;
        let sut = self.sandbox.sut();
        SutInfo {
            dir: sut.dir.display().to_string(),
            fingerprint: sut.fingerprint.clone(),
            files: crate::sut::report_files(sut),
            mutant: sut.mutant.as_ref().map(crate::sut::report_file),
        }
    }
}

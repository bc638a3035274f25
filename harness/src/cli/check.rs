//! `pgconform check`: only the up-front SUT check, no invariant.
//!
//! Refuses (exit 2) a SUT that lacks a named script a selected invariant
//! runs, has transaction control in a file, does not install, or lacks a
//! function, table or column the contract names and the harness reads; each
//! cause on one line with the contract clause and, where there is one, the
//! file and line.

use crate::cli::run::select;
use crate::cli::shared::ServerArgs;
use crate::exit_codes::{OK, USAGE_OR_ENV};
use crate::session::Session;
use clap::Args;
use pgconform_scenarios::registry::Options;
use std::path::PathBuf;

/// Flags of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// SUT directory [default: the bundled kernel].
    #[arg(long, value_name = "DIR")]
    pub sut: Option<PathBuf>,
    /// Suites whose needs are checked: foundation, durability, drift, evidence, gates or all (repeatable).
    #[arg(long, default_value = "all")]
    pub suite: Vec<String>,
    /// Only the needs of this invariant (repeatable) [default: every invariant of `--suite`].
    #[arg(long = "invariant", value_name = "ID")]
    pub invariants: Vec<String>,
    /// A mutant or variant file applied on top of the SUT [default: none].
    #[arg(long, value_name = "FILE")]
    pub mutant: Option<PathBuf>,
    /// Server flags (the SUT is installed to check names and columns).
    #[command(flatten)]
    pub server: ServerArgs,
}

/// Execute `pgconform check`.
pub fn check(args: CheckArgs) -> anyhow::Result<i32> {
    let (invariants, suites) = select(&args.suite, &args.invariants, &Options::default())?;
    let ids: Vec<&str> = invariants.iter().map(|i| i.meta().id).collect();
    let sut_dir = args
        .sut
        .clone()
        .unwrap_or_else(crate::sut::bundled_kernel_dir);
    crate::cleanup::install_signal_handler(std::time::Duration::from_secs(10));
    match Session::prepare_for(
        &sut_dir,
        args.mutant.as_deref(),
        &args.server.provision(),
        &suites,
        &ids,
    ) {
        Ok(session) => {
            use pgconform_scenarios::Sandbox;
            let sut = session.sandbox.sut();
            crate::outln!(
                "pgconform check: {} passes the up-front check for {} invariants: {} install files \
                 install, scripts [{}], every contract name the harness reads is present",
                sut_dir.display(),
                ids.len(),
                sut.install.len(),
                sut.scripts.keys().cloned().collect::<Vec<_>>().join(", ")
            );
            Ok(OK)
        }
        Err(e) => {
            crate::errln!(
                "pgconform check: {}",
                crate::cli::output::error_message(&anyhow::Error::new(e))
            );
            Ok(USAGE_OR_ENV)
        }
    }
}

//! Command-line interface. Flags are API: add freely, rename none.

pub mod list;
pub mod run;
pub mod setup;

use clap::{Parser, Subcommand};

/// Property-based conformance harness for a PostgreSQL 16-resident governance kernel.
///
/// Exit codes: 0 all green, 1 an invariant failed, 2 usage or environment error.
#[derive(Debug, Parser)]
#[command(name = "pgconform", version, about, long_about = None)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run invariants against a kernel on a disposable PostgreSQL 16.
    Run(run::RunArgs),
    /// List every invariant.
    List(list::ListArgs),
    /// Provision what the embedded backend needs (PG16 binaries); idempotent.
    Setup(setup::SetupArgs),
}

/// Run a parsed command line; returns the process exit code.
pub fn dispatch(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Run(a) => run::run(a),
        Command::List(a) => list::list(a),
        Command::Setup(a) => setup::setup(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pgconform: error: {e:#}");
            crate::exit_codes::USAGE_OR_ENV
        }
    }
}

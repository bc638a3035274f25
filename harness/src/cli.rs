//! Command-line interface. Flags are API: add freely, rename none.

pub mod check;
pub mod gate;
pub mod list;
pub mod mutants;
pub mod output;
pub mod pack;
pub mod replay;
pub mod report;
pub mod run;
pub mod setup;
pub mod shared;
pub mod variants;

use clap::{Parser, Subcommand};

/// Property-based conformance harness for a PostgreSQL 16-resident governance kernel.
///
/// Exit codes: 0 all green, 1 an invariant failed, 2 usage or environment error.
#[derive(Debug, Parser)]
#[command(name = "pgconform", version, about, long_about = None, disable_help_flag = true)]
pub struct Cli {
    /// Print help: each flag on one line with its default (details: `pgconform help COMMAND`).
    #[arg(short, long, action = clap::ArgAction::HelpShort, global = true, display_order = 1000)]
    pub help: Option<bool>,
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
    /// Prepare a backend: PG16 binaries (embedded) or engine and image (docker); idempotent.
    Setup(setup::SetupArgs),
    /// Offline evidence-pack tools: verify digests, diff two packs.
    Pack(pack::PackArgs),
    /// Replay one recorded failing case (a case file) on a fresh database.
    Replay(replay::ReplayArgs),
    /// Release gate: accept a report only if it proves this SUT conforms.
    Gate(gate::GateArgs),
    /// Only the up-front SUT check: scripts, transaction control, contract names.
    Check(check::CheckArgs),
    /// Run every mutant (deliberately broken kernel); each must be killed.
    Mutants(mutants::MutantsArgs),
    /// Run every legal variant (a different choice the contract allows); each must pass.
    Variants(variants::VariantsArgs),
    /// Offline report tools: merge shards, render, verify, schema.
    Report(report::ReportArgs),
    /// Make a minisign key pair for signing reports (`--sign-key`, `gate --trusted-key`).
    Keygen(crate::signing::KeygenArgs),
}

/// Run a parsed command line; returns the process exit code.
pub fn dispatch(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Run(a) => run::run(a),
        Command::List(a) => list::list(a),
        Command::Setup(a) => setup::setup(a),
        Command::Pack(a) => pack::pack(a),
        Command::Replay(a) => replay::replay(a),
        Command::Gate(a) => gate::gate(a),
        Command::Check(a) => check::check(a),
        Command::Mutants(a) => mutants::mutants(a),
        Command::Report(a) => report::report(a),
        Command::Variants(a) => variants::variants(a),
        Command::Keygen(a) => crate::signing::keygen(a),
    };
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            crate::errln!("pgconform: error: {}", output::error_message(&e));
            crate::exit_codes::USAGE_OR_ENV
        }
    };
    match output::stdout_error() {
        Some(e) if code == crate::exit_codes::OK => {
            crate::errln!("pgconform: error: cannot write to stdout: {e}");
            crate::exit_codes::USAGE_OR_ENV
        }
        _ => code,
    }
}

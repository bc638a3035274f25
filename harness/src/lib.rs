//! pgconform: a property-based conformance harness for a PostgreSQL 16–resident
//! governance kernel. This crate owns provisioning, the runner and the CLI.

pub mod casefile;
pub mod cleanup;
pub mod cli;
pub mod exit_codes;
pub mod header;
pub mod mutant;
pub mod progress;
pub mod provision;
pub mod runner;
pub mod sandbox;
pub mod session;
pub mod signing;
pub mod sql_files;
pub mod sut;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod variant;

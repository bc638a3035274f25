//! The run result model of pgconform and its report writers.
//!
//! This crate is pure: it consumes serialisable results and never talks to
//! Postgres. Machine output (`report.json`) is API and carries a format version.

pub mod model;
pub mod run_report;

pub use model::*;
pub use run_report::{RunReport, ServerInfo, SutFile, SutInfo};

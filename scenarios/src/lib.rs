//! Invariants of the kernel contract and the properties that check them.
//!
//! Scenarios talk to Postgres only through [`sandbox::Sandbox`]: they never know
//! which backend provisioned the server. Each subsystem module exposes
//! `invariants()`; [`registry::all`] lists every invariant of CONTRACT.md.

pub mod case;
pub mod clock;
pub mod contract;
pub mod copy_stream;
pub mod invariant;
pub mod pg;
pub mod property;
pub mod registry;
pub mod sandbox;
pub mod snapshot;
pub mod sql_lexer;
pub mod verify_paths;

pub mod drift;
pub mod durability;
pub mod evidence;
pub mod foundation;
pub mod gates;

pub use case::{CaseError, CaseResult};
pub use invariant::{Invariant, InvariantMeta, RunContext, Suite};
pub use property::Property;
pub use sandbox::{CaseDb, Sandbox, SandboxError};

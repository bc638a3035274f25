//! Inputs of the durability invariants (CONTRACT.md §1): agents and their
//! commit histories, tampers of a rehydrated copy, corruptions of the kernel
//! for the proofs, refusals for fail-closed checks, and target schema names.
//!
//! Everything is plain serde data: a recorded failure replays without these
//! strategies. Histories shrink toward one agent with the fewest rows.

pub mod corruption;
pub mod history;
pub mod refusal;
pub mod schema;
pub mod tamper;

pub use corruption::{
    arb_aperture_corruption, arb_aperture_corruption_set, arb_wiring_corruption,
    arb_wiring_corruption_set, ApertureCorruption, DeclaredField, WiringCorruption,
};
pub use history::{
    actor_uuid, agent_uuid, arb_background_history, arb_commit, arb_history, arb_hostile_history,
    arb_single_agent_history, ArtifactBatch, Commit, History, HistoryShape,
};
pub use refusal::{arb_refusal, arb_refusal_set, NullField, Refusal};
pub use schema::{arb_target_schema, effective_schema_name};
pub use tamper::{arb_tamper, EditValue, Tamper, TamperKind};

/// The canonical types, as contract §1 names them (`pgconform_contract`).
pub use pgconform_contract::durability::{canonical_types, ACTION_LOG_TYPE, ARTIFACT_TYPES};

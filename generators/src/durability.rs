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

/// The action-log type: written by `commit_action` itself, never in `p_artifacts`.
pub const ACTION_LOG_TYPE: &str = "cpo_action_logs";

/// The canonical artifact types a commit can carry in `p_artifacts`
/// (every canonical type but the action log), in the contract's order.
pub const ARTIFACT_TYPES: [&str; 11] = [
    "cpo_charters",
    "cpo_charter_activations",
    "cpo_state_snapshots",
    "cpo_decisions",
    "cpo_assumptions",
    "cpo_exceptions",
    "cpo_drift_events",
    "cpo_assumption_events",
    "cpo_exception_events",
    "cpo_drift_resolutions",
    "cpo_changes",
];

/// Every canonical type, the action log first.
pub fn canonical_types() -> Vec<&'static str> {
    let mut v = vec![ACTION_LOG_TYPE];
    v.extend(ARTIFACT_TYPES);
    v
}

//! The names CONTRACT.md fixes, and the check that a SUT provides them.
//!
//! Functions are resolved by exact signature (`to_regprocedure`), tables by
//! exact name (`to_regclass`): no overload guessing, no substring matching.

use crate::invariant::Suite;
use postgres::Client;

/// One named object the contract requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractItem {
    /// A function, as a regprocedure signature.
    Function(&'static str),
    /// A table, schema-qualified.
    Table(&'static str),
}

impl std::fmt::Display for ContractItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContractItem::Function(s) => write!(f, "function {s}"),
            ContractItem::Table(s) => write!(f, "table {s}"),
        }
    }
}

use ContractItem::{Function as F, Table as T};

const FOUNDATION: &[ContractItem] = &[F("public.kernel_now()")];

const DURABILITY: &[ContractItem] = &[
    F("cpo.commit_action(text,jsonb,jsonb,uuid,uuid)"),
    F("cpo.get_canonical_artifact_types()"),
    F("cpo.export_evidence_pack(uuid)"),
    F("cpo.rehydrate_agent(jsonb,text)"),
    F("cpo.verify_reconstruction(uuid,text,text)"),
    F("cpo.verify_heads_equivalence(uuid,text,text)"),
    F("cpo.rebuild_agent_heads(text)"),
    F("cpo.durability_round_trip_test(uuid)"),
    F("cpo.run_write_aperture_proofs()"),
    F("cpo.run_durability_wiring_proofs()"),
    T("cpo.artifact_table_registry"),
    T("cpo.cpo_agent_heads"),
    T("cpo.cpo_action_logs"),
    T("cpo.cpo_charters"),
    T("cpo.cpo_charter_activations"),
    T("cpo.cpo_state_snapshots"),
    T("cpo.cpo_decisions"),
    T("cpo.cpo_assumptions"),
    T("cpo.cpo_exceptions"),
    T("cpo.cpo_drift_events"),
    T("cpo.cpo_assumption_events"),
    T("cpo.cpo_exception_events"),
    T("cpo.cpo_drift_resolutions"),
    T("cpo.cpo_changes"),
];

const DRIFT: &[ContractItem] = &[
    F("qt001_cp.realized_authority_snapshot(text[])"),
    F("qt001_cp.seal_manifest_from_realized(text,text[])"),
    F("qt001_cp.activate_manifest(uuid,uuid)"),
    F("qt001_cp.verify_object_authority(text)"),
    F("qt001_cp.rollback_manifest(text)"),
    T("qt001_cp.manifest_version"),
    T("qt001_cp.authority_scope_manifest"),
    T("qt001_cp.manifest_activation"),
    T("qt001_cp.evidence_registry"),
];

const EVIDENCE: &[ContractItem] = &[
    F("qt001_cp.seal_artifact(text,bytea,text,text,uuid,interval)"),
    F("qt001_cp.readback_verify(uuid)"),
    F("qt001_cp.stub_fail_closed(regprocedure,text,uuid)"),
    F("qt001_cp.revoke_only(regprocedure)"),
    F("qt001_cp.restore_function(regprocedure,uuid,text)"),
    F("qt001_cp.restore_function_by_hash(regprocedure,text)"),
    F("qt001_cp.snapshot_owner_acl(text[])"),
    F("qt001_cp.replay_owner_acl(uuid)"),
    F("qt001_cp.rollback_manifest(text)"),
    T("qt001_cp.evidence_registry"),
    T("qt001_cp.artifact_store"),
];

const GATES: &[ContractItem] = &[
    F("public.fn_iu_gate_open(text,uuid,text,text,integer)"),
    F("public.fn_iu_gate_close(text,text,text)"),
    F("public.fn_iu_gate_watchdog(text)"),
    F("public.fn_iu_gate_verify_closed(text)"),
    F("public.fn_dot_iu_command_log(text,text,text,text,boolean,text,jsonb,jsonb,text)"),
    T("public.dot_config"),
    T("public.iu_gate_transition"),
    T("public.dot_iu_command_catalog"),
    T("public.dot_iu_command_run"),
];

/// The items a suite requires.
pub fn items(suite: Suite) -> &'static [ContractItem] {
    match suite {
        Suite::Foundation => FOUNDATION,
        Suite::Durability => DURABILITY,
        Suite::Drift => DRIFT,
        Suite::Evidence => EVIDENCE,
        Suite::Gates => GATES,
    }
}

/// Resolve every item of `suites` (plus the foundation) in the connected
/// database; returns the missing ones (empty when the contract holds).
pub fn missing(
    client: &mut Client,
    suites: &[Suite],
) -> Result<Vec<ContractItem>, postgres::Error> {
    let mut wanted: Vec<ContractItem> = FOUNDATION.to_vec();
    for s in suites {
        for item in items(*s) {
            if !wanted.contains(item) {
                wanted.push(*item);
            }
        }
    }
    let mut missing = Vec::new();
    for item in wanted {
        let present: bool = match item {
            F(sig) => client
                .query_one("SELECT to_regprocedure($1) IS NOT NULL", &[&sig])?
                .get(0),
            T(name) => client
                .query_one(
                    "SELECT coalesce((SELECT c.relkind IN ('r','p') FROM pg_class c \
                     WHERE c.oid = to_regclass($1)), false)",
                    &[&name],
                )?
                .get(0),
        };
        if !present {
            missing.push(item);
        }
    }
    Ok(missing)
}

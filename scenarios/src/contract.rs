//! The names the contract fixes, and the check that a SUT provides them.
//!
//! Functions are resolved by exact signature (`to_regprocedure`), tables by
//! exact name (`to_regclass`), columns by exact name in `pg_attribute`: no
//! overload guessing, no substring matching. Only what the contract names
//! and the harness reads is required; everything else is the kernel's choice.

use crate::invariant::Suite;
use postgres::Client;

/// One named object the contract requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractItem {
    /// A function, as a regprocedure signature.
    Function(&'static str),
    /// A table, schema-qualified.
    Table(&'static str),
    /// A column of a table: (schema-qualified table, column).
    Column(&'static str, &'static str),
}

impl ContractItem {
    /// The contract section that names this item.
    pub fn clause(self) -> &'static str {
        let name = match self {
            ContractItem::Function(s) | ContractItem::Table(s) | ContractItem::Column(s, _) => s,
        };
        if name.starts_with("cpo.") {
            "contract §1"
        } else if name.starts_with("public.kernel_") {
            "contract §0, the test clock"
        } else if name.starts_with("public.") {
            "contract §4"
        } else if name.contains("manifest") || name.contains("authority") {
            "contract §2"
        } else {
            "contract §3"
        }
    }
}

impl std::fmt::Display for ContractItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContractItem::Function(s) => write!(f, "function {s}"),
            ContractItem::Table(s) => write!(f, "table {s}"),
            ContractItem::Column(t, c) => write!(f, "column {c} of table {t}"),
        }
    }
}

use ContractItem::{Column as C, Function as F, Table as T};

const FOUNDATION: &[ContractItem] = &[
    F("public.kernel_now()"),
    T("public.kernel_test_clock"),
    C("public.kernel_test_clock", "database_name"),
    C("public.kernel_test_clock", "frozen_at"),
    C("public.kernel_test_clock", "enabled_by"),
];

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
    C("cpo.artifact_table_registry", "artifact_type"),
    C("cpo.artifact_table_registry", "table_regclass"),
    C("cpo.artifact_table_registry", "table_kind"),
    C("cpo.artifact_table_registry", "is_canonical"),
    C("cpo.artifact_table_registry", "is_exported"),
    C("cpo.artifact_table_registry", "export_order"),
    C("cpo.artifact_table_registry", "logical_id_column"),
    C("cpo.artifact_table_registry", "seq_column"),
    C("cpo.artifact_table_registry", "insert_agent_id_column"),
    C("cpo.artifact_table_registry", "insert_content_column"),
    C("cpo.cpo_agent_heads", "agent_id"),
    C("cpo.cpo_action_logs", "seq"),
    C("cpo.cpo_charter_activations", "seq"),
    C("cpo.cpo_state_snapshots", "seq"),
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
    F("qt001_cp.seal_artifact(text,bytea,text,text,uuid,interval)"),
    F("qt001_cp.readback_verify(uuid)"),
    C("qt001_cp.manifest_version", "manifest_id"),
    C("qt001_cp.manifest_version", "manifest_set"),
    C("qt001_cp.manifest_version", "version"),
    C("qt001_cp.manifest_version", "payload"),
    C("qt001_cp.manifest_version", "payload_sha256"),
    C("qt001_cp.manifest_version", "created_at"),
    C("qt001_cp.manifest_version", "supersedes_manifest_id"),
    C("qt001_cp.authority_scope_manifest", "manifest_id"),
    C("qt001_cp.authority_scope_manifest", "object_identity"),
    C(
        "qt001_cp.authority_scope_manifest",
        "parent_object_identity",
    ),
    C("qt001_cp.authority_scope_manifest", "object_type"),
    C(
        "qt001_cp.authority_scope_manifest",
        "expected_definition_sha256",
    ),
    C(
        "qt001_cp.authority_scope_manifest",
        "expected_constraint_set_sha256",
    ),
    C("qt001_cp.manifest_activation", "activation_id"),
    C("qt001_cp.manifest_activation", "manifest_id"),
    C("qt001_cp.manifest_activation", "activated_at"),
    C("qt001_cp.manifest_activation", "rollback_evidence_id"),
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
    C("qt001_cp.evidence_registry", "evidence_id"),
    C("qt001_cp.evidence_registry", "evidence_kind"),
    C("qt001_cp.evidence_registry", "storage_class"),
    C("qt001_cp.evidence_registry", "artifact_uri"),
    C("qt001_cp.evidence_registry", "artifact_sha256"),
    C("qt001_cp.evidence_registry", "artifact_size_bytes"),
    C("qt001_cp.evidence_registry", "issuer_principal_id"),
    C("qt001_cp.evidence_registry", "control_epoch"),
    C("qt001_cp.evidence_registry", "issued_at"),
    C("qt001_cp.evidence_registry", "last_readback_at"),
    C("qt001_cp.evidence_registry", "valid_until"),
    C("qt001_cp.evidence_registry", "revoked_at"),
    C("qt001_cp.evidence_registry", "supersedes_evidence_id"),
    C("qt001_cp.artifact_store", "artifact_uri"),
    C("qt001_cp.artifact_store", "body"),
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
    C("public.dot_config", "key"),
    C("public.dot_config", "value"),
    C("public.dot_config", "description"),
    C("public.dot_config", "updated_at"),
    C("public.iu_gate_transition", "transition_id"),
    C("public.iu_gate_transition", "gate_key"),
    C("public.iu_gate_transition", "action"),
    C("public.iu_gate_transition", "prev_value"),
    C("public.iu_gate_transition", "new_value"),
    C("public.iu_gate_transition", "approval_id"),
    C("public.iu_gate_transition", "ttl_seconds"),
    C("public.iu_gate_transition", "expires_at"),
    C("public.iu_gate_transition", "actor"),
    C("public.iu_gate_transition", "reason"),
    C("public.iu_gate_transition", "run_id"),
    C("public.iu_gate_transition", "created_at"),
    C("public.dot_iu_command_catalog", "command_name"),
    C("public.dot_iu_command_catalog", "category"),
    C("public.dot_iu_command_catalog", "mutating"),
    C("public.dot_iu_command_catalog", "reversible"),
    C("public.dot_iu_command_catalog", "target_functions"),
    C("public.dot_iu_command_run", "run_id"),
    C("public.dot_iu_command_run", "command_name"),
    C("public.dot_iu_command_run", "actor"),
    C("public.dot_iu_command_run", "created_at"),
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

/// The canonical tables of contract §1 (each has `agent_id` and `content`).
fn canonical_tables() -> impl Iterator<Item = &'static str> {
    DURABILITY.iter().filter_map(|i| match i {
        T(t) if t.starts_with("cpo.cpo_") && *t != "cpo.cpo_agent_heads" => Some(*t),
        _ => None,
    })
}

/// Every item `suites` (plus the foundation) require, without repeats.
pub fn required(suites: &[Suite]) -> Vec<ContractItem> {
    let mut wanted: Vec<ContractItem> = FOUNDATION.to_vec();
    let mut push = |item: ContractItem| {
        if !wanted.contains(&item) {
            wanted.push(item);
        }
    };
    for s in suites {
        for item in items(*s) {
            push(*item);
        }
        if *s == Suite::Durability {
            for t in canonical_tables() {
                push(C(t, "agent_id"));
                push(C(t, "content"));
            }
        }
    }
    wanted
}

/// The named scripts (contract §0) invariant `id` runs.
pub fn scripts_needed(id: &str) -> &'static [&'static str] {
    match id {
        "GATE-ROLLBACK" => &["gates-install", "gates-rollback"],
        "GATE-DRYRUN" => &["gates-install"],
        "DRIFT-REVERSAL" => &["uninstall"],
        "DRIFT-DEFERRED-FK" => &["seal-kernel"],
        _ => &[],
    }
}

/// Resolve every item of `suites` (plus the foundation) in the connected
/// database; returns the missing ones (empty when the contract holds).
pub fn missing(
    client: &mut Client,
    suites: &[Suite],
) -> Result<Vec<ContractItem>, postgres::Error> {
    let mut missing = Vec::new();
    for item in required(suites) {
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
            C(table, column) => client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_attribute a \
                     WHERE a.attrelid = to_regclass($1) AND a.attname = $2 \
                     AND a.attnum > 0 AND NOT a.attisdropped)",
                    &[&table, &column],
                )?
                .get(0),
        };
        if !present {
            missing.push(item);
        }
    }
    Ok(missing)
}

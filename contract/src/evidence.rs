//! Contract §3: evidence registry and restore, schema `qt001_cp`.

use crate::ContractItem::{self, Column as C, Function as F, Table as T};

/// The evidence registry.
pub const REGISTRY: &str = "qt001_cp.evidence_registry";

/// The artifact store.
pub const STORE: &str = "qt001_cp.artifact_store";

/// The functions of §3, as regprocedure signatures.
pub const FUNCTIONS: [&str; 9] = [
    "qt001_cp.seal_artifact(text,bytea,text,text,uuid,interval)",
    "qt001_cp.readback_verify(uuid)",
    "qt001_cp.stub_fail_closed(regprocedure,text,uuid)",
    "qt001_cp.revoke_only(regprocedure)",
    "qt001_cp.restore_function(regprocedure,uuid,text)",
    "qt001_cp.restore_function_by_hash(regprocedure,text)",
    "qt001_cp.snapshot_owner_acl(text[])",
    "qt001_cp.replay_owner_acl(uuid)",
    "qt001_cp.rollback_manifest(text)",
];

/// The contract columns of [`REGISTRY`] (§3, seed 001).
pub const REGISTRY_COLUMNS: [&str; 13] = [
    "evidence_id",
    "evidence_kind",
    "storage_class",
    "artifact_uri",
    "artifact_sha256",
    "artifact_size_bytes",
    "issuer_principal_id",
    "control_epoch",
    "issued_at",
    "last_readback_at",
    "valid_until",
    "revoked_at",
    "supersedes_evidence_id",
];

/// The contract columns of [`STORE`].
pub const STORE_COLUMNS: [&str; 2] = ["artifact_uri", "body"];

/// Every item §3 requires: functions, tables, then columns.
pub fn items() -> Vec<ContractItem> {
    let mut v: Vec<ContractItem> = FUNCTIONS.iter().map(|f| F(f)).collect();
    v.push(T(REGISTRY));
    v.push(T(STORE));
    v.extend(REGISTRY_COLUMNS.iter().map(|c| C(REGISTRY, c)));
    v.extend(STORE_COLUMNS.iter().map(|c| C(STORE, c)));
    v
}

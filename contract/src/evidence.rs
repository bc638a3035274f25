//! Contract §3: evidence registry and restore, schema `qt001_cp`.

use crate::ContractItem::{self, Column as C, Function as F, Table as T};

/// Every item §3 requires.
pub const ITEMS: &[ContractItem] = &[
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

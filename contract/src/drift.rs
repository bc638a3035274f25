//! Contract §2: expected constraints and drift, schema `qt001_cp`.

use crate::ContractItem::{self, Column as C, Function as F, Table as T};

/// Every item §2 requires.
pub const ITEMS: &[ContractItem] = &[
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

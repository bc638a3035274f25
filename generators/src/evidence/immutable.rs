//! Inputs of EVID-IMMUTABLE: sealed artifacts and attempts to alter them.

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// A frozen column of `qt001_cp.evidence_registry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegistryColumn {
    /// `evidence_id`
    EvidenceId,
    /// `evidence_kind`
    EvidenceKind,
    /// `storage_class`
    StorageClass,
    /// `artifact_uri`
    ArtifactUri,
    /// `artifact_sha256`
    ArtifactSha256,
    /// `artifact_size_bytes`
    ArtifactSizeBytes,
    /// `issuer_principal_id`
    IssuerPrincipalId,
    /// `control_epoch`
    ControlEpoch,
    /// `issued_at`
    IssuedAt,
    /// `valid_until`
    ValidUntil,
    /// `supersedes_evidence_id`
    SupersedesEvidenceId,
}

/// A column of `qt001_cp.artifact_store`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoreColumn {
    /// `artifact_uri`
    ArtifactUri,
    /// `body`
    Body,
}

/// One attempt against the registry or the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImmutableAttempt {
    /// UPDATE a frozen registry column of row `row`, optionally together
    /// with an allowed column in the same statement.
    UpdateRegistry {
        /// Row index (mod row count).
        row: u8,
        /// Column.
        column: RegistryColumn,
        /// Also set `revoked_at` in the same statement.
        with_allowed: bool,
    },
    /// UPDATE a store column.
    UpdateStore {
        /// Row index.
        row: u8,
        /// Column.
        column: StoreColumn,
    },
    /// DELETE one registry row.
    DeleteRegistry {
        /// Row index.
        row: u8,
    },
    /// DELETE one store row.
    DeleteStore {
        /// Row index.
        row: u8,
    },
    /// TRUNCATE the registry (CASCADE).
    TruncateRegistry,
    /// TRUNCATE the store (CASCADE).
    TruncateStore,
    /// Allowed: revoke (set `revoked_at`) — must succeed and change only that column.
    Revoke {
        /// Row index.
        row: u8,
    },
    /// Allowed: `readback_verify` — changes at most `last_readback_at`.
    Readback {
        /// Row index.
        row: u8,
    },
}

impl ImmutableAttempt {
    /// Coverage name.
    pub fn name(&self) -> String {
        match self {
            ImmutableAttempt::UpdateRegistry { column, .. } => {
                format!("update_registry:{column:?}")
            }
            ImmutableAttempt::UpdateStore { column, .. } => format!("update_store:{column:?}"),
            ImmutableAttempt::DeleteRegistry { .. } => "delete_registry".into(),
            ImmutableAttempt::DeleteStore { .. } => "delete_store".into(),
            ImmutableAttempt::TruncateRegistry => "truncate_registry".into(),
            ImmutableAttempt::TruncateStore => "truncate_store".into(),
            ImmutableAttempt::Revoke { .. } => "revoke".into(),
            ImmutableAttempt::Readback { .. } => "readback".into(),
        }
    }
}

/// An artifact to seal (kind `test_artifact`, storage class `embedded`: the
/// only kind and class of its use the contract guarantees a kernel accepts).
/// Case files recorded before v2 may carry a `storage_class`; it is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactSpec {
    /// Body bytes (any bytes, possibly empty).
    pub body: Vec<u8>,
}

/// Input of EVID-IMMUTABLE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImmutableInput {
    /// Artifacts sealed first (1..=3).
    pub artifacts: Vec<ArtifactSpec>,
    /// Attempts, in order.
    pub attempts: Vec<ImmutableAttempt>,
}

fn arb_registry_column() -> impl Strategy<Value = RegistryColumn> {
    prop_oneof![
        Just(RegistryColumn::EvidenceId),
        Just(RegistryColumn::EvidenceKind),
        Just(RegistryColumn::StorageClass),
        Just(RegistryColumn::ArtifactUri),
        Just(RegistryColumn::ArtifactSha256),
        Just(RegistryColumn::ArtifactSizeBytes),
        Just(RegistryColumn::IssuerPrincipalId),
        Just(RegistryColumn::ControlEpoch),
        Just(RegistryColumn::IssuedAt),
        Just(RegistryColumn::ValidUntil),
        Just(RegistryColumn::SupersedesEvidenceId),
    ]
}

/// One attempt.
pub fn arb_immutable_attempt() -> impl Strategy<Value = ImmutableAttempt> {
    prop_oneof![
        6 => (any::<u8>(), arb_registry_column(), any::<bool>())
            .prop_map(|(row, column, with_allowed)| ImmutableAttempt::UpdateRegistry { row, column, with_allowed }),
        2 => (any::<u8>(), prop_oneof![Just(StoreColumn::ArtifactUri), Just(StoreColumn::Body)])
            .prop_map(|(row, column)| ImmutableAttempt::UpdateStore { row, column }),
        1 => any::<u8>().prop_map(|row| ImmutableAttempt::DeleteRegistry { row }),
        1 => any::<u8>().prop_map(|row| ImmutableAttempt::DeleteStore { row }),
        1 => Just(ImmutableAttempt::TruncateRegistry),
        1 => Just(ImmutableAttempt::TruncateStore),
        1 => any::<u8>().prop_map(|row| ImmutableAttempt::Revoke { row }),
        1 => any::<u8>().prop_map(|row| ImmutableAttempt::Readback { row }),
    ]
}

/// EVID-IMMUTABLE input.
pub fn arb_immutable_input() -> impl Strategy<Value = ImmutableInput> {
    (
        prop::collection::vec(
            prop::collection::vec(any::<u8>(), 0..=64).prop_map(|body| ArtifactSpec { body }),
            1..=3,
        ),
        prop::collection::vec(arb_immutable_attempt(), 1..=8),
    )
        .prop_map(|(artifacts, attempts)| ImmutableInput {
            artifacts,
            attempts,
        })
}

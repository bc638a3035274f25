//! Requests every kernel must refuse while changing nothing (DUR-FAILCLOSED).

use super::{canonical_types, history::ArtifactBatch, ARTIFACT_TYPES};
use crate::json::{arb_content, arb_json_value_text};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// One refused request. Commit refusals may carry a valid batch next to the
/// bad one: nothing of it may be written either.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// `p_artifacts` names a type that is not registered.
    CommitUnknownType {
        /// The unknown type.
        type_name: String,
        /// A valid batch in the same call.
        valid: Option<ArtifactBatch>,
    },
    /// `p_artifacts` carries action-log rows.
    CommitActionLogType {
        /// A valid batch in the same call.
        valid: Option<ArtifactBatch>,
    },
    /// A type's value is not an array.
    CommitNonArray {
        /// The type.
        artifact_type: String,
        /// The non-array JSON value.
        value: String,
        /// A valid batch in the same call.
        valid: Option<ArtifactBatch>,
    },
    /// An element is not a JSON object.
    CommitNonObjectElement {
        /// The type.
        artifact_type: String,
        /// The non-object element.
        element: String,
        /// A valid batch in the same call.
        valid: Option<ArtifactBatch>,
    },
    /// `p_artifacts` itself is not an object.
    CommitArtifactsNotObject {
        /// The JSON value.
        value: String,
    },
    /// `p_agent_id` is null.
    CommitNullAgent {
        /// A valid batch in the same call.
        valid: Option<ArtifactBatch>,
    },
    /// Rehydrate into the source schema.
    RehydrateSourceSchema,
    /// Rehydrate a pack whose `format` is not `cpo.evidence_pack/v1`.
    RehydrateUnknownFormat {
        /// The format string.
        format: String,
    },
    /// Rehydrate a pack with an extra, unregistered type.
    RehydrateUnknownType {
        /// The extra type.
        type_name: String,
    },
    /// Rehydrate a pack lacking one canonical type.
    RehydrateMissingType {
        /// The removed type.
        artifact_type: String,
    },
    /// Rehydrate the same agent twice into one target.
    RehydrateAgentPresent,
    /// Verify when the registry lists no type.
    VerifyEmptyRegistry,
}

impl Refusal {
    /// Coverage label (`refusal:<label>`).
    pub fn label(&self) -> &'static str {
        match self {
            Self::CommitUnknownType { .. } => "commit_unknown_type",
            Self::CommitActionLogType { .. } => "commit_action_log_type",
            Self::CommitNonArray { .. } => "commit_non_array",
            Self::CommitNonObjectElement { .. } => "commit_non_object_element",
            Self::CommitArtifactsNotObject { .. } => "commit_artifacts_not_object",
            Self::CommitNullAgent { .. } => "commit_null_agent",
            Self::RehydrateSourceSchema => "rehydrate_source_schema",
            Self::RehydrateUnknownFormat { .. } => "rehydrate_unknown_format",
            Self::RehydrateUnknownType { .. } => "rehydrate_unknown_type",
            Self::RehydrateMissingType { .. } => "rehydrate_missing_type",
            Self::RehydrateAgentPresent => "rehydrate_agent_present",
            Self::VerifyEmptyRegistry => "verify_empty_registry",
        }
    }
}

fn arb_valid_batch() -> impl Strategy<Value = Option<ArtifactBatch>> {
    prop::option::of(
        (
            prop::sample::select(ARTIFACT_TYPES.to_vec()),
            prop::collection::vec(arb_content(), 1..3),
        )
            .prop_map(|(t, rows)| ArtifactBatch {
                artifact_type: t.to_owned(),
                rows,
            }),
    )
}

fn arb_artifact_type() -> impl Strategy<Value = String> {
    prop::sample::select(ARTIFACT_TYPES.to_vec()).prop_map(str::to_owned)
}

fn arb_unknown_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("cpo_agent_heads".to_owned()),
        Just("artifact_table_registry".to_owned()),
        Just("CPO_DECISIONS".to_owned()),
        Just("cpo_decisions ".to_owned()),
        Just("cpo.cpo_decisions".to_owned()),
        Just(String::new()),
        "[a-z_]{1,16}",
    ]
    .prop_filter("not a canonical type", |s| {
        !canonical_types().contains(&s.as_str())
    })
}

/// Any refusal.
pub fn arb_refusal() -> impl Strategy<Value = Refusal> {
    let non_array = prop_oneof![
        Just("{}".to_owned()),
        Just("null".to_owned()),
        Just("\"rows\"".to_owned()),
        Just("1".to_owned()),
    ];
    let non_object = prop_oneof![
        Just("[]".to_owned()),
        Just("null".to_owned()),
        Just("\"x\"".to_owned()),
        Just("-0".to_owned()),
        Just("true".to_owned()),
    ];
    let not_object = arb_json_value_text().prop_filter("not an object", |s| !s.starts_with('{'));
    prop_oneof![
        (arb_unknown_type(), arb_valid_batch())
            .prop_map(|(type_name, valid)| Refusal::CommitUnknownType { type_name, valid }),
        arb_valid_batch().prop_map(|valid| Refusal::CommitActionLogType { valid }),
        (arb_artifact_type(), non_array, arb_valid_batch()).prop_map(
            |(artifact_type, value, valid)| {
                Refusal::CommitNonArray {
                    artifact_type,
                    value,
                    valid,
                }
            }
        ),
        (arb_artifact_type(), non_object, arb_valid_batch()).prop_map(
            |(artifact_type, element, valid)| Refusal::CommitNonObjectElement {
                artifact_type,
                element,
                valid
            }
        ),
        not_object.prop_map(|value| Refusal::CommitArtifactsNotObject { value }),
        arb_valid_batch().prop_map(|valid| Refusal::CommitNullAgent { valid }),
        Just(Refusal::RehydrateSourceSchema),
        prop_oneof![
            Just("cpo.evidence_pack/v2".to_owned()),
            Just("CPO.EVIDENCE_PACK/V1".to_owned()),
            Just(String::new()),
            Just("cpo.evidence_pack/v1 ".to_owned()),
        ]
        .prop_map(|format| Refusal::RehydrateUnknownFormat { format }),
        arb_unknown_type().prop_map(|type_name| Refusal::RehydrateUnknownType { type_name }),
        prop::sample::select(canonical_types()).prop_map(|t| Refusal::RehydrateMissingType {
            artifact_type: t.to_owned()
        }),
        Just(Refusal::RehydrateAgentPresent),
        Just(Refusal::VerifyEmptyRegistry),
    ]
}

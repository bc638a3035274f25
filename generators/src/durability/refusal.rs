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
    /// Not a refusal but a choice (v2): one of `p_actor_id`, `p_action`,
    /// `p_action_type` is null, everything else valid. Refused with nothing
    /// written, or stored as JSON null with nothing else changed: both pass;
    /// anything half-written fails.
    CommitNullChoice {
        /// The argument that is null.
        field: NullField,
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

/// A `commit_action` argument whose null handling is the kernel's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NullField {
    /// `p_actor_id`.
    Actor,
    /// `p_action`.
    Action,
    /// `p_action_type`.
    ActionType,
}

impl NullField {
    /// The key of the action-log content that holds the argument.
    pub fn content_key(self) -> &'static str {
        match self {
            NullField::Actor => "actor_id",
            NullField::Action => "action",
            NullField::ActionType => "action_type",
        }
    }
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
            Self::CommitNullChoice { field, .. } => match field {
                NullField::Actor => "commit_null_actor_choice",
                NullField::Action => "commit_null_action_choice",
                NullField::ActionType => "commit_null_action_type_choice",
            },
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

/// One strategy per kind of refusal (and per null choice), in a fixed order.
fn refusal_kinds() -> Vec<BoxedStrategy<Refusal>> {
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
    let mut kinds = vec![
        (arb_unknown_type(), arb_valid_batch())
            .prop_map(|(type_name, valid)| Refusal::CommitUnknownType { type_name, valid })
            .boxed(),
        arb_valid_batch()
            .prop_map(|valid| Refusal::CommitActionLogType { valid })
            .boxed(),
        (arb_artifact_type(), non_array, arb_valid_batch())
            .prop_map(|(artifact_type, value, valid)| Refusal::CommitNonArray {
                artifact_type,
                value,
                valid,
            })
            .boxed(),
        (arb_artifact_type(), non_object, arb_valid_batch())
            .prop_map(
                |(artifact_type, element, valid)| Refusal::CommitNonObjectElement {
                    artifact_type,
                    element,
                    valid,
                },
            )
            .boxed(),
        not_object
            .prop_map(|value| Refusal::CommitArtifactsNotObject { value })
            .boxed(),
        arb_valid_batch()
            .prop_map(|valid| Refusal::CommitNullAgent { valid })
            .boxed(),
    ];
    for field in [NullField::Actor, NullField::Action, NullField::ActionType] {
        kinds.push(
            arb_valid_batch()
                .prop_map(move |valid| Refusal::CommitNullChoice { field, valid })
                .boxed(),
        );
    }
    kinds.extend([
        Just(Refusal::RehydrateSourceSchema).boxed(),
        prop_oneof![
            Just("cpo.evidence_pack/v2".to_owned()),
            Just("CPO.EVIDENCE_PACK/V1".to_owned()),
            Just(String::new()),
            Just("cpo.evidence_pack/v1 ".to_owned()),
        ]
        .prop_map(|format| Refusal::RehydrateUnknownFormat { format })
        .boxed(),
        arb_unknown_type()
            .prop_map(|type_name| Refusal::RehydrateUnknownType { type_name })
            .boxed(),
        prop::sample::select(canonical_types())
            .prop_map(|t| Refusal::RehydrateMissingType {
                artifact_type: t.to_owned(),
            })
            .boxed(),
        Just(Refusal::RehydrateAgentPresent).boxed(),
        Just(Refusal::VerifyEmptyRegistry).boxed(),
    ]);
    kinds
}

/// Any one refusal.
pub fn arb_refusal() -> impl Strategy<Value = Refusal> {
    prop::strategy::Union::new(refusal_kinds())
}

/// One refusal of every kind (and every null choice), in a fixed order: a
/// case exercises each refusal, so no kernel bug in one of them depends on
/// the seed to be found. Shrinking simplifies each, never drops one.
pub fn arb_refusal_set() -> impl Strategy<Value = Vec<Refusal>> {
    refusal_kinds()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::shrink_steps;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn every_set_holds_every_kind_even_when_shrunk() {
        let mut runner = TestRunner::deterministic();
        let mut tree = arb_refusal_set().new_tree(&mut runner).expect("strategy");
        let labels = |v: &[Refusal]| v.iter().map(Refusal::label).collect::<Vec<_>>();
        let first = labels(&tree.current());
        assert_eq!(first.len(), 15);
        let mut dedup = first.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(dedup.len(), first.len());
        for shrunk in shrink_steps(&mut tree, 100) {
            assert_eq!(labels(&shrunk), first);
        }
    }
}

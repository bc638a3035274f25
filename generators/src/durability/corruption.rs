//! Corruptions of the kernel that the write-aperture and wiring proofs must
//! report (DUR-APERTURE, DUR-WIRING). The scenarios apply them as superuser
//! in a disposable database.

use super::{canonical_types, ARTIFACT_TYPES};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// A registry column that declares a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeclaredField {
    /// `logical_id_column`.
    LogicalId,
    /// `insert_agent_id_column`.
    InsertAgentId,
    /// `insert_content_column`.
    InsertContent,
}

impl DeclaredField {
    /// The registry column's name.
    pub fn column(self) -> &'static str {
        match self {
            DeclaredField::LogicalId => "logical_id_column",
            DeclaredField::InsertAgentId => "insert_agent_id_column",
            DeclaredField::InsertContent => "insert_content_column",
        }
    }
}

/// A corruption the write-aperture proofs 1–7 must catch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApertureCorruption {
    /// Create `schema.table` and make commit_action insert into it without
    /// registering it. The name may be a suffix of a registered table (or a
    /// registered name in another schema) to defeat substring matching.
    UnregisteredInsertTarget {
        /// Schema of the rogue table (`cpo` or another one).
        schema: String,
        /// Table name.
        table: String,
    },
    /// Delete one registry row.
    DeletedRegistryRow {
        /// The row's artifact_type.
        artifact_type: String,
    },
    /// Point a declared column of one registry row at a column that does not exist.
    NonexistentDeclaredColumn {
        /// The row's artifact_type.
        artifact_type: String,
        /// Which declaration.
        field: DeclaredField,
        /// The bogus column name.
        column: String,
    },
    /// Mark one canonical type as not exported.
    CanonicalNotExported {
        /// The row's artifact_type.
        artifact_type: String,
    },
    /// Add an overload `cpo.commit_action(<args>)` next to the real one.
    ExtraOverload {
        /// Argument types of the overload (never the real signature).
        args: Vec<String>,
    },
    /// Replace commit_action by a body with no INSERT at all.
    ZeroExtractedTargets,
}

impl ApertureCorruption {
    /// Coverage label (`corruption:<label>`).
    pub fn label(&self) -> &'static str {
        match self {
            Self::UnregisteredInsertTarget { .. } => "unregistered_insert_target",
            Self::DeletedRegistryRow { .. } => "deleted_registry_row",
            Self::NonexistentDeclaredColumn { .. } => "nonexistent_declared_column",
            Self::CanonicalNotExported { .. } => "canonical_not_exported",
            Self::ExtraOverload { .. } => "extra_overload",
            Self::ZeroExtractedTargets => "zero_extracted_targets",
        }
    }

    /// The proofs (any of them) that must fail on this corruption.
    pub fn expected_failing_proofs(&self) -> &'static [i32] {
        match self {
            Self::UnregisteredInsertTarget { .. } => &[4],
            Self::DeletedRegistryRow { .. } => &[4, 5],
            Self::NonexistentDeclaredColumn { .. } => &[6],
            Self::CanonicalNotExported { .. } => &[5],
            Self::ExtraOverload { .. } => &[1],
            Self::ZeroExtractedTargets => &[2],
        }
    }
}

fn arb_canonical_type() -> impl Strategy<Value = String> {
    prop::sample::select(canonical_types()).prop_map(str::to_owned)
}

fn arb_rogue_table() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        2 => arb_lookalike_table(),
        1 => "rogue_[a-z]{1,8}".prop_map(|t| ("cpo".to_owned(), t)),
    ]
}

/// A rogue table whose name defeats name matching: a proper suffix of a
/// registered table in `cpo`, or a registered table's name in another schema.
fn arb_lookalike_table() -> impl Strategy<Value = (String, String)> {
    let suffix = prop::sample::select(canonical_types())
        .prop_flat_map(|t| (Just(t), 1usize..t.len()))
        .prop_map(|(t, cut)| t[cut..].to_owned())
        .prop_filter("a valid unquoted name", |s| {
            s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        });
    prop_oneof![
        suffix.prop_map(|t| ("cpo".to_owned(), t)),
        arb_canonical_type().prop_map(|t| ("cpo_shadow".to_owned(), t)),
    ]
}

/// One corruption of every kind, in a fixed order, plus an unregistered
/// target whose name looks like a registered one: each case checks every
/// proof, so a proof that is blind to one corruption is found on any seed.
pub fn arb_aperture_corruption_set() -> impl Strategy<Value = Vec<ApertureCorruption>> {
    let lookalike = arb_lookalike_table()
        .prop_map(|(schema, table)| ApertureCorruption::UnregisteredInsertTarget { schema, table })
        .boxed();
    let mut v = vec![lookalike];
    v.extend(aperture_kinds());
    v
}

/// Any aperture corruption.
pub fn arb_aperture_corruption() -> impl Strategy<Value = ApertureCorruption> {
    prop::strategy::Union::new(aperture_kinds())
}

fn aperture_kinds() -> Vec<BoxedStrategy<ApertureCorruption>> {
    let field = prop_oneof![
        Just(DeclaredField::LogicalId),
        Just(DeclaredField::InsertAgentId),
        Just(DeclaredField::InsertContent),
    ];
    let overload_args = prop::collection::vec(
        prop::sample::select(vec!["text", "jsonb", "uuid", "integer", "json"]),
        0..6,
    )
    .prop_map(|v| v.into_iter().map(str::to_owned).collect::<Vec<_>>())
    .prop_filter("not the real signature", |v| {
        v != &["text", "jsonb", "jsonb", "uuid", "uuid"]
    });
    vec![
        arb_rogue_table()
            .prop_map(
                |(schema, table)| ApertureCorruption::UnregisteredInsertTarget { schema, table },
            )
            .boxed(),
        prop::sample::select(ARTIFACT_TYPES.to_vec())
            .prop_map(|t| ApertureCorruption::DeletedRegistryRow {
                artifact_type: t.to_owned(),
            })
            .boxed(),
        (arb_canonical_type(), field, "[a-z]{1,8}_missing")
            .prop_map(|(artifact_type, field, column)| {
                ApertureCorruption::NonexistentDeclaredColumn {
                    artifact_type,
                    field,
                    column,
                }
            })
            .boxed(),
        arb_canonical_type()
            .prop_map(|artifact_type| ApertureCorruption::CanonicalNotExported { artifact_type })
            .boxed(),
        overload_args
            .prop_map(|args| ApertureCorruption::ExtraOverload { args })
            .boxed(),
        Just(ApertureCorruption::ZeroExtractedTargets).boxed(),
    ]
}

/// A corruption the durability wiring proofs 1–6 must catch: a durability
/// function that bypasses the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WiringCorruption {
    /// export_evidence_pack reads a hand-written list of tables.
    ExportHandList {
        /// The listed types (a subset of the canonical ones).
        types: Vec<String>,
    },
    /// rehydrate_agent inserts into a hand-written list of tables.
    RehydrateHandList {
        /// The listed types.
        types: Vec<String>,
    },
    /// verify_reconstruction compares row counts of a hand-written list.
    VerifyCountOnly {
        /// The listed types.
        types: Vec<String>,
    },
    /// A new durability function `cpo.export_<suffix>(uuid)` reading a table directly.
    OrphanDurabilityFunction {
        /// Name suffix.
        suffix: String,
        /// The table it reads.
        artifact_type: String,
    },
    /// get_canonical_artifact_types() returns nothing.
    EmptyRegistryHelper,
    /// durability_round_trip_test passes without calling anything.
    RoundTripUnwired,
}

impl WiringCorruption {
    /// Coverage label (`corruption:<label>`).
    pub fn label(&self) -> &'static str {
        match self {
            Self::ExportHandList { .. } => "export_hand_list",
            Self::RehydrateHandList { .. } => "rehydrate_hand_list",
            Self::VerifyCountOnly { .. } => "verify_count_only",
            Self::OrphanDurabilityFunction { .. } => "orphan_durability_function",
            Self::EmptyRegistryHelper => "empty_registry_helper",
            Self::RoundTripUnwired => "round_trip_unwired",
        }
    }

    /// The wiring proof that must fail.
    pub fn expected_failing_proof(&self) -> i32 {
        match self {
            Self::ExportHandList { .. } => 1,
            Self::RehydrateHandList { .. } => 2,
            Self::VerifyCountOnly { .. } => 3,
            Self::OrphanDurabilityFunction { .. } => 4,
            Self::EmptyRegistryHelper => 5,
            Self::RoundTripUnwired => 6,
        }
    }
}

/// Any wiring corruption.
pub fn arb_wiring_corruption() -> impl Strategy<Value = WiringCorruption> {
    prop::strategy::Union::new(wiring_kinds())
}

/// One wiring corruption of every kind, in a fixed order.
pub fn arb_wiring_corruption_set() -> impl Strategy<Value = Vec<WiringCorruption>> {
    wiring_kinds()
}

fn wiring_kinds() -> Vec<BoxedStrategy<WiringCorruption>> {
    let types = prop::sample::subsequence(canonical_types(), 1..=canonical_types().len())
        .prop_map(|v| v.into_iter().map(str::to_owned).collect::<Vec<_>>());
    vec![
        types
            .clone()
            .prop_map(|types| WiringCorruption::ExportHandList { types })
            .boxed(),
        types
            .clone()
            .prop_map(|types| WiringCorruption::RehydrateHandList { types })
            .boxed(),
        types
            .prop_map(|types| WiringCorruption::VerifyCountOnly { types })
            .boxed(),
        ("[a-z]{1,10}", arb_canonical_type())
            .prop_map(
                |(suffix, artifact_type)| WiringCorruption::OrphanDurabilityFunction {
                    suffix,
                    artifact_type,
                },
            )
            .boxed(),
        Just(WiringCorruption::EmptyRegistryHelper).boxed(),
        Just(WiringCorruption::RoundTripUnwired).boxed(),
    ]
}

//! Single tampers of a rehydrated copy (DUR-TAMPER).
//!
//! A tamper names its victim row by a selector (`row_pick`, reduced modulo
//! the rows that exist), so it applies to any history and replays exactly.

use crate::json::arb_json_value_text;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// How one JSON value of a row is changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EditValue {
    /// Replace the first top-level key's value (or add a key to `{}`) by this
    /// JSON text; if that leaves the row unchanged, wrap the value in an array.
    Replace(String),
    /// Wrap the first top-level value in a one-element array.
    Wrap,
}

/// What the tamper does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TamperKind {
    /// Delete the row.
    Delete,
    /// Insert an identical copy of the row.
    Duplicate,
    /// Change one JSON value of the row.
    Edit(EditValue),
    /// Move the row to another canonical type (`to_pick` modulo the others).
    MoveType {
        /// Selector of the destination type.
        to_pick: u32,
    },
    /// Reassign the row to another agent.
    MoveAgent,
}

impl TamperKind {
    /// Coverage label (`tamper:<label>`).
    pub fn label(&self) -> &'static str {
        match self {
            TamperKind::Delete => "delete",
            TamperKind::Duplicate => "duplicate",
            TamperKind::Edit(_) => "edit_value",
            TamperKind::MoveType { .. } => "move_type",
            TamperKind::MoveAgent => "move_agent",
        }
    }
}

/// One tamper of the target schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tamper {
    /// What to do.
    pub kind: TamperKind,
    /// Which row (modulo the agent's rows in the target, in a stable order).
    pub row_pick: u32,
}

/// Any single tamper.
pub fn arb_tamper() -> impl Strategy<Value = Tamper> {
    let kind = prop_oneof![
        Just(TamperKind::Delete),
        Just(TamperKind::Duplicate),
        arb_json_value_text().prop_map(|v| TamperKind::Edit(EditValue::Replace(v))),
        Just(TamperKind::Edit(EditValue::Wrap)),
        (0u32..64).prop_map(|to_pick| TamperKind::MoveType { to_pick }),
        Just(TamperKind::MoveAgent),
    ];
    (kind, 0u32..256).prop_map(|(kind, row_pick)| Tamper { kind, row_pick })
}

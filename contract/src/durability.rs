//! Contract §1: registry-driven durability, schema `cpo`.

use crate::ContractItem::{self, Column as C, Function as F, Table as T};

/// The source schema the contract fixes.
pub const SCHEMA: &str = "cpo";

/// A canonical table as contract §1 describes it (independent of the
/// kernel's registry, which is what is under test). Every canonical table
/// has `agent_id` and `content` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableFacts {
    /// Table (and artifact type) name.
    pub name: &'static str,
    /// `cpo.<name>`.
    pub qualified: &'static str,
    /// Generated uuid logical id column, if any.
    pub uuid_id: Option<&'static str>,
    /// Generated `seq` column, if any.
    pub seq: Option<&'static str>,
    /// bigserial `id` column, if any.
    pub serial_id: Option<&'static str>,
}

impl TableFacts {
    /// The column giving the table's insertion order, if it has one.
    pub fn order_column(&self) -> Option<&'static str> {
        self.seq.or(self.serial_id)
    }

    /// Every generated column.
    pub fn generated(&self) -> Vec<&'static str> {
        [self.uuid_id, self.seq, self.serial_id]
            .into_iter()
            .flatten()
            .collect()
    }
}

/// One [`TableFacts`]: `uuid <id>` (optionally `, seq`) or `serial`.
macro_rules! table {
    ($name:literal, uuid $id:literal, seq) => {
        TableFacts {
            name: $name,
            qualified: concat!("cpo.", $name),
            uuid_id: Some($id),
            seq: Some("seq"),
            serial_id: None,
        }
    };
    ($name:literal, uuid $id:literal) => {
        TableFacts {
            name: $name,
            qualified: concat!("cpo.", $name),
            uuid_id: Some($id),
            seq: None,
            serial_id: None,
        }
    };
    ($name:literal, serial) => {
        TableFacts {
            name: $name,
            qualified: concat!("cpo.", $name),
            uuid_id: None,
            seq: None,
            serial_id: Some("id"),
        }
    };
}

/// The twelve canonical tables, in the contract's order (the action log first).
pub const TABLES: [TableFacts; 12] = [
    table!("cpo_action_logs", uuid "action_log_id", seq),
    table!("cpo_charters", uuid "charter_version_id"),
    table!("cpo_charter_activations", uuid "activation_id", seq),
    table!("cpo_state_snapshots", uuid "state_snapshot_id", seq),
    table!("cpo_decisions", uuid "decision_id"),
    table!("cpo_assumptions", uuid "assumption_id"),
    table!("cpo_exceptions", uuid "exception_id"),
    table!("cpo_drift_events", uuid "drift_event_id"),
    table!("cpo_assumption_events", serial),
    table!("cpo_exception_events", serial),
    table!("cpo_drift_resolutions", serial),
    table!("cpo_changes", serial),
];

/// The action-log type: written by `commit_action` itself, never in `p_artifacts`.
pub const ACTION_LOG_TYPE: &str = TABLES[0].name;

/// The canonical artifact types a commit can carry in `p_artifacts`
/// (every canonical type but the action log), in the contract's order.
pub const ARTIFACT_TYPES: [&str; 11] = {
    let mut out = [""; 11];
    let mut i = 0;
    while i < out.len() {
        out[i] = TABLES[i + 1].name;
        i += 1;
    }
    out
};

/// Every canonical type, the action log first.
pub fn canonical_types() -> Vec<&'static str> {
    TABLES.iter().map(|t| t.name).collect()
}

/// The projection table the contract names.
pub const HEADS: &str = "cpo_agent_heads";

/// [`HEADS`], schema-qualified.
const HEADS_QUALIFIED: &str = "cpo.cpo_agent_heads";

/// The registry table the kernel's export and rehydration are driven by.
pub const REGISTRY: &str = "cpo.artifact_table_registry";

/// The functions of §1, as regprocedure signatures.
pub const FUNCTIONS: [&str; 10] = [
    "cpo.commit_action(text,jsonb,jsonb,uuid,uuid)",
    "cpo.get_canonical_artifact_types()",
    "cpo.export_evidence_pack(uuid)",
    "cpo.rehydrate_agent(jsonb,text)",
    "cpo.verify_reconstruction(uuid,text,text)",
    "cpo.verify_heads_equivalence(uuid,text,text)",
    "cpo.rebuild_agent_heads(text)",
    "cpo.durability_round_trip_test(uuid)",
    "cpo.run_write_aperture_proofs()",
    "cpo.run_durability_wiring_proofs()",
];

/// The registry's columns the harness reads.
const REGISTRY_COLUMNS: [&str; 10] = [
    "artifact_type",
    "table_regclass",
    "table_kind",
    "is_canonical",
    "is_exported",
    "export_order",
    "logical_id_column",
    "seq_column",
    "insert_agent_id_column",
    "insert_content_column",
];

/// Every item §1 requires, canonical tables' `agent_id` and `content` last.
pub fn items() -> Vec<ContractItem> {
    let mut v: Vec<ContractItem> = FUNCTIONS.iter().map(|f| F(f)).collect();
    v.push(T(REGISTRY));
    v.push(T(HEADS_QUALIFIED));
    v.extend(TABLES.iter().map(|t| T(t.qualified)));
    v.extend(REGISTRY_COLUMNS.iter().map(|c| C(REGISTRY, c)));
    v.push(C(HEADS_QUALIFIED, "agent_id"));
    v.extend(
        TABLES
            .iter()
            .filter_map(|t| t.seq.map(|seq| C(t.qualified, seq))),
    );
    for t in &TABLES {
        v.push(C(t.qualified, "agent_id"));
        v.push(C(t.qualified, "content"));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_are_schema_dot_name() {
        for t in &TABLES {
            assert_eq!(t.qualified, format!("{SCHEMA}.{}", t.name));
        }
        assert_eq!(HEADS_QUALIFIED, format!("{SCHEMA}.{HEADS}"));
        assert_eq!(ARTIFACT_TYPES.len() + 1, TABLES.len());
        assert_eq!(ARTIFACT_TYPES[0], "cpo_charters");
        assert_eq!(ARTIFACT_TYPES[10], "cpo_changes");
    }
}

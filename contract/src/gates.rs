//! Contract §4: the gate protocol and its watchdog, schema `public`.

use crate::ContractItem::{self, Column as C, Function as F, Table as T};

/// The gates no API may ever set to 'true'.
pub const NEVER_FLIP: [&str; 2] = [
    "iu_enact.allow_no_review_decision",
    "iu_core.vector_sync_enabled",
];

/// The gates `fn_iu_gate_open` may open (with approval and TTL).
pub const GOVERNABLE: [&str; 7] = [
    "iu_core.composer_enabled",
    "iu_core.structure_ops_enabled",
    "iu_core.delivery_enabled",
    "iu_core.three_axis_auto_refresh_enabled",
    "iu_core.operator_runtime_enabled",
    "queue.job_substrate.enabled",
    "queue.dlq.replay_enabled",
];

/// The largest TTL the contract accepts: ttl ∈ (0, 3600].
pub const MAX_TTL_SECONDS: i32 = 3600;

/// One row of the command catalog the gate protocol installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogEntry {
    /// `command_name`.
    pub command: &'static str,
    /// `category`.
    pub category: &'static str,
    /// `mutating`.
    pub mutating: bool,
}

/// The command catalog of the gate protocol install (contract §4 Objects).
pub const CATALOG: [CatalogEntry; 4] = [
    CatalogEntry {
        command: "dot_iu_gate_open",
        category: "health",
        mutating: true,
    },
    CatalogEntry {
        command: "dot_iu_gate_close",
        category: "health",
        mutating: true,
    },
    CatalogEntry {
        command: "dot_iu_gate_watchdog",
        category: "health",
        mutating: true,
    },
    CatalogEntry {
        command: "dot_iu_gate_verify_closed",
        category: "read",
        mutating: false,
    },
];

/// The command `fn_iu_gate_open` logs.
pub const OPEN_COMMAND: &str = CATALOG[0].command;
/// The command `fn_iu_gate_close` logs.
pub const CLOSE_COMMAND: &str = CATALOG[1].command;
/// The command `fn_iu_gate_watchdog` logs.
pub const WATCHDOG_COMMAND: &str = CATALOG[2].command;

/// The command names catalogued by the gate protocol install.
pub const GATE_COMMANDS: [&str; 4] = [
    CATALOG[0].command,
    CATALOG[1].command,
    CATALOG[2].command,
    CATALOG[3].command,
];

/// The catalogued category and `mutating` flag of a gate command (what a
/// correct caller of the logger passes); unknown commands get `health`/true.
pub fn catalog_entry(command: &str) -> (&'static str, bool) {
    CATALOG
        .iter()
        .find(|e| e.command == command)
        .map_or(("health", true), |e| (e.category, e.mutating))
}

/// The protocol's functions (exact signatures): the protocol is installed
/// when all four exist and rolled back when none does. Which other objects
/// survive a rollback (dot_config, the logger, ...) is the kernel's choice,
/// so they do not decide it.
pub const FUNCTIONS: [&str; 4] = [
    "public.fn_iu_gate_open(text,uuid,text,text,integer)",
    "public.fn_iu_gate_close(text,text,text)",
    "public.fn_iu_gate_watchdog(text)",
    "public.fn_iu_gate_verify_closed(text)",
];

/// The command-run logger.
pub const LOGGER: &str =
    "public.fn_dot_iu_command_log(text,text,text,text,boolean,text,jsonb,jsonb,text)";

/// Tables the protocol needs while it is installed.
pub const TABLES: [&str; 4] = [
    "public.dot_config",
    "public.iu_gate_transition",
    "public.dot_iu_command_catalog",
    "public.dot_iu_command_run",
];

/// Every item §4 requires.
pub fn items() -> Vec<ContractItem> {
    let mut v: Vec<ContractItem> = FUNCTIONS.iter().map(|f| F(f)).collect();
    v.push(F(LOGGER));
    v.extend(TABLES.iter().map(|t| T(t)));
    v.extend(COLUMNS.iter().map(|(t, c)| C(t, c)));
    v
}

/// The columns of the protocol's tables the harness reads.
const COLUMNS: &[(&str, &str)] = &[
    ("public.dot_config", "key"),
    ("public.dot_config", "value"),
    ("public.dot_config", "description"),
    ("public.dot_config", "updated_at"),
    ("public.iu_gate_transition", "transition_id"),
    ("public.iu_gate_transition", "gate_key"),
    ("public.iu_gate_transition", "action"),
    ("public.iu_gate_transition", "prev_value"),
    ("public.iu_gate_transition", "new_value"),
    ("public.iu_gate_transition", "approval_id"),
    ("public.iu_gate_transition", "ttl_seconds"),
    ("public.iu_gate_transition", "expires_at"),
    ("public.iu_gate_transition", "actor"),
    ("public.iu_gate_transition", "reason"),
    ("public.iu_gate_transition", "run_id"),
    ("public.iu_gate_transition", "created_at"),
    ("public.dot_iu_command_catalog", "command_name"),
    ("public.dot_iu_command_catalog", "category"),
    ("public.dot_iu_command_catalog", "mutating"),
    ("public.dot_iu_command_catalog", "reversible"),
    ("public.dot_iu_command_catalog", "target_functions"),
    ("public.dot_iu_command_run", "run_id"),
    ("public.dot_iu_command_run", "command_name"),
    ("public.dot_iu_command_run", "actor"),
    ("public.dot_iu_command_run", "created_at"),
];

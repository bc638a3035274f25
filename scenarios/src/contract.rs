//! The check that a SUT provides the names the contract fixes (the names
//! themselves live in the `pgconform-contract` crate).
//!
//! Functions are resolved by exact signature (`to_regprocedure`), tables by
//! exact name (`to_regclass`), columns by exact name in `pg_attribute`: no
//! overload guessing, no substring matching. Only what the contract names
//! and the harness reads is required; everything else is the kernel's choice.

use crate::invariant::Suite;
use postgres::Client;

pub use pgconform_contract::ContractItem;
use pgconform_contract::{drift, durability, evidence, foundation, gates};
use ContractItem::{Column as C, Function as F, Table as T};

/// The items a suite requires (the names live in `pgconform_contract`).
pub fn items(suite: Suite) -> Vec<ContractItem> {
    match suite {
        Suite::Foundation => foundation::ITEMS.to_vec(),
        Suite::Durability => durability::items(),
        Suite::Drift => drift::ITEMS.to_vec(),
        Suite::Evidence => evidence::items(),
        Suite::Gates => gates::items(),
    }
}

/// Every item `suites` (plus the foundation) require, without repeats.
pub fn required(suites: &[Suite]) -> Vec<ContractItem> {
    let mut wanted: Vec<ContractItem> = foundation::ITEMS.to_vec();
    for s in suites {
        for item in items(*s) {
            if !wanted.contains(&item) {
                wanted.push(item);
            }
        }
    }
    wanted
}

/// The named scripts (contract §0) invariant `id` runs.
pub fn scripts_needed(id: &str) -> &'static [&'static str] {
    match id {
        "GATE-ROLLBACK" => &["gates-install", "gates-rollback"],
        "GATE-DRYRUN" => &["gates-install"],
        "DRIFT-REVERSAL" => &["uninstall"],
        "DRIFT-DEFERRED-FK" => &["seal-kernel"],
        _ => &[],
    }
}

/// Resolve every item of `suites` (plus the foundation) in the connected
/// database; returns the missing ones (empty when the contract holds).
pub fn missing(
    client: &mut Client,
    suites: &[Suite],
) -> Result<Vec<ContractItem>, postgres::Error> {
    let mut missing = Vec::new();
    for item in required(suites) {
        let present: bool = match item {
            F(sig) => client
                .query_one("SELECT to_regprocedure($1) IS NOT NULL", &[&sig])?
                .get(0),
            T(name) => client
                .query_one(
                    "SELECT coalesce((SELECT c.relkind IN ('r','p') FROM pg_class c \
                     WHERE c.oid = to_regclass($1)), false)",
                    &[&name],
                )?
                .get(0),
            C(table, column) => client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_attribute a \
                     WHERE a.attrelid = to_regclass($1) AND a.attname = $2 \
                     AND a.attnum > 0 AND NOT a.attisdropped)",
                    &[&table, &column],
                )?
                .get(0),
        };
        if !present {
            missing.push(item);
        }
    }
    Ok(missing)
}

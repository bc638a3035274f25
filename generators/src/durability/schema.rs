//! Target schema names for rehydration, plain and hostile.

use crate::ident::{arb_hostile_ident, arb_plain_ident, truncate_bytes, MAX_IDENT_BYTES};
use proptest::prelude::*;

/// A target schema name: plain, hostile (quotes, SQL fragments, unicode, the
/// 63-byte limit), a near-miss of the source schema (`CPO`, `cpo `,
/// `"cpo"`), which is a different schema and must be treated as one, or a
/// name PostgreSQL itself rejects or alters (empty, the reserved `pg_`
/// prefix, over 63 bytes): refusing those is correct (CONTRACT §1 v2,
/// SQLSTATEs 42602, 42622, 42939). Never the source schema or `public`.
pub fn arb_target_schema() -> impl Strategy<Value = String> {
    let valid = prop_oneof![
        2 => arb_plain_ident().prop_map(|s| format!("rt_{s}")),
        4 => arb_hostile_ident(),
        1 => Just("cpo\"; DROP SCHEMA cpo CASCADE; --".to_owned()),
        1 => Just("CPO".to_owned()),
        1 => Just("cpo ".to_owned()),
        1 => Just("\"cpo\"".to_owned()),
        1 => Just("cpo.cpo_decisions".to_owned()),
        1 => Just("%I %s %L $1".to_owned()),
    ]
    .prop_map(|s| truncate_bytes(&s, MAX_IDENT_BYTES));
    let rejected_by_postgres = prop_oneof![
        Just(String::new()),
        arb_plain_ident().prop_map(|s| format!("pg_{s}")),
        Just("pg_catalog".to_owned()),
        (1usize..=20).prop_map(|n| format!("rt_{}", "z".repeat(MAX_IDENT_BYTES - 3 + n))),
        Just(format!(
            "{}\"; DROP SCHEMA cpo CASCADE; --",
            "w".repeat(MAX_IDENT_BYTES)
        )),
    ];
    prop_oneof![
        10 => valid,
        1 => rejected_by_postgres,
    ]
    .prop_filter("not the source schema, not public", |s| {
        s != "cpo" && s != "public"
    })
}

/// The name PostgreSQL actually uses for the identifier `name`: over-long
/// names are truncated to 63 bytes on a character boundary.
pub fn effective_schema_name(name: &str) -> String {
    truncate_bytes(name, MAX_IDENT_BYTES)
}

//! Target schema names for rehydration, plain and hostile.

use crate::ident::{arb_hostile_ident, arb_plain_ident, truncate_bytes, MAX_IDENT_BYTES};
use proptest::prelude::*;

/// A target schema name: plain, hostile (quotes, SQL fragments, unicode, the
/// 63-byte limit) or a near-miss of the source schema (`CPO`, `cpo `,
/// `"cpo"`), which is a different schema and must be treated as one.
/// Never starts with `pg_` (reserved by PostgreSQL), never empty.
pub fn arb_target_schema() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => arb_plain_ident().prop_map(|s| format!("rt_{s}")),
        4 => arb_hostile_ident(),
        1 => Just("cpo\"; DROP SCHEMA cpo CASCADE; --".to_owned()),
        1 => Just("CPO".to_owned()),
        1 => Just("cpo ".to_owned()),
        1 => Just("\"cpo\"".to_owned()),
        1 => Just("cpo.cpo_decisions".to_owned()),
        1 => Just("%I %s %L $1".to_owned()),
    ]
    .prop_map(|s| truncate_bytes(&s, MAX_IDENT_BYTES))
    .prop_filter("not reserved, not the source", |s| {
        !s.is_empty() && !s.starts_with("pg_") && s != "cpo" && s != "public"
    })
}

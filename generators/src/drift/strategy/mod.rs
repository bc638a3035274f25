//! Strategies. Structure is decoded from a choice sequence (a vector of
//! numbers, 0 = simplest choice, exhausted = all zeros), so proptest's
//! shrinking of the numbers shrinks the schema towards one table with one
//! column and no objects.

use super::model::*;
use super::mutation::Mutation;
use crate::ident::{arb_hostile_ident, truncate_bytes, MAX_IDENT_BYTES};
use proptest::collection::vec;
use proptest::prelude::*;
use std::collections::BTreeSet;

mod alteration;
mod choice;
mod decode;
mod schema;
#[cfg(test)]
mod tests;

use alteration::*;
pub use choice::arb_choices;
use choice::*;
pub use decode::{
    arb_schema_and_mutations, decode_extra_index, decode_mutation, decode_mutation_of_kind,
    decode_mutation_sequence, with_every_kind_applicable, MutationKind, DETECT_SEQUENCE,
};
use schema::*;
pub use schema::{arb_schema, decode_schema};

/// A mutation of `s`.
pub fn arb_mutation(s: Schema) -> impl Strategy<Value = Mutation> {
    (
        arb_choices(24),
        prop::option::weighted(0.3, arb_hostile_ident()),
    )
        .prop_map(move |(d, h)| decode_mutation(&s, d, h))
}

/// A schema and one mutation of it. Both are decoded from independent choice
/// sequences (no `flat_map`), so shrinking the schema keeps a mutation.
pub fn arb_schema_and_mutation() -> impl Strategy<Value = (Schema, Mutation)> {
    arb_schema_and(decode_mutation)
}

/// A schema and an extra index for it.
pub fn arb_extra_index() -> impl Strategy<Value = (Schema, Mutation)> {
    arb_schema_and(decode_extra_index)
}

/// A schema and a mutation `decode` makes of it from its own choices.
fn arb_schema_and(
    decode: fn(&Schema, Vec<u32>, Option<String>) -> Mutation,
) -> impl Strategy<Value = (Schema, Mutation)> {
    (
        prop::option::weighted(0.3, arb_hostile_ident()),
        arb_hints(24),
        arb_choices(160),
        arb_choices(24),
        prop::option::weighted(0.3, arb_hostile_ident()),
    )
        .prop_map(move |(sh, h, d, md, mh)| {
            let s = decode_schema(sh, h, d);
            let m = decode(&s, md, mh);
            (s, m)
        })
}

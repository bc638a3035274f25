//! Schemas of constraints, indexes and triggers, their mutations and creation
//! orders, for the drift invariants (CONTRACT.md §2, seed 002).
//!
//! A schema is plain serde data ([`Schema`]) that renders to DDL; every
//! [`Mutation`] knows its expected drift outcome ([`expected_drift`]): the exact
//! set of objects a verifier must report, with their kind.

mod model;
mod mutation;
mod order;
mod render;
mod strategy;

pub use model::*;
pub use mutation::{
    apply, expected_drift, mutation_ddl, object_paths, DriftKind, ExpectedDrift, Mutation,
    NotApplicable, ObjectPath,
};
pub use order::creation_statements;
pub use render::{object_ddl, qi, qualified, schema_ddl};
pub use strategy::{
    arb_choices, arb_extra_index, arb_mutation, arb_schema, arb_schema_and_mutation,
    arb_schema_and_mutations, decode_extra_index, decode_mutation, decode_mutation_of_kind,
    decode_mutation_sequence, decode_schema, with_every_kind_applicable, MutationKind,
    DETECT_SEQUENCE,
};

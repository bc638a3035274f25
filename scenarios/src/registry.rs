//! Every invariant pgconform checks, in report order.

use crate::invariant::{Invariant, Suite};
use crate::{drift, durability, evidence, foundation, gates};

/// Options that shape some invariants (e.g. a user's schema file for drift).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// SQL of a user's own schema, for DRIFT-CLEAN / DRIFT-DETECT (`--schema`).
    pub user_schema_sql: Option<String>,
}

/// All invariants of all suites.
pub fn all(opts: &Options) -> Vec<Box<dyn Invariant>> {
    let mut v = foundation::invariants();
    v.extend(durability::invariants());
    v.extend(drift::invariants(opts));
    v.extend(evidence::invariants());
    v.extend(gates::invariants());
    v
}

/// The invariants of one suite.
pub fn of_suite(suite: Suite, opts: &Options) -> Vec<Box<dyn Invariant>> {
    all(opts)
        .into_iter()
        .filter(|i| i.meta().suite == suite)
        .collect()
}

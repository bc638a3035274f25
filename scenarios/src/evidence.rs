//! Invariants of the evidence subsystem (CONTRACT.md §3, seeds 001 and 004):
//! a function body changes only when its prior body is sealed, read back and
//! uniquely bound; a restore reproduces the pinned definition hash exactly or
//! changes nothing; owner/ACL snapshots replay exactly.
//!
//! "Exactly as it was" is always judged by the harness: definition hashes are
//! sha256 (in Rust) of `pg_get_functiondef` rendered by the harness's own
//! query under `search_path = pg_catalog, pg_temp` (the text the kernel
//! defines as the live definition), owners and aclitem sets come from the
//! harness's own catalog queries.

mod acl;
mod ddl;
mod failclosed;
mod fixture;
mod immutable;
mod kernel_client;
mod nosource;
mod restore;
mod setup;

use crate::invariant::Invariant;
use crate::property::boxed;
use pgconform_generators::evidence::{FnCase, Grantee, Grantor};

pub use acl::EvidAcl;
pub use failclosed::EvidFailClosed;
pub use immutable::EvidImmutable;
pub use nosource::EvidNoSource;
pub use restore::EvidRestore;

/// The evidence invariants.
pub fn invariants() -> Vec<Box<dyn Invariant>> {
    vec![
        boxed(EvidRestore::default()),
        boxed(EvidFailClosed::default()),
        boxed(EvidNoSource::default()),
        boxed(EvidImmutable::default()),
        boxed(EvidAcl::default()),
    ]
}

/// Coverage classes of a function case: `lang:`, `security:`, `grant:`.
fn case_coverage(case: &FnCase) -> Vec<String> {
    let mut v = Vec::new();
    for m in case
        .family
        .members
        .iter()
        .chain(std::iter::once(&case.other))
    {
        v.push(format!("lang:{}", m.lang.name()));
        v.push(format!("security:{}", m.security.name()));
    }
    // only grants the owner issues are sure to be made (a role's grant may be
    // refused by PostgreSQL): coverage claims only what happens
    let made: Vec<_> = case
        .grants
        .iter()
        .filter(|g| g.by == Grantor::Owner)
        .collect();
    if !made.is_empty() {
        v.push("grant:execute".into());
    }
    if made
        .iter()
        .any(|g| g.grant_option && g.to != Grantee::Public)
    {
        v.push("grant:with_grant_option".into());
    }
    if case.family.members.len() > 1 {
        v.push("overloads".into());
    }
    v
}

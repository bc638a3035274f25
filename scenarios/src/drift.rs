//! Invariants of the drift subsystem (CONTRACT.md §2, seeds 002 and 004):
//! expected constraints, realized snapshots, forward-only manifests, reversal.

mod generated;
pub mod kernel_client;
mod kernel_schema;
mod reversal;
mod user;

use crate::invariant::Invariant;
use crate::property::boxed;
use crate::registry::Options;

/// The drift invariants. With `opts.user_schema_sql`, DRIFT-CLEAN and
/// DRIFT-DETECT run over the objects of the user's schema instead of
/// generated ones.
pub fn invariants(opts: &Options) -> Vec<Box<dyn Invariant>> {
    let mut v: Vec<Box<dyn Invariant>> = Vec::new();
    match &opts.user_schema_sql {
        Some(sql) => {
            v.push(boxed(user::UserClean::new(sql.clone())));
            v.push(boxed(user::UserDetect::new(sql.clone())));
        }
        None => {
            v.push(boxed(generated::Clean));
            v.push(boxed(generated::Detect));
        }
    }
    v.push(boxed(generated::Order));
    v.push(boxed(generated::ExtraIndex));
    v.push(boxed(kernel_schema::DeferredFk));
    v.push(boxed(kernel_schema::ForwardOnly));
    v.push(boxed(reversal::Reversal));
    v
}

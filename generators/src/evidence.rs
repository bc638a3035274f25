//! Inputs of the evidence suite (CONTRACT.md §3, seeds 001 and 004):
//! generated functions (names that need quoting, overloads, sql/plpgsql,
//! volatility, SECURITY DEFINER/INVOKER), per-case roles and grants, and the
//! faults that must make every body change fail closed.
//!
//! Everything here is plain serde data: a recorded failure replays without
//! the generator. Rendering to SQL is the scenarios' business.

pub mod acl;
pub mod fault;
pub mod function;
pub mod immutable;

pub use acl::*;
pub use fault::*;
pub use function::*;
pub use immutable::*;

//! Invariants of the durability subsystem (CONTRACT.md §1, seed 000).
//!
//! Every property drives the kernel only through its contract names and
//! judges it with the Rust oracle (`pgconform_oracle`) reading both schemas:
//! a kernel that says ok while the oracle sees a difference fails.

/// Declares a durability property over agent histories: the struct, its
/// constructor with the contract metadata, and a [`Property`] whose input
/// comes from `strategy`, whose coverage is `coverage` of the input and whose
/// check is `check(sandbox, history)`.
///
/// [`Property`]: crate::property::Property
macro_rules! history_property {
    (
        $(#[$doc:meta])*
        $name:ident {
            id: $id:literal,
            title: $title:literal,
            property: $property:literal,
            cases: $cases:literal,
            strategy: $strategy:path,
            coverage: $coverage:path,
            check: $check:path $(,)?
        }
    ) => {
        $crate::property::declare_property! {
            $(#[$doc])*
            $name {
                input: pgconform_generators::durability::History,
                meta: $crate::durability::meta($id, $title, $property, $cases),
                strategy: $strategy,
                coverage: $coverage,
                check: $check,
            }
        }
    };
}

pub mod common;
pub mod failclosed;
pub mod guard;
pub mod hostile;
pub mod pack;
pub mod proofs;
pub mod roundtrip;

use crate::invariant::{Invariant, InvariantMeta, Suite};
use crate::property::boxed;

/// The seed document of this suite.
pub const SEED: &str = "000_968c516fbe4100f0.txt";

/// Metadata of a durability invariant.
pub(crate) fn meta(
    id: &'static str,
    title: &'static str,
    property: &'static str,
    default_cases: u32,
) -> InvariantMeta {
    InvariantMeta::new(id, Suite::Durability, title, SEED, property, default_cases)
}

/// The durability invariants, in contract order.
pub fn invariants() -> Vec<Box<dyn Invariant>> {
    vec![
        boxed(roundtrip::RoundTrip::new()),
        boxed(roundtrip::TamperDetected::new()),
        boxed(pack::Isolation::new()),
        boxed(pack::Determinism::new()),
        boxed(pack::Order::new()),
        boxed(pack::Generated::new()),
        boxed(pack::Projection::new()),
        boxed(proofs::Aperture::new()),
        boxed(proofs::Wiring::new()),
        boxed(guard::Immutable::new()),
        boxed(hostile::Hostile::new()),
        boxed(failclosed::FailClosed::new()),
    ]
}

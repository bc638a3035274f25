//! The names `docs/contract.md` (version 2) fixes, in one place.
//!
//! Every other crate that needs a contract name — the generators that build
//! inputs, the scenarios that check the kernel, the harness's up-front
//! contract check, the oracle's benches — takes it from here, so a name
//! changes in one place. Plain data only: no I/O, no dependencies, so even
//! the lowest crates (`generators`) can use it.

mod item;

pub mod drift;
pub mod durability;
pub mod evidence;
pub mod foundation;
pub mod gates;

pub use item::ContractItem;

//! Generators of pgconform's inputs. Pure: proptest strategies and plain data,
//! no I/O, no database. Strategies are free functions named `arb_<thing>()`,
//! one module per generated domain.

#![forbid(unsafe_code)]

pub mod drift;
pub mod durability;
pub mod evidence;
pub mod gates;
pub mod ident;
pub mod json;
#[cfg(test)]
mod samples;

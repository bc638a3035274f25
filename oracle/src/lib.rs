//! # pgconform-oracle
//!
//! The harness's offline oracle for the kernel's durability contract
//! (`CONTRACT.md`, section 1, "Hashing"): a byte-exact reproduction of
//! PostgreSQL 16's `jsonb` text rendering, row digests (sha256 of that text),
//! per-type digest multisets with a fast multiset diff, and evidence-pack
//! verification — all without a database.
//!
//! * [`render`] / [`render_bytes`] / [`render_serde`] / [`Renderer`]: JSON
//!   text → the exact bytes of `value::jsonb::text`.
//! * [`parse_value`] / [`JsonValue`]: the same, as a value tree (numbers
//!   kept as `numeric`'s exact text).
//! * [`row_digest`] / [`Digest`]: `encode(sha256(convert_to(x::jsonb::text, 'UTF8')), 'hex')`.
//! * [`DigestMultiset`] / [`diff()`] / [`MultisetDiff`]: per-type multisets
//!   and their difference (missing / extra with multiplicity).
//! * [`pack`]: `verify_pack`, `diff_packs` for `cpo.evidence_pack/v1` files.
//!
//! The crate does no I/O except reading pack files in [`pack`].
#![forbid(unsafe_code)]

mod canonical;
mod diff;
mod digest;
mod error;
mod multiset;
pub mod number;
pub mod pack;
mod render;
mod strings;
mod value;

pub use diff::{diff, summaries_equal, MultisetDiff, TypeDiff};
pub use digest::{row_digest, row_digest_bytes, sha256_hex, Digest, ParseDigestError};
pub use error::RenderError;
pub use multiset::{DigestMultiset, RowError};
pub use pack::{diff_packs, verify_pack, PackError, PackVerification};
pub use render::{render, render_bytes, render_serde, Renderer};
pub use value::{parse_value, JsonValue, MAX_TREE_DEPTH};

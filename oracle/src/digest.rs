//! Row digests: sha256 of the canonical `jsonb` text.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

use crate::error::RenderError;
use crate::render::with_thread_renderer;

/// A sha256 digest. Displays, parses and serialises as 64 lowercase hex digits;
/// orders bytewise (the same order as its hex text).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// sha256 of `bytes` taken as they are. Only a row digest when `bytes`
    /// already are PostgreSQL's canonical `jsonb` text (for example a
    /// `content::text` column fetched from the server).
    #[must_use]
    #[inline]
    pub fn of_canonical(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// The digest's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex text (64 characters).
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The four little-endian 64-bit lanes (used by the multiset accumulators).
    #[inline]
    pub(crate) fn lanes(&self) -> [u64; 4] {
        let mut lanes = [0u64; 4];
        for (lane, chunk) in lanes.iter_mut().zip(self.0.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *lane = u64::from_le_bytes(b);
        }
        lanes
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

/// Why a text is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid sha256 digest {text:?}: expected 64 lowercase hex digits")]
pub struct ParseDigestError {
    /// The rejected text (truncated to 80 characters).
    pub text: String,
}

impl FromStr for Digest {
    type Err = ParseDigestError;

    /// Parses exactly 64 lowercase hex digits (the form PostgreSQL's
    /// `encode(…, 'hex')` produces); uppercase is refused so that a digest
    /// has exactly one spelling.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseDigestError {
            text: s.chars().take(80).collect(),
        };
        if s.len() != 64 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(err());
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| err())?;
        Ok(Self(out))
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Lowercase hex sha256 of `bytes` (files, function definitions, payloads):
/// the one definition the workspace uses.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(bytes.as_ref()))
}

/// The row digest of a JSON text: sha256 of its PostgreSQL 16 `::jsonb::text`,
/// equal to `encode(sha256(convert_to(x::jsonb::text, 'UTF8')), 'hex')`.
///
/// ```
/// let d = pgconform_oracle::row_digest(r#"{"b":1,"a":2}"#).unwrap();
/// assert_eq!(d, pgconform_oracle::Digest::of_canonical(br#"{"a": 2, "b": 1}"#));
/// ```
///
/// # Errors
/// [`RenderError`] for anything `jsonb` input rejects.
pub fn row_digest(json_text: &str) -> Result<Digest, RenderError> {
    with_thread_renderer(|r, _| r.digest_str(json_text))
}

/// [`row_digest`] for JSON given as bytes (must be UTF-8).
///
/// # Errors
/// [`RenderError`] for invalid UTF-8 or anything `jsonb` input rejects.
pub fn row_digest_bytes(json: &[u8]) -> Result<Digest, RenderError> {
    with_thread_renderer(|r, _| r.digest_bytes(json))
}

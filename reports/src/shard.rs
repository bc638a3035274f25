//! Sharded runs: a deterministic partition of the selected invariants.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Shard `index` of `total` (1-based), written `K/N`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct ShardSpec {
    /// 1-based shard number.
    pub index: u32,
    /// Number of shards.
    pub total: u32,
}

/// A malformed `--shard` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid shard `{0}`: expected K/N with 1 <= K <= N, e.g. 2/4")]
pub struct ShardSpecError(pub String);

impl std::str::FromStr for ShardSpec {
    type Err = ShardSpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ShardSpecError(s.to_owned());
        let (k, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let total: u32 = n.trim().parse().map_err(|_| bad())?;
        if total == 0 || index == 0 || index > total {
            return Err(bad());
        }
        Ok(Self { index, total })
    }
}

impl std::fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

impl ShardSpec {
    /// The shard (1-based) that owns invariant `id` among `total` shards:
    /// the first 8 bytes of sha256(id), big-endian, modulo `total`. Stable
    /// across machines, versions and selection order.
    pub fn owner_of(id: &str, total: u32) -> u32 {
        let h = Sha256::digest(id.as_bytes());
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[..8]);
        let n = u64::from_be_bytes(b) % u64::from(total.max(1));
        // n < total <= u32::MAX
        u32::try_from(n).unwrap_or(0) + 1
    }

    /// Whether this shard runs invariant `id`.
    pub fn owns(&self, id: &str) -> bool {
        Self::owner_of(id, self.total) == self.index
    }
}

/// Provenance of one shard inside a merged report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShardRecord {
    /// Which shard.
    pub shard: ShardSpec,
    /// The shard report's own integrity hash (verified at merge time).
    pub integrity_sha256: String,
    /// When the shard started.
    pub started_at: String,
    /// The shard's wall time.
    pub duration_ms: u64,
    /// `version()` of the shard's server.
    pub server_version: String,
    /// Invariant IDs the shard ran.
    pub invariants: Vec<String>,
    /// The shard's signature as `report merge` found it (absent: unsigned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<crate::signature::ShardSignature>,
}

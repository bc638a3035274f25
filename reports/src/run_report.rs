//! `report.json`: the versioned, self-hashed record of one run.

use crate::model::{InvariantResult, Verdict, FORMAT_VERSION};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One SUT file and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SutFile {
    /// Path relative to the SUT directory.
    pub path: String,
    /// Lowercase hex sha256 of the content.
    pub sha256: String,
}

/// The system under test as recorded in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SutInfo {
    /// Directory the SUT was loaded from.
    pub dir: String,
    /// sha256 over the manifest and each file's path and hash.
    pub fingerprint: String,
    /// Install files and scripts.
    pub files: Vec<SutFile>,
    /// Mutant applied on top, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutant: Option<SutFile>,
}

/// The server the run used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// `embedded`, `docker` or `dsn`.
    pub backend: String,
    /// `version()`.
    pub version: String,
    /// `server_version_num`.
    pub version_num: i32,
    /// Binary directory, image or redacted DSN.
    pub source: String,
    /// Set when a non-16 major was accepted explicitly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_note: Option<String>,
}

/// A complete run report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// [`FORMAT_VERSION`].
    #[serde(rename = "format-version")]
    pub format_version: u32,
    /// pgconform's version.
    pub pgconform_version: String,
    /// Git revision pgconform was built from, if known.
    pub git_revision: Option<String>,
    /// Server identity.
    pub server: ServerInfo,
    /// The SUT.
    pub sut: SutInfo,
    /// Run seed.
    pub seed: u64,
    /// `--cases` if given (else each invariant's default).
    pub cases_requested: Option<u32>,
    /// Start time, RFC 3339 UTC.
    pub started_at: String,
    /// Wall time of the run.
    pub duration_ms: u64,
    /// One entry per invariant run.
    pub results: Vec<InvariantResult>,
    /// sha256 over the canonical JSON of this report with this field empty.
    pub integrity_sha256: String,
}

impl RunReport {
    /// True when every invariant passed (none failed, none errored).
    pub fn all_passed(&self) -> bool {
        self.results
            .iter()
            .all(|r| matches!(r.verdict, Verdict::Passed | Verdict::Skipped))
    }

    /// Compute the integrity hash over the canonical content.
    pub fn compute_integrity(&self) -> String {
        let mut copy = self.clone();
        copy.integrity_sha256 = String::new();
        let value = serde_json::to_value(&copy).unwrap_or(serde_json::Value::Null);
        // serde_json's Map is a BTreeMap (no preserve_order): keys are sorted,
        // so this serialisation is canonical.
        let bytes = serde_json::to_vec(&value).unwrap_or_default();
        hex::encode(Sha256::digest(&bytes))
    }

    /// Fill in [`Self::integrity_sha256`].
    pub fn seal(&mut self) {
        self.format_version = FORMAT_VERSION;
        self.integrity_sha256 = self.compute_integrity();
    }

    /// Whether the stored integrity hash matches the content.
    pub fn integrity_ok(&self) -> bool {
        self.integrity_sha256 == self.compute_integrity()
    }
}

//! `report.json`: the versioned, self-hashed record of one run.

use crate::coverage::CoverageRequirement;
use crate::model::{InvariantResult, Verdict, FORMAT_VERSION};
use crate::mutants::MutantMatrix;
use crate::shard::{ShardRecord, ShardSpec};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One SUT file and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SutFile {
    /// Path relative to the SUT directory.
    pub path: String,
    /// Lowercase hex sha256 of the content.
    pub sha256: String,
}

/// The system under test as recorded in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
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
    /// Every invariant ID the run selected, before sharding (in run order).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selection: Vec<String>,
    /// Set when this report is one shard of a sharded run (`--shard K/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardSpec>,
    /// Set on a merged report: the shards it was assembled from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardRecord>,
    /// Coverage classes the run was required to exercise (`--require-coverage`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage_requirements: Vec<CoverageRequirement>,
    /// The run was interrupted (Ctrl-C / SIGTERM): results are partial.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// The kill matrix, on the report of a mutant run (`pgconform mutants`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutants: Option<MutantMatrix>,
    /// ID of the minisign key that signed this report (`report.json.minisig`
    /// next to it), recorded before the report was sealed and signed. Only a
    /// claim until the gate verifies the signature with a trusted key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_key_id: Option<String>,
    /// sha256 over the canonical JSON of this report with this field empty.
    pub integrity_sha256: String,
}

/// A report file that cannot be used at all (exit 2): unreadable, not JSON,
/// not a pgconform report, or from a newer format.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file cannot be read.
    #[error("cannot read report {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid JSON (e.g. truncated).
    #[error("{path}:{line}:{column}: not valid JSON ({message}); is the report truncated?")]
    Json {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's message.
        message: String,
    },
    /// JSON, but not a pgconform report of a format this build understands.
    #[error("{path}: not a pgconform report: {message}")]
    Shape {
        /// The file.
        path: String,
        /// What is missing or malformed.
        message: String,
    },
    /// A report from a newer pgconform.
    #[error("{path}: report format-version {found} is newer than this pgconform understands ({supported})")]
    Version {
        /// The file.
        path: String,
        /// Its format version.
        found: u64,
        /// [`FORMAT_VERSION`].
        supported: u32,
    },
}

/// sha256 over the canonical serialisation of a report value with its
/// `integrity_sha256` emptied.
pub fn integrity_of_value(value: &serde_json::Value) -> String {
    let mut copy = value.clone();
    if let Some(obj) = copy.as_object_mut() {
        obj.insert(
            "integrity_sha256".to_owned(),
            serde_json::Value::String(String::new()),
        );
    }
    // serde_json's Map is a BTreeMap (no preserve_order): keys are sorted,
    // so this serialisation is canonical.
    let bytes = serde_json::to_vec(&copy).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// Whether the raw JSON of a report carries a matching integrity hash. Checks
/// the bytes as written, so a field this build does not know about still counts.
pub fn value_integrity_ok(value: &serde_json::Value) -> bool {
    value
        .get("integrity_sha256")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|h| !h.is_empty() && h == integrity_of_value(value))
}

/// A report read from disk, with its raw JSON kept for integrity checks.
#[derive(Debug, Clone)]
pub struct LoadedReport {
    /// Where it came from.
    pub path: String,
    /// The parsed report.
    pub report: RunReport,
    /// The JSON as read.
    pub raw: serde_json::Value,
    /// The file's bytes as read (what a signature covers).
    pub bytes: Vec<u8>,
}

impl LoadedReport {
    /// Whether the report's integrity hash verifies, both over the raw JSON
    /// and over the typed report.
    pub fn integrity_ok(&self) -> bool {
        value_integrity_ok(&self.raw) && self.report.integrity_ok()
    }
}

/// Parse report JSON text; `path` names it in errors.
pub fn parse_report(path: &str, text: &str) -> Result<LoadedReport, ReportError> {
    let raw: serde_json::Value = serde_json::from_str(text).map_err(|e| ReportError::Json {
        path: path.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let shape = |message: String| ReportError::Shape {
        path: path.to_owned(),
        message,
    };
    let Some(obj) = raw.as_object() else {
        return Err(shape("the top level is not a JSON object".to_owned()));
    };
    let Some(version) = obj
        .get("format-version")
        .and_then(serde_json::Value::as_u64)
    else {
        return Err(shape("no numeric `format-version` field".to_owned()));
    };
    if version > u64::from(FORMAT_VERSION) || version == 0 {
        return Err(ReportError::Version {
            path: path.to_owned(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let report: RunReport =
        serde_json::from_value(raw.clone()).map_err(|e| shape(e.to_string()))?;
    Ok(LoadedReport {
        path: path.to_owned(),
        report,
        raw,
        bytes: text.as_bytes().to_vec(),
    })
}

/// Read and parse a report file.
pub fn load_report(path: &std::path::Path) -> Result<LoadedReport, ReportError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
        path: name.clone(),
        source,
    })?;
    parse_report(&name, &text)
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
        let value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        integrity_of_value(&value)
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

    /// Count of results with `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.results.iter().filter(|r| r.verdict == verdict).count()
    }

    /// The coverage requirements that were not met.
    pub fn missing_coverage(&self) -> impl Iterator<Item = &CoverageRequirement> {
        self.coverage_requirements.iter().filter(|c| !c.satisfied)
    }
}

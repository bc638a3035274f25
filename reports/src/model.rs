//! Serialisable results of a conformance run.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the `report.json` format; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// Outcome of one invariant over all its cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every case held.
    Passed,
    /// At least one case violated the invariant (a kernel failure).
    Failed,
    /// The harness or its environment broke; nothing is known about the kernel.
    Error,
    /// Not run (filtered out, cancelled before start).
    Skipped,
    /// Fewer cases checked than asked (time budget, interruption, too many
    /// inputs rejected) and no failure among them: nothing is established,
    /// so never green.
    Incomplete,
}

/// Details of one violation, after shrinking.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FailureDetail {
    /// One-line statement of what went wrong.
    pub message: String,
    /// The SQL that exposed the failure, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    /// What the invariant (or the oracle) expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What the kernel produced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// SQLSTATE of the error the kernel raised, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqlstate: Option<String>,
}

/// A shrunk failing case, replayable without the generator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FailureRecord {
    /// The failure as observed on the shrunk input.
    pub detail: FailureDetail,
    /// The complete shrunk input, as the property's own serialised input type.
    pub input: serde_json::Value,
    /// A short human rendering of the input (Debug form).
    pub input_summary: String,
    /// Number of cases run before the first failure (1-based).
    pub cases_to_failure: u64,
    /// Shrink steps accepted while minimising.
    pub shrink_steps: u64,
    /// Path of the case file written for replay, relative to the output dir.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_file: Option<String>,
}

/// Result of one invariant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InvariantResult {
    /// Stable ID from CONTRACT.md, e.g. `DUR-RT`.
    pub id: String,
    /// Suite (subsystem) the invariant belongs to.
    pub suite: String,
    /// One-line title.
    pub title: String,
    /// Final verdict.
    pub verdict: Verdict,
    /// Cases actually checked (excluding rejected inputs and shrink iterations).
    pub cases: u64,
    /// Cases asked for (the invariant's default or `--cases`); 0 when unknown.
    #[serde(default)]
    pub cases_requested: u64,
    /// Generated inputs the property rejected as not applicable.
    #[serde(default)]
    pub rejected: u64,
    /// The most frequent reasons for rejection, with their counts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reject_reasons: BTreeMap<String, u64>,
    /// Wall time spent on this invariant.
    pub duration_ms: u64,
    /// Shrunk failures (at most one per invariant today).
    #[serde(default)]
    pub failures: Vec<FailureRecord>,
    /// Environment error message when `verdict == Error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Coverage classes exercised, with the number of cases that hit each.
    #[serde(default)]
    pub coverage: BTreeMap<String, u64>,
}

impl InvariantResult {
    /// A result for an invariant that never ran.
    pub fn skipped(id: &str, suite: &str, title: &str) -> Self {
        Self {
            id: id.to_owned(),
            suite: suite.to_owned(),
            title: title.to_owned(),
            verdict: Verdict::Skipped,
            cases: 0,
            cases_requested: 0,
            rejected: 0,
            reject_reasons: BTreeMap::new(),
            duration_ms: 0,
            failures: Vec::new(),
            error: None,
            coverage: BTreeMap::new(),
        }
    }
}

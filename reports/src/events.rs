//! Run events as JSON lines (`pgconform run --format json`). Each line is one
//! object with an `event` tag; the set of events and their fields is API.

use crate::model::InvariantResult;
use crate::shard::ShardSpec;
use serde::Serialize;

/// One run event.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event<'a> {
    /// The run is about to start its first invariant.
    RunStarted {
        /// Run seed.
        seed: u64,
        /// Invariant IDs this run (or shard) will execute, in order.
        invariants: Vec<&'a str>,
        /// The shard, when sharded.
        #[serde(skip_serializing_if = "Option::is_none")]
        shard: Option<ShardSpec>,
        /// SUT fingerprint.
        sut_fingerprint: &'a str,
    },
    /// An invariant started.
    InvariantStarted {
        /// Invariant ID.
        id: &'a str,
    },
    /// A case of an invariant finished.
    Case {
        /// Invariant ID.
        id: &'a str,
        /// Cases done so far.
        cases: u64,
        /// Failures seen so far (1 once shrinking started).
        failures: u64,
    },
    /// An invariant finished.
    InvariantFinished {
        /// Its complete result.
        result: &'a InvariantResult,
    },
    /// The run finished and its report is written.
    RunFinished {
        /// Process exit code.
        exit_code: i32,
        /// Counts per verdict.
        passed: usize,
        /// Failed invariants.
        failed: usize,
        /// Errored invariants.
        errors: usize,
        /// Skipped invariants.
        skipped: usize,
        /// Coverage requirements not met.
        missing_coverage: Vec<String>,
        /// Path of `report.json`.
        report: &'a str,
        /// Wall time.
        duration_ms: u64,
    },
}

impl Event<'_> {
    /// The event as one line of JSON (no trailing newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            format!(
                "{{\"event\":\"serialisation-error\",\"message\":{:?}}}",
                e.to_string()
            )
        })
    }
}

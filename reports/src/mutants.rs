//! The kill matrix of a mutant run (`pgconform mutants`).

use crate::model::{FailureDetail, Verdict};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What happened to one mutant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MutantStatus {
    /// An invariant failed on the mutated kernel.
    Killed,
    /// Every invariant tried held: the harness missed the bug.
    Survived,
    /// The mutant does not install (or the contract check refuses the result):
    /// not a kill, reported so the mutant gets fixed.
    InstallBroken,
    /// The harness or its environment broke; nothing is known.
    Error,
}

impl MutantStatus {
    /// Kebab-case name as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Killed => "killed",
            Self::Survived => "survived",
            Self::InstallBroken => "install-broken",
            Self::Error => "error",
        }
    }
}

/// One invariant tried against a mutant (a cell of the kill matrix).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TriedInvariant {
    /// Invariant ID.
    pub id: String,
    /// Its verdict on the mutant (`failed` = killed it).
    pub verdict: Verdict,
    /// Cases run.
    pub cases: u64,
    /// Wall time.
    pub duration_ms: u64,
}

/// The outcome of one mutant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MutantOutcome {
    /// `-- mutant:` name.
    pub name: String,
    /// The mutant file.
    pub file: String,
    /// sha256 of the file.
    pub sha256: String,
    /// `-- kills:` invariants the author expects to kill it.
    pub kills: Vec<String>,
    /// `-- why:` explanation.
    pub why: String,
    /// Outcome.
    pub status: MutantStatus,
    /// The invariant that killed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub killed_by: Option<String>,
    /// Whether the killer is one of `kills`.
    #[serde(default)]
    pub expected_killer: bool,
    /// Cases the killer ran up to and including the first failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cases_to_kill: Option<u64>,
    /// Size of the shrunk counterexample: bytes of its serialised input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterexample_bytes: Option<u64>,
    /// The shrunk counterexample's failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureDetail>,
    /// Case file of the counterexample, relative to the output directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_file: Option<String>,
    /// Invariants tried, in order (the run stops at the first kill).
    #[serde(default)]
    pub tried: Vec<TriedInvariant>,
    /// Install or environment error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Wall time for this mutant, server start included.
    pub duration_ms: u64,
}

impl MutantOutcome {
    /// A mutant before anything is tried: it survives until an invariant
    /// kills it; nothing killed, tried or timed yet.
    pub fn untried(
        name: String,
        file: String,
        sha256: String,
        kills: Vec<String>,
        why: String,
    ) -> Self {
        Self {
            name,
            file,
            sha256,
            kills,
            why,
            status: MutantStatus::Survived,
            killed_by: None,
            expected_killer: false,
            cases_to_kill: None,
            counterexample_bytes: None,
            failure: None,
            case_file: None,
            tried: Vec::new(),
            error: None,
            duration_ms: 0,
        }
    }
}

/// A complete mutant run: the control (the report's own results) and each mutant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MutantMatrix {
    /// Directory the mutants were read from.
    pub mutants_dir: String,
    /// Whether the unmutated kernel passed every invariant the mutants use.
    pub control_passed: bool,
    /// One entry per mutant file, sorted by path.
    pub mutants: Vec<MutantOutcome>,
}

impl MutantMatrix {
    /// Mutants with the given status.
    pub fn count(&self, status: MutantStatus) -> usize {
        self.mutants.iter().filter(|m| m.status == status).count()
    }

    /// True when the control passed and no mutant survived or errored.
    pub fn all_killed(&self) -> bool {
        self.control_passed
            && self
                .mutants
                .iter()
                .all(|m| matches!(m.status, MutantStatus::Killed | MutantStatus::InstallBroken))
    }

    /// Every invariant that appears in some mutant's `tried` list, in first-seen order.
    pub fn columns(&self) -> Vec<String> {
        let mut cols: Vec<String> = Vec::new();
        for m in &self.mutants {
            for t in &m.tried {
                if !cols.contains(&t.id) {
                    cols.push(t.id.clone());
                }
            }
        }
        cols
    }
}

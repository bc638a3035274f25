//! Invariants: their identity and the interface the runner drives.

use crate::sandbox::Sandbox;
use pgconform_reports::InvariantResult;
use serde::{Deserialize, Serialize};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// A kernel subsystem (and the foundation checks of the SUT itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Suite {
    /// The SUT as a whole: installation and the contract check.
    Foundation,
    /// CONTRACT.md §1, schema `cpo`.
    Durability,
    /// CONTRACT.md §2, expected constraints and drift.
    Drift,
    /// CONTRACT.md §3, evidence registry and restore.
    Evidence,
    /// CONTRACT.md §4, gate protocol and watchdog.
    Gates,
}

impl Suite {
    /// Every suite, in report order.
    pub const ALL: [Suite; 5] = [
        Suite::Foundation,
        Suite::Durability,
        Suite::Drift,
        Suite::Evidence,
        Suite::Gates,
    ];

    /// The suite's name as used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Foundation => "foundation",
            Suite::Durability => "durability",
            Suite::Drift => "drift",
            Suite::Evidence => "evidence",
            Suite::Gates => "gates",
        }
    }

    /// Parse a suite name.
    pub fn parse(s: &str) -> Option<Suite> {
        Suite::ALL.into_iter().find(|x| x.name() == s)
    }
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Static description of an invariant.
#[derive(Debug, Clone, Serialize)]
pub struct InvariantMeta {
    /// Stable ID from CONTRACT.md, e.g. `DUR-RT`.
    pub id: &'static str,
    /// Subsystem.
    pub suite: Suite,
    /// One-line title.
    pub title: &'static str,
    /// The seed document it comes from (file name under shared/seeds), or
    /// `CONTRACT.md` for foundation checks.
    pub seed: &'static str,
    /// The property, in one or two sentences.
    pub property: &'static str,
    /// Cases run when `--cases` is not given.
    pub default_cases: u32,
}

impl InvariantMeta {
    /// The metadata of one invariant, fields in declaration order.
    pub const fn new(
        id: &'static str,
        suite: Suite,
        title: &'static str,
        seed: &'static str,
        property: &'static str,
        default_cases: u32,
    ) -> Self {
        Self {
            id,
            suite,
            title,
            seed,
            property,
            default_cases,
        }
    }
}

/// How much shrinking a failing case gets.
#[derive(Debug, Clone, Copy)]
pub struct ShrinkPolicy {
    /// Skip shrinking entirely.
    pub disabled: bool,
    /// Wall-time bound on shrinking one failure.
    pub max_time: Duration,
}

impl Default for ShrinkPolicy {
    fn default() -> Self {
        Self {
            disabled: false,
            max_time: Duration::from_secs(120),
        }
    }
}

/// Progress callback: `(cases_done, failures)`.
pub type ProgressFn<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Everything an invariant needs to run.
pub struct RunContext<'a> {
    /// Where fresh databases come from.
    pub sandbox: &'a dyn Sandbox,
    /// Number of cases (`None`: the invariant's default).
    pub cases: Option<u32>,
    /// Run seed; each invariant derives its own RNG seed from it and its ID.
    pub seed: u64,
    /// Shrinking bounds.
    pub shrink: ShrinkPolicy,
    /// Stop starting new cases after this instant.
    pub deadline: Option<Instant>,
    /// Set on Ctrl-C: stop as soon as possible.
    pub cancel: &'a AtomicBool,
    /// Called after every case.
    pub progress: ProgressFn<'a>,
}

/// An invariant the runner can execute and replay.
pub trait Invariant: Send + Sync {
    /// Identity and description.
    fn meta(&self) -> &InvariantMeta;

    /// Run generated cases; shrink and record the first failure.
    fn run(&self, ctx: &RunContext<'_>) -> InvariantResult;

    /// Replay one recorded input (the `input` of a failure record).
    fn replay(&self, ctx: &RunContext<'_>, input: &serde_json::Value) -> InvariantResult;
}

//! Operation sequences for the gate protocol (CONTRACT.md §4, seed 003).
//!
//! An input is a plain list of [`GateOp`]s: gate keys are the literal strings
//! sent to the kernel, approvals are small indices turned into fixed uuids, the
//! clock moves by whole seconds. A shrunk failure therefore reads as a short
//! script, e.g. `[Open { gate: "iu_core.composer_enabled", ttl: 3601, .. }]`,
//! and replays without this module.

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// The gate keys, the command catalog and the TTL bound contract §4 fixes.
pub use pgconform_contract::gates::{GATE_COMMANDS, GOVERNABLE, MAX_TTL_SECONDS, NEVER_FLIP};

/// Keys that are not gates, including near misses of real gate keys.
pub const UNKNOWN_KEYS: [&str; 6] = [
    "iu_core.routes_master_enabled",
    "IU_CORE.COMPOSER_ENABLED",
    "iu_core.composer_enabled ",
    "",
    "iu_core.delivery_live_routes",
    "iu_core.composer_enabled'; UPDATE dot_config SET value='true';--",
];

/// The class of a gate key, as the contract defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GateClass {
    /// One of [`GOVERNABLE`].
    Governable,
    /// One of [`NEVER_FLIP`].
    NeverFlip,
    /// Any other (non-null) key.
    Unknown,
    /// A SQL null key.
    Null,
}

impl GateClass {
    /// Classify a key.
    pub fn of(key: Option<&str>) -> Self {
        match key {
            None => Self::Null,
            Some(k) if GOVERNABLE.contains(&k) => Self::Governable,
            Some(k) if NEVER_FLIP.contains(&k) => Self::NeverFlip,
            Some(_) => Self::Unknown,
        }
    }

    /// Coverage label (`governable`, `never-flip`, `unknown`, `null`).
    pub fn label(self) -> &'static str {
        match self {
            Self::Governable => "governable",
            Self::NeverFlip => "never-flip",
            Self::Unknown => "unknown",
            Self::Null => "null",
        }
    }
}

/// Coverage label of a TTL: `0`, `1`, `3600`, `3601`, `negative`, `null`, `other`.
pub fn ttl_class(ttl: Option<i32>) -> &'static str {
    match ttl {
        None => "null",
        Some(0) => "0",
        Some(1) => "1",
        Some(3600) => "3600",
        Some(3601) => "3601",
        Some(t) if t < 0 => "negative",
        Some(_) => "other",
    }
}

/// The fixed approval uuid for approval index `n`.
pub fn approval_uuid(n: u8) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

/// A direct write to the ledger that an append-only ledger must refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerTamper {
    /// `UPDATE ... SET new_value = 'true'` on every row.
    Update,
    /// `DELETE` of one row.
    Delete,
    /// `TRUNCATE` the ledger.
    Truncate,
}

/// One step of a gate-protocol scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum GateOp {
    /// `fn_iu_gate_open(gate, approval, actor, reason, ttl)`.
    Open {
        /// Gate key (null when `None`).
        gate: Option<String>,
        /// Approval index (see [`approval_uuid`]); null when `None`.
        approval: Option<u8>,
        /// Actor.
        actor: Option<String>,
        /// Reason.
        reason: Option<String>,
        /// TTL in seconds.
        ttl: Option<i32>,
    },
    /// `fn_iu_gate_close(gate, actor, reason)`.
    Close {
        /// Gate key.
        gate: Option<String>,
        /// Actor.
        actor: Option<String>,
        /// Reason.
        reason: Option<String>,
    },
    /// `fn_iu_gate_watchdog(actor)`.
    Watchdog {
        /// Actor.
        actor: Option<String>,
    },
    /// Move the test clock forward.
    Advance {
        /// Seconds (>= 0).
        seconds: i64,
    },
    /// Move the test clock to the next expiry — the earliest expires_at, not
    /// yet past, among the gates' latest 'open' transitions — plus `offset`
    /// seconds (never backwards; no move when nothing is pending). Hits the
    /// TTL boundary exactly, whatever the TTL was.
    AdvanceToExpiry {
        /// Seconds relative to that expires_at (-1, 0 or 1).
        offset: i64,
    },
    /// `fn_iu_gate_verify_closed(actor)`.
    Verify,
    /// A misbehaving operator's `UPDATE dot_config SET value = .. WHERE key = ..`.
    OobWrite {
        /// Key.
        key: String,
        /// Value written.
        value: String,
    },
    /// A misbehaving operator's `DELETE FROM dot_config WHERE key = ..`.
    OobDelete {
        /// Key.
        key: String,
    },
    /// A misbehaving operator's `INSERT INTO dot_config (key, value)`.
    OobInsert {
        /// Key.
        key: String,
        /// Value.
        value: String,
    },
    /// A direct write to the ledger.
    TamperLedger {
        /// What is attempted.
        kind: LedgerTamper,
    },
    /// A direct call of the logger `fn_dot_iu_command_log`.
    Log {
        /// Command name (catalogued or not).
        command: String,
        /// run_mode (valid or not).
        run_mode: String,
        /// Actor.
        actor: Option<String>,
    },
    /// Run the `gates-rollback` script.
    Rollback,
    /// Run the `gates-install` script.
    Reinstall,
}

impl GateOp {
    /// Coverage label of the operation kind (`open`, `close`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Open { .. } => "open",
            Self::Close { .. } => "close",
            Self::Watchdog { .. } => "watchdog",
            Self::Advance { .. } => "advance",
            Self::AdvanceToExpiry { .. } => "advance_to_expiry",
            Self::Verify => "verify",
            Self::OobWrite { .. } => "oob_write",
            Self::OobDelete { .. } => "oob_delete",
            Self::OobInsert { .. } => "oob_insert",
            Self::TamperLedger { .. } => "tamper_ledger",
            Self::Log { .. } => "log",
            Self::Rollback => "rollback",
            Self::Reinstall => "reinstall",
        }
    }

    /// The gate key an open or close names (`None` for other operations).
    pub fn gate(&self) -> Option<Option<&str>> {
        match self {
            Self::Open { gate, .. } | Self::Close { gate, .. } => Some(gate.as_deref()),
            _ => None,
        }
    }
}

/// A governable gate key, weighted towards the first two so that a sequence
/// often acts on the same gate several times (open, close, a write by hand,
/// a watchdog run: the interactions the watchdog rule is about).
pub fn arb_governable() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(GOVERNABLE[0].to_owned()),
        2 => Just(GOVERNABLE[2].to_owned()),
        3 => proptest::sample::select(&GOVERNABLE[..]).prop_map(str::to_owned),
    ]
}

/// Any gate key the API might be called with: governable, never-flip,
/// unknown or null (weighted towards real gates).
pub fn arb_gate_key() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => arb_governable().prop_map(Some),
        2 => proptest::sample::select(&NEVER_FLIP[..]).prop_map(|k| Some(k.to_owned())),
        1 => proptest::sample::select(&UNKNOWN_KEYS[..]).prop_map(|k| Some(k.to_owned())),
        1 => Just(None),
    ]
}

/// A key an operator might write out of band: any of the nine gates or an
/// unknown key.
pub fn arb_config_key() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => arb_governable(),
        3 => proptest::sample::select(&NEVER_FLIP[..]).prop_map(str::to_owned),
        1 => Just("ops.note".to_owned()),
    ]
}

/// A value an operator might write: mostly 'true'/'false', sometimes junk
/// that is neither.
pub fn arb_config_value() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => Just("true".to_owned()),
        2 => Just("false".to_owned()),
        1 => proptest::sample::select(&["TRUE", "yes", "1", "", "false "][..]).prop_map(str::to_owned),
    ]
}

/// A TTL: the boundaries 0, 1, 3600, 3601, negative and null, and ordinary values.
pub fn arb_ttl() -> impl Strategy<Value = Option<i32>> {
    prop_oneof![
        4 => (1..=MAX_TTL_SECONDS).prop_map(Some),
        3 => (1..=10i32).prop_map(Some),
        2 => Just(Some(1)),
        2 => Just(Some(MAX_TTL_SECONDS)),
        2 => Just(Some(MAX_TTL_SECONDS + 1)),
        2 => Just(Some(0)),
        1 => prop_oneof![Just(-1), Just(i32::MIN), Just(i32::MAX), (i32::MIN..0)].prop_map(Some),
        1 => Just(None),
    ]
}

/// An actor: usually a name, sometimes null or blank.
pub fn arb_actor() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        12 => proptest::sample::select(&["ops-alice", "ops-bob", "cron", "Zoë ☂"][..])
            .prop_map(|a| Some(a.to_owned())),
        1 => Just(None),
        1 => proptest::sample::select(&["", "  "][..]).prop_map(|a| Some(a.to_owned())),
    ]
}

/// A reason: free text, sometimes null or hostile.
pub fn arb_reason() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => proptest::sample::select(&["incident 42", "canary", "rollout step 3"][..])
            .prop_map(|r| Some(r.to_owned())),
        1 => Just(None),
        1 => "\\PC{0,12}".prop_map(Some),
        1 => Just(Some("'); DROP TABLE public.dot_config; --".to_owned())),
    ]
}

/// Seconds to move the clock: 0, 1, a little, around the 3600 s TTL bound, or far.
pub fn arb_advance() -> impl Strategy<Value = i64> {
    prop_oneof![
        2 => Just(0i64),
        3 => Just(1i64),
        3 => 2..=12i64,
        2 => 3595..=3605i64,
        2 => 0..=7200i64,
        1 => Just(86_400i64),
    ]
}

/// One operation with the default mix (API calls dominate; clock moves often;
/// out-of-band writes, ledger tampering, logger calls, rollback and reinstall
/// are rarer).
pub fn arb_gate_op() -> impl Strategy<Value = GateOp> {
    prop_oneof![
        8 => (arb_gate_key(), prop::option::weighted(0.85, 0u8..4), arb_actor(), arb_reason(), arb_ttl())
            .prop_map(|(gate, approval, actor, reason, ttl)| GateOp::Open { gate, approval, actor, reason, ttl }),
        4 => (arb_gate_key(), arb_actor(), arb_reason())
            .prop_map(|(gate, actor, reason)| GateOp::Close { gate, actor, reason }),
        4 => arb_actor().prop_map(|actor| GateOp::Watchdog { actor }),
        5 => arb_advance().prop_map(|seconds| GateOp::Advance { seconds }),
        4 => prop_oneof![2 => Just(0i64), 1 => Just(-1i64), 1 => Just(1i64)]
            .prop_map(|offset| GateOp::AdvanceToExpiry { offset }),
        2 => Just(GateOp::Verify),
        3 => (arb_config_key(), arb_config_value()).prop_map(|(key, value)| GateOp::OobWrite { key, value }),
        2 => arb_config_key().prop_map(|key| GateOp::OobDelete { key }),
        1 => (arb_config_key(), arb_config_value()).prop_map(|(key, value)| GateOp::OobInsert { key, value }),
        1 => prop_oneof![Just(LedgerTamper::Update), Just(LedgerTamper::Delete), Just(LedgerTamper::Truncate)]
            .prop_map(|kind| GateOp::TamperLedger { kind }),
        2 => (
            prop_oneof![
                2 => proptest::sample::select(&GATE_COMMANDS[..]).prop_map(str::to_owned),
                1 => Just("dot_iu_gate_unknown".to_owned()),
            ],
            prop_oneof![4 => Just("apply".to_owned()), 1 => Just("plan".to_owned()), 1 => Just("bogus".to_owned())],
            arb_actor(),
        )
            .prop_map(|(command, run_mode, actor)| GateOp::Log { command, run_mode, actor }),
        1 => Just(GateOp::Rollback),
        1 => Just(GateOp::Reinstall),
    ]
}

fn good_actor() -> impl Strategy<Value = Option<String>> {
    proptest::sample::select(&["ops-alice", "ops-bob"][..]).prop_map(|a| Some(a.to_owned()))
}

/// A live approved open of `gate`, closed through the API, then set 'true' by
/// hand while the approval is still live, and often a watchdog run: the v2
/// watchdog must close it (its latest ledger row is a close).
pub fn arb_hand_set_after_close() -> impl Strategy<Value = Vec<GateOp>> {
    (
        arb_governable(),
        0u8..4,
        good_actor(),
        60..=MAX_TTL_SECONDS,
        proptest::bool::weighted(0.7),
    )
        .prop_map(|(gate, approval, actor, ttl, watchdog)| {
            let mut ops = vec![
                GateOp::Open {
                    gate: Some(gate.clone()),
                    approval: Some(approval),
                    actor: actor.clone(),
                    reason: None,
                    ttl: Some(ttl),
                },
                GateOp::Close {
                    gate: Some(gate.clone()),
                    actor: actor.clone(),
                    reason: None,
                },
                GateOp::OobWrite {
                    key: gate,
                    value: "true".to_owned(),
                },
            ];
            if watchdog {
                ops.push(GateOp::Watchdog { actor });
            }
            ops
        })
}

/// An operator deletes a gate's row, then the API or a script meets the
/// missing row (open, close, watchdog, verify or rollback).
pub fn arb_missing_row() -> impl Strategy<Value = Vec<GateOp>> {
    (
        prop_oneof![4 => arb_governable(), 1 => proptest::sample::select(&NEVER_FLIP[..]).prop_map(str::to_owned)],
        good_actor(),
        0u8..5,
    )
        .prop_map(|(gate, actor, then)| {
            let next = match then {
                0 => GateOp::Open {
                    gate: Some(gate.clone()),
                    approval: Some(1),
                    actor,
                    reason: None,
                    ttl: Some(60),
                },
                1 => GateOp::Close {
                    gate: Some(gate.clone()),
                    actor,
                    reason: None,
                },
                2 => GateOp::Watchdog { actor },
                3 => GateOp::Verify,
                _ => GateOp::Rollback,
            };
            vec![GateOp::OobDelete { key: gate }, next]
        })
}

/// An otherwise valid open of a governable gate with a TTL at a bound of
/// (0, 3600]: 0, 1, 3600 or 3601 (the only thing wrong, if anything, is the TTL).
pub fn arb_ttl_bound_open() -> impl Strategy<Value = Vec<GateOp>> {
    (
        arb_governable(),
        0u8..4,
        good_actor(),
        proptest::sample::select(&[0, 1, MAX_TTL_SECONDS, MAX_TTL_SECONDS + 1][..]),
    )
        .prop_map(|(gate, approval, actor, ttl)| {
            vec![GateOp::Open {
                gate: Some(gate),
                approval: Some(approval),
                actor,
                reason: None,
                ttl: Some(ttl),
            }]
        })
}

/// A scenario: 1..=`max_len` operations, mostly single random operations with
/// now and then a short motif the contract has a rule for (a gate set by hand
/// after a close, a missing gate row, a TTL at a bound).
pub fn arb_gate_ops(max_len: usize) -> impl Strategy<Value = Vec<GateOp>> {
    let max_len = max_len.max(1);
    prop::collection::vec(
        prop_oneof![
            10 => arb_gate_op().prop_map(|op| vec![op]),
            1 => arb_hand_set_after_close(),
            1 => arb_missing_row(),
            1 => arb_ttl_bound_open(),
        ],
        1..=max_len,
    )
    .prop_map(move |chunks| chunks.into_iter().flatten().take(max_len).collect())
}

/// One operation of a concurrent session (API calls on a few contended gates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ConcurrentOp {
    /// Open `GOVERNABLE[gate]` with a TTL.
    Open {
        /// Index into [`GOVERNABLE`].
        gate: u8,
        /// TTL in seconds.
        ttl: i32,
    },
    /// Close `GOVERNABLE[gate]`.
    Close {
        /// Index into [`GOVERNABLE`].
        gate: u8,
    },
    /// Run the watchdog.
    Watchdog,
}

/// A concurrent scenario: one op list per session, and the clock moves a
/// separate thread makes meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcurrentPlan {
    /// Operations per session (each session runs on its own thread).
    pub sessions: Vec<Vec<ConcurrentOp>>,
    /// Clock advances (seconds) applied one by one while the sessions run.
    pub clock_steps: Vec<i64>,
}

/// One concurrent operation on the first `gates` governable gates.
pub fn arb_concurrent_op(gates: u8) -> impl Strategy<Value = ConcurrentOp> {
    let g = gates.clamp(1, 7);
    prop_oneof![
        4 => (0..g, prop_oneof![Just(1i32), Just(2), 1..=5i32, Just(MAX_TTL_SECONDS)])
            .prop_map(|(gate, ttl)| ConcurrentOp::Open { gate, ttl }),
        3 => (0..g).prop_map(|gate| ConcurrentOp::Close { gate }),
        2 => Just(ConcurrentOp::Watchdog),
    ]
}

/// 2..=`max_sessions` sessions of 1..=`max_ops` operations on three contended
/// gates, and up to `max_ops` clock steps of 0..=3 s.
pub fn arb_concurrent_plan(
    max_sessions: usize,
    max_ops: usize,
) -> impl Strategy<Value = ConcurrentPlan> {
    (
        prop::collection::vec(
            prop::collection::vec(arb_concurrent_op(3), 1..=max_ops.max(1)),
            2..=max_sessions.max(2),
        ),
        prop::collection::vec(0..=3i64, 0..=max_ops),
    )
        .prop_map(|(sessions, clock_steps)| ConcurrentPlan {
            sessions,
            clock_steps,
        })
}

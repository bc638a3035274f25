//! The reference model of the gate protocol: a pure Rust state machine that
//! predicts, for every [`GateOp`], the kernel's answer (result or SQLSTATE) and
//! the exact rows it adds to dot_config, the ledger and the command-run log.
//!
//! Where CONTRACT.md fixes an SQLSTATE (42501, 23514; PostgreSQL's own 42883,
//! 42P01, 23505 for calls on missing objects and duplicate keys) the model
//! predicts it exactly; where it only says "refuse" (unknown logger command,
//! null actor, missing gate row, rollback or reinstall refused) the model
//! predicts "some error, nothing changed".
//!
//! Interpretations the contract leaves open (the reference kernel documents the
//! same ones in 400_gates_install.sql):
//! * every timestamp is `kernel_now()`; a gate is expired when its latest
//!   'open' has `expires_at < now` (open at exactly expires_at);
//! * "open" is `value <> 'false'` (fail closed: junk written out of band is
//!   open); a missing gate row is neither closed nor intact and the watchdog
//!   skips it;
//! * re-opening an open gate writes a fresh 'open' row; closing a closed gate
//!   still writes its row;
//! * one command-run row per successful open, close, watchdog call and direct
//!   logger call; every ledger row of a call points at that call's run.

use pgconform_generators::gates::{
    approval_uuid, GateClass, GateOp, LedgerTamper, GATE_COMMANDS, GOVERNABLE, MAX_TTL_SECONDS,
    NEVER_FLIP,
};
use std::collections::BTreeMap;

/// The frozen clock's starting point: 2030-01-01T00:00:00Z, in µs since the Unix epoch.
pub const EPOCH_US: i64 = 1_893_456_000 * 1_000_000;

/// The same instant as a timestamptz literal.
pub const EPOCH_LITERAL: &str = "2030-01-01 00:00:00+00";

/// One dot_config row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRow {
    /// value.
    pub value: String,
    /// updated_at in µs; `None` when not predictable (installed before the clock froze).
    pub updated_at: Option<i64>,
}

/// One ledger row as the model predicts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    /// gate_key.
    pub gate_key: String,
    /// action: open, close, watchdog_close.
    pub action: &'static str,
    /// prev_value.
    pub prev_value: Option<String>,
    /// new_value.
    pub new_value: Option<String>,
    /// approval_id (uuid text).
    pub approval_id: Option<String>,
    /// ttl_seconds.
    pub ttl_seconds: Option<i32>,
    /// expires_at (µs).
    pub expires_at: Option<i64>,
    /// actor.
    pub actor: String,
    /// reason; `None` for watchdog rows, whose reason is the kernel's own text.
    pub reason: Option<Option<String>>,
    /// created_at (µs).
    pub created_at: i64,
}

/// One command-run row as the model predicts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    /// command_name.
    pub command_name: String,
    /// category.
    pub category: String,
    /// run_mode.
    pub run_mode: String,
    /// run_status.
    pub run_status: String,
    /// mutating.
    pub mutating: bool,
    /// actor.
    pub actor: String,
    /// created_at (µs).
    pub created_at: i64,
}

/// What an error must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Exactly this SQLSTATE.
    Exact(&'static str),
    /// Any SQLSTATE (the contract only says "refuse").
    Any,
}

/// The output of `fn_iu_gate_verify_closed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOut {
    /// The nine gates and their values (null for a missing row), by key.
    pub gates: BTreeMap<String, Option<String>>,
    /// all_governed_closed.
    pub all_governed_closed: bool,
    /// never_flip_intact.
    pub never_flip_intact: bool,
    /// all_safe.
    pub all_safe: bool,
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `{"status": "opened"}`.
    Opened,
    /// `{"status": "closed"}`.
    Closed,
    /// `{"closed": [...]}` (compared as a set).
    Watchdog(Vec<String>),
    /// verify_closed's report.
    Verify(VerifyOut),
    /// Anything else that succeeds (a logger call, a write, a script, the clock).
    Done,
}

/// The predicted answer of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Success with this outcome.
    Ok(Outcome),
    /// An error; the state must not change.
    Err(Code),
    /// Either a no-op success or an error; the state must not change
    /// (e.g. an UPDATE of an empty ledger touches no row, so no trigger fires).
    Unchanged,
}

/// The rows one step adds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    /// New ledger rows, in gate-key order for a watchdog.
    pub ledger: Vec<LedgerRow>,
    /// New command-run rows (each new ledger row belongs to the step's one run).
    pub runs: Vec<RunRow>,
}

/// What the model predicts for one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    /// The answer.
    pub expect: Expect,
    /// Rows added (empty unless the answer is a success).
    pub delta: Delta,
}

/// The model's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    /// Whether the protocol is installed (false after a successful rollback).
    pub installed: bool,
    /// The test clock (µs since the Unix epoch).
    pub now: i64,
    /// dot_config, by key.
    pub config: BTreeMap<String, ConfigRow>,
    /// The ledger, in order.
    pub ledger: Vec<LedgerRow>,
    /// Command-run rows written since the last (re)install.
    pub runs: Vec<RunRow>,
    /// dot_config as a fresh install leaves it (key -> value).
    pub install_config: BTreeMap<String, String>,
}

/// Whether a stored gate value counts as open (anything but exactly 'false').
pub fn is_open(value: &str) -> bool {
    value != "false"
}

fn actor_ok(actor: Option<&str>) -> bool {
    actor.is_some_and(|a| !a.trim().is_empty())
}

fn ttl_ok(ttl: Option<i32>) -> bool {
    ttl.is_some_and(|t| t > 0 && t <= MAX_TTL_SECONDS)
}

fn catalog(command: &str) -> Option<(&'static str, bool)> {
    match command {
        "dot_iu_gate_verify_closed" => Some(("read", false)),
        c if GATE_COMMANDS.contains(&c) => Some(("health", true)),
        _ => None,
    }
}

impl Model {
    /// The state right after an install: the nine gates 'false'.
    pub fn installed_default(now: i64) -> Self {
        let install_config: BTreeMap<String, String> = NEVER_FLIP
            .iter()
            .chain(GOVERNABLE.iter())
            .map(|k| ((*k).to_owned(), "false".to_owned()))
            .collect();
        Self::from_install(now, install_config)
    }

    /// The state right after an install that left `install_config` (whose
    /// `updated_at` values the model does not know).
    pub fn from_install(now: i64, install_config: BTreeMap<String, String>) -> Self {
        let config = install_config
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    ConfigRow {
                        value: v.clone(),
                        updated_at: None,
                    },
                )
            })
            .collect();
        Self {
            installed: true,
            now,
            config,
            ledger: Vec::new(),
            runs: Vec::new(),
            install_config,
        }
    }

    /// verify_closed's report over the current state.
    pub fn verify(&self) -> VerifyOut {
        let value = |k: &str| self.config.get(k).map(|r| r.value.clone());
        let gates: BTreeMap<String, Option<String>> = NEVER_FLIP
            .iter()
            .chain(GOVERNABLE.iter())
            .map(|k| ((*k).to_owned(), value(k)))
            .collect();
        let closed = |k: &&str| value(k).as_deref() == Some("false");
        let all_governed_closed = GOVERNABLE.iter().all(closed);
        let never_flip_intact = NEVER_FLIP.iter().all(closed);
        VerifyOut {
            gates,
            all_governed_closed,
            never_flip_intact,
            all_safe: all_governed_closed && never_flip_intact,
        }
    }

    /// The latest 'open' row of `gate`, if any.
    pub fn latest_open(&self, gate: &str) -> Option<&LedgerRow> {
        self.ledger
            .iter()
            .rev()
            .find(|r| r.gate_key == gate && r.action == "open")
    }

    /// Governable gates a watchdog run now would close, in key order.
    pub fn watchdog_targets(&self) -> Vec<String> {
        let mut keys: Vec<&str> = GOVERNABLE.to_vec();
        keys.sort_unstable();
        keys.into_iter()
            .filter(|k| {
                let Some(row) = self.config.get(*k) else {
                    return false;
                };
                is_open(&row.value)
                    && self
                        .latest_open(k)
                        .is_none_or(|o| o.expires_at.is_none_or(|e| e < self.now))
            })
            .map(str::to_owned)
            .collect()
    }

    fn run(&self, command: &str, run_mode: &str, actor: &str) -> RunRow {
        let (category, mutating) = catalog(command).unwrap_or(("health", true));
        RunRow {
            command_name: command.to_owned(),
            category: category.to_owned(),
            run_mode: run_mode.to_owned(),
            run_status: "applied".to_owned(),
            mutating,
            actor: actor.to_owned(),
            created_at: self.now,
        }
    }

    fn set(&mut self, key: &str, value: &str) {
        self.config.insert(
            key.to_owned(),
            ConfigRow {
                value: value.to_owned(),
                updated_at: Some(self.now),
            },
        );
    }

    fn commit(&mut self, outcome: Outcome, delta: Delta) -> Prediction {
        self.ledger.extend(delta.ledger.iter().cloned());
        self.runs.extend(delta.runs.iter().cloned());
        Prediction {
            expect: Expect::Ok(outcome),
            delta,
        }
    }

    fn refuse(code: Code) -> Prediction {
        Prediction {
            expect: Expect::Err(code),
            delta: Delta::default(),
        }
    }

    fn done() -> Prediction {
        Prediction {
            expect: Expect::Ok(Outcome::Done),
            delta: Delta::default(),
        }
    }

    /// Apply one operation: update the state and return the prediction.
    pub fn apply(&mut self, op: &GateOp) -> Prediction {
        if let Some(seconds) = self.advance_seconds(op) {
            self.now = self.now.saturating_add(seconds.saturating_mul(1_000_000));
            return Self::done();
        }
        if !self.installed {
            return match op {
                GateOp::Open { .. }
                | GateOp::Close { .. }
                | GateOp::Watchdog { .. }
                | GateOp::Verify
                | GateOp::Log { .. } => Self::refuse(Code::Exact("42883")),
                GateOp::OobWrite { .. }
                | GateOp::OobDelete { .. }
                | GateOp::OobInsert { .. }
                | GateOp::TamperLedger { .. } => Self::refuse(Code::Exact("42P01")),
                GateOp::Rollback => Self::refuse(Code::Any),
                GateOp::Reinstall => {
                    let mut fresh = Self::from_install(self.now, self.install_config.clone());
                    for row in fresh.config.values_mut() {
                        row.updated_at = Some(self.now);
                    }
                    *self = fresh;
                    Self::done()
                }
                GateOp::Advance { .. } | GateOp::AdvanceToExpiry { .. } => Self::done(),
            };
        }
        match op {
            GateOp::Open {
                gate,
                approval,
                actor,
                reason,
                ttl,
            } => {
                let class = GateClass::of(gate.as_deref());
                let (Some(gate), GateClass::Governable) = (gate, class) else {
                    return Self::refuse(Code::Exact("42501"));
                };
                if !actor_ok(actor.as_deref()) {
                    return Self::refuse(Code::Any);
                }
                let (Some(approval), Some(ttl)) = (approval, ttl.filter(|_| ttl_ok(*ttl))) else {
                    return Self::refuse(Code::Exact("23514"));
                };
                let Some(prev) = self.config.get(gate).map(|r| r.value.clone()) else {
                    return Self::refuse(Code::Any);
                };
                let actor = actor.clone().unwrap_or_default();
                self.set(gate, "true");
                let row = LedgerRow {
                    gate_key: gate.clone(),
                    action: "open",
                    prev_value: Some(prev),
                    new_value: Some("true".to_owned()),
                    approval_id: Some(approval_uuid(*approval)),
                    ttl_seconds: Some(ttl),
                    expires_at: Some(self.now + i64::from(ttl) * 1_000_000),
                    actor: actor.clone(),
                    reason: Some(reason.clone()),
                    created_at: self.now,
                };
                let run = self.run("dot_iu_gate_open", "apply", &actor);
                self.commit(
                    Outcome::Opened,
                    Delta {
                        ledger: vec![row],
                        runs: vec![run],
                    },
                )
            }
            GateOp::Close {
                gate,
                actor,
                reason,
            } => {
                let class = GateClass::of(gate.as_deref());
                let (Some(gate), GateClass::Governable | GateClass::NeverFlip) = (gate, class)
                else {
                    return Self::refuse(Code::Exact("42501"));
                };
                if !actor_ok(actor.as_deref()) {
                    return Self::refuse(Code::Any);
                }
                let Some(prev) = self.config.get(gate).map(|r| r.value.clone()) else {
                    return Self::refuse(Code::Any);
                };
                let actor = actor.clone().unwrap_or_default();
                self.set(gate, "false");
                let row = LedgerRow {
                    gate_key: gate.clone(),
                    action: "close",
                    prev_value: Some(prev),
                    new_value: Some("false".to_owned()),
                    approval_id: None,
                    ttl_seconds: None,
                    expires_at: None,
                    actor: actor.clone(),
                    reason: Some(reason.clone()),
                    created_at: self.now,
                };
                let run = self.run("dot_iu_gate_close", "apply", &actor);
                self.commit(
                    Outcome::Closed,
                    Delta {
                        ledger: vec![row],
                        runs: vec![run],
                    },
                )
            }
            GateOp::Watchdog { actor } => {
                if !actor_ok(actor.as_deref()) {
                    return Self::refuse(Code::Any);
                }
                let actor = actor.clone().unwrap_or_default();
                let targets = self.watchdog_targets();
                let mut rows = Vec::with_capacity(targets.len());
                for key in &targets {
                    let prev = self.config.get(key).map(|r| r.value.clone());
                    self.set(key, "false");
                    rows.push(LedgerRow {
                        gate_key: key.clone(),
                        action: "watchdog_close",
                        prev_value: prev,
                        new_value: Some("false".to_owned()),
                        approval_id: None,
                        ttl_seconds: None,
                        expires_at: None,
                        actor: actor.clone(),
                        reason: None,
                        created_at: self.now,
                    });
                }
                let run = self.run("dot_iu_gate_watchdog", "apply", &actor);
                self.commit(
                    Outcome::Watchdog(targets),
                    Delta {
                        ledger: rows,
                        runs: vec![run],
                    },
                )
            }
            GateOp::Verify => Prediction {
                expect: Expect::Ok(Outcome::Verify(self.verify())),
                delta: Delta::default(),
            },
            GateOp::OobWrite { key, value } => {
                if self.config.contains_key(key) {
                    self.set(key, value);
                }
                Self::done()
            }
            GateOp::OobDelete { key } => {
                self.config.remove(key);
                Self::done()
            }
            GateOp::OobInsert { key, value } => {
                if self.config.contains_key(key) {
                    return Self::refuse(Code::Exact("23505"));
                }
                self.set(key, value);
                Self::done()
            }
            GateOp::TamperLedger { kind } => match kind {
                LedgerTamper::Update | LedgerTamper::Delete if self.ledger.is_empty() => {
                    Prediction {
                        expect: Expect::Unchanged,
                        delta: Delta::default(),
                    }
                }
                LedgerTamper::Truncate if self.ledger.is_empty() => Prediction {
                    expect: Expect::Unchanged,
                    delta: Delta::default(),
                },
                _ => Self::refuse(Code::Any),
            },
            GateOp::Log {
                command,
                run_mode,
                actor,
            } => {
                if catalog(command).is_none() || !actor_ok(actor.as_deref()) {
                    return Self::refuse(Code::Any);
                }
                if !["plan", "apply", "verify"].contains(&run_mode.as_str()) {
                    return Self::refuse(Code::Exact("23514"));
                }
                let run = self.run(command, run_mode, actor.as_deref().unwrap_or_default());
                self.commit(
                    Outcome::Done,
                    Delta {
                        ledger: Vec::new(),
                        runs: vec![run],
                    },
                )
            }
            GateOp::Rollback => {
                let open = GOVERNABLE
                    .iter()
                    .any(|k| self.config.get(*k).is_some_and(|r| is_open(&r.value)));
                if open {
                    return Self::refuse(Code::Any);
                }
                self.installed = false;
                self.config.clear();
                self.ledger.clear();
                self.runs.clear();
                Self::done()
            }
            GateOp::Reinstall => Self::refuse(Code::Any),
            GateOp::Advance { .. } | GateOp::AdvanceToExpiry { .. } => Self::done(),
        }
    }

    /// The seconds a clock operation moves the clock by (`None` for other operations).
    pub fn advance_seconds(&self, op: &GateOp) -> Option<i64> {
        match op {
            GateOp::Advance { seconds } => Some(*seconds),
            GateOp::AdvanceToExpiry { offset } => Some(
                GOVERNABLE
                    .iter()
                    .filter_map(|g| self.latest_open(g).and_then(|o| o.expires_at))
                    .filter(|e| *e >= self.now)
                    .min()
                    .map_or(0, |e| ((e - self.now) / 1_000_000 + offset).max(0)),
            ),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(gate: &str, ttl: i32) -> GateOp {
        GateOp::Open {
            gate: Some(gate.to_owned()),
            approval: Some(1),
            actor: Some("a".to_owned()),
            reason: None,
            ttl: Some(ttl),
        }
    }

    #[test]
    fn seed_self_test_t0_to_t9() {
        let mut m = Model::installed_default(EPOCH_US);
        assert!(m.verify().all_safe);
        let p = m.apply(&open("iu_core.composer_enabled", 60));
        assert_eq!(p.expect, Expect::Ok(Outcome::Opened));
        assert!(!m.verify().all_governed_closed && m.verify().never_flip_intact);
        for k in NEVER_FLIP {
            assert_eq!(
                m.apply(&open(k, 60)).expect,
                Expect::Err(Code::Exact("42501"))
            );
        }
        assert_eq!(
            m.apply(&open("iu_core.routes_master_enabled", 60)).expect,
            Expect::Err(Code::Exact("42501"))
        );
        let null_approval = GateOp::Open {
            gate: Some("iu_core.structure_ops_enabled".to_owned()),
            approval: None,
            actor: Some("a".to_owned()),
            reason: None,
            ttl: Some(60),
        };
        assert_eq!(
            m.apply(&null_approval).expect,
            Expect::Err(Code::Exact("23514"))
        );
        for ttl in [0, 3601, -1] {
            assert_eq!(
                m.apply(&open("iu_core.delivery_enabled", ttl)).expect,
                Expect::Err(Code::Exact("23514"))
            );
        }
        m.apply(&open("iu_core.delivery_enabled", 1));
        m.apply(&GateOp::Advance { seconds: 1 });
        let wd = GateOp::Watchdog {
            actor: Some("w".to_owned()),
        };
        // At exactly expires_at the gate is still open.
        assert_eq!(m.apply(&wd).expect, Expect::Ok(Outcome::Watchdog(vec![])));
        m.apply(&GateOp::Advance { seconds: 1 });
        assert_eq!(
            m.apply(&wd).expect,
            Expect::Ok(Outcome::Watchdog(vec![
                "iu_core.delivery_enabled".to_owned()
            ]))
        );
        let actions: Vec<_> = m.ledger.iter().map(|r| r.action).collect();
        assert_eq!(actions, ["open", "open", "watchdog_close"]);
        assert_eq!(m.apply(&GateOp::Rollback).expect, Expect::Err(Code::Any));
    }
}

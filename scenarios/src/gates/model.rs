//! The reference model of the gate protocol: a pure Rust state machine that
//! predicts, for every [`GateOp`], what the kernel may answer (a result, or a
//! refusal with one of some SQLSTATEs) and the exact rows a success adds to
//! dot_config, the ledger and the command-run log.
//!
//! It encodes CONTRACT.md v2 §4 and nothing of the reference kernel:
//! * a gate is *closed* iff its value is exactly 'false'; any other value and a
//!   missing row are open (verify_closed, watchdog, rollback guard);
//! * every timestamp is `kernel_now()`; an open's approval is *live* while
//!   `now <= expires_at`;
//! * the watchdog keeps an open governable gate open only if the gate's latest
//!   ledger row (inserted last) is an 'open' whose approval is live, and closes
//!   every other open governable gate (a missing row is written as 'false');
//! * re-opening an open gate and closing a closed gate are allowed and each
//!   writes its ledger row;
//! * every successful open, close and watchdog call writes exactly one
//!   command-run row for its own command, and every ledger row it writes points
//!   at that run; a refused call writes nothing;
//! * where the contract fixes an SQLSTATE (42501, 23514, 23502 | 23514 for a
//!   null actor, 55000 for a close refused on a missing row; PostgreSQL's own
//!   23505 for a duplicate key) the model predicts exactly that; where a call
//!   breaks several rules at once, any of their codes will do (the contract
//!   does not order the checks).
//!
//! Where the contract leaves the kernel a choice, a [`Step`] allows both the
//! refusal and the success, and the caller follows the one the kernel took:
//! a blank actor; open or close of a gate whose row is missing; a rollback
//! when nothing is installed; direct writes to the ledger (refused, or
//! silently without effect: append-only is judged by the rows).

use pgconform_contract::gates::{CLOSE_COMMAND, OPEN_COMMAND, WATCHDOG_COMMAND};
use pgconform_generators::gates::{
    approval_uuid, GateClass, GateOp, GATE_COMMANDS, GOVERNABLE, MAX_TTL_SECONDS, NEVER_FLIP,
};
use std::collections::{BTreeMap, BTreeSet};

/// The frozen clock's starting point: 2030-01-01T00:00:00Z, in µs since the Unix epoch.
pub const EPOCH_US: i64 = 1_893_456_000 * 1_000_000;

/// The same instant as a timestamptz literal.
pub const EPOCH_LITERAL: &str = "2030-01-01 00:00:00+00";

/// SQLSTATEs a null `p_actor` may be refused with (CONTRACT.md §4).
pub const NULL_ACTOR_CODES: [&str; 2] = ["23502", "23514"];

/// One dot_config row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRow {
    /// value.
    pub value: String,
    /// updated_at in µs; `None` when not predictable (written before the case began).
    pub updated_at: Option<i64>,
}

/// One ledger row as the model predicts it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LedgerRow {
    /// gate_key.
    pub gate_key: String,
    /// action: open, close, watchdog_close.
    pub action: &'static str,
    /// prev_value (null when the gate's row was missing).
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

/// One command-run row as the model predicts it (contract columns only).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunRow {
    /// command_name.
    pub command_name: String,
    /// actor.
    pub actor: String,
    /// created_at (µs).
    pub created_at: i64,
}

/// The SQLSTATEs a refusal may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// Any SQLSTATE (the contract only says "refuse").
    Any,
    /// One of these.
    OneOf(BTreeSet<&'static str>),
}

impl Code {
    /// Exactly `code`.
    pub fn exact(code: &'static str) -> Self {
        Self::OneOf([code].into())
    }

    /// One of `codes`.
    pub fn one_of(codes: &[&'static str]) -> Self {
        Self::OneOf(codes.iter().copied().collect())
    }

    /// Either this code or `other` (a call breaking two rules may report either).
    pub fn union(self, other: &Code) -> Self {
        match (self, other) {
            (Self::OneOf(mut a), Self::OneOf(b)) => {
                a.extend(b.iter().copied());
                Self::OneOf(a)
            }
            _ => Self::Any,
        }
    }

    /// Whether `sqlstate` is allowed.
    pub fn allows(&self, sqlstate: &str) -> bool {
        match self {
            Self::Any => true,
            Self::OneOf(set) => set.contains(sqlstate),
        }
    }

    /// Coverage labels: `sqlstate:<code>` each, or `sqlstate:refused`.
    pub fn labels(&self) -> Vec<String> {
        match self {
            Self::Any => vec!["sqlstate:refused".to_owned()],
            Self::OneOf(set) => set.iter().map(|c| format!("sqlstate:{c}")).collect(),
        }
    }
}

/// The output of `fn_iu_gate_verify_closed`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifyOut {
    /// The gates and their values (null for a missing row), by key.
    pub gates: BTreeMap<String, Option<String>>,
    /// all_governed_closed.
    pub all_governed_closed: bool,
    /// never_flip_intact.
    pub never_flip_intact: bool,
    /// all_safe.
    pub all_safe: bool,
}

impl VerifyOut {
    /// Whether a reported gate list agrees with `want` on `key`: a row's value
    /// exactly; a missing row (`want` = `None`) as null or not listed.
    pub fn reports(&self, key: &str, want: Option<&str>) -> bool {
        match (self.gates.get(key), want) {
            (Some(Some(v)), Some(w)) => v == w,
            (None | Some(None), None) => true,
            _ => false,
        }
    }

    /// Whether this (the kernel's report) agrees with `model`'s report.
    pub fn agrees_with(&self, model: &VerifyOut) -> bool {
        self.all_governed_closed == model.all_governed_closed
            && self.never_flip_intact == model.never_flip_intact
            && self.all_safe == model.all_safe
            && model
                .gates
                .iter()
                .all(|(k, v)| self.reports(k, v.as_deref()))
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Outcome {
    /// `{"status": "opened"}`.
    Opened,
    /// `{"status": "closed"}`.
    Closed,
    /// `{"closed": [...]}` (compared as a set).
    Watchdog(Vec<String>),
    /// verify_closed's report.
    Verify(VerifyOut),
    /// `gates-install` after a rollback: the caller re-reads the installed state.
    Reinstalled,
    /// Anything else that succeeds (a logger call, a write, a script, the clock).
    Done,
}

/// The rows a success adds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    /// New ledger rows, in gate-key order for a watchdog.
    pub ledger: Vec<LedgerRow>,
    /// New command-run rows (each new ledger row belongs to the step's one run).
    pub runs: Vec<RunRow>,
}

/// What a success must look like, and the state after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accept {
    /// The answer.
    pub outcome: Outcome,
    /// Rows added.
    pub delta: Delta,
    /// The state after the step.
    pub next: Model,
}

/// What the model allows for one step. At least one of `refuse` and `accept`
/// is set; when both are, the contract leaves the choice to the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The harness does not run this operation in this state (it probes
    /// objects whose survival after a rollback is the kernel's choice).
    pub skip: bool,
    /// A refusal (nothing changed) is allowed, with these SQLSTATEs.
    pub refuse: Option<Code>,
    /// A success is allowed, looking like this.
    pub accept: Option<Box<Accept>>,
    /// Coverage label of the choice the kernel has here, if any.
    pub choice: Option<&'static str>,
}

impl Step {
    fn skip() -> Self {
        Self {
            skip: true,
            refuse: None,
            accept: None,
            choice: None,
        }
    }

    fn refuse(code: Code) -> Self {
        Self {
            skip: false,
            refuse: Some(code),
            accept: None,
            choice: None,
        }
    }

    fn accept(outcome: Outcome, delta: Delta, next: Model) -> Self {
        Self {
            skip: false,
            refuse: None,
            accept: Some(Box::new(Accept {
                outcome,
                delta,
                next,
            })),
            choice: None,
        }
    }

    /// The state after the step when the kernel answered `ok` (`None` when that
    /// answer is not allowed).
    pub fn follow(&self, current: &Model, ok: bool) -> Option<Model> {
        if ok {
            self.accept.as_ref().map(|a| a.next.clone())
        } else {
            self.refuse.as_ref().map(|_| current.clone())
        }
    }
}

/// The model's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    /// Whether the protocol is installed (false after a successful rollback).
    pub installed: bool,
    /// The test clock (µs since the Unix epoch).
    pub now: i64,
    /// dot_config, by key (every key, gates or not).
    pub config: BTreeMap<String, ConfigRow>,
    /// The ledger, in insertion order.
    pub ledger: Vec<LedgerRow>,
}

/// Whether a stored gate value counts as open (anything but exactly 'false').
pub fn is_open(value: &str) -> bool {
    value != "false"
}

/// Whether a gate whose row holds `value` (`None`: no row) is open.
pub fn is_open_row(value: Option<&str>) -> bool {
    value.is_none_or(is_open)
}

fn ttl_ok(ttl: Option<i32>) -> bool {
    ttl.is_some_and(|t| t > 0 && t <= MAX_TTL_SECONDS)
}

/// The refusals a call's actor allows: `must` for null, `may` for blank.
fn actor_rules(actor: Option<&str>, must: &mut Vec<Code>, may: &mut Vec<Code>) {
    match actor {
        None => must.push(Code::one_of(&NULL_ACTOR_CODES)),
        Some(a) if a.trim().is_empty() => may.push(Code::Any),
        Some(_) => {}
    }
}

fn union_all(codes: &[Code]) -> Option<Code> {
    let mut it = codes.iter();
    let first = it.next()?.clone();
    Some(it.fold(first, Code::union))
}

/// Combine the refusal rules of a call with its success.
fn decide(
    must: &[Code],
    may: &[Code],
    choice: Option<&'static str>,
    accept: impl FnOnce() -> Step,
) -> Step {
    let all: Vec<Code> = must.iter().chain(may).cloned().collect();
    if !must.is_empty() {
        return Step::refuse(union_all(&all).unwrap_or(Code::Any));
    }
    let mut step = accept();
    if let Some(code) = union_all(may) {
        step.refuse = Some(code);
        step.choice = choice;
    }
    step
}

impl Model {
    /// The state right after an install: the nine gates 'false'.
    pub fn installed_default(now: i64) -> Self {
        let config: BTreeMap<String, String> = NEVER_FLIP
            .iter()
            .chain(GOVERNABLE.iter())
            .map(|k| ((*k).to_owned(), "false".to_owned()))
            .collect();
        Self::from_install(now, config)
    }

    /// The state right after an install that left dot_config as `config`
    /// (whose `updated_at` values the model does not predict), empty ledger.
    pub fn from_install(now: i64, config: BTreeMap<String, String>) -> Self {
        Self {
            installed: true,
            now,
            config: config
                .into_iter()
                .map(|(k, value)| {
                    (
                        k,
                        ConfigRow {
                            value,
                            updated_at: None,
                        },
                    )
                })
                .collect(),
            ledger: Vec::new(),
        }
    }

    fn value(&self, key: &str) -> Option<&str> {
        self.config.get(key).map(|r| r.value.as_str())
    }

    /// verify_closed's report over the current state.
    pub fn verify(&self) -> VerifyOut {
        let gates: BTreeMap<String, Option<String>> = NEVER_FLIP
            .iter()
            .chain(GOVERNABLE.iter())
            .map(|k| ((*k).to_owned(), self.value(k).map(str::to_owned)))
            .collect();
        let closed = |k: &&str| self.value(k) == Some("false");
        let all_governed_closed = GOVERNABLE.iter().all(closed);
        let never_flip_intact = NEVER_FLIP.iter().all(closed);
        VerifyOut {
            gates,
            all_governed_closed,
            never_flip_intact,
            all_safe: all_governed_closed && never_flip_intact,
        }
    }

    /// The latest 'open' row of `gate`, if any (used to move the clock).
    pub fn latest_open(&self, gate: &str) -> Option<&LedgerRow> {
        self.ledger
            .iter()
            .rev()
            .find(|r| r.gate_key == gate && r.action == "open")
    }

    /// Whether `gate`'s latest ledger row is an 'open' whose approval is live now.
    pub fn live_open(&self, gate: &str) -> bool {
        self.ledger
            .iter()
            .rev()
            .find(|r| r.gate_key == gate)
            .is_some_and(|r| r.action == "open" && r.expires_at.is_some_and(|e| self.now <= e))
    }

    /// Governable gates a watchdog run now must close, in key order.
    pub fn watchdog_targets(&self) -> Vec<String> {
        let mut keys: Vec<&str> = GOVERNABLE.to_vec();
        keys.sort_unstable();
        keys.into_iter()
            .filter(|k| is_open_row(self.value(k)) && !self.live_open(k))
            .map(str::to_owned)
            .collect()
    }

    /// A successful call of `command` by `actor`: `rows` appended to the
    /// ledger of `next`, all of them belonging to the call's one run row.
    fn accept_call(
        &self,
        mut next: Model,
        outcome: Outcome,
        rows: Vec<LedgerRow>,
        command: &str,
        actor: &str,
    ) -> Step {
        next.ledger.extend(rows.iter().cloned());
        let run = self.run(command, actor);
        Step::accept(
            outcome,
            Delta {
                ledger: rows,
                runs: vec![run],
            },
            next,
        )
    }

    fn run(&self, command: &str, actor: &str) -> RunRow {
        RunRow {
            command_name: command.to_owned(),
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

    /// Set gate `key` to `value` for `actor`; the ledger row recording it
    /// (`action`, from the value before).
    fn flip(&mut self, key: &str, action: &'static str, value: &str, actor: &str) -> LedgerRow {
        let prev = self.value(key).map(str::to_owned);
        self.set(key, value);
        self.ledger_row(key, action, prev, value, actor)
    }

    fn ledger_row(
        &self,
        gate: &str,
        action: &'static str,
        prev: Option<String>,
        new: &str,
        actor: &str,
    ) -> LedgerRow {
        LedgerRow {
            gate_key: gate.to_owned(),
            action,
            prev_value: prev,
            new_value: Some(new.to_owned()),
            approval_id: None,
            ttl_seconds: None,
            expires_at: None,
            actor: actor.to_owned(),
            reason: None,
            created_at: self.now,
        }
    }

    /// What the kernel may do for `op` in this state.
    #[allow(
        clippy::too_many_lines,
        reason = "the reference model: one arm per command, read side by side with the contract"
    )]
    pub fn step(&self, op: &GateOp) -> Step {
        if let Some(seconds) = self.advance_seconds(op) {
            let mut next = self.clone();
            next.now = next.now.saturating_add(seconds.saturating_mul(1_000_000));
            return Step::accept(Outcome::Done, Delta::default(), next);
        }
        if !self.installed {
            return self.step_uninstalled(op);
        }
        match op {
            GateOp::Open {
                gate,
                approval,
                actor,
                reason,
                ttl,
            } => {
                let (mut must, mut may) = (Vec::new(), Vec::new());
                let governable = GateClass::of(gate.as_deref()) == GateClass::Governable;
                if !governable {
                    must.push(Code::exact("42501"));
                }
                actor_rules(actor.as_deref(), &mut must, &mut may);
                if approval.is_none() || !ttl_ok(*ttl) {
                    must.push(Code::exact("23514"));
                }
                let key = gate.clone().unwrap_or_default();
                let missing = governable && self.value(&key).is_none();
                if missing {
                    may.push(Code::Any);
                }
                let choice = if missing {
                    Some("choice:open-missing-row")
                } else {
                    Some("choice:blank-actor")
                };
                decide(&must, &may, choice, || {
                    let actor = actor.clone().unwrap_or_default();
                    let ttl = ttl.unwrap_or_default();
                    let mut next = self.clone();
                    let row = LedgerRow {
                        approval_id: approval.map(approval_uuid),
                        ttl_seconds: Some(ttl),
                        expires_at: Some(self.now + i64::from(ttl) * 1_000_000),
                        reason: Some(reason.clone()),
                        ..next.flip(&key, "open", "true", &actor)
                    };
                    self.accept_call(next, Outcome::Opened, vec![row], OPEN_COMMAND, &actor)
                })
            }
            GateOp::Close {
                gate,
                actor,
                reason,
            } => {
                let (mut must, mut may) = (Vec::new(), Vec::new());
                let known = matches!(
                    GateClass::of(gate.as_deref()),
                    GateClass::Governable | GateClass::NeverFlip
                );
                if !known {
                    must.push(Code::exact("42501"));
                }
                actor_rules(actor.as_deref(), &mut must, &mut may);
                let key = gate.clone().unwrap_or_default();
                let missing = known && self.value(&key).is_none();
                if missing {
                    may.push(Code::exact("55000"));
                }
                let choice = if missing {
                    Some("choice:close-missing-row")
                } else {
                    Some("choice:blank-actor")
                };
                decide(&must, &may, choice, || {
                    let actor = actor.clone().unwrap_or_default();
                    let mut next = self.clone();
                    let row = LedgerRow {
                        reason: Some(reason.clone()),
                        ..next.flip(&key, "close", "false", &actor)
                    };
                    self.accept_call(next, Outcome::Closed, vec![row], CLOSE_COMMAND, &actor)
                })
            }
            GateOp::Watchdog { actor } => {
                let (mut must, mut may) = (Vec::new(), Vec::new());
                actor_rules(actor.as_deref(), &mut must, &mut may);
                decide(&must, &may, Some("choice:blank-actor"), || {
                    let actor = actor.clone().unwrap_or_default();
                    let targets = self.watchdog_targets();
                    let mut next = self.clone();
                    let rows = targets
                        .iter()
                        .map(|key| next.flip(key, "watchdog_close", "false", &actor))
                        .collect();
                    self.accept_call(
                        next,
                        Outcome::Watchdog(targets),
                        rows,
                        WATCHDOG_COMMAND,
                        &actor,
                    )
                })
            }
            GateOp::Verify => Step::accept(
                Outcome::Verify(self.verify()),
                Delta::default(),
                self.clone(),
            ),
            GateOp::OobWrite { key, value } => {
                let mut next = self.clone();
                if self.config.contains_key(key) {
                    next.set(key, value);
                }
                Step::accept(Outcome::Done, Delta::default(), next)
            }
            GateOp::OobDelete { key } => {
                let mut next = self.clone();
                next.config.remove(key);
                Step::accept(Outcome::Done, Delta::default(), next)
            }
            GateOp::OobInsert { key, value } => {
                if self.config.contains_key(key) {
                    return Step::refuse(Code::exact("23505"));
                }
                let mut next = self.clone();
                next.set(key, value);
                Step::accept(Outcome::Done, Delta::default(), next)
            }
            GateOp::TamperLedger { .. } => {
                // Append-only is judged by the rows: a refusal and a statement
                // that changes nothing (e.g. a rule) are both fine.
                let mut step = Step::accept(Outcome::Done, Delta::default(), self.clone());
                step.refuse = Some(Code::Any);
                step
            }
            GateOp::Log {
                command,
                run_mode,
                actor,
            } => {
                let (mut must, mut may) = (Vec::new(), Vec::new());
                if !GATE_COMMANDS.contains(&command.as_str()) {
                    must.push(Code::Any);
                }
                actor_rules(actor.as_deref(), &mut must, &mut may);
                if !["plan", "apply", "verify"].contains(&run_mode.as_str()) {
                    must.push(Code::exact("23514"));
                }
                decide(&must, &may, Some("choice:blank-actor"), || {
                    let actor = actor.as_deref().unwrap_or_default();
                    self.accept_call(self.clone(), Outcome::Done, Vec::new(), command, actor)
                })
            }
            GateOp::Rollback => {
                if GOVERNABLE.iter().any(|k| is_open_row(self.value(k))) {
                    return Step::refuse(Code::Any);
                }
                let next = Self {
                    installed: false,
                    now: self.now,
                    config: BTreeMap::new(),
                    ledger: Vec::new(),
                };
                Step::accept(Outcome::Done, Delta::default(), next)
            }
            GateOp::Reinstall => Step::refuse(Code::Any),
            GateOp::Advance { .. } | GateOp::AdvanceToExpiry { .. } => {
                Step::accept(Outcome::Done, Delta::default(), self.clone())
            }
        }
    }

    fn step_uninstalled(&self, op: &GateOp) -> Step {
        match op {
            GateOp::Open { .. }
            | GateOp::Close { .. }
            | GateOp::Watchdog { .. }
            | GateOp::Verify => Step::refuse(Code::Any),
            // dot_config, the ledger and the logger may or may not survive a
            // rollback (the kernel's choice): not probed until a reinstall.
            GateOp::OobWrite { .. }
            | GateOp::OobDelete { .. }
            | GateOp::OobInsert { .. }
            | GateOp::TamperLedger { .. }
            | GateOp::Log { .. } => Step::skip(),
            GateOp::Rollback => {
                let mut step = Step::accept(Outcome::Done, Delta::default(), self.clone());
                step.refuse = Some(Code::Any);
                step.choice = Some("choice:rollback-uninstalled");
                step
            }
            GateOp::Reinstall => {
                let next = Self::installed_default(self.now);
                Step::accept(Outcome::Reinstalled, Delta::default(), next)
            }
            GateOp::Advance { .. } | GateOp::AdvanceToExpiry { .. } => {
                Step::accept(Outcome::Done, Delta::default(), self.clone())
            }
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

    /// Follow `op` the way a kernel making the reference choices would (success
    /// where allowed): for coverage and model-only tests.
    pub fn apply_preferring_success(&mut self, op: &GateOp) -> Step {
        let step = self.step(op);
        if let Some(a) = &step.accept {
            *self = a.next.clone();
        }
        step
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

    fn must_refuse(m: &Model, op: &GateOp, code: &'static str) {
        let s = m.step(op);
        assert!(s.accept.is_none(), "{op:?} must be refused");
        assert_eq!(s.refuse, Some(Code::exact(code)), "{op:?}");
    }

    fn wd() -> GateOp {
        GateOp::Watchdog {
            actor: Some("w".to_owned()),
        }
    }

    fn watchdog_closes(m: &mut Model) -> Vec<String> {
        match m.apply_preferring_success(&wd()).accept.map(|a| a.outcome) {
            Some(Outcome::Watchdog(keys)) => keys,
            other => panic!("watchdog: {other:?}"),
        }
    }

    #[test]
    fn seed_self_test_t0_to_t9() {
        let mut m = Model::installed_default(EPOCH_US);
        assert!(m.verify().all_safe);
        m.apply_preferring_success(&open("iu_core.composer_enabled", 60));
        assert!(!m.verify().all_governed_closed && m.verify().never_flip_intact);
        for k in NEVER_FLIP {
            must_refuse(&m, &open(k, 60), "42501");
        }
        must_refuse(&m, &open("iu_core.routes_master_enabled", 60), "42501");
        let null_approval = GateOp::Open {
            gate: Some("iu_core.structure_ops_enabled".to_owned()),
            approval: None,
            actor: Some("a".to_owned()),
            reason: None,
            ttl: Some(60),
        };
        must_refuse(&m, &null_approval, "23514");
        for ttl in [0, 3601, -1] {
            must_refuse(&m, &open("iu_core.delivery_enabled", ttl), "23514");
        }
        m.apply_preferring_success(&open("iu_core.delivery_enabled", 1));
        m.apply_preferring_success(&GateOp::Advance { seconds: 1 });
        // At exactly expires_at the approval is still live.
        assert!(watchdog_closes(&mut m).is_empty());
        m.apply_preferring_success(&GateOp::Advance { seconds: 1 });
        assert_eq!(watchdog_closes(&mut m), ["iu_core.delivery_enabled"]);
        let actions: Vec<_> = m.ledger.iter().map(|r| r.action).collect();
        assert_eq!(actions, ["open", "open", "watchdog_close"]);
        let rb = m.step(&GateOp::Rollback);
        assert!(rb.accept.is_none() && rb.refuse == Some(Code::Any));
    }

    #[test]
    fn hand_set_true_after_close_is_closed_while_the_approval_is_live() {
        let mut m = Model::installed_default(EPOCH_US);
        let g = "iu_core.composer_enabled";
        m.apply_preferring_success(&open(g, 3600));
        m.apply_preferring_success(&GateOp::Close {
            gate: Some(g.to_owned()),
            actor: Some("a".to_owned()),
            reason: None,
        });
        m.apply_preferring_success(&GateOp::OobWrite {
            key: g.to_owned(),
            value: "true".to_owned(),
        });
        assert_eq!(watchdog_closes(&mut m), [g]);
    }

    #[test]
    fn a_missing_governable_row_is_open_and_the_watchdog_recreates_it() {
        let mut m = Model::installed_default(EPOCH_US);
        let g = "queue.dlq.replay_enabled";
        m.apply_preferring_success(&GateOp::OobDelete { key: g.to_owned() });
        assert!(!m.verify().all_governed_closed);
        assert!(m.step(&GateOp::Rollback).accept.is_none());
        assert_eq!(watchdog_closes(&mut m), [g]);
        assert_eq!(m.value(g), Some("false"));
        assert_eq!(m.ledger.last().and_then(|r| r.prev_value.clone()), None);
    }

    #[test]
    fn choices_allow_both_outcomes() {
        let m = Model::installed_default(EPOCH_US);
        let blank = GateOp::Watchdog {
            actor: Some(" ".to_owned()),
        };
        let s = m.step(&blank);
        assert!(s.accept.is_some() && s.refuse == Some(Code::Any));
        let null = GateOp::Watchdog { actor: None };
        let s = m.step(&null);
        assert!(s.accept.is_none() && s.refuse == Some(Code::one_of(&NULL_ACTOR_CODES)));
        let mut gone = m.clone();
        gone.apply_preferring_success(&GateOp::OobDelete {
            key: "iu_core.delivery_enabled".to_owned(),
        });
        let close = GateOp::Close {
            gate: Some("iu_core.delivery_enabled".to_owned()),
            actor: Some("a".to_owned()),
            reason: None,
        };
        let s = gone.step(&close);
        assert!(s.accept.is_some() && s.refuse == Some(Code::exact("55000")));
        let mut rolled = m.clone();
        rolled.apply_preferring_success(&GateOp::Rollback);
        let s = rolled.step(&GateOp::Rollback);
        assert!(s.accept.is_some() && s.refuse.is_some());
    }
}

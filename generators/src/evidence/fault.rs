//! Faults of evidence-bound body changes, and the inputs of the restore,
//! fail-closed and no-source properties.

use super::acl::{arb_grants, arb_roles, GrantSpec, RoleSpec};
use super::function::{arb_fn_family, arb_fn_spec, arb_name, FnFamily, FnSpec};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// A generated function case: a family of overloads (the targets), one
/// function with another name, roles and grants. Object indices of grants
/// count the family members first, then `other`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FnCase {
    /// Schema name (may need quoting).
    pub schema: String,
    /// Overloads sharing one name.
    pub family: FnFamily,
    /// A function with a different name (for "evidence bound to another object").
    pub other: FnSpec,
    /// Case roles.
    pub roles: Vec<RoleSpec>,
    /// Grants (EXECUTE) applied after creation.
    pub grants: Vec<GrantSpec>,
    /// Revoke the default `EXECUTE` from PUBLIC on every function first.
    pub revoke_public_default: bool,
}

/// A function case.
pub fn arb_fn_case() -> impl Strategy<Value = FnCase> {
    // tuple order is shrink order: the functions first, then the noise
    (
        arb_fn_family(3),
        arb_fn_spec(),
        arb_grants(5),
        arb_roles(3),
        any::<bool>(),
        arb_name(),
    )
        .prop_map(
            |(family, other, grants, roles, revoke_public_default, schema)| FnCase {
                schema,
                family,
                other,
                roles,
                grants,
                revoke_public_default,
            },
        )
}

/// How a stored body is tampered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tamper {
    /// Flip one bit of byte `i % len`.
    FlipBit(u16),
    /// Append a space.
    Append,
    /// Drop the last byte.
    Truncate,
    /// Replace it with another function's definition.
    OtherDefinition,
}

/// How a pin is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WrongPin {
    /// A random sha256.
    Random(u64),
    /// The live hash of another function.
    OtherFunction,
    /// The sealed hash, but the function changed after sealing (stub only).
    StaleLive,
}

/// Which other object the evidence is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WrongObject {
    /// An overload with the same name (falls back to `Other` without one).
    Sibling,
    /// A function with another name.
    Other,
}

/// A fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// An evidence id that is not in the registry.
    Missing(u64),
    /// Revoked evidence.
    Revoked,
    /// Expired: the clock is advanced to `valid_until + extra_secs`
    /// (0 is the exact boundary, already expired).
    Expired {
        /// Seconds past `valid_until`.
        extra_secs: u32,
    },
    /// Registered without a read-back (`last_readback_at` NULL).
    NeverReadBack,
    /// The stored body no longer hashes to `artifact_sha256`.
    Tampered(Tamper),
    /// The pin does not match.
    WrongPin(WrongPin),
    /// Valid evidence, but of another object.
    WrongObject(WrongObject),
    /// Two valid artifacts carry the pinned hash (hash lookup only).
    Ambiguous,
}

impl Fault {
    /// Whether this fault is a state of the evidence itself (revoked,
    /// expired, never read back, tampered), which can befall evidence at any
    /// point of its life; the others are properties of the call.
    pub fn is_lifecycle(&self) -> bool {
        matches!(
            self,
            Fault::Revoked | Fault::Expired { .. } | Fault::NeverReadBack | Fault::Tampered(_)
        )
    }

    /// Coverage name (`fault:<kind>`).
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Missing(_) => "missing",
            Fault::Revoked => "revoked",
            Fault::Expired { .. } => "expired",
            Fault::NeverReadBack => "never_read_back",
            Fault::Tampered(_) => "tampered",
            Fault::WrongPin(_) => "wrong_pin",
            Fault::WrongObject(_) => "wrong_object",
            Fault::Ambiguous => "ambiguous",
        }
    }
}

/// The operation a fault is aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaultOp {
    /// `stub_fail_closed` on a function in its original state.
    Stub,
    /// `restore_function` on a stubbed function.
    Restore,
    /// `restore_function_by_hash` on a stubbed function.
    RestoreByHash,
    /// `replay_owner_acl` after owners/ACLs were disturbed.
    Replay,
}

impl FaultOp {
    /// Coverage name.
    pub fn name(self) -> &'static str {
        match self {
            FaultOp::Stub => "stub",
            FaultOp::Restore => "restore",
            FaultOp::RestoreByHash => "restore_by_hash",
            FaultOp::Replay => "replay",
        }
    }
}

/// When, in the life of the evidence the operation relies on, a lifecycle
/// fault is injected (CONTRACT.md §3, EVID-FAILCLOSED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FaultPoint {
    /// Right after sealing.
    #[default]
    AfterSeal,
    /// After a successful read-back (`readback_verify` answered true).
    AfterReadback,
    /// After a successful use of the same evidence: for a stub, a stub and a
    /// restore made with it; for a restore or the hash lookup, the stub made
    /// with it (so the fault comes just before the restore); for a replay, a
    /// replay of it.
    AfterUse,
}

impl FaultPoint {
    /// Coverage name (`point:<name>`).
    pub fn name(self) -> &'static str {
        match self {
            FaultPoint::AfterSeal => "after_seal",
            FaultPoint::AfterReadback => "after_readback",
            FaultPoint::AfterUse => "after_use",
        }
    }
}

/// One faulty attempt: must refuse and change nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultStep {
    /// The operation.
    pub op: FaultOp,
    /// The fault.
    pub fault: Fault,
    /// Target family member (index mod member count).
    pub target: u8,
    /// When a lifecycle fault is injected ([`FaultPoint::AfterSeal`] for the
    /// others, and in case files recorded before it existed).
    #[serde(default)]
    pub when: FaultPoint,
}

impl FaultStep {
    /// Whether the step means anything: the fault applies to the operation,
    /// and only lifecycle faults have a point other than right after sealing
    /// (the strategy generates only such steps; recorded ones are checked
    /// again).
    pub fn applicable(&self) -> bool {
        let pair = match (self.op, self.fault) {
            (op, Fault::Ambiguous) => op == FaultOp::RestoreByHash,
            (FaultOp::Replay, Fault::WrongPin(_)) => false,
            (op, Fault::WrongPin(WrongPin::StaleLive)) => op == FaultOp::Stub,
            _ => true,
        };
        pair && (self.fault.is_lifecycle() || self.when == FaultPoint::AfterSeal)
    }
}

fn arb_tamper() -> impl Strategy<Value = Tamper> {
    // appending whitespace keeps a snapshot valid JSON: only the hash check
    // can tell, so it is the strongest tamper and the most frequent one
    prop_oneof![
        3 => Just(Tamper::Append),
        1 => any::<u16>().prop_map(Tamper::FlipBit),
        1 => Just(Tamper::Truncate),
        1 => Just(Tamper::OtherDefinition),
    ]
}

fn arb_common_fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        any::<u64>().prop_map(Fault::Missing),
        Just(Fault::Revoked),
        // mostly the exact boundary: valid_until itself is already expired
        prop_oneof![3 => Just(0u32), 1 => Just(1), 1 => 2u32..=100_000]
            .prop_map(|extra_secs| Fault::Expired { extra_secs }),
        Just(Fault::NeverReadBack),
        arb_tamper().prop_map(Fault::Tampered),
    ]
}

fn arb_wrong_object() -> impl Strategy<Value = Fault> {
    prop_oneof![
        3 => Just(Fault::WrongObject(WrongObject::Sibling)),
        1 => Just(Fault::WrongObject(WrongObject::Other)),
    ]
}

/// A fault that applies to `op`.
pub fn arb_fault_for(op: FaultOp) -> BoxedStrategy<Fault> {
    match op {
        FaultOp::Stub => prop_oneof![
            5 => arb_common_fault(),
            2 => prop_oneof![
                any::<u64>().prop_map(WrongPin::Random),
                Just(WrongPin::OtherFunction),
                Just(WrongPin::StaleLive),
            ].prop_map(Fault::WrongPin),
            1 => arb_wrong_object(),
        ]
        .boxed(),
        FaultOp::Restore => prop_oneof![
            5 => arb_common_fault(),
            3 => prop_oneof![
                any::<u64>().prop_map(WrongPin::Random),
                Just(WrongPin::OtherFunction),
            ].prop_map(Fault::WrongPin),
            3 => arb_wrong_object(),
        ]
        .boxed(),
        FaultOp::RestoreByHash => prop_oneof![
            5 => arb_common_fault(),
            3 => Just(Fault::Ambiguous),
            2 => arb_wrong_object(),
        ]
        .boxed(),
        FaultOp::Replay => prop_oneof![
            5 => arb_common_fault(),
            3 => arb_tamper().prop_map(Fault::Tampered),
            1 => Just(Fault::WrongObject(WrongObject::Other)),
        ]
        .boxed(),
    }
}

/// One fault step.
pub fn arb_fault_step() -> impl Strategy<Value = FaultStep> {
    (
        prop_oneof![
            Just(FaultOp::Stub),
            Just(FaultOp::Restore),
            Just(FaultOp::RestoreByHash),
            Just(FaultOp::Replay),
        ],
        any::<u8>(),
    )
        .prop_flat_map(|(op, target)| {
            (
                arb_fault_for(op),
                prop_oneof![
                    Just(FaultPoint::AfterSeal),
                    Just(FaultPoint::AfterReadback),
                    Just(FaultPoint::AfterUse),
                ],
            )
                .prop_map(move |(fault, when)| FaultStep {
                    op,
                    fault,
                    target,
                    when: if fault.is_lifecycle() {
                        when
                    } else {
                        FaultPoint::AfterSeal
                    },
                })
        })
}

/// Input of EVID-FAILCLOSED.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailClosedInput {
    /// The functions.
    pub case: FnCase,
    /// Faulty attempts, in order, each on the then-current state.
    pub steps: Vec<FaultStep>,
}

/// EVID-FAILCLOSED input: a function case and 1..=8 faulty attempts.
pub fn arb_fail_closed_input() -> impl Strategy<Value = FailClosedInput> {
    // steps first: shrinking drops irrelevant steps before touching the case
    (
        prop::collection::vec(arb_fault_step(), 1..=8),
        arb_fn_case(),
    )
        .prop_map(|(steps, case)| FailClosedInput { case, steps })
}

/// A decoy next to the one valid artifact of a hash lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decoy {
    /// A revoked copy.
    Revoked,
    /// A copy that expired (short validity, clock advanced past it).
    Expired,
    /// A copy registered without read-back.
    NeverReadBack,
}

/// Input of EVID-RESTORE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreInput {
    /// The functions.
    pub case: FnCase,
    /// Which family members to stub and restore (indices mod count; at least one).
    pub targets: Vec<u8>,
    /// Also `revoke_only` each target before restoring (owner and ACL come back by replay).
    pub isolate: bool,
    /// Restore through `restore_function_by_hash` instead of by evidence id.
    pub by_hash: bool,
    /// Invalid copies of the source next to the valid one.
    pub decoys: Vec<Decoy>,
}

/// EVID-RESTORE input.
pub fn arb_restore_input() -> impl Strategy<Value = RestoreInput> {
    (
        prop::collection::vec(any::<u8>(), 1..=3),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(
            prop_oneof![
                Just(Decoy::Revoked),
                Just(Decoy::Expired),
                Just(Decoy::NeverReadBack)
            ],
            0..=2,
        ),
        arb_fn_case(),
    )
        .prop_map(|(targets, isolate, by_hash, decoys, case)| RestoreInput {
            case,
            targets,
            isolate,
            by_hash,
            decoys,
        })
}

/// An attempt to change a body without a sealed source of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoSourceAttempt {
    /// `stub_fail_closed(f, live pin, NULL)`.
    NullEvidence,
    /// An evidence id that does not exist.
    MissingEvidence(u64),
    /// Valid evidence of another function's definition.
    OtherDefinition,
    /// Valid evidence of arbitrary bytes.
    RandomBody(u64),
    /// The right body, registered without read-back.
    UnreadCopy,
    /// The right body, sealed then revoked.
    RevokedCopy,
    /// `restore_function_by_hash` with the live pin and nothing sealed.
    RestoreByHash,
}

impl NoSourceAttempt {
    /// Coverage name.
    pub fn name(&self) -> &'static str {
        match self {
            NoSourceAttempt::NullEvidence => "null_evidence",
            NoSourceAttempt::MissingEvidence(_) => "missing",
            NoSourceAttempt::OtherDefinition => "wrong_object",
            NoSourceAttempt::RandomBody(_) => "random_body",
            NoSourceAttempt::UnreadCopy => "never_read_back",
            NoSourceAttempt::RevokedCopy => "revoked",
            NoSourceAttempt::RestoreByHash => "by_hash_no_source",
        }
    }
}

/// Input of EVID-NO-SOURCE-NO-CHANGE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoSourceInput {
    /// The functions.
    pub case: FnCase,
    /// Target family member (index mod count).
    pub target: u8,
    /// Attempts before and after `revoke_only`.
    pub attempts: Vec<NoSourceAttempt>,
}

/// EVID-NO-SOURCE-NO-CHANGE input.
pub fn arb_no_source_input() -> impl Strategy<Value = NoSourceInput> {
    (
        any::<u8>(),
        prop::collection::vec(
            prop_oneof![
                Just(NoSourceAttempt::NullEvidence),
                any::<u64>().prop_map(NoSourceAttempt::MissingEvidence),
                Just(NoSourceAttempt::OtherDefinition),
                any::<u64>().prop_map(NoSourceAttempt::RandomBody),
                Just(NoSourceAttempt::UnreadCopy),
                Just(NoSourceAttempt::RevokedCopy),
                Just(NoSourceAttempt::RestoreByHash),
            ],
            1..=4,
        ),
        arb_fn_case(),
    )
        .prop_map(|(target, attempts, case)| NoSourceInput {
            case,
            target,
            attempts,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::samples;

    fn round_trips<T>(strategy: impl Strategy<Value = T>)
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        for v in samples(strategy, 200) {
            let json = serde_json::to_value(&v).expect("serialisable input");
            let back: T = serde_json::from_value(json).expect("deserialisable input");
            assert_eq!(back, v);
        }
    }

    #[test]
    fn inputs_replay_from_json() {
        round_trips(arb_fail_closed_input());
        round_trips(arb_restore_input());
        round_trips(arb_no_source_input());
        round_trips(crate::evidence::arb_acl_input());
        round_trips(crate::evidence::arb_immutable_input());
    }

    #[test]
    fn steps_recorded_before_fault_points_replay() {
        let old = r#"{"op": "Restore", "fault": "Revoked", "target": 1}"#;
        let s: FaultStep = serde_json::from_str(old).expect("a v1 step");
        assert_eq!(s.when, FaultPoint::AfterSeal);
        assert!(s.applicable());
    }

    #[test]
    fn faults_fit_their_operation() {
        for s in samples(arb_fault_step(), 500) {
            match (s.op, s.fault) {
                (op, Fault::Ambiguous) => assert_eq!(op, FaultOp::RestoreByHash),
                (FaultOp::Replay, Fault::WrongPin(_)) => panic!("replay has no pin"),
                (op, Fault::WrongPin(WrongPin::StaleLive)) => assert_eq!(op, FaultOp::Stub),
                _ => {}
            }
            assert!(s.applicable(), "{s:?}");
        }
    }
}

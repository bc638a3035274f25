//! Invariants of the gate protocol (CONTRACT.md §4, seed 003): a reference
//! model of the protocol run step by step against the kernel, independent
//! checks of never-flip, watchdog and ledger, concurrent sessions, and the
//! install / rollback lifecycle compared by the harness's own catalog snapshot.

pub mod concurrent;
pub mod exec;
pub mod invariants;
pub mod lifecycle;
pub mod model;
pub mod model_check;

use crate::invariant::Invariant;
use crate::property::boxed;
use pgconform_generators::gates::{ttl_class, GateClass, GateOp};
use std::collections::BTreeSet;

/// The seed document of this suite.
pub const SEED: &str = "003_6f4c9ecdb3b37fca.txt";

/// The suite's invariant IDs (CONTRACT.md §4).
pub struct InvariantIds;

impl InvariantIds {
    /// GATE-MODEL.
    pub const MODEL: &'static str = "GATE-MODEL";
    /// GATE-NEVER-FLIP.
    pub const NEVER_FLIP: &'static str = "GATE-NEVER-FLIP";
    /// GATE-WATCHDOG.
    pub const WATCHDOG: &'static str = "GATE-WATCHDOG";
    /// GATE-LEDGER.
    pub const LEDGER: &'static str = "GATE-LEDGER";
    /// GATE-CONCURRENT.
    pub const CONCURRENT: &'static str = "GATE-CONCURRENT";
    /// GATE-ROLLBACK.
    pub const ROLLBACK: &'static str = "GATE-ROLLBACK";
    /// GATE-DRYRUN.
    pub const DRYRUN: &'static str = "GATE-DRYRUN";
}

/// The gates invariants.
pub fn invariants() -> Vec<Box<dyn Invariant>> {
    vec![
        boxed(model_check::GateModel::new()),
        boxed(invariants::GateNeverFlip::new()),
        boxed(invariants::GateWatchdog::new()),
        boxed(invariants::GateLedger::new()),
        boxed(concurrent::GateConcurrent::new()),
        boxed(lifecycle::GateRollback::new()),
        boxed(lifecycle::GateDryRun::new()),
    ]
}

/// Coverage classes of an operation sequence: `op:<kind>`, `gate:<class>`,
/// `ttl:<class>`, `sqlstate:<code>` for every refusal the reference model
/// allows (`sqlstate:refused` where any SQLSTATE will do), and
/// `choice:<what>` where the contract leaves the kernel a choice.
pub fn coverage_of(ops: &[GateOp]) -> Vec<String> {
    let mut out = BTreeSet::new();
    let mut m = model::Model::installed_default(model::EPOCH_US);
    for op in ops {
        out.insert(format!("op:{}", op.kind()));
        if let Some(gate) = op.gate() {
            out.insert(format!("gate:{}", GateClass::of(gate).label()));
        }
        if let GateOp::Open { ttl, .. } = op {
            out.insert(format!("ttl:{}", ttl_class(*ttl)));
        }
        let step = m.apply_preferring_success(op);
        if let Some(code) = &step.refuse {
            out.extend(code.labels());
        }
        if let Some(choice) = step.choice {
            out.insert(choice.to_owned());
        }
    }
    out.into_iter().collect()
}

//! The durability suite (CONTRACT.md §1) against the bundled kernel and its
//! mutants: every invariant holds on the kernel, and every mutant is killed
//! by one of the invariants its header names, with a small shrunk case.

use pgconform::testkit::{self, describe, TestRun};
use rstest::rstest;
use std::path::PathBuf;

#[rstest]
#[case("DUR-RT", 12)]
#[case("DUR-TAMPER", 12)]
#[case("DUR-ISOLATION", 8)]
#[case("DUR-DETERMINISM", 8)]
#[case("DUR-ORDER", 8)]
#[case("DUR-GENERATED", 8)]
#[case("DUR-PROJECTION", 8)]
#[case("DUR-APERTURE", 3)]
#[case("DUR-WIRING", 3)]
#[case("DUR-IMMUTABLE", 2)]
#[case("DUR-HOSTILE", 12)]
#[case("DUR-FAILCLOSED", 6)]
fn kernel_holds(#[case] id: &str, #[case] cases: u32) {
    testkit::assert_kernel_holds(id, &TestRun::seed(1000).cases(cases));
}

/// `(agents, rows)` of a shrunk durability input; `(0, 0)` when it carries
/// no history (proof corruptions).
fn shrunk_size(input: &serde_json::Value) -> (usize, usize) {
    let history = input.get("history").unwrap_or(input);
    let Some(agents) = history.get("agents").and_then(|a| a.as_array()) else {
        return (0, 0);
    };
    let rows = agents
        .iter()
        .flat_map(|a| a["commits"].as_array().cloned().unwrap_or_default())
        .map(|c| {
            1 + c["artifacts"].as_array().map_or(0, |b| {
                b.iter()
                    .map(|x| x["rows"].as_array().map_or(0, Vec::len))
                    .sum()
            })
        })
        .sum();
    (agents.len(), rows)
}

#[rstest]
fn mutant_killed(#[files("../kernel/mutants/durability/*.sql")] path: PathBuf) {
    let r =
        testkit::first_kill(&path, |_| vec![TestRun::seed(1000)]).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{}", describe(&r));
    let f = r
        .failures
        .first()
        .expect("a failed invariant records its failure");
    let (agents, rows) = shrunk_size(&f.input);
    // Readable counterexamples: one agent (two where the mutant is about
    // another agent's rows), few rows.
    assert!(agents <= 2, "shrunk to {agents} agents: {}", describe(&r));
    assert!(rows <= 6, "shrunk to {rows} rows: {}", describe(&r));
}

//! The durability suite (CONTRACT.md §1) against the bundled kernel and its
//! mutants: every invariant holds on the kernel, and every mutant is killed
//! by one of the invariants its header names, with a small shrunk case.

use pgconform::testkit::{self, TestRun};
use pgconform_reports::{InvariantResult, Verdict};
use rstest::rstest;
use std::path::{Path, PathBuf};

fn describe(r: &InvariantResult) -> String {
    let mut s = format!(
        "{} {:?} after {} cases in {} ms",
        r.id, r.verdict, r.cases, r.duration_ms
    );
    if let Some(e) = &r.error {
        s.push_str(&format!("\nerror: {e}"));
    }
    for f in &r.failures {
        s.push_str(&format!(
            "\nfailure: {}\nexpected: {:?}\nactual: {:?}\nsqlstate: {:?}\nsql: {:?}\nshrink steps: {}\ninput: {}",
            f.detail.message,
            f.detail.expected,
            f.detail.actual,
            f.detail.sqlstate,
            f.detail.sql,
            f.shrink_steps,
            f.input
        ));
    }
    s
}

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
    let r = testkit::run_invariant(
        id,
        &TestRun {
            cases: Some(cases),
            seed: 1000,
            ..TestRun::default()
        },
    )
    .expect("run");
    eprintln!("{}", describe(&r));
    assert_eq!(r.verdict, Verdict::Passed, "{}", describe(&r));
    assert_eq!(r.cases, u64::from(cases), "{}", describe(&r));
}

fn kills_of(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("read mutant");
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("-- kills:"))
        .expect("kills header");
    line.split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
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
    let kills = kills_of(&path);
    assert!(!kills.is_empty(), "{} names no invariant", path.display());
    let mut tried = Vec::new();
    for id in &kills {
        let r = testkit::run_invariant(
            id,
            &TestRun {
                cases: None,
                seed: 1000,
                mutant: Some(path.clone()),
                no_shrink: false,
                shrink_time: None,
            },
        )
        .expect("run");
        eprintln!("{}", describe(&r));
        assert_ne!(r.verdict, Verdict::Error, "{}", describe(&r));
        if r.verdict == Verdict::Failed {
            let f = r
                .failures
                .first()
                .expect("a failed invariant records its failure");
            let (agents, rows) = shrunk_size(&f.input);
            // Readable counterexamples: one agent (two where the mutant is
            // about another agent's rows), few rows.
            assert!(agents <= 2, "shrunk to {agents} agents: {}", describe(&r));
            assert!(rows <= 6, "shrunk to {rows} rows: {}", describe(&r));
            return;
        }
        tried.push(describe(&r));
    }
    panic!(
        "{} survived every invariant it names:\n{}",
        path.display(),
        tried.join("\n")
    );
}

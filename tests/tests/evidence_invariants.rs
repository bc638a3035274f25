//! The evidence suite (CONTRACT.md §3, seeds 001 and 004) against the bundled
//! kernel and its mutants.

use pgconform::testkit;
use pgconform_reports::{InvariantResult, Verdict};
use pgconform_scenarios::invariant::{RunContext, ShrinkPolicy, Suite};
use pgconform_scenarios::registry::{self, Options};
use rstest::rstest;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

const SEED: u64 = 1001;

/// Shrinking bound for these tests: enough to drop irrelevant steps and most
/// of the generated case, short enough for the suite's time budget.
const SHRINK: Duration = Duration::from_secs(12);

/// Run invariant `id` on the bundled kernel (+ `mutant`); `cases` None runs
/// the invariant's default count.
fn run(id: &str, cases: Option<u32>, mutant: Option<&Path>) -> InvariantResult {
    let all = registry::all(&Options::default());
    let inv = all
        .iter()
        .find(|i| i.meta().id == id)
        .unwrap_or_else(|| panic!("no invariant {id}"));
    let sb = testkit::sandbox(mutant).expect("sandbox");
    let cancel = AtomicBool::new(false);
    let progress = |_: u64, _: u64| {};
    inv.run(&RunContext {
        sandbox: sb.as_ref(),
        cases,
        seed: SEED,
        shrink: ShrinkPolicy {
            disabled: false,
            max_time: SHRINK,
        },
        deadline: None,
        cancel: &cancel,
        progress: &progress,
    })
}

fn describe(r: &InvariantResult) -> String {
    let mut s = format!("{} {:?} after {} cases", r.id, r.verdict, r.cases);
    if let Some(e) = &r.error {
        s.push_str(&format!("\nerror: {e}"));
    }
    for f in &r.failures {
        s.push_str(&format!(
            "\nfailure: {}\nexpected: {}\nactual: {}\nsql: {:?}\nsqlstate: {:?}\ninput: {}",
            f.detail.message,
            f.detail.expected.as_deref().unwrap_or("-"),
            f.detail.actual.as_deref().unwrap_or("-"),
            f.detail.sql,
            f.detail.sqlstate,
            f.input
        ));
    }
    s
}

#[rstest]
#[case("EVID-RESTORE", 10)]
#[case("EVID-FAILCLOSED", 10)]
#[case("EVID-NO-SOURCE-NO-CHANGE", 10)]
#[case("EVID-IMMUTABLE", 10)]
#[case("EVID-ACL", 10)]
fn kernel_holds(#[case] id: &str, #[case] cases: u32) {
    let r = run(id, Some(cases), None);
    assert_eq!(r.verdict, Verdict::Passed, "{}", describe(&r));
    assert_eq!(r.cases, u64::from(cases), "{}", describe(&r));
    for class in ["lang:", "security:"] {
        if id != "EVID-IMMUTABLE" {
            assert!(
                r.coverage.keys().any(|k| k.starts_with(class)),
                "{id} covers no {class}: {:?}",
                r.coverage
            );
        }
    }
}

#[test]
fn suite_lists_every_contract_invariant() {
    let ids = testkit::suite_ids(Suite::Evidence);
    for id in [
        "EVID-RESTORE",
        "EVID-FAILCLOSED",
        "EVID-NO-SOURCE-NO-CHANGE",
        "EVID-IMMUTABLE",
        "EVID-ACL",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
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

/// Each mutant is killed, within the invariant's default case count, by one of
/// the invariants its header names, with a recorded (shrunk) counterexample.
#[rstest]
fn mutant_killed(#[files("../kernel/mutants/evidence/*.sql")] path: PathBuf) {
    let kills = kills_of(&path);
    assert!(!kills.is_empty(), "{} names no invariant", path.display());
    let mut tried = Vec::new();
    for id in &kills {
        let r = run(id, None, Some(&path));
        assert_ne!(r.verdict, Verdict::Error, "{}", describe(&r));
        if r.verdict == Verdict::Failed {
            let f = r.failures.first().expect("a failure record");
            assert!(!f.input.is_null(), "the shrunk counterexample is recorded");
            eprintln!("{} killed: {}", path.display(), describe(&r));
            return;
        }
        tried.push(describe(&r));
    }
    panic!(
        "{} survived {:?}:\n{}",
        path.display(),
        kills,
        tried.join("\n")
    );
}

//! Replays every committed case file under `proptest-regressions/cases/`
//! against the bundled kernel (plus the mutant the case recorded, if any) and
//! asserts the recorded expectation:
//!
//! * `"expect": "fail"` — a mutant's counterexample: the harness must keep
//!   killing that mutant with exactly this input;
//! * `"expect": "pass"` — a failure of the real kernel, committed with the
//!   fix: the kernel must keep honouring the contract on this input.
//!
//! Proptest's own `.txt` persistence stores RNG seeds, which go stale when a
//! strategy changes; case files hold the input itself, so they keep replaying.
//! `pgconform run --save-regressions` writes new case files here.

use pgconform::casefile::{CaseFile, Expect};
use pgconform::cli::replay::{outcome, Outcome, Replayer};
use pgconform::provision::ProvisionOptions;
use std::path::PathBuf;

fn case_files() -> Vec<PathBuf> {
    let dir = pgconform::testkit::repo_root().join("proptest-regressions/cases");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn committed_cases_replay_as_recorded() {
    let files = case_files();
    assert!(
        !files.is_empty(),
        "no case files under proptest-regressions/cases (the committed regressions are gone?)"
    );
    let kernel = pgconform::testkit::repo_root().join("kernel");
    let mut wrong = Vec::new();
    for path in &files {
        let case = CaseFile::load(path).unwrap_or_else(|e| panic!("{e}"));
        let replayer = Replayer::new(&case, &kernel, &ProvisionOptions::default())
            .unwrap_or_else(|e| panic!("{}: cannot prepare the replay: {e:#}", path.display()));
        let r = replayer.replay(&case.input);
        let got = outcome(&r);
        let ok = match case.expect {
            Expect::Fail => got == Outcome::Fails,
            Expect::Pass => got == Outcome::Holds,
        };
        if !ok {
            wrong.push(format!(
                "{}: {} expected to {:?} but {:?}: {}",
                path.display(),
                case.invariant,
                case.expect,
                got,
                r.failures
                    .first()
                    .map(|f| f.detail.message.clone())
                    .or(r.error)
                    .unwrap_or_default()
            ));
        }
    }
    assert!(wrong.is_empty(), "regressions:\n{}", wrong.join("\n"));
}

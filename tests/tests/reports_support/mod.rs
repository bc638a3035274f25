//! Sample reports for the report tests (no Postgres involved).

#![allow(dead_code)]

use pgconform_reports::{
    CoverageRequirement, FailureDetail, FailureRecord, InvariantResult, MutantMatrix,
    MutantOutcome, MutantStatus, RunReport, ServerInfo, ShardSpec, SutFile, SutInfo,
    TriedInvariant, Verdict,
};
use std::collections::BTreeMap;

/// A passed result.
pub fn passed(id: &str, suite: &str, cases: u64) -> InvariantResult {
    let mut r = InvariantResult::skipped(id, suite, &format!("title of {id}"));
    r.verdict = Verdict::Passed;
    r.cases = cases;
    r.duration_ms = 100 + cases * 7;
    r.coverage = BTreeMap::from([("class:a".to_owned(), cases), ("ttl:3600".to_owned(), 1)]);
    r
}

/// A failed result with a complete failure record.
pub fn failed(id: &str, suite: &str) -> InvariantResult {
    let mut r = passed(id, suite, 5);
    r.verdict = Verdict::Failed;
    r.failures.push(FailureRecord {
        detail: FailureDetail {
            message: "the kernel accepted <what> it must refuse & more".to_owned(),
            sql: Some("SELECT public.fn_iu_gate_open('g', NULL, 'a', 'r', 0)".to_owned()),
            expected: Some("SQLSTATE 23514".to_owned()),
            actual: Some("{\"status\": \"opened\"}".to_owned()),
            sqlstate: Some("23514".to_owned()),
        },
        input: serde_json::json!([{"op": "open", "ttl": 0}]),
        input_summary: "[Open { ttl: 0 }]".to_owned(),
        cases_to_failure: 3,
        shrink_steps: 12,
        case_file: Some(format!("cases/{id}-0123456789.json")),
    });
    r
}

/// A complete, sealed report over the bundled kernel files given.
pub fn report(results: Vec<InvariantResult>) -> RunReport {
    let selection = results.iter().map(|r| r.id.clone()).collect();
    let mut r = RunReport::builder(
        ServerInfo {
            backend: "embedded".to_owned(),
            version: "PostgreSQL 16.14 on x86_64".to_owned(),
            version_num: 160_014,
            source: "/opt/pg16/bin".to_owned(),
            version_note: None,
        },
        SutInfo {
            dir: "kernel".to_owned(),
            fingerprint: "f".repeat(64),
            files: vec![SutFile {
                path: "sql/000_base.sql".to_owned(),
                sha256: "a".repeat(64),
            }],
            mutant: None,
        },
        42,
    )
    .made_by(
        "0.1.0".to_owned(),
        Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
    )
    .cases_requested(Some(5))
    .timing("2026-11-22T21:00:00Z".to_owned(), 1234)
    .results(selection, results)
    .build();
    r.seal();
    r
}

/// The usual mixed report: two passes and one failure.
pub fn mixed() -> RunReport {
    report(vec![
        passed("GATE-LEDGER", "gates", 32),
        failed("GATE-MODEL", "gates"),
        passed("SUT-CLOCK", "foundation", 16),
    ])
}

/// A report with every optional part filled in (coverage, mutants).
pub fn maximal() -> RunReport {
    let mut r = mixed();
    let mut req = CoverageRequirement::parse("GATE-LEDGER:ttl:3600", |id| id == "GATE-LEDGER")
        .expect("valid");
    req.evaluate(&r.results);
    let mut missing = CoverageRequirement::parse("kind:exclude", |_| false).expect("valid");
    missing.evaluate(&r.results);
    r.coverage_requirements = vec![req, missing];
    r.mutants = Some(MutantMatrix {
        mutants_dir: "kernel/mutants".to_owned(),
        control_passed: true,
        mutants: vec![
            MutantOutcome {
                status: MutantStatus::Killed,
                killed_by: Some("GATE-MODEL".to_owned()),
                expected_killer: true,
                cases_to_kill: Some(3),
                counterexample_bytes: Some(96),
                case_file: Some("cases/GATE-MODEL-1.json".to_owned()),
                tried: vec![TriedInvariant {
                    id: "GATE-MODEL".to_owned(),
                    verdict: Verdict::Failed,
                    cases: 3,
                    duration_ms: 300,
                }],
                duration_ms: 900,
                ..MutantOutcome::untried(
                    "ttl-zero-accepted".to_owned(),
                    "kernel/mutants/gates/ttl-zero-accepted.sql".to_owned(),
                    "b".repeat(64),
                    vec!["GATE-MODEL".to_owned()],
                    "off by one".to_owned(),
                )
            },
            MutantOutcome {
                tried: vec![
                    TriedInvariant {
                        id: "GATE-LEDGER".to_owned(),
                        verdict: Verdict::Passed,
                        cases: 32,
                        duration_ms: 800,
                    },
                    TriedInvariant {
                        id: "GATE-MODEL".to_owned(),
                        verdict: Verdict::Passed,
                        cases: 48,
                        duration_ms: 900,
                    },
                ],
                duration_ms: 2000,
                ..MutantOutcome::untried(
                    "harmless".to_owned(),
                    "m/harmless.sql".to_owned(),
                    "c".repeat(64),
                    vec!["GATE-LEDGER".to_owned()],
                    "nothing".to_owned(),
                )
            },
        ],
    });
    r.shard = Some(ShardSpec { index: 1, total: 1 });
    r.seal();
    r
}

/// A run as users see one: `passes` invariants held and one, last in the
/// table, failed.
pub fn one_failure_among(passes: usize) -> RunReport {
    let mut results: Vec<InvariantResult> = (0..passes)
        .map(|i| passed(&format!("INV-{i:02}"), "suite", 16))
        .collect();
    results.push(failed("ZZ-LAST", "gates"));
    report(results)
}

/// Every kind of problem: a failure, an environment error, an incomplete run.
pub fn problems() -> RunReport {
    let mut error = passed("EVD-ACL", "evidence", 0);
    error.verdict = Verdict::Error;
    error.error = Some("the server went away".to_owned());
    let mut incomplete = passed("DRIFT-GEN", "drift", 3);
    incomplete.verdict = Verdict::Incomplete;
    incomplete.cases_requested = 16;
    incomplete.error = Some("the time budget ran out".to_owned());
    report(vec![
        failed("GATE-MODEL", "gates"),
        error,
        incomplete,
        passed("SUT-CLOCK", "foundation", 16),
    ])
}

/// A `pgconform mutants` run as it looks on the reference kernel: `control`
/// passed invariants and `mutants` mutants, all killed but the last one.
pub fn mutant_run(control: usize, mutants: usize) -> RunReport {
    let ids: Vec<String> = (0..control).map(|i| format!("INV-{i:02}")).collect();
    let mut r = report(ids.iter().map(|id| passed(id, "suite", 16)).collect());
    let outcome = |i: usize, survives: bool| {
        let tried_n = if survives { control.min(8) } else { 1 + i % 4 };
        let tried: Vec<TriedInvariant> = ids[..tried_n]
            .iter()
            .enumerate()
            .map(|(j, id)| TriedInvariant {
                id: id.clone(),
                verdict: if !survives && j + 1 == tried_n {
                    Verdict::Failed
                } else {
                    Verdict::Passed
                },
                cases: 16,
                duration_ms: 200,
            })
            .collect();
        let killer = (!survives).then(|| ids[tried_n - 1].clone());
        MutantOutcome {
            name: if survives {
                "survivor-0".to_owned()
            } else {
                format!("mutant-{i}")
            },
            file: format!("kernel/mutants/m{i}.sql"),
            sha256: "d".repeat(64),
            kills: vec![ids[0].clone()],
            why: "what it breaks".to_owned(),
            status: if survives {
                MutantStatus::Survived
            } else {
                MutantStatus::Killed
            },
            expected_killer: killer.as_deref() == Some(ids[0].as_str()),
            cases_to_kill: killer.as_ref().map(|_| 4),
            counterexample_bytes: killer.as_ref().map(|_| 120),
            case_file: killer.as_ref().map(|k| format!("cases/{k}-{i:010}.json")),
            killed_by: killer,
            failure: None,
            tried,
            error: None,
            duration_ms: 1500,
        }
    };
    r.mutants = Some(MutantMatrix {
        mutants_dir: "kernel/mutants".to_owned(),
        control_passed: true,
        mutants: (0..mutants).map(|i| outcome(i, i + 1 == mutants)).collect(),
    });
    r.seal();
    r
}

/// Serialise and parse back, as `gate` and `merge` see a file.
pub fn loaded(r: &RunReport, name: &str) -> pgconform_reports::LoadedReport {
    let text = serde_json::to_string_pretty(r).expect("serialise");
    pgconform_reports::parse_report(name, &text).expect("parse")
}

/// Shards of a run over `ids`, each sealed.
pub fn shards(ids: &[&str], total: u32, seed: u64) -> Vec<RunReport> {
    (1..=total)
        .map(|index| {
            let sh = ShardSpec { index, total };
            let mut r = report(
                ids.iter()
                    .filter(|id| sh.owns(id))
                    .map(|id| passed(id, "gates", 10))
                    .collect(),
            );
            r.selection = ids.iter().map(|s| (*s).to_owned()).collect();
            r.shard = Some(sh);
            r.seed = seed;
            r.seal();
            r
        })
        .collect()
}

//! The release gate's reasons and shard merging, on reports built in memory.

mod reports_support;

use pgconform_reports::gate::{evaluate, ExpectedSut, GatePolicy, GateReason};
use pgconform_reports::merge::{merge, MergeProblem};
use pgconform_reports::{CoverageRequirement, ShardSpec, SutFile};
use reports_support::{failed, loaded, mixed, passed, report, shards};

fn policy(required: &[&str]) -> GatePolicy {
    GatePolicy {
        required: required.iter().map(|s| (*s).to_owned()).collect(),
        min_cases: 1,
        min_cases_of: Default::default(),
        sut: Some(ExpectedSut {
            dir: "kernel".to_owned(),
            fingerprint: "f".repeat(64),
            files: vec![SutFile {
                path: "sql/000_base.sql".to_owned(),
                sha256: "a".repeat(64),
            }],
        }),
        require_coverage: Vec::new(),
        allow_any_major: false,
    }
}

fn green() -> pgconform_reports::RunReport {
    report(vec![
        passed("GATE-LEDGER", "gates", 32),
        passed("SUT-CLOCK", "foundation", 16),
    ])
}

#[test]
fn a_green_report_passes() {
    let reasons = evaluate(
        &loaded(&green(), "r.json"),
        &policy(&["GATE-LEDGER", "SUT-CLOCK"]),
    );
    assert!(reasons.is_empty(), "{reasons:?}");
}

/// The gate's reasons for `r` under `p`.
fn one(r: &pgconform_reports::RunReport, p: &GatePolicy) -> Vec<GateReason> {
    evaluate(&loaded(r, "r.json"), p)
}

/// [`green`] with `edit` applied, re-sealed (an honest report of that run).
fn green_with(
    edit: impl FnOnce(&mut pgconform_reports::RunReport),
) -> pgconform_reports::RunReport {
    let mut r = green();
    edit(&mut r);
    r.seal();
    r
}

#[test]
fn every_provenance_and_completeness_reason_is_triggered() {
    let p = policy(&["GATE-LEDGER", "SUT-CLOCK"]);

    // Integrity: an edited verdict.
    let text = serde_json::to_string(&mixed()).expect("json");
    let edited =
        pgconform_reports::parse_report("r.json", &text.replacen("\"failed\"", "\"passed\"", 1))
            .expect("parse");
    assert!(evaluate(&edited, &policy(&["GATE-MODEL"])).contains(&GateReason::Integrity));

    // SUT mismatch, naming the changed file.
    let mut other = p.clone();
    if let Some(s) = other.sut.as_mut() {
        s.fingerprint = "e".repeat(64);
        s.files[0].sha256 = "d".repeat(64);
    }
    let reasons = one(&green(), &other);
    assert!(
        matches!(&reasons[..], [GateReason::SutMismatch { differing, .. }] if differing == &["sql/000_base.sql (changed)"]),
        "{reasons:?}"
    );

    // A mutant run.
    let r = green_with(|r| {
        r.sut.mutant = Some(SutFile {
            path: "m.sql".to_owned(),
            sha256: "b".repeat(64),
        });
    });
    assert_eq!(one(&r, &p), [GateReason::Mutant("m.sql".to_owned())]);

    // A single shard.
    let r = green_with(|r| {
        r.shard = Some(ShardSpec { index: 1, total: 1 });
    });
    assert_eq!(
        one(&r, &p),
        [GateReason::SingleShard(ShardSpec { index: 1, total: 1 })]
    );

    // Selected but without a result.
    let r = green_with(|r| {
        r.selection.push("GATE-MODEL".to_owned());
    });
    assert_eq!(
        one(&r, &p),
        [GateReason::MissingResults(vec!["GATE-MODEL".to_owned()])]
    );

    // Interrupted.
    let r = green_with(|r| {
        r.interrupted = true;
    });
    assert_eq!(one(&r, &p), [GateReason::Interrupted]);

    // Not PostgreSQL 16 (and accepted with allow_any_major).
    let r = green_with(|r| {
        r.server.version_num = 170_002;
    });
    assert!(matches!(
        &one(&r, &p)[..],
        [GateReason::NotPg16 { num: 170_002, .. }]
    ));
    let mut lenient = p.clone();
    lenient.allow_any_major = true;
    assert!(one(&r, &lenient).is_empty());
}

#[test]
fn every_verdict_and_coverage_reason_is_triggered() {
    let p = policy(&["GATE-LEDGER", "SUT-CLOCK"]);
    // Required but missing.
    assert_eq!(
        one(&green(), &policy(&["GATE-LEDGER", "SUT-CLOCK", "DUR-RT"])),
        [GateReason::Missing("DUR-RT".to_owned())]
    );

    // Required but failed; a failure that was not required is still a reason.
    let reasons = one(&mixed(), &policy(&["GATE-MODEL"]));
    assert!(
        matches!(&reasons[..], [GateReason::NotPassed { id, verdict, detail: Some(_) }] if id == "GATE-MODEL" && verdict == "failed"),
        "{reasons:?}"
    );
    let reasons = one(&mixed(), &policy(&["GATE-LEDGER"]));
    assert!(
        matches!(&reasons[..], [GateReason::OtherFailed { id, .. }] if id == "GATE-MODEL"),
        "{reasons:?}"
    );

    // Too few cases.
    let mut strict = p.clone();
    strict.min_cases = 20;
    assert_eq!(
        one(&green(), &strict),
        [GateReason::TooFewCases {
            id: "SUT-CLOCK".to_owned(),
            cases: 16,
            min: 20
        }]
    );

    // Coverage: the gate's own requirement, and the report's own (which the
    // gate re-evaluates rather than trusting `satisfied`).
    let mut cov = p.clone();
    cov.require_coverage =
        vec![CoverageRequirement::parse("kind:exclude", |_| false).expect("valid")];
    assert!(
        matches!(&one(&green(), &cov)[..], [GateReason::Coverage(m)] if m.contains("kind:exclude"))
    );
    let mut r = green();
    let mut req =
        CoverageRequirement::parse("SUT-CLOCK:ttl:7200", |id| id == "SUT-CLOCK").expect("valid");
    req.satisfied = true; // a lie the gate must not believe
    r.coverage_requirements.push(req);
    r.seal();
    assert!(matches!(&one(&r, &p)[..], [GateReason::Coverage(m)] if m.contains("ttl:7200")));

    // Nothing at all.
    let empty = report(Vec::new());
    assert_eq!(one(&empty, &policy(&[])), [GateReason::Empty]);
}

const IDS: &[&str] = &[
    "GATE-MODEL",
    "GATE-NEVER-FLIP",
    "GATE-WATCHDOG",
    "GATE-LEDGER",
    "GATE-CONCURRENT",
    "GATE-ROLLBACK",
    "GATE-DRYRUN",
    "SUT-CLOCK",
];

#[test]
fn shards_partition_the_selection() {
    let s = shards(IDS, 3, 1);
    let mut seen: Vec<&str> = s
        .iter()
        .flat_map(|r| r.results.iter().map(|x| x.id.as_str()))
        .collect();
    seen.sort_unstable();
    let mut all = IDS.to_vec();
    all.sort_unstable();
    assert_eq!(seen, all, "every invariant in exactly one shard");
    assert!(
        s.iter().filter(|r| !r.results.is_empty()).count() >= 2,
        "a real partition"
    );
}

#[test]
fn complete_disjoint_shards_merge_and_pass_the_gate() {
    let inputs: Vec<_> = shards(IDS, 3, 1)
        .iter()
        .enumerate()
        .map(|(i, r)| loaded(r, &format!("s{i}.json")))
        .collect();
    let merged = merge(&inputs, false).expect("merge");
    assert_eq!(merged.shards.len(), 3);
    assert!(merged.shard.is_none() && merged.integrity_ok());
    let order: Vec<&str> = merged.results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(order, IDS, "results in selection order");
    let reasons = evaluate(&loaded(&merged, "m.json"), &policy(IDS));
    assert!(reasons.is_empty(), "{reasons:?}");
}

#[test]
fn incomplete_shards_are_refused_or_marked() {
    let s = shards(IDS, 3, 1);
    let two = vec![loaded(&s[0], "s1.json"), loaded(&s[2], "s3.json")];
    let problems = merge(&two, false).expect_err("incomplete");
    assert_eq!(
        problems,
        [MergeProblem::Incomplete {
            missing: vec![2],
            total: 3
        }]
    );
    let partial = merge(&two, true).expect("allowed");
    let reasons = evaluate(&loaded(&partial, "m.json"), &policy(IDS));
    assert!(
        reasons.contains(&GateReason::MissingShards(vec![ShardSpec {
            index: 2,
            total: 3
        }])),
        "{reasons:?}"
    );
    assert!(reasons.iter().any(|r| matches!(r, GateReason::Missing(_))));
}

#[test]
fn overlapping_duplicate_and_mixed_shards_are_refused() {
    let s = shards(IDS, 2, 1);
    // The same shard twice: duplicate shard and overlapping invariants.
    let dup = vec![
        loaded(&s[0], "a.json"),
        loaded(&s[0], "b.json"),
        loaded(&s[1], "c.json"),
    ];
    let problems = merge(&dup, false).expect_err("duplicate");
    assert!(problems
        .iter()
        .any(|p| matches!(p, MergeProblem::DuplicateShard { .. })));
    assert!(problems
        .iter()
        .any(|p| matches!(p, MergeProblem::Overlap { .. })));

    // An invariant smuggled into the wrong shard.
    let mut foreign = s[0].clone();
    let stolen = s[1].results[0].clone();
    foreign.results.push(stolen);
    foreign.seal();
    let problems = merge(
        &[loaded(&foreign, "a.json"), loaded(&s[1], "b.json")],
        false,
    )
    .expect_err("overlap");
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, MergeProblem::Foreign { .. })),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, MergeProblem::Overlap { .. })),
        "{problems:?}"
    );

    // Mixed seeds.
    let other_seed = shards(IDS, 2, 2);
    let problems = merge(
        &[loaded(&s[0], "a.json"), loaded(&other_seed[1], "b.json")],
        false,
    )
    .expect_err("mixed seed");
    assert!(
        problems.iter().any(|p| matches!(
            p,
            MergeProblem::Mismatch {
                what: "the seed",
                ..
            }
        )),
        "{problems:?}"
    );

    // Mixed SUTs.
    let mut other_sut = s[1].clone();
    other_sut.sut.fingerprint = "0".repeat(64);
    other_sut.seal();
    let problems = merge(
        &[loaded(&s[0], "a.json"), loaded(&other_sut, "b.json")],
        false,
    )
    .expect_err("mixed sut");
    assert!(problems.iter().any(|p| matches!(
        p,
        MergeProblem::Mismatch {
            what: "the SUT fingerprint",
            ..
        }
    )));

    // A tampered shard, and a report that is not a shard at all.
    let text = serde_json::to_string(&s[1])
        .expect("json")
        .replacen("\"seed\":1", "\"seed\":1 ", 1);
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["duration_ms"] = serde_json::json!(1);
    let tampered = pgconform_reports::parse_report("b.json", &v.to_string()).expect("parse");
    let problems = merge(&[loaded(&s[0], "a.json"), tampered], false).expect_err("tampered");
    assert!(problems.contains(&MergeProblem::Integrity("b.json".to_owned())));
    let full = report(vec![failed("GATE-MODEL", "gates")]);
    let problems = merge(&[loaded(&full, "full.json")], false).expect_err("not a shard");
    assert!(problems.contains(&MergeProblem::NotAShard("full.json".to_owned())));
}

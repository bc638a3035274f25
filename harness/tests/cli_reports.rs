//! The reporting side of the `pgconform` binary end to end on real
//! PostgreSQL 16: report formats, the JSON/TAP streams, coverage requirements,
//! the release gate, sharded runs and merge, case files and replay, and the
//! mutant runner.
//!
//! These tests live in the harness crate so that `CARGO_BIN_EXE_pgconform`
//! points at the freshly built binary (the `tests/` crate cannot name another
//! crate's binary).

mod common;

use common::{
    assert_exit, assert_exit_says, code, err, merge_args, out, read_json, repo, run, s, tmp, write,
};
use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn run_writes_every_format_and_the_gate_judges_it() {
    let d = tmp("gate");
    let o = run(&[
        "run",
        "--invariant",
        "SUT-SEARCH-PATH",
        "--invariant",
        "SUT-CLOCK",
        "--cases",
        "3",
        "--seed",
        "7",
        "--out",
        s(&d),
        "--format",
        "json",
        "-q",
    ]);
    assert_exit(&o, 0);
    assert_json_event_stream(&out(&o));
    for f in ["report.json", "junit.xml", "report.md", "report.html"] {
        assert!(d.join(f).is_file(), "{f} missing");
    }
    let report = d.join("report.json");
    let rep = s(&report);

    let o = run(&[
        "gate",
        rep,
        "--require",
        "SUT-SEARCH-PATH",
        "--require",
        "SUT-CLOCK",
    ]);
    // Without --min-cases each invariant needs its default case count.
    assert_exit_says(
        &o,
        1,
        "SUT-CLOCK: ran 3 cases, the gate requires at least 16",
    );
    let o = run(&[
        "gate",
        rep,
        "--require",
        "SUT-SEARCH-PATH",
        "--require",
        "SUT-CLOCK",
        "--min-cases",
        "1",
    ]);
    assert_exit(&o, 0);

    // Default: every invariant is required.
    let o = run(&["gate", rep]);
    assert_exit_says(&o, 1, "DUR-RT: required but not in the report");

    let o = run(&["gate", rep, "--require", "SUT-CLOCK", "--min-cases", "100"]);
    assert_exit_says(
        &o,
        1,
        "SUT-CLOCK: ran 3 cases, the gate requires at least 100",
    );

    let text = std::fs::read_to_string(&report).expect("report");
    let tampered = d.join("tampered.json");
    std::fs::write(&tampered, text.replacen("\"seed\": 7", "\"seed\": 8", 1)).expect("write");
    let o = run(&["gate", s(&tampered), "--require", "SUT-CLOCK"]);
    assert_exit_says(&o, 1, "integrity");

    let truncated = d.join("truncated.json");
    std::fs::write(&truncated, &text[..text.len() / 3]).expect("write");
    let o = run(&["gate", s(&truncated)]);
    assert_exit_says(&o, 2, "not valid JSON");

    let o = run(&["gate", s(&d.join("absent.json"))]);
    assert_exit(&o, 2);

    // A SUT that differs by one file.
    let other = kernel_with_one_file_changed(&d);
    let o = run(&["gate", rep, "--require", "SUT-CLOCK", "--sut", s(&other)]);
    assert_exit_says(&o, 1, "sql/000_base.sql (changed)");

    let o = run(&["report", "verify", rep]);
    assert_exit(&o, 0);
    let o = run(&["report", "verify", s(&tampered)]);
    assert_exit(&o, 1);
    let _ = std::fs::remove_dir_all(&d);
}

/// The `--format json` event stream of a green run of SUT-SEARCH-PATH and
/// SUT-CLOCK: one JSON object a line, from `run-started` to `run-finished`.
fn assert_json_event_stream(stdout: &str) {
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds.first(), Some(&"run-started"));
    assert_eq!(kinds.last(), Some(&"run-finished"));
    assert_eq!(
        kinds.iter().filter(|k| **k == "invariant-started").count(),
        2
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "invariant-finished").count(),
        2
    );
    assert!(
        kinds.iter().filter(|k| **k == "case").count() >= 4,
        "{kinds:?}"
    );
    assert_eq!(
        events[0]["invariants"],
        serde_json::json!(["SUT-CLOCK", "SUT-SEARCH-PATH"])
    );
    let last = &events[events.len() - 1];
    assert_eq!(last["exit_code"], 0);
    assert_eq!(last["passed"], 2);
}

/// A copy of the reference kernel under `dir` whose base file has one more line.
fn kernel_with_one_file_changed(dir: &Path) -> PathBuf {
    let other = dir.join("kernel");
    let st = Command::new("cp")
        .args(["-r", s(&repo().join("kernel")), s(&other)])
        .status()
        .expect("cp");
    assert!(st.success());
    let base = other.join("sql/000_base.sql");
    let mut sql = std::fs::read_to_string(&base).expect("read");
    sql.push_str("\n-- a release candidate edit\n");
    std::fs::write(&base, sql).expect("write");
    other
}

#[test]
fn tap_output_and_required_coverage() {
    let d = tmp("tap");
    let o = run(&[
        "run",
        "--invariant",
        "SUT-CLOCK",
        "--cases",
        "3",
        "--seed",
        "3",
        "--out",
        s(&d),
        "--format",
        "tap",
        "-q",
        "--require-coverage",
        "SUT-CLOCK:no-such-class",
    ]);
    assert_eq!(code(&o), 1, "missing coverage fails the run: {}", err(&o));
    let tap = out(&o);
    assert!(tap.starts_with("TAP version 14\n1..2\n"), "{tap}");
    assert!(tap.contains("\nok 1 - SUT-CLOCK - "), "{tap}");
    assert!(
        tap.contains("not ok 2 - coverage SUT-CLOCK:no-such-class"),
        "{tap}"
    );
    let md = std::fs::read_to_string(d.join("report.md")).expect("report.md");
    assert!(md.contains("**MISSING**"), "{md}");
    let o = run(&["gate", s(&d.join("report.json")), "--require", "SUT-CLOCK"]);
    assert_exit_says(&o, 1, "coverage class `no-such-class` of SUT-CLOCK");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn shards_merge_into_a_report_the_gate_accepts() {
    let d = tmp("shards");
    let mut paths = Vec::new();
    for k in 1..=2 {
        let o_dir = d.join(format!("s{k}"));
        let o = run(&[
            "run",
            "--suite",
            "foundation",
            "--cases",
            "2",
            "--seed",
            "5",
            "--shard",
            &format!("{k}/2"),
            "--out",
            s(&o_dir),
            "-q",
        ]);
        assert_exit(&o, 0);
        paths.push(o_dir.join("report.json"));
    }
    let merged = d.join("merged/report.json");
    let (first, second) = (paths[0].as_path(), paths[1].as_path());
    let o = run(&merge_args(&[first, second], &merged, &["--render"]));
    assert_exit(&o, 0);
    assert!(d.join("merged/report.html").is_file());
    let o = run(&[
        "gate",
        s(&merged),
        "--require",
        "foundation",
        "--min-cases",
        "2",
    ]);
    assert_exit(&o, 0);
    // A shard alone is refused by the gate and, without its partner, by merge.
    let o = run(&["gate", s(first), "--require", "foundation"]);
    assert_exit_says(&o, 1, "shard 1/2 only");
    let partial = d.join("partial.json");
    let o = run(&merge_args(&[first], &partial, &[]));
    assert_exit_says(&o, 1, "incomplete: shard(s) 2 of 2 missing");
    let o = run(&merge_args(&[first], &partial, &["--allow-incomplete"]));
    assert_exit(&o, 0);
    let o = run(&["gate", s(&partial), "--require", "foundation"]);
    assert_exit_says(&o, 1, "lacks shard(s) 2/2");
    let o = run(&merge_args(&[first, first, second], &partial, &[]));
    assert_exit_says(&o, 1, "given more than once");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn mutant_runner_kill_matrix_and_replay() {
    let d = tmp("mutants");
    let m = d.join("mutants");
    std::fs::create_dir_all(&m).expect("mkdir");
    write(
        &m,
        "killed.sql",
        "-- mutant: search-path-unpinned\n-- kills: SUT-SEARCH-PATH\n-- why: kernel_now() loses its pinned search_path\n\
         ALTER FUNCTION public.kernel_now() RESET search_path;\n",
    );
    write(
        &m,
        "survives.sql",
        "-- mutant: harmless-comment\n-- kills: SUT-SEARCH-PATH\n-- why: a comment changes nothing observable\n\
         COMMENT ON FUNCTION public.kernel_now() IS 'harmless';\n",
    );
    write(
        &m,
        "broken.sql",
        "-- mutant: does-not-parse\n-- kills: SUT-CLOCK\n-- why: a syntax error\nSELEC 1;\n",
    );
    let outd = d.join("out");
    let o = run(&[
        "mutants",
        "--mutants",
        s(&m),
        "--out",
        s(&outd),
        "--cases",
        "2",
        "--seed",
        "1",
        "-q",
    ]);
    assert_eq!(code(&o), 1, "a surviving mutant fails the run: {}", err(&o));
    let killed = assert_kill_matrix(&outd);
    let case = outd.join(killed["case_file"].as_str().expect("case file"));
    assert_replay_judges_case_files(&d, &case);

    // A mutant without a header is a usage error naming the file.
    write(&m, "zz-headerless.sql", "SELECT 1;\n");
    let o = run(&["mutants", "--mutants", s(&m), "--out", s(&outd), "-q"]);
    assert_exit_says(&o, 2, "zz-headerless.sql: invalid mutant header");
    let _ = std::fs::remove_dir_all(&d);
}

/// The kill matrix of the three mutants of `mutant_runner_kill_matrix_and_replay`
/// in `outd` (JSON, HTML and Markdown); returns the killed mutant's entry.
fn assert_kill_matrix(outd: &Path) -> serde_json::Value {
    let matrix = read_json(&outd.join("mutants.json"));
    assert_eq!(matrix["control_passed"], true);
    let by_name = |n: &str| {
        matrix["mutants"]
            .as_array()
            .expect("array")
            .iter()
            .find(|x| x["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("no mutant {n}"))
    };
    let killed = by_name("search-path-unpinned");
    assert_eq!(killed["status"], "killed");
    assert_eq!(killed["killed_by"], "SUT-SEARCH-PATH");
    assert_eq!(killed["expected_killer"], true);
    assert_eq!(killed["cases_to_kill"], 1);
    let survived = by_name("harmless-comment");
    assert_eq!(survived["status"], "survived");
    assert_eq!(
        survived["tried"].as_array().map(Vec::len),
        Some(4),
        "the whole foundation suite"
    );
    let broken = by_name("does-not-parse");
    assert_eq!(broken["status"], "install-broken");
    assert!(
        broken["error"]
            .as_str()
            .unwrap_or("")
            .contains("broken.sql:4"),
        "{broken}"
    );
    let html = std::fs::read_to_string(outd.join("report.html")).expect("html");
    assert!(html.contains("<svg id=\"kill-matrix\""));
    let md = std::fs::read_to_string(outd.join("report.md")).expect("md");
    assert!(md.contains("| `harmless-comment` | **survived** |"), "{md}");
    killed
}

/// Replaying `case` (a kill's case file) fails as recorded; without its
/// mutant (re-sealed) it holds; edited or corrupt copies under `d` are refused.
fn assert_replay_judges_case_files(d: &Path, case: &Path) {
    // The kill's case file replays anywhere: it still fails (exit 1).
    let o = run(&["replay", s(case)]);
    assert_exit_says(&o, 1, "still fails, as recorded");

    // Without the mutant (the "fixed" kernel) it no longer fails (exit 0).
    let mut v = read_json(case);
    v.as_object_mut().expect("object").remove("mutant");
    // Removing the mutant is an edit: the whole-file hash must be recomputed.
    let reseal = |v: &serde_json::Value| {
        let c: pgconform::casefile::CaseFile =
            serde_json::from_value(v.clone()).expect("a case file");
        serde_json::to_string(&c.sealed()).expect("json")
    };
    let fixed = d.join("fixed.json");
    std::fs::write(&fixed, reseal(&v)).expect("write");
    let o = run(&["replay", s(&fixed)]);
    assert_exit(&o, 0);
    assert!(
        err(&o).contains("SUT differs"),
        "the fingerprint warning: {}",
        err(&o)
    );

    // Any field edited without re-sealing (here: the invariant) is refused.
    let mut other = v.clone();
    other["invariant"] = serde_json::json!("SUT-CLOCK");
    let edited = d.join("edited.json");
    std::fs::write(&edited, other.to_string()).expect("write");
    let o = run(&["replay", s(&edited)]);
    assert_exit_says(&o, 2, "edited or damaged");

    // A corrupt case file is an input error (exit 2) naming the file.
    v["input"] = serde_json::json!({"edited": true});
    let corrupt = d.join("corrupt.json");
    std::fs::write(&corrupt, v.to_string()).expect("write");
    let o = run(&["replay", s(&corrupt)]);
    assert_exit_says(&o, 2, "corrupt.json: corrupt case file");
}

#[test]
fn replay_shrink_writes_a_smaller_failing_case() {
    let d = tmp("shrink");
    let committed = std::fs::read_dir(repo().join("proptest-regressions/cases"))
        .expect("proptest-regressions/cases")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("\"expect\": \"fail\"")))
        .expect("a committed mutant case");
    let out_case = d.join("shrunk.json");
    let o = run(&[
        "replay",
        s(&committed),
        "--shrink",
        "-o",
        s(&out_case),
        "--shrink-time",
        "60s",
    ]);
    assert_exit(&o, 1);
    let (before, after) = (read_json(&committed), read_json(&out_case));
    let size = |v: &serde_json::Value| v["input"].to_string().len();
    assert!(
        size(&after) < size(&before),
        "{} -> {}",
        size(&before),
        size(&after)
    );
    let o = run(&["replay", s(&out_case)]);
    assert_eq!(code(&o), 1, "the shrunk case still fails: {}", err(&o));
    // ... and is a counterexample of its mutant: it holds without it.
    let o = run(&["replay", s(&out_case), "--without-mutant"]);
    assert_eq!(
        code(&o),
        0,
        "the shrunk case holds on the clean kernel: {}",
        err(&o)
    );
    let _ = std::fs::remove_dir_all(&d);
}

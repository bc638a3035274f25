//! `pgconform check` (the up-front SUT check) on real PostgreSQL 16: the
//! reference kernel passes; a SUT missing a script, one with BEGIN/COMMIT in
//! an install file and one missing a contract column are each refused
//! (exit 2) with a one-line cause naming the clause and where.

mod common;

use common::{bin, kernel, text, tmp};
use std::path::{Path, PathBuf};
use std::process::Output;

/// A copy of the reference kernel in a temp dir, with `edit` applied.
fn kernel_copy(name: &str, edit: impl FnOnce(&Path)) -> PathBuf {
    let d = tmp(name);
    std::fs::create_dir_all(d.join("sql")).expect("create temp SUT");
    std::fs::copy(kernel().join("MANIFEST"), d.join("MANIFEST")).expect("copy MANIFEST");
    for e in std::fs::read_dir(kernel().join("sql")).expect("read kernel/sql") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, d.join("sql").join(p.file_name().expect("name"))).expect("copy");
    }
    edit(&d);
    d
}

fn check(sut: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("check")
        .arg("--sut")
        .arg(sut)
        .args(extra)
        .output()
        .expect("run pgconform check")
}

/// `pgconform check` of `sut`, which must refuse it (exit 2); what it said.
#[track_caller]
fn check_refuses(sut: &Path) -> String {
    let o = check(sut, &[]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    t
}

fn append(path: &Path, line: &str) {
    let mut s = std::fs::read_to_string(path).expect("read");
    s.push_str(line);
    std::fs::write(path, s).expect("write");
}

#[test]
fn the_reference_kernel_passes_the_check() {
    let o = check(&kernel(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("passes the up-front check"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_missing_script_is_refused_naming_script_and_invariant() {
    let sut = kernel_copy("noscript", |d| {
        let m = std::fs::read_to_string(d.join("MANIFEST")).expect("read");
        let m: String = m
            .lines()
            .filter(|l| !l.starts_with("script seal-kernel"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(d.join("MANIFEST"), m).expect("write");
    });
    let t = check_refuses(&sut);
    let line = t
        .lines()
        .find(|l| l.contains("script seal-kernel"))
        .unwrap_or_else(|| panic!("no line names the script: {t}"));
    assert!(
        line.contains("MANIFEST") && line.contains("DRIFT-DEFERRED-FK") && line.contains("§0"),
        "{line}"
    );
    // Selecting only invariants that do not run the script passes.
    let o = check(&sut, &["--suite", "durability"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    std::fs::remove_dir_all(&sut).ok();
}

#[test]
fn transaction_control_in_an_install_file_is_refused_with_file_and_line() {
    let sut = kernel_copy("txctl", |d| {
        // BEGIN … END inside a DO block is no transaction control; the
        // top-level COMMIT after it is.
        append(
            &d.join("sql/000_base.sql"),
            "\nDO $$ BEGIN PERFORM 1; END $$;\nCOMMIT;\n",
        );
    });
    let lines = std::fs::read_to_string(sut.join("sql/000_base.sql"))
        .expect("read")
        .lines()
        .count();
    let t = check_refuses(&sut);
    let want = format!("sql/000_base.sql:{lines}: install file has a top-level `COMMIT`");
    assert!(t.contains(&want), "expected `{want}` in:\n{t}");
    assert_eq!(
        t.matches("top-level").count(),
        1,
        "the DO block is not transaction control: {t}"
    );
    std::fs::remove_dir_all(&sut).ok();
}

#[test]
fn a_missing_contract_column_is_refused_naming_column_and_clause() {
    let sut = kernel_copy("nocolumn", |d| {
        std::fs::write(
            d.join("sql/999_rename.sql"),
            "ALTER TABLE public.iu_gate_transition RENAME COLUMN run_id TO command_run_id;\n",
        )
        .expect("write");
        append(&d.join("MANIFEST"), "install sql/999_rename.sql\n");
    });
    let t = check_refuses(&sut);
    assert!(
        t.contains("missing column run_id of table public.iu_gate_transition (contract §4)"),
        "{t}"
    );
    std::fs::remove_dir_all(&sut).ok();
}

#[test]
fn a_mutant_that_does_not_apply_fails_the_mutant_run() {
    let dir = tmp("stale");
    std::fs::write(
        dir.join("stale.sql"),
        "-- mutant: stale-anchor\n-- kills: SUT-CLOCK\n-- why: its anchor is gone\n\
         DO $$ BEGIN RAISE EXCEPTION 'mutant anchor not found'; END $$;\n",
    )
    .expect("write");
    let out = dir.join("out");
    let o = bin()
        .args(["mutants", "-q", "--seed", "1", "--cases", "1", "--mutants"])
        .arg(&dir)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run mutants");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let matrix = std::fs::read_to_string(out.join("mutants.json")).expect("mutants.json");
    assert!(
        matrix.contains("install_broken") || matrix.contains("install-broken"),
        "{matrix}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_inputs_are_refused_before_any_work() {
    let dir = tmp("bad");
    let headerless = dir.join("headerless.sql");
    std::fs::write(&headerless, "SELECT 1;\n").expect("write");
    let unknown = dir.join("unknown.sql");
    std::fs::write(
        &unknown,
        "-- mutant: m\n-- kills: NOT-AN-ID\n-- why: w\nSELECT 1;\n",
    )
    .expect("write");
    for (args, needle) in [
        (vec!["run", "--cases", "0"], "--cases"),
        (
            vec!["run", "--mutant", headerless.to_str().unwrap_or("")],
            "invalid mutant header",
        ),
        (
            vec!["run", "--mutant", unknown.to_str().unwrap_or("")],
            "NOT-AN-ID",
        ),
        (
            vec!["run", "--variant", headerless.to_str().unwrap_or("")],
            "invalid variant header",
        ),
        (vec!["mutants", "--cases", "0"], "--cases"),
        (
            vec!["run", "--out", "/proc/pgconform-out"],
            "--out /proc/pgconform-out",
        ),
    ] {
        let o = bin().args(&args).output().expect("run");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(needle), "{args:?}: {}", text(&o));
    }
    std::fs::remove_dir_all(&dir).ok();
}

//! Mutants that patch the kernel through `pg_temp.pgconform_patch` on real
//! PostgreSQL 16: an anchor the kernel does not have (or has twice) makes the
//! mutant install-broken, named with the function and the anchor, and
//! `pgconform mutants` exits 2; a well-anchored patch is killed.

mod common;

use common::{bin, tmp};
use std::path::{Path, PathBuf};

/// A directory of mutant files, one per `(file name, body)`, each under a
/// header that names SUT-CLOCK (the foundation suite: a cheap control).
fn mutants_dir(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let d = tmp(name);
    std::fs::create_dir_all(d.join("m")).expect("create the mutants dir");
    for (file, body) in files {
        let mutant = file.trim_end_matches(".sql");
        std::fs::write(
            d.join("m").join(file),
            format!("-- mutant: {mutant}\n-- kills: SUT-CLOCK\n-- why: test\n{body}"),
        )
        .expect("write a mutant");
    }
    d
}

/// `pgconform mutants` over `dir/m` with one case per invariant: (exit code,
/// stderr, mutants.json).
fn run_mutants(dir: &Path) -> (Option<i32>, String, String) {
    let out = dir.join("out");
    let o = bin()
        .args(["mutants", "--cases", "1", "--seed", "1", "--jobs", "2"])
        .arg("--mutants")
        .arg(dir.join("m"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run pgconform mutants");
    let summary = std::fs::read_to_string(out.join("mutants.json")).unwrap_or_default();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        summary,
    )
}

const MISSING: &str = "SELECT pg_temp.pgconform_patch('public.kernel_now()',\n    \
    $old$WHERE c.database_name = current_schema()\n  AND true$old$,\n    $new$$new$);\n";

const TWICE: &str =
    "SELECT pg_temp.pgconform_patch('public.kernel_now()', $old$c.$old$, $new$x.$new$);\n";

#[test]
fn an_anchor_found_zero_or_two_times_is_install_broken_and_fails_the_command() {
    let dir = mutants_dir(
        "broken",
        &[("anchor-missing.sql", MISSING), ("anchor-twice.sql", TWICE)],
    );
    let (code, text, summary) = run_mutants(&dir);
    assert_eq!(code, Some(2), "{text}");
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with("[inst]") && l.contains(name))
            .unwrap_or_else(|| panic!("no install-broken line for {name}: {text}"))
            .to_owned()
    };
    let missing = line("anchor-missing");
    assert!(
        missing.contains("pgconform_patch(public.kernel_now())")
            && missing.contains("anchor found 0 times")
            && missing.contains("WHERE c.database_name = current_schema()")
            && !missing.contains("AND true")
            && missing.contains("hint: the kernel function no longer contains this text"),
        "names the function, the anchor's first line and the server's hint: {missing}"
    );
    let twice = line("anchor-twice");
    assert!(
        twice.contains("pgconform_patch(public.kernel_now())")
            && twice.contains("times, expected exactly once: c.")
            && twice.contains("hint: widen the anchor until it names one place"),
        "{twice}"
    );
    assert!(!twice.contains("found 0 times"), "{twice}");
    assert_eq!(
        summary.matches("\"status\": \"install-broken\"").count(),
        2,
        "{summary}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_patch_found_once_applies_and_is_killed() {
    // clock-ignores-database, as a patch: drop the database condition.
    let body = "SELECT pg_temp.pgconform_patch('public.kernel_now()',\n    \
        $old$WHERE c.database_name = current_database()\n            AND EXISTS$old$,\n    \
        $new$WHERE EXISTS$new$);\n";
    let dir = mutants_dir("once", &[("clock-patched.sql", body)]);
    let (code, text, summary) = run_mutants(&dir);
    assert_eq!(code, Some(0), "{text}");
    assert!(summary.contains("\"status\": \"killed\""), "{summary}");
    std::fs::remove_dir_all(&dir).ok();
}

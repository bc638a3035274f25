//! `pgconform variants` on real PostgreSQL 16: a legal variant passes, an
//! "variant" that breaks the contract fails the command (exit 1) naming the
//! variant, the invariant and the case file.

mod common;

use common::{bin, kernel, tmp};

#[test]
fn an_illegal_variant_fails_the_variant_run_naming_invariant_and_case() {
    let dir = tmp("variants");
    std::fs::create_dir_all(dir.join("v")).expect("mkdir");
    std::fs::copy(
        kernel().join("variants/gates/blank-actor-accepted.sql"),
        dir.join("v/blank-actor-accepted.sql"),
    )
    .expect("copy a legal variant");
    // A mutant's body under a variant header: not a legal choice.
    let body = std::fs::read_to_string(kernel().join("mutants/gates/ttl-zero-accepted.sql"))
        .expect("read mutant");
    let body: String = body
        .lines()
        .skip_while(|l| l.starts_with("--"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(
        dir.join("v/ttl-zero.sql"),
        format!(
            "-- variant: ttl-zero\n-- choice: none: the contract refuses ttl 0\n-- why: test\n{body}"
        ),
    )
    .expect("write");
    let out = dir.join("out");
    let o = bin()
        .args([
            "variants",
            "--suite",
            "gates",
            "--cases",
            "8",
            "--seed",
            "1",
            "--variants",
        ])
        .arg(dir.join("v"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run pgconform variants");
    let text = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("[pass] blank-actor-accepted"), "{text}");
    let fail = text
        .lines()
        .skip_while(|l| !l.contains("[FAIL] ttl-zero"))
        .nth(1)
        .unwrap_or_else(|| panic!("no failure line under the variant: {text}"));
    assert!(
        fail.contains("GATE-MODEL failed") && fail.contains("(case "),
        "{fail}"
    );
    let summary = std::fs::read_to_string(out.join("variants.json")).expect("variants.json");
    assert!(summary.contains("\"status\": \"failed\""), "{summary}");
    std::fs::remove_dir_all(&dir).ok();
}

//! Decoded schemas and mutations apply, render and know their drift.

use super::*;
use crate::drift::{apply, expected_drift, mutation_ddl};
use crate::samples::samples;
use std::collections::BTreeMap;

#[test]
fn mutations_apply_and_know_their_drift() {
    let mut labels: BTreeMap<String, u32> = BTreeMap::new();
    for (s, m) in samples(arb_schema_and_mutation(), 2000) {
        let after = apply(&s, &m).expect("applies");
        assert!(!mutation_ddl(&s, &m).expect("ddl").is_empty());
        let d = expected_drift(&s, &after);
        match m {
            Mutation::RecreateIdentical { .. } => assert!(d.is_empty(), "{m:?} {d:?}"),
            _ => assert!(!d.is_empty(), "{m:?} is drift"),
        }
        *labels.entry(m.label()).or_default() += 1;
    }
    eprintln!("{labels:#?}");
    for l in [
        "drop",
        "add",
        "rename",
        "recreate-identical",
        "alter:column-order",
        "alter:predicate",
        "alter:action",
    ] {
        assert!(
            labels.get(l).copied().unwrap_or(0) >= 10,
            "{l} is rare: {labels:?}"
        );
    }
}

#[test]
fn every_detect_case_applies_every_kind() {
    for (s, ms) in samples(arb_schema_and_mutations(), 500) {
        let labels: Vec<String> = ms.iter().map(Mutation::label).collect();
        for need in [
            "alter:trigger-enabled",
            "alter:deferrability-in-place",
            "add",
            "rename",
        ] {
            assert!(
                labels.iter().any(|l| l == need),
                "{need} missing: {labels:?}\n{s:?}"
            );
        }
        let mut state = s.clone();
        for m in &ms {
            let next = apply(&state, m).expect("applies in sequence");
            assert!(!mutation_ddl(&state, m).expect("ddl").is_empty());
            let d = expected_drift(&state, &next);
            assert_eq!(
                d.is_empty(),
                matches!(m, Mutation::RecreateIdentical { .. }),
                "{m:?}"
            );
            state = next;
        }
    }
    // the simplest choices still give a trigger and a foreign key
    let s = with_every_kind_applicable(decode_schema(None, Vec::new(), Vec::new()), Vec::new());
    let ms = decode_mutation_sequence(&s, Vec::new(), Vec::new());
    assert!(ms.len() >= 6, "{ms:?}");
}

#[test]
fn empty_choices_decode_to_the_simplest_schema() {
    let s = decode_schema(None, Vec::new(), Vec::new());
    assert_eq!(s.tables.len(), 1);
    assert_eq!(s.tables[0].columns.len(), 1);
    assert!(s.tables[0].objects.is_empty());
}

//! Evidence-pack verification and diff: every single tamper is detected.

use pgconform_oracle::pack::{diff_pack_files, read_pack_file, verify_pack_file, PACK_FORMAT};
use pgconform_oracle::{diff_packs, render, row_digest, verify_pack, PackError};
use serde_json::{json, Value};

const AGENT: &str = "8b7f0d3e-4c1a-4e59-9a57-2f2d3c4b5a69";

/// A pack as the reference kernel exports it: canonical text, declared digests.
fn pack_value() -> Value {
    json!({
        "format": PACK_FORMAT,
        "agent_id": AGENT,
        "exported_at": "2026-01-01T00:00:00Z",
        "artifacts": {
            "cpo_action_logs": [
                {"action_type": "seed", "action": {"n": 1}, "actor_id": AGENT},
                {"action_type": "seed", "action": {"n": 2}, "actor_id": AGENT}
            ],
            "cpo_decisions": [
                {"decision_id": "d1", "weight": 1, "note": "é 😀 \n"},
                {"decision_id": "d2", "weight": 2, "tags": []}
            ],
            "cpo_drift_events": []
        }
    })
}

/// Adds a `digests` key computed from the rows and returns the pack text,
/// with exact numeric text spliced in (serde_json would lose precision).
fn with_digests(mut v: Value) -> String {
    let mut digests = serde_json::Map::new();
    for (t, rows) in v["artifacts"].as_object().cloned().unwrap_or_default() {
        let list: Vec<Value> = rows
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|r| {
                json!(row_digest(&r.to_string())
                    .map(|d| d.to_hex())
                    .unwrap_or_default())
            })
            .collect();
        digests.insert(t, Value::Array(list));
    }
    v["digests"] = Value::Object(digests);
    v.to_string()
}

fn good() -> String {
    with_digests(pack_value())
}

#[test]
fn a_good_pack_verifies() {
    let v = verify_pack(good().as_bytes()).map_err(|e| e.to_string());
    let v = v.unwrap_or_else(|e| panic!("{e}"));
    assert!(v.is_ok(), "{v}");
    assert_eq!(v.agent_id, AGENT);
    assert_eq!(v.types.len(), 3);
    assert_eq!(v.types["cpo_decisions"].rows, 2);
    assert_eq!(v.types["cpo_drift_events"].rows, 0);
    assert_eq!(v.total_rows(), 4);
    assert!(v
        .to_string()
        .contains(": OK (3 types, 4 rows, declared digests checked)"));
}

#[test]
fn pack_without_digests_verifies_on_structure() {
    let v = verify_pack(pack_value().to_string().as_bytes()).map_err(|e| e.to_string());
    let v = v.unwrap_or_else(|e| panic!("{e}"));
    assert!(v.is_ok() && !v.has_declared_digests);
}

#[test]
fn exact_numbers_are_hashed_exactly() {
    // A number serde_json cannot hold exactly, in non-canonical spelling.
    let row = r#"{"x": 123456789012345678901234567890.123456789e3, "b": 1.50}"#;
    let canon = render(row).unwrap_or_default();
    assert_eq!(
        canon,
        r#"{"b": 1.50, "x": 123456789012345678901234567890123.456789}"#
    );
    let d = row_digest(row).map(|d| d.to_hex()).unwrap_or_default();
    let text = format!(
        r#"{{"format": "{PACK_FORMAT}", "agent_id": "{AGENT}", "artifacts": {{"t": [{row}]}}, "digests": {{"t": ["{d}"]}}}}"#
    );
    let v = verify_pack(text.as_bytes()).map_err(|e| e.to_string());
    assert!(v.map(|v| v.is_ok()).unwrap_or(false));
}

type Tamper = Box<dyn Fn(&mut Value)>;

fn tampered(f: impl FnOnce(&mut Value)) -> String {
    // Digests are declared for the good pack, then the rows are tampered.
    let mut v: Value = serde_json::from_str(&good()).unwrap_or_default();
    f(&mut v);
    v.to_string()
}

/// Move the first row of artifact type `from` to the end of type `to`.
fn move_first_row(v: &mut Value, from: &str, to: &str) {
    let row = v["artifacts"][from].as_array_mut().map(|a| a.remove(0));
    if let Some(row) = row {
        if let Some(a) = v["artifacts"][to].as_array_mut() {
            a.push(row);
        }
    }
}

#[test]
fn each_tamper_is_detected_by_verify_and_by_diff() {
    let tampers: Vec<(&str, Tamper)> = vec![
        (
            "delete a row",
            Box::new(|v: &mut Value| {
                if let Some(a) = v["artifacts"]["cpo_decisions"].as_array_mut() {
                    a.remove(0);
                }
            }),
        ),
        (
            "duplicate a row",
            Box::new(|v: &mut Value| {
                let r = v["artifacts"]["cpo_decisions"][1].clone();
                if let Some(a) = v["artifacts"]["cpo_decisions"].as_array_mut() {
                    a.push(r);
                }
            }),
        ),
        (
            "change one value",
            Box::new(|v: &mut Value| {
                v["artifacts"]["cpo_decisions"][1]["weight"] = json!(3);
            }),
        ),
        (
            "move a row to another type",
            Box::new(|v: &mut Value| move_first_row(v, "cpo_decisions", "cpo_drift_events")),
        ),
        (
            "change a declared digest",
            Box::new(|v: &mut Value| {
                v["digests"]["cpo_action_logs"][0] = json!("0".repeat(64));
            }),
        ),
        (
            "drop a declared digest",
            Box::new(|v: &mut Value| {
                if let Some(a) = v["digests"]["cpo_action_logs"].as_array_mut() {
                    a.pop();
                }
            }),
        ),
        (
            "declare digests for an absent type",
            Box::new(|v: &mut Value| {
                v["digests"]["cpo_ghosts"] = json!([]);
                if let Some(a) = v["digests"]["cpo_ghosts"].as_array_mut() {
                    a.push(json!("ab"));
                }
            }),
        ),
    ];
    let good = good();
    for (name, f) in tampers {
        let bad = tampered(f);
        let v = verify_pack(bad.as_bytes()).map_err(|e| e.to_string());
        let v = v.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!v.is_ok(), "{name} not detected by verify:\n{v}");
        if !name.contains("declare") {
            let d = diff_packs(good.as_bytes(), bad.as_bytes()).map_err(|e| e.to_string());
            let d = d.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!d.is_ok(), "{name} not detected by diff");
            assert!(d.to_string().contains("DIFFERENT"));
        }
    }
}

#[test]
fn mismatches_name_type_index_declared_and_computed() {
    let bad = tampered(|v| v["artifacts"]["cpo_decisions"][1]["weight"] = json!(3));
    let v = verify_pack(bad.as_bytes())
        .map_err(|e| e.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.digest_mismatches.len(), 1);
    let m = &v.digest_mismatches[0];
    assert_eq!((m.artifact_type.as_str(), m.index), ("cpo_decisions", 1));
    assert_ne!(m.declared, m.computed.to_hex());
    assert!(v.to_string().contains("digest mismatch cpo_decisions[1]"));

    let moved = tampered(|v| move_first_row(v, "cpo_decisions", "cpo_action_logs"));
    let d = diff_packs(good().as_bytes(), moved.as_bytes())
        .map_err(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(d.types["cpo_decisions"].missing.len(), 1);
    assert_eq!(
        d.types["cpo_action_logs"].extra,
        d.types["cpo_decisions"].missing
    );
}

#[test]
fn malformed_packs_are_refused_naming_what_and_where() {
    let cases: Vec<(String, &str)> = vec![
        ("[]".to_owned(), "malformed pack at $: expected an object, found an array"),
        ("{\"format\": 1}".to_owned(), "malformed pack at format: expected a string, found a number"),
        ("{}".to_owned(), "malformed pack at format: expected a string, found missing"),
        (tampered(|v| v["format"] = json!("cpo.evidence_pack/v2")), "unknown pack format \"cpo.evidence_pack/v2\""),
        (tampered(|v| v["agent_id"] = json!("nope")), "malformed pack at agent_id: \"nope\" is not a uuid"),
        (tampered(|v| { if let Some(o) = v.as_object_mut() { o.remove("artifacts"); } }), "malformed pack at artifacts: expected an object, found missing"),
        (tampered(|v| v["artifacts"]["cpo_decisions"] = json!({})), "malformed pack at artifacts.cpo_decisions: expected an array, found an object"),
        (tampered(|v| v["artifacts"]["cpo_decisions"][1] = json!(5)), "malformed pack at artifacts.cpo_decisions[1]: expected a content object, found a number"),
        (tampered(|v| v["digests"]["cpo_decisions"][0] = json!(null)), "malformed pack at digests.cpo_decisions[0]: expected a string, found null"),
        ("{\"format\": \"\\u0000\"}".to_owned(), "pack is not valid jsonb input: unsupported unicode escape sequence at byte 12"),
    ];
    for (text, want) in cases {
        let got = verify_pack(text.as_bytes()).map(|v| v.to_string());
        match got {
            Err(e) => assert!(e.to_string().starts_with(want), "got {e}, want {want}"),
            Ok(v) => panic!("accepted {text}: {v}"),
        }
    }
    let e = diff_packs(good().as_bytes(), b"[]")
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some("pack b: malformed pack at $: expected an object, found an array")
    );
}

#[test]
fn pack_files() {
    let dir = std::env::temp_dir().join(format!("pgconform-oracle-pack-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let a = dir.join("a.json");
    let _ = std::fs::write(&a, good());
    assert!(verify_pack_file(&a).map(|v| v.is_ok()).unwrap_or(false));
    assert!(diff_pack_files(&a, &a).map(|d| d.is_ok()).unwrap_or(false));
    let missing = read_pack_file(dir.join("missing.json"));
    assert!(matches!(missing, Err(PackError::Io { .. })));
    let _ = std::fs::remove_dir_all(&dir);
}

/// v2: `digests` is optional — when present it is checked, when absent
/// nothing requires it — and further keys of any kind are allowed.
#[test]
fn digests_are_optional_and_further_keys_allowed() {
    let mut v: Value = serde_json::from_str(&good()).unwrap_or_default();
    v["export_order"] = json!(["cpo_action_logs", "cpo_decisions", "cpo_drift_events"]);
    v["meta"] = json!({"kernel": "mine", "n": 1.50, "list": [null, true]});
    v["note"] = Value::Null;
    let with = verify_pack(v.to_string().as_bytes())
        .map_err(|e| e.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(with.is_ok() && with.is_complete(), "{with}");

    if let Some(o) = v.as_object_mut() {
        o.remove("digests");
    }
    let without = verify_pack(v.to_string().as_bytes())
        .map_err(|e| e.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(without.is_ok(), "{without}");
    assert!(!without.is_complete(), "no digests: not complete");
    assert!(without.to_string().contains("no declared digests"));
}

/// A present `digests` that lists only some types is checked for those; the
/// others are reported, not failed (the contract does not make a list per
/// type compulsory), and `is_complete` tells the difference. An empty list for
/// a type the pack does not have declares nothing.
#[test]
fn partial_digests_are_checked_and_reported() {
    let partial = tampered(|v| {
        if let Some(d) = v["digests"].as_object_mut() {
            d.remove("cpo_decisions");
            d.remove("cpo_drift_events");
            d.insert("cpo_ghosts".into(), json!([]));
        }
    });
    let p = verify_pack(partial.as_bytes())
        .map_err(|e| e.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(p.is_ok(), "{p}");
    assert_eq!(p.undeclared_types, vec!["cpo_decisions".to_owned()]);
    assert!(!p.is_complete());
    let text = p.to_string();
    assert!(
        text.contains("1 types with rows declare none")
            && text.contains("cpo_decisions: 2 rows, no declared digests"),
        "{text}"
    );

    // the declared lists are still checked
    let bad = tampered(|v| {
        if let Some(d) = v["digests"].as_object_mut() {
            d.remove("cpo_decisions");
        }
        v["artifacts"]["cpo_action_logs"][0]["action_type"] = json!("forged");
    });
    let b = verify_pack(bad.as_bytes())
        .map_err(|e| e.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!b.is_ok(), "{b}");
    assert_eq!(b.digest_mismatches.len(), 1);
}

//! Properties of canonical rendering.

use pgconform_generators::json::differential::{
    arb_invalid_json_text, arb_json_text, arb_number_text, arb_valid_json_text,
};
use pgconform_oracle::{
    render, render_bytes, render_serde, row_digest, row_digest_bytes, Digest, RenderError, Renderer,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Rendering rendered text gives the same text.
    #[test]
    fn rendering_is_idempotent(text in arb_json_text()) {
        if let Ok(once) = render(&text) {
            prop_assert_eq!(render(&once), Ok(once.clone()));
        }
    }

    /// Generated valid texts are accepted; the canonical text has no
    /// insignificant whitespace outside strings beyond the fixed separators.
    #[test]
    fn valid_texts_render(text in arb_valid_json_text()) {
        let r = render(&text);
        prop_assert!(r.is_ok(), "{:?} rejected: {:?}", text, r);
    }

    /// Generated invalid texts are rejected.
    #[test]
    fn invalid_texts_are_rejected(text in arb_invalid_json_text()) {
        prop_assert!(render(&text).is_err(), "{:?} accepted", text);
    }

    /// The digest is sha256 of the rendered bytes, whichever entry point.
    #[test]
    fn digest_is_sha256_of_rendering(text in arb_json_text()) {
        match render(&text) {
            Ok(r) => {
                let d = Digest::of_canonical(r.as_bytes());
                prop_assert_eq!(row_digest(&text), Ok(d));
                prop_assert_eq!(row_digest_bytes(text.as_bytes()), Ok(d));
                prop_assert_eq!(render_bytes(text.as_bytes()), Ok(r.into_bytes()));
            }
            Err(e) => {
                prop_assert_eq!(row_digest(&text), Err(e.clone()));
                prop_assert_eq!(render_bytes(text.as_bytes()), Err(e));
            }
        }
    }

    /// Member order in the input does not matter (distinct keys).
    #[test]
    fn member_order_is_irrelevant(
        members in proptest::collection::btree_map("[a-c]{0,3}|é|😀", arb_number_text(), 0..8),
        seed in any::<u64>(),
    ) {
        let mut items: Vec<String> = members.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        let forward = format!("{{{}}}", items.join(","));
        // Deterministic shuffle.
        let mut s = seed;
        for i in (1..items.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            items.swap(i, (s >> 33) as usize % (i + 1));
        }
        let shuffled = format!("{{{}}}", items.join(","));
        prop_assert_eq!(render(&forward), render(&shuffled));
    }

    /// A duplicated key keeps its last value.
    #[test]
    fn duplicate_key_keeps_last(a in arb_valid_json_text(), b in arb_valid_json_text(), k in "[a-z]{0,4}") {
        let dup = format!("{{\"{k}\": {a}, \"zzzzz\": 1, \"{k}\": {b}}}");
        let last = format!("{{\"zzzzz\": 1, \"{k}\": {b}}}");
        prop_assert_eq!(render(&dup), render(&last));
    }

    /// One renderer reused across rows gives the same results as fresh ones,
    /// including after errors.
    #[test]
    fn renderer_reuse_is_clean(texts in proptest::collection::vec(arb_json_text(), 1..8)) {
        let mut r = Renderer::new();
        for t in &texts {
            let mut out = Vec::new();
            let reused = r.render_str_into(t, &mut out).map(|()| out);
            prop_assert_eq!(reused, render_bytes(t.as_bytes()));
        }
    }

    /// serde_json values render like their serialisation.
    #[test]
    fn serde_values_render_like_their_text(text in arb_valid_json_text()) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            let via_serde = render_serde(&v);
            let direct = render(&serde_json::to_string(&v).unwrap_or_default());
            prop_assert_eq!(via_serde, direct);
        }
    }
}

#[test]
fn keys_order_shorter_first_then_bytewise() {
    assert_eq!(
        render(r#"{"bb":1,"a":2,"c":3,"":4,"B":5,"é":6,"aa":7}"#).as_deref(),
        Ok(r#"{"": 4, "B": 5, "a": 2, "c": 3, "aa": 7, "bb": 1, "é": 6}"#)
    );
}

#[test]
fn escaped_and_raw_keys_are_the_same_key() {
    assert_eq!(
        render(r#"{"\u00e9":1,"é":2}"#).as_deref(),
        Ok(r#"{"é": 2}"#)
    );
}

#[test]
fn escapes_on_output() {
    assert_eq!(
        render(r#""\u0001 \b\f\n\r\t \" \\ \/ \u007f \u00e9 \ud83d\ude00""#).as_deref(),
        Ok("\"\\u0001 \\b\\f\\n\\r\\t \\\" \\\\ / \u{7f} é 😀\"")
    );
}

#[test]
fn errors_carry_offsets_and_lowercase_messages() {
    let e = render(r#"{"a": "\u0000"}"#).err();
    assert_eq!(e, Some(RenderError::NulEscape { offset: 7 }));
    let msg = e.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.starts_with("unsupported unicode escape sequence at byte 7"),
        "{msg}"
    );
    assert_eq!(render("[1,]").err().map(|e| e.offset()), Some(3));
    let e = render_bytes(b"\"\xff\"").err();
    assert_eq!(e, Some(RenderError::InvalidUtf8 { offset: 1 }));
    assert!(matches!(
        render("1e131072"),
        Err(RenderError::NumericOverflow { offset: 0 })
    ));
}

#[test]
fn very_deep_nesting_does_not_overflow_the_stack() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let out = render(&deep).map(|s| s.len());
    assert_eq!(out, Ok(200_000));
    let deep = format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    assert!(render(&deep).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The value tree prints exactly what the streaming renderer writes.
    #[test]
    fn value_tree_matches_renderer(text in arb_json_text()) {
        match render(&text) {
            Ok(r) => {
                let v = pgconform_oracle::parse_value(&text);
                prop_assert_eq!(v.as_ref().map(ToString::to_string), Ok(r.clone()));
                prop_assert_eq!(v.map(|v| v.digest()), Ok(Digest::of_canonical(r.as_bytes())));
            }
            Err(e) => prop_assert_eq!(pgconform_oracle::parse_value(&text), Err(e)),
        }
    }
}

#[test]
fn value_tree_refuses_nesting_beyond_its_limit() {
    let ok = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    assert!(pgconform_oracle::parse_value(&ok).is_ok());
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    assert!(pgconform_oracle::parse_value(&deep).is_err());
    let v = pgconform_oracle::parse_value(r#"{"b": 1.50e1, "a": "\u00e9"}"#).ok();
    assert_eq!(
        v.as_ref().and_then(|v| v.get("b")),
        Some(&pgconform_oracle::JsonValue::Number("15.0".into()))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Arbitrary bytes never panic any entry point, and all agree.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let r = render_bytes(&bytes);
        prop_assert_eq!(row_digest_bytes(&bytes).is_ok(), r.is_ok());
        let _ = pgconform_oracle::verify_pack(&bytes);
    }

    /// Texts over JSON's own alphabet never panic, and the streaming
    /// renderer, the digest path and the value tree agree.
    #[test]
    fn json_alphabet_never_panics(text in "[\\[\\]{}\",:0-9eE.+\\- \\\\u0dDaftrn]{0,40}") {
        let r = render(&text);
        prop_assert_eq!(row_digest(&text).ok(), r.as_ref().ok().map(|r| Digest::of_canonical(r.as_bytes())));
        prop_assert_eq!(pgconform_oracle::parse_value(&text).map(|v| v.to_string()), r);
    }
}

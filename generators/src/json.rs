//! JSON content as *text*, realistic and hostile.
//!
//! Content is generated as JSON text (never as a `serde_json::Value`) so that
//! numbers keep their exact spelling (`-0`, `1E+400`, 40 significant digits)
//! all the way to PostgreSQL. Every piece is labelled with a [`ContentKind`],
//! which the scenarios report as the coverage class `content:<kind>`.
//!
//! This is the workspace's one home for JSON strategies: [`differential`]
//! holds the nasty texts (one in eight invalid) the oracle's property and
//! differential tests render against PostgreSQL 16.

pub mod differential;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// What makes a piece of content interesting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentKind {
    /// Ordinary governance-looking records.
    Realistic,
    /// Non-ASCII text: astral planes, combining marks, RTL, ZWJ, BOM, U+2028.
    Unicode,
    /// JSON escapes: `\uXXXX`, surrogate pairs, `\/`, `\b\f\n\r\t`, control chars.
    Escapes,
    /// Deeply nested arrays and objects.
    DeepNesting,
    /// Numeric edge cases: `-0`, huge and tiny exponents, high precision.
    Numbers,
    /// Empty objects, arrays, strings and keys.
    EmptyContainers,
    /// Duplicate keys (jsonb keeps the last one).
    DuplicateKeys,
    /// Large rows (tens of kilobytes, TOASTed).
    BigRow,
    /// Input PostgreSQL's jsonb must refuse (`\u0000`, lone surrogates,
    /// numeric overflow): a correct kernel refuses the whole commit.
    Refused,
}

impl ContentKind {
    /// The coverage label (`content:<label>`).
    pub fn label(self) -> &'static str {
        match self {
            ContentKind::Realistic => "realistic",
            ContentKind::Unicode => "unicode",
            ContentKind::Escapes => "escapes",
            ContentKind::DeepNesting => "deep_nesting",
            ContentKind::Numbers => "numbers",
            ContentKind::EmptyContainers => "empty_containers",
            ContentKind::DuplicateKeys => "duplicate_keys",
            ContentKind::BigRow => "big_row",
            ContentKind::Refused => "refused",
        }
    }

    /// True when PostgreSQL accepts this kind as jsonb.
    pub fn is_accepted(self) -> bool {
        self != ContentKind::Refused
    }
}

/// One JSON text with the reason it was generated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    /// Why this content is interesting.
    pub kind: ContentKind,
    /// The JSON text, exactly as sent to the kernel.
    pub json: String,
}

/// Encode `s` as a JSON string literal with only the mandatory escapes.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Join `(key_literal, value_text)` pairs into an object text.
fn object(pairs: &[(String, String)]) -> String {
    let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("{{{}}}", body.join(","))
}

/// Numeric literals at the edges of jsonb's numeric type, all accepted.
pub fn arb_number_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_owned()),
        Just("-0".to_owned()),
        Just("-0.0".to_owned()),
        Just("0.000".to_owned()),
        Just("1e400".to_owned()),
        Just("-1.5E+300".to_owned()),
        Just("1E-400".to_owned()),
        Just("1e1000".to_owned()),
        Just("9007199254740993".to_owned()),
        Just("-9223372036854775809".to_owned()),
        Just("123456789012345678901234567890.123456789012345678901234567890".to_owned()),
        Just("0.1".to_owned()),
        Just("1.0".to_owned()),
        Just("2e0".to_owned()),
        Just("1E2".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        (any::<i32>(), 0u32..40).prop_map(|(m, e)| format!("{m}e-{e}")),
        ("[1-9][0-9]{0,38}", "[0-9]{1,38}").prop_map(|(a, b)| format!("{a}.{b}")),
    ]
}

/// Non-ASCII and awkward text (unescaped in the JSON text).
pub fn arb_unicode_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("😀🏳️‍🌈👩‍👩‍👧".to_owned()),
        Just("名前と漢字".to_owned()),
        Just("مرحبا بالعالم".to_owned()),
        Just("e\u{301}\u{302}\u{303}".to_owned()),
        Just("\u{feff}bom".to_owned()),
        Just("line\u{2028}sep\u{2029}".to_owned()),
        Just("\u{fffd}\u{ffff}\u{10ffff}".to_owned()),
        Just("𝔘𝔫𝔦𝔠𝔬𝔡𝔢".to_owned()),
        "\\PC{0,24}",
    ]
}

/// JSON string literals spelled with escapes (already valid JSON text).
pub fn arb_escaped_literal() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just(r"\u00e9".to_owned()),
        Just(r"\ud83d\ude00".to_owned()),
        Just(r"\/".to_owned()),
        Just(r"\b\f\n\r\t".to_owned()),
        Just(r"\u001f".to_owned()),
        Just(r"\u007f".to_owned()),
        Just(r#"\"quoted\""#.to_owned()),
        Just(r"\\backslash\\".to_owned()),
        Just(r"\u2028".to_owned()),
        Just(r"\uFEFF".to_owned()),
        Just("'; DROP TABLE cpo.cpo_decisions; --".to_owned()),
        Just("$$ $q$ %I %s %L".to_owned()),
        "[a-z ]{0,6}",
    ];
    prop::collection::vec(fragment, 1..5).prop_map(|v| format!("\"{}\"", v.concat()))
}

/// A JSON value text nested `depth` levels deep around a small core.
fn nested(depth: usize, use_objects: bool, core: &str) -> String {
    let mut s = core.to_owned();
    for i in 0..depth {
        s = if use_objects && i % 2 == 0 {
            format!("{{\"d{i}\":{s}}}")
        } else {
            format!("[{s}]")
        };
    }
    s
}

/// A realistic governance record.
fn arb_realistic() -> impl Strategy<Value = String> {
    (
        "[a-z]{3,10}",
        "[A-Za-z ,.]{0,40}",
        any::<u16>(),
        any::<bool>(),
        prop::collection::vec("[a-z]{1,8}", 0..4),
    )
        .prop_map(|(kind, note, n, flag, tags)| {
            let tags: Vec<String> = tags.iter().map(|t| json_string(t)).collect();
            object(&[
                (json_string("kind"), json_string(&kind)),
                (json_string("note"), json_string(&note)),
                (json_string("n"), n.to_string()),
                (json_string("active"), flag.to_string()),
                (json_string("tags"), format!("[{}]", tags.join(","))),
                (json_string("ref"), "null".to_owned()),
            ])
        })
}

/// An accepted piece of content of the given kind (always a JSON object).
pub fn arb_content_of(kind: ContentKind) -> BoxedStrategy<Content> {
    let text: BoxedStrategy<String> = match kind {
        ContentKind::Realistic => arb_realistic().boxed(),
        ContentKind::Unicode => (arb_unicode_text(), arb_unicode_text())
            .prop_map(|(k, v)| {
                object(&[
                    (json_string(&k), json_string(&v)),
                    (json_string("text"), json_string(&v)),
                ])
            })
            .boxed(),
        ContentKind::Escapes => (arb_escaped_literal(), arb_escaped_literal())
            .prop_map(|(k, v)| object(&[(k, v.clone()), (json_string("e"), v)]))
            .boxed(),
        ContentKind::DeepNesting => (1usize..200, any::<bool>(), arb_number_literal())
            .prop_map(|(d, objs, core)| object(&[(json_string("deep"), nested(d, objs, &core))]))
            .boxed(),
        ContentKind::Numbers => prop::collection::vec(arb_number_literal(), 1..6)
            .prop_map(|ns| {
                let pairs: Vec<(String, String)> = ns
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (json_string(&format!("n{i}")), n.clone()))
                    .collect();
                let mut o = object(&pairs);
                o.insert_str(o.len() - 1, &format!(",\"all\":[{}]", ns.join(",")));
                o
            })
            .boxed(),
        ContentKind::EmptyContainers => prop_oneof![
            Just("{}".to_owned()),
            Just(r#"{"a":[],"b":{},"c":"","":""}"#.to_owned()),
            Just(r#"{"x":[[],[{}],{"":[]}]}"#.to_owned()),
            Just(r#"{"":{}}"#.to_owned()),
        ]
        .boxed(),
        ContentKind::DuplicateKeys => (any::<u8>(), any::<u8>())
            .prop_map(|(a, b)| format!(r#"{{"k":{a},"k":{b},"z":{{"q":1,"q":[{a}]}}}}"#))
            .boxed(),
        ContentKind::BigRow => (4096usize..40_000, "[a-zA-Z0-9é😀]{1,3}")
            .prop_map(|(n, unit)| {
                let reps = n / unit.len().max(1);
                object(&[
                    (json_string("blob"), json_string(&unit.repeat(reps))),
                    (
                        json_string("many"),
                        format!("[{}]", vec!["1"; 512].join(",")),
                    ),
                ])
            })
            .boxed(),
        ContentKind::Refused => prop_oneof![
            Just(r#"{"nul":"a\u0000b"}"#.to_owned()),
            Just(r#"{"lone":"\ud800"}"#.to_owned()),
            Just(r#"{"low":"\udc00x"}"#.to_owned()),
            Just(r#"{"overflow":1e200000}"#.to_owned()),
        ]
        .boxed(),
    };
    // Content does not shrink: a failing case shrinks by dropping agents,
    // commits, types and rows, which is what makes a counterexample readable
    // (and keeps each shrink step one database round trip, not hundreds).
    text.prop_map(move |json| Content { kind, json })
        .no_shrink()
        .boxed()
}

/// Accepted content, mostly realistic, every hostile kind reachable.
pub fn arb_content() -> impl Strategy<Value = Content> {
    prop_oneof![
        6 => arb_content_of(ContentKind::Realistic),
        1 => arb_content_of(ContentKind::Unicode),
        1 => arb_content_of(ContentKind::Escapes),
        1 => arb_content_of(ContentKind::DeepNesting),
        1 => arb_content_of(ContentKind::Numbers),
        1 => arb_content_of(ContentKind::EmptyContainers),
        1 => arb_content_of(ContentKind::DuplicateKeys),
    ]
}

/// Hostile content only (including big rows and, rarely, refused input, so
/// that most commits still carry a round trip).
pub fn arb_hostile_content() -> impl Strategy<Value = Content> {
    prop_oneof![
        3 => arb_content_of(ContentKind::Unicode),
        3 => arb_content_of(ContentKind::Escapes),
        3 => arb_content_of(ContentKind::DeepNesting),
        3 => arb_content_of(ContentKind::Numbers),
        3 => arb_content_of(ContentKind::EmptyContainers),
        3 => arb_content_of(ContentKind::DuplicateKeys),
        2 => arb_content_of(ContentKind::BigRow),
        1 => arb_content_of(ContentKind::Refused),
    ]
}

/// Any JSON value text (for an action payload): scalars, arrays or objects.
pub fn arb_json_value_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        arb_number_literal(),
        "[a-z ]{0,12}".prop_map(|s| json_string(&s)),
        Just("[]".to_owned()),
        arb_content().prop_map(|c| c.json),
    ]
    .no_shrink()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::samples;

    #[test]
    fn accepted_content_is_valid_json_objects() {
        for kind in [
            ContentKind::Realistic,
            ContentKind::Unicode,
            ContentKind::Escapes,
            ContentKind::EmptyContainers,
            ContentKind::DuplicateKeys,
            ContentKind::BigRow,
        ] {
            // (Numbers and DeepNesting exceed serde_json's f64 range and
            // recursion limit by design; the oracle's renderer covers them.)
            for c in samples(arb_content_of(kind), 50) {
                let v: serde_json::Value = serde_json::from_str(&c.json)
                    .unwrap_or_else(|e| panic!("{kind:?} produced invalid JSON {}: {e}", c.json));
                assert!(v.is_object(), "{kind:?} produced a non-object: {}", c.json);
            }
        }
    }

    #[test]
    fn json_string_escapes_controls() {
        assert_eq!(json_string("a\"b\\\u{1}"), r#""a\"b\\\u0001""#);
    }
}

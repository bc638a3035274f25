//! Nasty JSON texts for the oracle's differential tests.
//!
//! Made for differential testing against a live PostgreSQL 16: render each
//! generated text with this crate and with `$1::jsonb::text` and compare the
//! bytes, the digests, and whether both reject it. Texts are mostly valid
//! (deep nesting, unicode keys and values, every escape, numeric edges,
//! duplicate and tie-breaking keys, empty containers, long strings, random
//! insignificant whitespace); about one in eight is made invalid in a way
//! PostgreSQL must refuse (`\u0000`, lone or doubled surrogates, raw control
//! characters, numbers out of `numeric`'s range, broken syntax).
//!
//! Nesting stays below 1000 levels: PostgreSQL refuses far deeper nesting
//! with a configuration-dependent "stack depth limit exceeded", which is not
//! part of the rendering contract.

use proptest::prelude::*;

/// Insignificant whitespace as PostgreSQL's lexer accepts it.
pub fn arb_ws() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just(String::new()),
        2 => Just(" ".to_owned()),
        1 => proptest::collection::vec(prop::sample::select(vec![" ", "\t", "\n", "\r"]), 1..4)
            .prop_map(|v| v.concat()),
    ]
}

/// Numbers that `numeric` accepts, biased to the edges of its rules.
pub fn arb_number_text() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "0",
        "-0",
        "0.0",
        "-0.0",
        "1e-7",
        "1E+2",
        "1.50e1",
        "1.0e2",
        "0.0e5",
        "-0.0e-5",
        "10e-1",
        "1.50",
        "100e-2",
        "12345e-10",
        "1e0",
        "-1.0E-0",
        "1E-00002",
        "1e00000000000000000000003",
        "5e-324",
        "1.7976931348623157e308",
        "123456789012345678901234567890.123456789",
        "1e1000",
        "1e-1000",
        "1e131071",
        "9.99e131071",
        "1e-16383",
        "0e-16383",
        "0e1073741823",
        "0.0001e131075",
        "-9223372036854775808",
        "18446744073709551616",
    ]);
    let built = (
        prop::bool::weighted(0.3),
        prop_oneof![Just("0".to_owned()), "[1-9][0-9]{0,40}",],
        prop_oneof![
            2 => Just(String::new()),
            1 => "\\.[0-9]{1,30}",
        ],
        prop_oneof![
            2 => Just(String::new()),
            1 => ("[eE]", "[+-]?", 0i64..60).prop_map(|(e, s, n)| format!("{e}{s}{n}")),
            1 => ("[eE]", "[+-]?", "0{0,3}[0-9]{1,4}").prop_map(|(e, s, n)| format!("{e}{s}{n}")),
        ],
    )
        .prop_map(|(neg, int, frac, exp)| {
            format!("{}{int}{frac}{exp}", if neg { "-" } else { "" })
        });
    prop_oneof![1 => fixed.prop_map(str::to_owned), 3 => built]
}

/// A valid JSON string literal (with quotes): raw unicode, every escape,
/// surrogate pairs, control characters written as escapes, sometimes long.
pub fn arb_string_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-zA-Z0-9 ]{1,6}",
        2 => prop::sample::select(vec![
            "é", "😀", "中文", "\u{2028}", "\u{7f}", "/", "~", "\u{fffd}", "\u{10ffff}", "ß",
            "\u{301}", "'", "$q$",
        ]).prop_map(str::to_owned),
        3 => prop::sample::select(vec![
            "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0001", "\\u001f",
            "\\u001F", "\\u0020", "\\u0041", "\\u00e9", "\\u00E9", "\\u2028", "\\u007f",
            "\\ud83d\\ude00", "\\uD834\\uDD1E", "\\uDBFF\\uDFFF", "\\ufffe", "\\uffff",
        ]).prop_map(str::to_owned),
        1 => any::<char>()
            .prop_filter("raw control characters must be escaped", |c| *c >= ' ' && *c != '"' && *c != '\\')
            .prop_map(String::from),
    ];
    prop_oneof![
        20 => proptest::collection::vec(piece, 0..8).prop_map(|v| format!("\"{}\"", v.concat())),
        1 => ("[a-z]{1,3}", 200usize..3000).prop_map(|(s, n)| format!("\"{}\"", s.repeat(n))),
    ]
}

/// Object keys: a small colliding set (duplicates, length/bytewise ties)
/// plus arbitrary strings.
pub fn arb_key_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "\"\"", "\"a\"", "\"b\"", "\"B\"", "\"aa\"", "\"ab\"", "\"ba\"", "\"é\"", "\"\\u00e9\"",
            "\"e\"", "\"zz\"", "\"\\n\"", "\"a\\\"\"", "\"😀\"", "\"id\"", "\"seq\"",
        ]).prop_map(str::to_owned),
        1 => arb_string_text(),
    ]
}

fn arb_scalar_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => arb_number_text(),
        3 => arb_string_text(),
        1 => prop::sample::select(vec!["true", "false", "null"]).prop_map(str::to_owned),
    ]
}

/// A valid JSON text (possibly a top-level scalar) with random whitespace.
pub fn arb_valid_json_text() -> impl Strategy<Value = String> {
    let tree = arb_scalar_text().prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            proptest::collection::vec((arb_ws(), inner.clone(), arb_ws()), 0..6).prop_map(|v| {
                let items: Vec<String> = v
                    .into_iter()
                    .map(|(a, x, b)| format!("{a}{x}{b}"))
                    .collect();
                format!("[{}]", items.join(","))
            }),
            proptest::collection::vec((arb_ws(), arb_key_text(), arb_ws(), inner), 0..6).prop_map(
                |v| {
                    let items: Vec<String> = v
                        .into_iter()
                        .map(|(a, k, b, x)| format!("{a}{k}{b}:{a}{x}"))
                        .collect();
                    format!("{{{}}}", items.join(","))
                }
            ),
        ]
    });
    let deep =
        (1usize..900, arb_scalar_text(), prop::bool::ANY).prop_map(|(depth, leaf, objects)| {
            if objects {
                format!("{}{leaf}{}", "{\"k\":".repeat(depth), "}".repeat(depth))
            } else {
                format!("{}{leaf}{}", "[".repeat(depth), "]".repeat(depth))
            }
        });
    (arb_ws(), prop_oneof![12 => tree, 1 => deep], arb_ws())
        .prop_map(|(a, t, b)| format!("{a}{t}{b}"))
}

/// Fragments PostgreSQL must refuse wherever they appear as a value.
fn arb_poison() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "\"\\u0000\"",
        "\"a\\u0000b\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"\\ud800x\"",
        "\"\\ud800\\u0041\"",
        "\"\\ud83d\\ud83d\"",
        "\"\\ude00\\ud83d\"",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\u{1}\"",
        "\"a\tb\"",
        "\"a\nb\"",
        "01",
        "-01",
        "1.",
        ".5",
        "+1",
        "1e",
        "1e+",
        "0x10",
        "NaN",
        "Infinity",
        "-",
        "tru",
        "True",
        "nul",
        "1e131072",
        "1e-16384",
        "0e-16384",
        "0e1073741824",
        "1e2147483648",
        "[1,]",
        "{\"a\":1,}",
        "{\"a\"}",
        "{1:1}",
        "[1 2]",
        "\"unterminated",
        "[",
        "{",
        "]",
        "",
    ])
}

/// An invalid JSON text: a valid one with a poison fragment spliced in as a
/// value, or with trailing garbage.
pub fn arb_invalid_json_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (arb_poison(), arb_ws()).prop_map(|(p, w)| format!("{w}{p}")),
        (arb_poison(), arb_key_text()).prop_map(|(p, k)| format!("{{{k}: [1, {p}]}}")),
        (arb_poison(), arb_valid_json_text()).prop_map(|(p, v)| format!("[{v}, {p}]")),
        arb_valid_json_text().prop_map(|v| format!("{v} x")),
        arb_valid_json_text().prop_map(|v| format!("{v},")),
    ]
}

/// Nasty JSON texts, about seven in eight valid. See the module docs.
pub fn arb_json_text() -> impl Strategy<Value = String> {
    prop_oneof![7 => arb_valid_json_text(), 1 => arb_invalid_json_text()]
}

//! Identifiers, including hostile ones that must be quoted to be names.

use proptest::prelude::*;

/// PostgreSQL's identifier length limit in bytes (NAMEDATALEN - 1).
pub const MAX_IDENT_BYTES: usize = 63;

/// Truncate `s` to at most `max` bytes on a char boundary.
pub fn truncate_bytes(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// A plain lowercase identifier (`[a-z][a-z0-9_]{0,15}`).
pub fn arb_plain_ident() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,15}"
}

/// An identifier that only works when quoted: quotes, semicolons, spaces,
/// mixed case, unicode, SQL fragments, and names at the 63-byte limit.
/// Never empty, never contains NUL, at most 63 bytes.
pub fn arb_hostile_ident() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Robert'); DROP TABLE x;--".to_owned()),
        Just("a\"b".to_owned()),
        Just("semi;colon".to_owned()),
        Just("with space".to_owned()),
        Just("MixedCase".to_owned()),
        Just("select".to_owned()),
        Just("ünïcødé_名前".to_owned()),
        Just("$1".to_owned()),
        Just("x".repeat(MAX_IDENT_BYTES)),
        Just(format!("{}é", "y".repeat(MAX_IDENT_BYTES - 2))),
        "[a-zA-Z0-9 ;'\"\\-_$().,]{1,40}",
        "\\PC{1,20}",
    ]
    .prop_map(|s| truncate_bytes(&s.replace('\0', ""), MAX_IDENT_BYTES))
    .prop_filter("non-empty", |s| !s.is_empty())
}

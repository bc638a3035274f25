//! Recognising text that already is PostgreSQL's canonical `jsonb` output.
//!
//! Rows fetched from the server (`content::text`) and rows of exported packs
//! are canonical already; for them rendering is the identity, so the digest
//! paths check canonicality in one pass without writing anything and hash the
//! input directly. Anything this recogniser does not accept goes through the
//! full renderer, so it may be conservative (it refuses keys containing
//! escapes) but never accepts a text whose rendering differs from itself.

use crate::strings::scan_plain;

/// Reusable stack for [`is_canonical`].
#[derive(Default)]
pub(crate) struct CanonStack {
    /// Per open container: `None` for an array, the previous key's span
    /// (inside the quotes) for an object.
    frames: Vec<Option<(usize, usize)>>,
}

#[inline]
fn is_hex_lower(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// End (past the closing quote) of a canonical string starting at `pos`.
#[inline]
fn string(s: &[u8], pos: usize) -> Option<usize> {
    let mut p = pos + 1;
    loop {
        p = scan_plain(s, p);
        match *s.get(p)? {
            b'"' => return Some(p + 1),
            b'\\' => match *s.get(p + 1)? {
                b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => p += 2,
                b'u' => {
                    let h = s.get(p + 2..p + 6)?;
                    // escape_json writes \u00xx only for control characters
                    // without a short form, never \u0000.
                    if h[0] != b'0'
                        || h[1] != b'0'
                        || !matches!(h[2], b'0' | b'1')
                        || !is_hex_lower(h[3])
                    {
                        return None;
                    }
                    let code =
                        (h[2] - b'0') * 16 + char::from(h[3]).to_digit(16).map_or(0, |d| d as u8);
                    if matches!(code, 0 | 0x08 | 0x09 | 0x0A | 0x0C | 0x0D) {
                        return None;
                    }
                    p += 6;
                }
                _ => return None,
            },
            _ => return None, // raw control character
        }
    }
}

/// End of a canonical key (a string without escapes) starting at `pos`.
#[inline]
fn key(s: &[u8], pos: usize) -> Option<usize> {
    if s.get(pos) != Some(&b'"') {
        return None;
    }
    let p = scan_plain(s, pos + 1);
    (s.get(p) == Some(&b'"')).then_some(p + 1)
}

/// End of a canonical numeric starting at `pos`: no exponent, no negative
/// zero, within numeric's range.
#[inline]
fn number(s: &[u8], pos: usize) -> Option<usize> {
    let mut p = pos;
    let neg = s[p] == b'-';
    if neg {
        p += 1;
    }
    let int_start = p;
    match s.get(p) {
        Some(b'0') => p += 1,
        Some(b'1'..=b'9') => {
            p += 1;
            while s.get(p).is_some_and(u8::is_ascii_digit) {
                p += 1;
            }
        }
        _ => return None,
    }
    let int_len = p - int_start;
    let zero_int = s[int_start] == b'0';
    let mut all_zero = zero_int;
    if s.get(p) == Some(&b'.') {
        p += 1;
        let fs = p;
        while let Some(&d) = s.get(p).filter(|d| d.is_ascii_digit()) {
            all_zero &= d == b'0';
            p += 1;
        }
        if p == fs || p - fs > 16383 {
            return None;
        }
    }
    if (neg && all_zero) || (!zero_int && int_len > 131_072) {
        return None;
    }
    Some(p)
}

/// True when `s` is exactly the `::jsonb::text` PostgreSQL 16 prints for
/// it, so rendering `s` would return `s` unchanged.
pub(crate) fn is_canonical(s: &[u8], st: &mut CanonStack) -> bool {
    // Canonical text has no control characters anywhere (inside strings they
    // are escaped, outside there is no whitespace but spaces). Checked for
    // the whole text at once (the fold has no early exit, so it vectorises);
    // the string scans then only look for `"` and `\`.

    st.frames.clear();
    let ok = run(s, &mut st.frames).is_some();
    st.frames.clear();
    ok
}

fn run(s: &[u8], frames: &mut Vec<Option<(usize, usize)>>) -> Option<()> {
    let mut pos = 0usize;
    'value: loop {
        match *s.get(pos)? {
            b'"' => pos = string(s, pos)?,
            b'{' => {
                if s.get(pos + 1) == Some(&b'}') {
                    pos += 2;
                } else {
                    let end = key(s, pos + 1)?;
                    if s.get(end..end + 2) != Some(b": ") {
                        return None;
                    }
                    frames.push(Some((pos + 2, end - 1)));
                    pos = end + 2;
                    continue 'value;
                }
            }
            b'[' => {
                if s.get(pos + 1) == Some(&b']') {
                    pos += 2;
                } else {
                    frames.push(None);
                    pos += 1;
                    continue 'value;
                }
            }
            b'-' | b'0'..=b'9' => pos = number(s, pos)?,
            b't' if s.get(pos..pos + 4) == Some(b"true") => pos += 4,
            b'f' if s.get(pos..pos + 5) == Some(b"false") => pos += 5,
            b'n' if s.get(pos..pos + 4) == Some(b"null") => pos += 4,
            _ => return None,
        }
        loop {
            let Some(top) = frames.last_mut() else {
                return (pos == s.len()).then_some(());
            };
            match (*s.get(pos)?, *top) {
                (b',', None) => {
                    if s.get(pos + 1) != Some(&b' ') {
                        return None;
                    }
                    pos += 2;
                    continue 'value;
                }
                (b']', None) | (b'}', Some(_)) => {
                    frames.pop();
                    pos += 1;
                }
                (b',', Some((ps, pe))) => {
                    if s.get(pos + 1) != Some(&b' ') {
                        return None;
                    }
                    let ks = pos + 2;
                    let end = key(s, ks)?;
                    let (prev, cur) = (&s[ps..pe], &s[ks + 1..end - 1]);
                    // Strictly increasing in jsonb order: shorter first, then bytewise.
                    if (cur.len(), cur) <= (prev.len(), prev) {
                        return None;
                    }
                    if s.get(end..end + 2) != Some(b": ") {
                        return None;
                    }
                    *top = Some((ks + 1, end - 1));
                    pos = end + 2;
                    continue 'value;
                }
                _ => return None,
            }
        }
    }
}

#[cfg(all(test, feature = "testgen"))]
mod tests {
    use super::*;
    use crate::render::Renderer;
    use crate::testgen::arb_json_text;
    use proptest::prelude::*;

    fn full(text: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        Renderer::new()
            .render_full(text.as_bytes(), &mut out)
            .ok()
            .map(|()| out)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Never a false positive: recognised text renders to itself.
        #[test]
        fn recognised_text_is_a_fixed_point(text in arb_json_text()) {
            if is_canonical(text.as_bytes(), &mut CanonStack::default()) {
                prop_assert_eq!(full(&text), Some(text.into_bytes()));
            }
        }

        /// Rendered output is recognised (unless it has escapes, which the
        /// recogniser may conservatively refuse in keys).
        #[test]
        fn rendered_text_is_recognised(text in arb_json_text()) {
            if let Some(out) = full(&text) {
                let recognised = is_canonical(&out, &mut CanonStack::default());
                prop_assert!(recognised || out.contains(&b'\\'), "{:?}", String::from_utf8_lossy(&out));
                let text = String::from_utf8(out.clone()).unwrap_or_default();
                prop_assert_eq!(full(&text), Some(out));
            }
        }
    }

    #[test]
    fn refuses_non_canonical_spellings() {
        for t in [
            "[1,2]",
            "{\"a\":1}",
            "{\"b\": 1, \"a\": 2}",
            "{\"a\": 1, \"a\": 2}",
            "-0",
            "-0.0",
            "1e2",
            "1E2",
            "\"\\/\"",
            "\"\\u0041\"",
            "\"\\u000a\"",
            "\"\\u001F\"",
            "\"\\u0000\"",
            " 1",
            "1 ",
            "[1, 2 ]",
            "01",
            "{\"\\n\": 1}",
            "\"\u{1}\"",
            "[true ,false]",
            "1.",
            "tru",
        ] {
            assert!(
                !is_canonical(t.as_bytes(), &mut CanonStack::default()),
                "{t}"
            );
        }
        for t in [
            "[1, 2]",
            "{\"a\": 1}",
            "{\"b\": 1, \"aa\": 2}",
            "-0.5",
            "0.0",
            "\"\\u001f\\n\\\"\"",
            "[]",
            "{}",
            "null",
        ] {
            assert!(
                is_canonical(t.as_bytes(), &mut CanonStack::default()),
                "{t}"
            );
        }
    }
}

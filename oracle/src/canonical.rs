//! Recognising text that already is PostgreSQL's canonical `jsonb` output.
//!
//! Rows fetched from the server (`content::text`) and rows of exported packs
//! are canonical already; for them rendering is the identity, so the digest
//! paths check canonicality in one pass without writing anything and hash the
//! input directly. Anything this recogniser does not accept goes through the
//! full renderer, so it may be conservative (it refuses keys containing
//! escapes) but never accepts a text whose rendering differs from itself.

use sha2::digest::generic_array::GenericArray;

use crate::digest::Digest;
use crate::number::{lex_integer, MAX_DECIMAL_WEIGHT, MAX_DSCALE};
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
#[inline(always)]
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
#[inline(always)]
fn key(s: &[u8], pos: usize) -> Option<usize> {
    if s.get(pos) != Some(&b'"') {
        return None;
    }
    let p = scan_plain(s, pos + 1);
    (s.get(p) == Some(&b'"')).then_some(p + 1)
}

/// End of a canonical numeric starting at `pos`: no exponent, no negative
/// zero, within numeric's range.
#[inline(always)]
fn number(s: &[u8], pos: usize) -> Option<usize> {
    let (neg, int_digits) = lex_integer(s, pos)?;
    let mut p = int_digits.end;
    let int_len = int_digits.len();
    let zero_int = s[int_digits.start] == b'0';
    let mut all_zero = zero_int;
    if s.get(p) == Some(&b'.') {
        p += 1;
        let fs = p;
        while let Some(&d) = s.get(p).filter(|d| d.is_ascii_digit()) {
            all_zero &= d == b'0';
            p += 1;
        }
        if p == fs || (p - fs) as i64 > MAX_DSCALE {
            return None;
        }
    }
    if (neg && all_zero) || (!zero_int && int_len as i64 > MAX_DECIMAL_WEIGHT + 1) {
        return None;
    }
    Some(p)
}

/// True when `s` is exactly the `::jsonb::text` PostgreSQL 16 prints for
/// it, so rendering `s` would return `s` unchanged.
pub(crate) fn is_canonical(s: &[u8], st: &mut CanonStack) -> bool {
    st.frames.clear();
    let ok = run(s, &mut st.frames, &mut NoHash).is_some();
    st.frames.clear();
    ok
}

/// sha256 of `s` when `s` is canonical (see [`is_canonical`]), else `None`.
///
/// One pass: the 64-byte blocks are compressed as the recogniser walks over
/// them, so the integer work of recognising runs while the SHA unit's
/// latency-bound rounds are in flight instead of after them.
pub(crate) fn canonical_digest(s: &[u8], st: &mut CanonStack) -> Option<Digest> {
    st.frames.clear();
    let mut h = BlockHasher::new(s);
    let ok = run(s, &mut st.frames, &mut h).is_some();
    st.frames.clear();
    ok.then(|| h.finish())
}

/// Work interleaved with the recogniser: told how far it has read.
trait Progress {
    /// The recogniser is about to read the value at `pos`.
    fn reached(&mut self, pos: usize);
}

/// Recognising only.
struct NoHash;

impl Progress for NoHash {
    #[inline(always)]
    fn reached(&mut self, _pos: usize) {}
}

/// sha256 of a whole text, fed one block at a time, kept one block ahead
/// of the recogniser.
struct BlockHasher<'a> {
    s: &'a [u8],
    state: [u32; 8],
    /// Bytes compressed so far (a multiple of 64).
    done: usize,
}

/// sha256's initial state.
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

impl<'a> BlockHasher<'a> {
    fn new(s: &'a [u8]) -> Self {
        Self {
            s,
            state: SHA256_IV,
            done: 0,
        }
    }

    #[inline]
    fn compress(&mut self, block: &[u8]) {
        sha2::compress256(
            &mut self.state,
            std::slice::from_ref(GenericArray::from_slice(block)),
        );
    }

    /// Compresses every remaining full block, then the padding.
    fn finish(mut self) -> Digest {
        let s = self.s;
        let full = s.len() / 64 * 64;
        while self.done < full {
            self.compress(&s[self.done..self.done + 64]);
            self.done += 64;
        }
        let tail = &s[full..];
        let mut last = [0u8; 128];
        last[..tail.len()].copy_from_slice(tail);
        last[tail.len()] = 0x80;
        let blocks = if tail.len() < 56 { 1 } else { 2 };
        let bits = (s.len() as u64).wrapping_mul(8).to_be_bytes();
        last[blocks * 64 - 8..blocks * 64].copy_from_slice(&bits);
        for b in last[..blocks * 64].chunks_exact(64) {
            self.compress(b);
        }
        let mut out = [0u8; 32];
        for (o, w) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        Digest(out)
    }
}

impl Progress for BlockHasher<'_> {
    #[inline(always)]
    fn reached(&mut self, pos: usize) {
        // One block ahead of the recogniser.
        if pos + 64 >= self.done && self.done + 64 <= self.s.len() {
            let d = self.done;
            self.compress(&self.s[d..d + 64]);
            self.done = d + 64;
        }
    }
}

fn run(s: &[u8], frames: &mut Vec<Option<(usize, usize)>>, h: &mut impl Progress) -> Option<()> {
    let mut pos = 0usize;
    'value: loop {
        h.reached(pos);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Renderer;
    use pgconform_generators::json::differential::arb_json_text;
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

        /// The fused recogniser + hasher agrees with recognising, then
        /// hashing with `sha2` as a whole.
        #[test]
        fn fused_digest_is_sha256_of_canonical_text(text in arb_json_text()) {
            let mut st = CanonStack::default();
            let expected = is_canonical(text.as_bytes(), &mut st)
                .then(|| Digest::of_canonical(text.as_bytes()));
            prop_assert_eq!(canonical_digest(text.as_bytes(), &mut st), expected);
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

    /// Every length around sha256's block and padding boundaries.
    #[test]
    fn fused_digest_at_every_block_boundary() {
        let mut st = CanonStack::default();
        for n in 0..300 {
            let text = format!("[\"{}\", 1]", "é".repeat(n / 2) + &"x".repeat(n % 2));
            let d = canonical_digest(text.as_bytes(), &mut st);
            assert_eq!(d, Some(Digest::of_canonical(text.as_bytes())), "{n}");
            let bad = format!("{text} ");
            assert_eq!(canonical_digest(bad.as_bytes(), &mut st), None, "{n}");
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

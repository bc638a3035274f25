//! JSON string decoding (PostgreSQL 16 lexer rules) and `escape_json` output.

use crate::error::RenderError;

/// Bytes that end the fast scan of a string: `"`, `\` and control characters.
const fn special_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
}
static SPECIAL: [bool; 256] = special_table();

/// Returns the index of the first byte at or after `pos` that is `"`, `\\` or
/// a control character, or `input.len()`.
#[inline]
pub(crate) fn scan_plain(input: &[u8], pos: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        scan_plain_sse2(input, pos)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        scan_plain_swar(input, pos)
    }
}

/// [`scan_plain`] sixteen bytes at a time with SSE2 (part of x86-64).
#[cfg(target_arch = "x86_64")]
#[inline]
fn scan_plain_sse2(input: &[u8], mut pos: usize) -> usize {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, m128i, max_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };
    while let Some(chunk) = input.get(pos..pos + 16) {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(chunk);
        let v = m128i::from(bytes);
        let quote = cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b'"' as i8));
        let backslash = cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b'\\' as i8));
        // v <= 0x1f  <=>  max(v, 0x1f) == 0x1f (unsigned).
        let ctl_max = set_splat_i8_m128i(0x1f);
        let ctl = cmp_eq_mask_i8_m128i(max_u8_m128i(v, ctl_max), ctl_max);
        let hits = move_mask_i8_m128i(bitor_m128i(bitor_m128i(quote, backslash), ctl));
        if hits != 0 {
            return pos + hits.trailing_zeros() as usize;
        }
        pos += 16;
    }
    scan_plain_swar(input, pos)
}

/// [`scan_plain`] eight bytes at a time in a general-purpose register.
#[inline]
fn scan_plain_swar(input: &[u8], mut pos: usize) -> usize {
    // Eight bytes at a time: a word has no special byte when no byte is
    // < 0x20, == 0x22 or == 0x5c.
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while pos + 8 <= input.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&input[pos..pos + 8]);
        let v = u64::from_le_bytes(w);
        let lt20 = v.wrapping_sub(LO * 0x20) & !v;
        let q = v ^ (LO * b'"' as u64);
        let eq_q = q.wrapping_sub(LO) & !q;
        let b = v ^ (LO * b'\\' as u64);
        let eq_b = b.wrapping_sub(LO) & !b;
        let hits = (lt20 | eq_q | eq_b) & HI;
        if hits != 0 {
            // The lowest flagged byte is exact (borrows only propagate upwards).
            return pos + (hits.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while pos < input.len() && !SPECIAL[input[pos] as usize] {
        pos += 1;
    }
    pos
}

/// Decodes the `\uXXXX` escape at `esc` (pairing surrogates through
/// `pending`, the high half waiting for its low half) and returns the offset
/// past it.
#[inline]
fn decode_u_escape(
    input: &[u8],
    esc: usize,
    pending: &mut Option<(u32, usize)>,
    dst: &mut Vec<u8>,
) -> Result<usize, RenderError> {
    let cu =
        read_hex4(input, esc + 2).ok_or(RenderError::syntax(esc, "invalid \\u escape sequence"))?;
    match cu {
        0xD800..=0xDBFF => {
            if pending.is_some() {
                return Err(RenderError::Surrogate {
                    offset: esc,
                    reason: "unicode high surrogate must not follow a high surrogate",
                });
            }
            *pending = Some((cu, esc));
        }
        0xDC00..=0xDFFF => {
            let Some((hi, _)) = pending.take() else {
                return Err(lone_high(esc));
            };
            let cp = 0x10000 + ((hi - 0xD800) << 10) + (cu - 0xDC00);
            push_char(dst, cp);
        }
        _ => {
            if let Some((_, at)) = *pending {
                return Err(lone_high(at));
            }
            if cu == 0 {
                return Err(RenderError::NulEscape { offset: esc });
            }
            push_char(dst, cu);
        }
    }
    Ok(esc + 6)
}

/// Decodes the JSON string whose opening quote is at `start`, appending the
/// decoded (UTF-8) bytes to `dst`. Returns the offset just past the closing
/// quote and whether the raw text contained any escape.
pub(crate) fn decode_string(
    input: &[u8],
    start: usize,
    dst: &mut Vec<u8>,
) -> Result<(usize, bool), RenderError> {
    let body = start + 1;
    let stop = scan_plain(input, body);
    match input.get(stop) {
        Some(b'"') => {
            dst.extend_from_slice(&input[body..stop]);
            return Ok((stop + 1, false));
        }
        None => return Err(RenderError::syntax(start, "unterminated string")),
        Some(_) => {}
    }
    dst.extend_from_slice(&input[body..stop]);
    let mut pos = stop;
    // A high surrogate waiting for its low half: (code unit, offset of escape).
    let mut pending: Option<(u32, usize)> = None;
    loop {
        let Some(&b) = input.get(pos) else {
            return Err(RenderError::syntax(start, "unterminated string"));
        };
        match b {
            b'"' => {
                if let Some((_, at)) = pending {
                    return Err(lone_high(at));
                }
                return Ok((pos + 1, true));
            }
            b'\\' => {
                let esc = pos;
                let Some(&e) = input.get(pos + 1) else {
                    return Err(RenderError::syntax(start, "unterminated string"));
                };
                if e == b'u' {
                    pos = decode_u_escape(input, esc, &mut pending, dst)?;
                    continue;
                }
                if let Some((_, at)) = pending {
                    return Err(lone_high(at));
                }
                let decoded = match e {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 0x08,
                    b'f' => 0x0C,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    _ => return Err(RenderError::syntax(esc, "invalid escape sequence")),
                };
                dst.push(decoded);
                pos += 2;
            }
            c if c < 0x20 => {
                return Err(RenderError::UnescapedControl {
                    offset: pos,
                    byte: c,
                });
            }
            _ => {
                if let Some((_, at)) = pending {
                    return Err(lone_high(at));
                }
                let next = scan_plain(input, pos);
                dst.extend_from_slice(&input[pos..next]);
                pos = next;
            }
        }
    }
}

fn lone_high(offset: usize) -> RenderError {
    RenderError::Surrogate {
        offset,
        reason: "unicode low surrogate must follow a high surrogate",
    }
}

fn read_hex4(input: &[u8], pos: usize) -> Option<u32> {
    let digits = input.get(pos..pos + 4)?;
    let mut v = 0u32;
    for &d in digits {
        v = v * 16 + char::from(d).to_digit(16)?;
    }
    Some(v)
}

fn push_char(dst: &mut Vec<u8>, cp: u32) {
    // Surrogates never reach here, so the code point is a valid char.
    let c = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
    let mut buf = [0u8; 4];
    dst.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Appends `s` as a quoted JSON string exactly as PostgreSQL's `escape_json`
/// writes it: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control
/// characters as `\u00xx` (lowercase hex), everything else (including `/`,
/// DEL and non-ASCII) raw.
pub(crate) fn escape_into(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    let mut pos = 0;
    while pos < s.len() {
        let next = scan_plain(s, pos);
        out.extend_from_slice(&s[pos..next]);
        let Some(&c) = s.get(next) else { break };
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(c >> 4)]);
                out.push(HEX[usize::from(c & 0xF)]);
            }
        }
        pos = next + 1;
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_finds_specials_in_any_lane() {
        for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for at in 0..20 {
                let mut v = vec![b'a'; 20];
                v[at] = special;
                assert_eq!(scan_plain(&v, 0), at);
            }
        }
        let v = "héllo wörld 😀 \u{7f} ~ !".as_bytes();
        assert_eq!(scan_plain(v, 0), v.len());
    }
}

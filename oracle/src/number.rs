//! JSON number lexing and PostgreSQL `numeric` output.
//!
//! PostgreSQL stores a jsonb number as `numeric` and prints it with
//! `numeric_out`. The rules, established against a live PostgreSQL 16.14
//! (see `tests/pg16_known_outputs.rs`):
//!
//! * the value is exact: digits are never rounded or dropped;
//! * the display scale is `max(0, digits after the point - exponent)`, so
//!   `1.50` → `1.50`, `1.50e1` → `15.0`, `1.0e2` → `100`, `0.0e5` → `0`,
//!   `-0.0e-5` → `0.000000`, `10e-1` → `1.0`;
//! * the integer part has no leading zeros (at least `0`); zero is never
//!   negative (`-0` → `0`, `-0.0` → `0.0`);
//! * range: the exponent's magnitude must not exceed 1073741823 (checked
//!   while reading it, even for zero), the display scale must not exceed
//!   16383, and a non-zero value's most significant digit must have decimal
//!   weight at most 131071 (at most 131072 digits before the point), else
//!   "value overflows numeric format".

use std::ops::Range;

use crate::error::RenderError;

/// Largest display scale `numeric` can store (`NUMERIC_DSCALE_MAX`).
pub const MAX_DSCALE: i64 = 16383;
/// Largest decimal weight of a non-zero value's leading digit (NBASE weight 32767).
pub const MAX_DECIMAL_WEIGHT: i64 = 131_071;
/// Largest exponent magnitude `numeric_in` accepts (`PG_INT32_MAX / 2`).
pub const MAX_EXPONENT: i64 = 1_073_741_823;

/// Lexes the sign and integer part of the JSON number at `pos`: whether it
/// is negative and where its integer digits are (`0`, or a non-zero digit
/// and the digits after it); `None` when no digit follows the optional `-`.
#[inline(always)]
pub(crate) fn lex_integer(input: &[u8], pos: usize) -> Option<(bool, Range<usize>)> {
    let neg = input.get(pos) == Some(&b'-');
    let start = pos + usize::from(neg);
    let mut end = start;
    match input.get(end) {
        Some(b'0') => end += 1,
        Some(b'1'..=b'9') => {
            end += 1;
            while input.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
        }
        _ => return None,
    }
    Some((neg, start..end))
}

/// Lexes an optional exponent (`e`/`E`, sign, digits) at `pos` of the number
/// starting at `start`: the offset past it and its value, `None` when there
/// is no exponent.
#[inline]
fn lex_exponent(
    input: &[u8],
    mut pos: usize,
    start: usize,
) -> Result<(usize, Option<i64>), RenderError> {
    if !matches!(input.get(pos), Some(b'e' | b'E')) {
        return Ok((pos, None));
    }
    pos += 1;
    let mut exp_neg = false;
    match input.get(pos) {
        Some(b'+') => pos += 1,
        Some(b'-') => {
            exp_neg = true;
            pos += 1;
        }
        _ => {}
    }
    let es = pos;
    let mut exponent: i64 = 0;
    while let Some(&d @ b'0'..=b'9') = input.get(pos) {
        exponent = exponent * 10 + i64::from(d - b'0');
        if exponent > MAX_EXPONENT {
            // numeric_in fails as soon as the exponent passes INT32_MAX/2,
            // but the token must still be a syntactically valid number.
            while matches!(input.get(pos), Some(b'0'..=b'9')) {
                pos += 1;
            }
            check_token_end(input, pos, start)?;
            return Err(RenderError::NumericOverflow { offset: start });
        }
        pos += 1;
    }
    if pos == es {
        return Err(RenderError::syntax(
            start,
            "invalid number: digit expected in exponent",
        ));
    }
    Ok((pos, Some(if exp_neg { -exponent } else { exponent })))
}

/// Lexes the JSON number starting at `start` (which holds `-` or a digit),
/// appends its canonical `numeric` text to `out` and returns the offset just
/// past the number.
pub(crate) fn render_number(
    input: &[u8],
    start: usize,
    out: &mut Vec<u8>,
) -> Result<usize, RenderError> {
    let Some((neg, int_digits)) = lex_integer(input, start) else {
        return Err(RenderError::syntax(start, "invalid number"));
    };
    let mut pos = int_digits.end;
    let (frac_start, frac_end) = if input.get(pos) == Some(&b'.') {
        pos += 1;
        let fs = pos;
        while matches!(input.get(pos), Some(b'0'..=b'9')) {
            pos += 1;
        }
        if pos == fs {
            return Err(RenderError::syntax(
                start,
                "invalid number: digit expected after '.'",
            ));
        }
        (fs, pos)
    } else {
        (pos, pos)
    };
    let (pos, exponent) = lex_exponent(input, pos, start)?;
    let has_exp = exponent.is_some();
    let exponent = exponent.unwrap_or(0);
    check_token_end(input, pos, start)?;

    let int = &input[int_digits];
    let frac = &input[frac_start..frac_end];
    if !has_exp {
        // Fast path: the lexeme already is numeric's output, except for `-0…`.
        if frac.len() as i64 > MAX_DSCALE {
            return Err(RenderError::NumericOverflow { offset: start });
        }
        let is_zero = int == b"0";
        if !is_zero && int.len() as i64 > MAX_DECIMAL_WEIGHT + 1 {
            return Err(RenderError::NumericOverflow { offset: start });
        }
        if neg && is_zero && frac.iter().all(|&d| d == b'0') {
            out.extend_from_slice(&input[start + 1..pos]);
        } else {
            out.extend_from_slice(&input[start..pos]);
        }
        return Ok(pos);
    }
    write_scaled(int, frac, exponent, neg, start, out)?;
    Ok(pos)
}

/// PostgreSQL's lexer reads a number token up to the next delimiter; a
/// letter, digit or dot glued to it makes the whole token invalid.
fn check_token_end(input: &[u8], pos: usize, start: usize) -> Result<(), RenderError> {
    match input.get(pos) {
        Some(b) if b.is_ascii_alphanumeric() || *b == b'.' || *b == b'_' || *b >= 0x80 => {
            Err(RenderError::syntax(start, "invalid number"))
        }
        _ => Ok(()),
    }
}

/// Writes `±int.frac × 10^exponent` as numeric_out would.
fn write_scaled(
    int: &[u8],
    frac: &[u8],
    exponent: i64,
    neg: bool,
    offset: usize,
    out: &mut Vec<u8>,
) -> Result<(), RenderError> {
    let len = (int.len() + frac.len()) as i64;
    let digit = |i: i64| -> u8 {
        let i = i as usize;
        if i < int.len() {
            int[i]
        } else {
            frac[i - int.len()]
        }
    };
    // Position of the decimal point inside the digit string int ++ frac.
    let point = int.len() as i64 + exponent;
    let scale = (frac.len() as i64 - exponent).max(0);
    if scale > MAX_DSCALE {
        return Err(RenderError::NumericOverflow { offset });
    }
    let first_nonzero = (0..len).find(|&i| digit(i) != b'0');
    let Some(msd) = first_nonzero else {
        out.push(b'0');
        if scale > 0 {
            out.push(b'.');
            out.resize(out.len() + scale as usize, b'0');
        }
        return Ok(());
    };
    if point - 1 - msd > MAX_DECIMAL_WEIGHT {
        return Err(RenderError::NumericOverflow { offset });
    }
    if neg {
        out.push(b'-');
    }
    if point <= msd {
        out.push(b'0');
    } else {
        for i in msd..point.min(len) {
            out.push(digit(i));
        }
        if point > len {
            out.resize(out.len() + (point - len) as usize, b'0');
        }
    }
    if scale > 0 {
        // Here scale == len - point: the fraction is exactly the digit tail.
        out.push(b'.');
        if point < 0 {
            out.resize(out.len() + (-point) as usize, b'0');
        }
        for i in point.max(0)..len {
            out.push(digit(i));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> Result<String, RenderError> {
        let mut out = Vec::new();
        let end = render_number(s.as_bytes(), 0, &mut out)?;
        assert_eq!(end, s.len());
        Ok(String::from_utf8(out).unwrap_or_default())
    }

    #[test]
    fn scale_follows_exponent() {
        for (i, o) in [
            ("1.50", "1.50"),
            ("1.50e1", "15.0"),
            ("1.0e2", "100"),
            ("0.0e5", "0"),
            ("-0.0e-5", "0.000000"),
            ("10e-1", "1.0"),
            ("12345e-10", "0.0000012345"),
            ("-0", "0"),
            ("-0.0", "0.0"),
            ("-1.0E-0", "-1.0"),
            ("1E+2", "100"),
            ("0.0001e131075", &format!("1{}", "0".repeat(131_071))),
        ] {
            assert_eq!(canon(i).as_deref(), Ok(o), "{i}");
        }
    }

    #[test]
    fn range_limits() {
        assert!(canon("1e131071").is_ok());
        assert!(canon("1e131072").is_err());
        assert!(canon("1e-16383").is_ok());
        assert!(canon("1e-16384").is_err());
        assert!(canon("0e1073741823").is_ok());
        assert!(canon("0e1073741824").is_err());
        assert!(canon("0e-16384").is_err());
    }
}

//! Streaming rows out of PostgreSQL for the oracle: `COPY … TO STDOUT (FORMAT
//! binary)`, parsed in place.
//!
//! Binary COPY sends each text field as its raw UTF-8 bytes with a length
//! prefix, so nothing is unescaped and no row is allocated: the callback sees
//! slices of one reused buffer. This is how the oracle reads large tables
//! (durability's source and restored schemas), and what `benches/verify.rs`
//! measures against PostgreSQL doing the same verification in SQL.

use std::io::Read;

use postgres::Client;
use thiserror::Error;

use crate::pg::describe;

/// Why a COPY stream could not be read.
#[derive(Debug, Error)]
pub enum CopyStreamError {
    /// The server refused the COPY or the connection failed.
    #[error("COPY failed: {0}")]
    Server(String),
    /// Reading the stream failed.
    #[error("reading the COPY stream failed: {0}")]
    Io(#[from] std::io::Error),
    /// The bytes are not binary COPY as PostgreSQL writes it.
    #[error("malformed binary COPY stream at byte {offset}: {what}")]
    Malformed {
        /// Offset in the stream.
        offset: u64,
        /// What was wrong.
        what: &'static str,
    },
    /// A field was NULL where the query promised text.
    #[error("row {row}: field {field} is NULL")]
    Null {
        /// 0-based row number.
        row: u64,
        /// 0-based field number.
        field: usize,
    },
}

impl From<CopyStreamError> for crate::CaseError {
    fn from(e: CopyStreamError) -> Self {
        Self::Env(e.to_string())
    }
}

/// `PGCOPY\n\377\r\n\0`, then 32-bit flags and header-extension length.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Most fields a row may have (more is refused as malformed).
const MAX_FIELDS: usize = 16;

/// Runs `COPY (select) TO STDOUT (FORMAT binary)` and calls `on_row` with each
/// row's fields (all non-NULL). Returns the number of rows.
///
/// `select` must be a complete query (COPY takes no bind parameters): quote
/// any value with [`crate::pg::quote_literal`].
///
/// # Errors
/// [`CopyStreamError`] when the server refuses the query, the stream breaks
/// or is malformed, or a field is NULL.
pub fn copy_rows(
    client: &mut Client,
    select: &str,
    mut on_row: impl FnMut(&[&[u8]]),
) -> Result<u64, CopyStreamError> {
    let sql = format!("COPY ({select}) TO STDOUT (FORMAT binary)");
    let reader = client
        .copy_out(sql.as_str())
        .map_err(|e| CopyStreamError::Server(describe(&e)))?;
    parse_binary_copy(reader, &mut on_row)
}

/// The length of the stream header at the front of `avail` (stream offset
/// `at`): signature, flags and header extension; `None` while incomplete.
fn header_len(avail: &[u8], at: u64) -> Result<Option<usize>, CopyStreamError> {
    if avail.len() < 19 {
        return Ok(None);
    }
    if &avail[..11] != SIGNATURE {
        return Err(malformed(at, "missing PGCOPY signature"));
    }
    let ext = be_u32(&avail[15..19]) as usize;
    if avail.len() < 19 + ext {
        return Ok(None);
    }
    Ok(Some(19 + ext))
}

/// Start and end of each field of a row.
type Spans = [(usize, usize); MAX_FIELDS];

/// Field spans (relative to `avail`) of row number `row`, whose `count`
/// fields follow its field count at the front of `avail` (stream offset
/// `at`), and the row's length; `None` while the row is incomplete.
fn row_spans(
    avail: &[u8],
    at: u64,
    count: usize,
    row: u64,
) -> Result<Option<(Spans, usize)>, CopyStreamError> {
    let mut spans: Spans = [(0, 0); MAX_FIELDS];
    let mut p = 2usize;
    for (i, span) in spans.iter_mut().take(count).enumerate() {
        let Some(len) = avail.get(p..p + 4) else {
            return Ok(None);
        };
        let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
        if len == -1 {
            return Err(CopyStreamError::Null { row, field: i });
        }
        let len = usize::try_from(len).map_err(|_| malformed(at + p as u64, "bad length"))?;
        p += 4;
        if avail.len() < p + len {
            return Ok(None);
        }
        *span = (p, p + len);
        p += len;
    }
    Ok(Some((spans, p)))
}

/// Parses a binary COPY stream (see [`copy_rows`]).
fn parse_binary_copy(
    mut reader: impl Read,
    on_row: &mut impl FnMut(&[&[u8]]),
) -> Result<u64, CopyStreamError> {
    let mut buf = vec![0u8; 1 << 18];
    let mut filled = 0usize; // bytes of `buf` holding stream data
    let mut start = 0usize; // first unparsed byte of `buf`
    let mut consumed: u64 = 0; // stream offset of `buf[0]`
    let mut rows = 0u64;
    let mut header_done = false;
    let mut eof = false;
    loop {
        // Parse every complete item in buf[start..].
        loop {
            let avail = &buf[start..filled];
            let at = consumed + start as u64;
            if !header_done {
                let Some(len) = header_len(avail, at)? else {
                    break;
                };
                start += len;
                header_done = true;
                continue;
            }
            if avail.len() < 2 {
                break;
            }
            let count = i16::from_be_bytes([avail[0], avail[1]]);
            if count == -1 {
                return if avail.len() == 2 && eof {
                    Ok(rows)
                } else if avail.len() > 2 {
                    Err(malformed(at + 2, "data after the trailer"))
                } else {
                    break;
                };
            }
            let count = usize::try_from(count)
                .ok()
                .filter(|&c| c <= MAX_FIELDS)
                .ok_or_else(|| malformed(at, "bad field count"))?;
            let Some((spans, p)) = row_spans(avail, at, count, rows)? else {
                break;
            };
            let mut fields: [&[u8]; MAX_FIELDS] = [&[]; MAX_FIELDS];
            for (f, &(s, e)) in fields.iter_mut().zip(&spans[..count]) {
                *f = &avail[s..e];
            }
            on_row(&fields[..count]);
            rows += 1;
            start += p;
        }
        if eof {
            return Err(malformed(
                consumed + start as u64,
                "stream ended inside a row or before the trailer",
            ));
        }
        // Keep the unparsed tail at the front, grow only for a row larger
        // than the buffer, then read more.
        buf.copy_within(start..filled, 0);
        filled -= start;
        consumed += start as u64;
        start = 0;
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = reader.read(&mut buf[filled..])?;
        filled += n;
        eof = n == 0;
    }
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn malformed(offset: u64, what: &'static str) -> CopyStreamError {
    CopyStreamError::Malformed { offset, what }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(rows: &[&[&str]]) -> Vec<u8> {
        let mut v = SIGNATURE.to_vec();
        v.extend_from_slice(&0u32.to_be_bytes());
        v.extend_from_slice(&0u32.to_be_bytes());
        for r in rows {
            v.extend_from_slice(&(r.len() as i16).to_be_bytes());
            for f in *r {
                v.extend_from_slice(&(f.len() as i32).to_be_bytes());
                v.extend_from_slice(f.as_bytes());
            }
        }
        v.extend_from_slice(&(-1i16).to_be_bytes());
        v
    }

    /// A reader that hands out at most `step` bytes per read, so every split
    /// point inside headers, lengths and fields is exercised.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn collect(data: &[u8], step: usize) -> Result<Vec<Vec<String>>, CopyStreamError> {
        let mut got = Vec::new();
        parse_binary_copy(Trickle { data, step }, &mut |f: &[&[u8]]| {
            got.push(
                f.iter()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .collect(),
            );
        })?;
        Ok(got)
    }

    #[test]
    fn rows_survive_every_split_point() {
        let rows: Vec<Vec<String>> = (0..50)
            .map(|i| {
                vec![
                    format!("t{}", i % 3),
                    format!("{{\"i\": {i}}}"),
                    String::new(),
                ]
            })
            .collect();
        let refs: Vec<Vec<&str>> = rows
            .iter()
            .map(|r| r.iter().map(String::as_str).collect())
            .collect();
        let refs: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
        let data = stream(&refs);
        for step in [1, 2, 3, 7, 64, 1 << 20] {
            assert_eq!(collect(&data, step).expect("parse"), rows, "step {step}");
        }
    }

    #[test]
    fn truncated_and_corrupt_streams_are_refused() {
        let data = stream(&[&["a", "b"]]);
        for cut in 0..data.len() {
            assert!(
                matches!(
                    collect(&data[..cut], 5),
                    Err(CopyStreamError::Malformed { .. })
                ),
                "cut {cut}"
            );
        }
        let mut bad = data.clone();
        bad[0] = b'X';
        assert!(matches!(
            collect(&bad, 4096),
            Err(CopyStreamError::Malformed { .. })
        ));
        let mut extra = data;
        extra.push(0);
        assert!(matches!(
            collect(&extra, 4096),
            Err(CopyStreamError::Malformed { .. })
        ));
    }

    #[test]
    fn null_fields_are_named() {
        let mut v = SIGNATURE.to_vec();
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&1i16.to_be_bytes());
        v.extend_from_slice(&(-1i32).to_be_bytes());
        v.extend_from_slice(&(-1i16).to_be_bytes());
        assert!(matches!(
            collect(&v, 4096),
            Err(CopyStreamError::Null { row: 0, field: 0 })
        ));
    }
}

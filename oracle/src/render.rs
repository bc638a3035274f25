//! Canonical rendering: JSON text → the exact bytes of PostgreSQL 16's
//! `value::jsonb::text`.
//!
//! The renderer is a single pass over the input with an explicit stack (no
//! recursion, so nesting depth is bounded by memory only) that writes the
//! output as it goes. Objects are written in input order while the decoded
//! keys are remembered; when an object closes, its members are reordered in
//! place only if they were not already in jsonb order (shorter key first,
//! then bytewise; a duplicated key keeps its last value). Buffers are reused
//! between calls, so rendering a row allocates nothing in the steady state.
//!
//! PostgreSQL itself refuses very deep nesting with "stack depth limit
//! exceeded" (with the default `max_stack_depth = 2MB`, 10000 nested arrays
//! or objects are accepted and 20000 arrays are not); that limit depends on
//! the server's configuration, so it is not reproduced here.

use std::cell::RefCell;
use std::cmp::Ordering;

use crate::canonical::{canonical_digest, is_canonical, CanonStack};
use crate::digest::Digest;
use crate::error::RenderError;
use crate::number::render_number;
use crate::strings::{decode_string, escape_into};

/// One member of an object being rendered.
#[derive(Clone, Copy)]
struct Member {
    /// Decoded key: a range of the input when the key has no escapes
    /// (`in_input`), else of `Renderer::keys`.
    key_start: usize,
    key_end: usize,
    in_input: bool,
    /// The rendered `"key": value` text, as a range of the output.
    seg_start: usize,
    seg_end: usize,
}

#[derive(Clone, Copy)]
enum Frame {
    Array,
    Object {
        /// Output offset just after the `{`.
        content_start: usize,
        /// First of this object's records in `Renderer::members`.
        members_base: usize,
        /// First of this object's bytes in `Renderer::keys`.
        keys_base: usize,
    },
}

/// A reusable canonical renderer. Keep one per thread to render many rows
/// without allocating; [`render`] and [`crate::row_digest`] do this for you.
#[derive(Default)]
pub struct Renderer {
    frames: Vec<Frame>,
    members: Vec<Member>,
    keys: Vec<u8>,
    scratch: Vec<u8>,
    order: Vec<usize>,
    canon: CanonStack,
    buf: Vec<u8>,
}

/// What [`Renderer::value`] left open.
enum Opened {
    /// A non-empty container was opened: a value is expected at this offset.
    Container(usize),
    /// No container is left open: the value ended at this offset.
    Nothing(usize),
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer").finish_non_exhaustive()
    }
}

#[inline]
fn skip_ws(input: &[u8], mut pos: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = input.get(pos) {
        pos += 1;
    }
    pos
}

#[inline]
fn key_cmp(a: &[u8], b: &[u8]) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Renderer {
    /// Creates a renderer with empty buffers.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Renders the JSON text `input` and appends PostgreSQL 16's
    /// `::jsonb::text` bytes to `out`. On error, `out` may hold a partial
    /// rendering past its original length.
    ///
    /// # Errors
    /// [`RenderError`] for anything PostgreSQL's `jsonb` input rejects.
    pub fn render_str_into(&mut self, input: &str, out: &mut Vec<u8>) -> Result<(), RenderError> {
        self.render_utf8_into(input.as_bytes(), out)
    }

    /// Like [`Renderer::render_str_into`] for bytes, which must be UTF-8.
    ///
    /// # Errors
    /// [`RenderError::InvalidUtf8`] for invalid UTF-8, else as
    /// [`Renderer::render_str_into`].
    pub fn render_bytes_into(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        if let Err(e) = std::str::from_utf8(input) {
            return Err(RenderError::InvalidUtf8 {
                offset: e.valid_up_to(),
            });
        }
        self.render_utf8_into(input, out)
    }

    /// The row digest of `input`: sha256 of its canonical rendering. Text
    /// that already is canonical (as rows fetched from PostgreSQL are) is
    /// recognised in one pass and hashed as it is, without being copied.
    ///
    /// # Errors
    /// [`RenderError`] for anything PostgreSQL's `jsonb` input rejects.
    pub fn digest_str(&mut self, input: &str) -> Result<Digest, RenderError> {
        self.digest_utf8(input.as_bytes())
    }

    /// [`Renderer::digest_str`] for bytes, which must be UTF-8.
    ///
    /// # Errors
    /// [`RenderError::InvalidUtf8`] for invalid UTF-8, else as
    /// [`Renderer::digest_str`].
    pub fn digest_bytes(&mut self, input: &[u8]) -> Result<Digest, RenderError> {
        if let Err(e) = std::str::from_utf8(input) {
            return Err(RenderError::InvalidUtf8 {
                offset: e.valid_up_to(),
            });
        }
        self.digest_utf8(input)
    }

    fn digest_utf8(&mut self, input: &[u8]) -> Result<Digest, RenderError> {
        if let Some(d) = canonical_digest(input, &mut self.canon) {
            return Ok(d);
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let result = self
            .render_full(input, &mut buf)
            .map(|()| Digest::of_canonical(&buf));
        self.buf = buf;
        result
    }

    /// Renders bytes already known to be valid UTF-8.
    fn render_utf8_into(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), RenderError> {
        if is_canonical(input, &mut self.canon) {
            out.extend_from_slice(input);
            return Ok(());
        }
        self.render_full(input, out)
    }

    /// The full renderer (no canonical shortcut).
    pub(crate) fn render_full(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), RenderError> {
        self.frames.clear();
        self.members.clear();
        self.keys.clear();
        let result = self.run(input, out);
        if result.is_err() {
            self.frames.clear();
            self.members.clear();
            self.keys.clear();
        }
        result
    }

    fn run(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), RenderError> {
        let mut pos = skip_ws(input, 0);
        loop {
            // A value is expected at `pos`.
            match self.value(input, pos, out)? {
                Opened::Container(p) => pos = p,
                Opened::Nothing(p) => match self.after_value(input, p, out)? {
                    Some(p) => pos = p,
                    None => return Ok(()),
                },
            }
        }
    }

    /// Renders the value at `pos`, or opens its container: where the next
    /// value is expected, or where the scalar or empty container ended.
    #[inline]
    fn value(
        &mut self,
        input: &[u8],
        mut pos: usize,
        out: &mut Vec<u8>,
    ) -> Result<Opened, RenderError> {
        match input.get(pos) {
            Some(b'{') => {
                pos = skip_ws(input, pos + 1);
                if input.get(pos) == Some(&b'}') {
                    out.extend_from_slice(b"{}");
                    pos += 1;
                } else {
                    out.push(b'{');
                    self.frames.push(Frame::Object {
                        content_start: out.len(),
                        members_base: self.members.len(),
                        keys_base: self.keys.len(),
                    });
                    pos = self.member_key(input, pos, out)?;
                    return Ok(Opened::Container(pos));
                }
            }
            Some(b'[') => {
                pos = skip_ws(input, pos + 1);
                if input.get(pos) == Some(&b']') {
                    out.extend_from_slice(b"[]");
                    pos += 1;
                } else {
                    out.push(b'[');
                    self.frames.push(Frame::Array);
                    return Ok(Opened::Container(pos));
                }
            }
            Some(b'"') => {
                let stop = crate::strings::scan_plain(input, pos + 1);
                if input.get(stop) == Some(&b'"') {
                    // No escapes: the raw text is already escape_json's output.
                    out.extend_from_slice(&input[pos..=stop]);
                    pos = stop + 1;
                } else {
                    // Decode, then re-escape the way escape_json does.
                    self.scratch.clear();
                    let (end, _) = decode_string(input, pos, &mut self.scratch)?;
                    escape_into(out, &self.scratch);
                    pos = end;
                }
            }
            Some(b'-' | b'0'..=b'9') => pos = render_number(input, pos, out)?,
            Some(b't') => pos = literal(input, pos, b"true", out)?,
            Some(b'f') => pos = literal(input, pos, b"false", out)?,
            Some(b'n') => pos = literal(input, pos, b"null", out)?,
            Some(_) => return Err(RenderError::syntax(pos, "expected json value")),
            None => return Err(RenderError::syntax(pos, "unexpected end of input")),
        }
        Ok(Opened::Nothing(pos))
    }

    /// A value just ended at `pos`: continue in the enclosing containers.
    /// Returns where the next value is expected, or `None` at the end of a
    /// complete document.
    #[inline]
    fn after_value(
        &mut self,
        input: &[u8],
        mut pos: usize,
        out: &mut Vec<u8>,
    ) -> Result<Option<usize>, RenderError> {
        loop {
            pos = skip_ws(input, pos);
            match self.frames.last().copied() {
                None => {
                    if pos == input.len() {
                        return Ok(None);
                    }
                    return Err(RenderError::syntax(pos, "expected end of input"));
                }
                Some(Frame::Array) => match input.get(pos) {
                    Some(b',') => {
                        out.extend_from_slice(b", ");
                        pos = skip_ws(input, pos + 1);
                        return Ok(Some(pos));
                    }
                    Some(b']') => {
                        out.push(b']');
                        self.frames.pop();
                        pos += 1;
                    }
                    _ => return Err(RenderError::syntax(pos, "expected \",\" or \"]\"")),
                },
                Some(Frame::Object {
                    content_start,
                    members_base,
                    keys_base,
                }) => {
                    if let Some(m) = self.members.last_mut() {
                        m.seg_end = out.len();
                    }
                    match input.get(pos) {
                        Some(b',') => {
                            out.extend_from_slice(b", ");
                            pos = skip_ws(input, pos + 1);
                            pos = self.member_key(input, pos, out)?;
                            return Ok(Some(pos));
                        }
                        Some(b'}') => {
                            self.close_object(input, content_start, members_base, out);
                            self.members.truncate(members_base);
                            self.keys.truncate(keys_base);
                            self.frames.pop();
                            pos += 1;
                        }
                        _ => return Err(RenderError::syntax(pos, "expected \",\" or \"}\"")),
                    }
                }
            }
        }
    }

    /// Reads `"key" :` at `pos`, writes `"key": ` and records the member.
    /// Returns the offset of the member's value (whitespace skipped).
    fn member_key(
        &mut self,
        input: &[u8],
        pos: usize,
        out: &mut Vec<u8>,
    ) -> Result<usize, RenderError> {
        if input.get(pos) != Some(&b'"') {
            return Err(RenderError::syntax(pos, "expected string as object key"));
        }
        let seg_start = out.len();
        let stop = crate::strings::scan_plain(input, pos + 1);
        let (end, key_start, key_end, in_input) = if input.get(stop) == Some(&b'"') {
            out.extend_from_slice(&input[pos..=stop]);
            (stop + 1, pos + 1, stop, true)
        } else {
            let key_start = self.keys.len();
            let (end, _) = decode_string(input, pos, &mut self.keys)?;
            escape_into(out, &self.keys[key_start..]);
            (end, key_start, self.keys.len(), false)
        };
        let colon = skip_ws(input, end);
        if input.get(colon) != Some(&b':') {
            return Err(RenderError::syntax(
                colon,
                "expected \":\" after object key",
            ));
        }
        out.extend_from_slice(b": ");
        self.members.push(Member {
            key_start,
            key_end,
            in_input,
            seg_start,
            seg_end: seg_start,
        });
        Ok(skip_ws(input, colon + 1))
    }

    /// Finishes an object: puts its members in jsonb order (dropping all but
    /// the last of duplicated keys) if they are not already, then `}`.
    fn close_object(
        &mut self,
        input: &[u8],
        content_start: usize,
        members_base: usize,
        out: &mut Vec<u8>,
    ) {
        let members = &self.members[members_base..];
        let keys = &self.keys;
        let key = |m: &Member| {
            if m.in_input {
                &input[m.key_start..m.key_end]
            } else {
                &keys[m.key_start..m.key_end]
            }
        };
        let in_order = members
            .windows(2)
            .all(|w| key_cmp(key(&w[0]), key(&w[1])) == Ordering::Less);
        if !in_order {
            self.order.clear();
            self.order.extend(0..members.len());
            // Stable: among equal keys, input order is kept, so the last
            // of each run is the one jsonb keeps.
            self.order
                .sort_by(|&a, &b| key_cmp(key(&members[a]), key(&members[b])));
            self.scratch.clear();
            self.scratch.extend_from_slice(&out[content_start..]);
            out.truncate(content_start);
            let mut first = true;
            for (i, &idx) in self.order.iter().enumerate() {
                if let Some(&next) = self.order.get(i + 1) {
                    if key(&members[next]) == key(&members[idx]) {
                        continue;
                    }
                }
                if !first {
                    out.extend_from_slice(b", ");
                }
                first = false;
                let m = &members[idx];
                out.extend_from_slice(
                    &self.scratch[m.seg_start - content_start..m.seg_end - content_start],
                );
            }
        }
        out.push(b'}');
    }
}

fn literal(
    input: &[u8],
    pos: usize,
    word: &'static [u8],
    out: &mut Vec<u8>,
) -> Result<usize, RenderError> {
    let end = pos + word.len();
    if input.get(pos..end) != Some(word) {
        return Err(RenderError::syntax(pos, "invalid token"));
    }
    if let Some(b) = input.get(end) {
        if b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80 {
            return Err(RenderError::syntax(pos, "invalid token"));
        }
    }
    out.extend_from_slice(word);
    Ok(end)
}

thread_local! {
    static RENDERER: RefCell<Renderer> = RefCell::new(Renderer::new());
}

/// Runs `f` with this thread's renderer and a scratch output buffer.
pub(crate) fn with_thread_renderer<R>(f: impl FnOnce(&mut Renderer, &mut Vec<u8>) -> R) -> R {
    thread_local! {
        static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    RENDERER.with(|r| {
        OUT.with(|o| {
            let mut r = r.borrow_mut();
            let mut o = o.borrow_mut();
            o.clear();
            f(&mut r, &mut o)
        })
    })
}

/// Renders JSON text to PostgreSQL 16's `::jsonb::text`.
///
/// ```
/// assert_eq!(
///     pgconform_oracle::render(r#"{"bb": [1,2.50e1], "a": -0, "a": "\u00e9\n"}"#).unwrap(),
///     r#"{"a": "é\n", "bb": [1, 25.0]}"#
/// );
/// ```
///
/// # Errors
/// [`RenderError`] for anything PostgreSQL's `jsonb` input rejects.
pub fn render(input: &str) -> Result<String, RenderError> {
    let mut out = Vec::with_capacity(input.len() + 16);
    with_thread_renderer(|r, _| r.render_str_into(input, &mut out))?;
    // The output is assembled from valid UTF-8 pieces.
    String::from_utf8(out).map_err(|e| RenderError::InvalidUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })
}

/// Renders JSON given as bytes (must be UTF-8) to PostgreSQL 16's
/// `::jsonb::text` bytes.
///
/// # Errors
/// [`RenderError`] for invalid UTF-8 or anything `jsonb` input rejects.
pub fn render_bytes(input: &[u8]) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::with_capacity(input.len() + 16);
    with_thread_renderer(|r, _| r.render_bytes_into(input, &mut out))?;
    Ok(out)
}

/// Renders a `serde_json::Value` (re-serialised with `serde_json`, then
/// rendered). Numbers are rendered from serde_json's text for them, so
/// floating-point values are whatever serde_json prints (e.g. `0.1`, `1e300`).
///
/// # Errors
/// [`RenderError`] if the value holds something `jsonb` rejects, such as a
/// string containing NUL (serialised as `\u0000`).
pub fn render_serde(value: &serde_json::Value) -> Result<String, RenderError> {
    // Serialising a Value cannot fail (all keys are strings).
    let text = serde_json::to_string(value).unwrap_or_default();
    render(&text)
}

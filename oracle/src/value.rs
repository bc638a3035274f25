//! A jsonb value tree in canonical form.

use std::fmt;

use crate::digest::Digest;
use crate::error::RenderError;
use crate::render::render;
use crate::strings::{decode_string, escape_into};

/// Deepest nesting [`parse_value`] builds into a tree. Trees are dropped,
/// cloned, compared and printed recursively, so their depth is bounded; the
/// streaming [`crate::render`] has no such limit.
pub const MAX_TREE_DEPTH: usize = 1024;

/// A JSON value as PostgreSQL's `jsonb` holds it: numbers are kept as
/// `numeric`'s exact output text, strings decoded, object members unique and
/// in jsonb order (shorter key first, then bytewise).
///
/// Its [`fmt::Display`] is the canonical `::jsonb::text`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum JsonValue {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as `numeric` prints it (e.g. `15.0` for `1.50e1`).
    Number(String),
    /// A decoded string.
    String(String),
    /// An array.
    Array(Vec<JsonValue>),
    /// An object: unique keys in jsonb order.
    Object(Vec<(String, JsonValue)>),
}

impl JsonValue {
    /// The canonical `::jsonb::text`.
    #[must_use]
    pub fn to_canonical_text(&self) -> String {
        self.to_string()
    }

    /// The row digest: sha256 of the canonical text.
    #[must_use]
    pub fn digest(&self) -> Digest {
        Digest::of_canonical(self.to_string().as_bytes())
    }

    /// Looks up an object member by key.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&JsonValue> {
        match self {
            Self::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl fmt::Display for JsonValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        write_value(self, &mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

fn write_value(v: &JsonValue, out: &mut Vec<u8>) {
    match v {
        JsonValue::Null => out.extend_from_slice(b"null"),
        JsonValue::Bool(true) => out.extend_from_slice(b"true"),
        JsonValue::Bool(false) => out.extend_from_slice(b"false"),
        JsonValue::Number(n) => out.extend_from_slice(n.as_bytes()),
        JsonValue::String(s) => escape_into(out, s.as_bytes()),
        JsonValue::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        JsonValue::Object(members) => {
            out.push(b'{');
            for (i, (k, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                escape_into(out, k.as_bytes());
                out.extend_from_slice(b": ");
                write_value(item, out);
            }
            out.push(b'}');
        }
    }
}

enum Partial {
    Array(Vec<JsonValue>),
    Object(Vec<(String, JsonValue)>, String),
}

/// Parses JSON text into a canonical [`JsonValue`] (same acceptance as
/// [`crate::render`]).
///
/// ```
/// let v = pgconform_oracle::parse_value(r#"{"b": 1.50e1, "a": [true], "b": -0}"#).unwrap();
/// assert_eq!(v.to_string(), r#"{"a": [true], "b": 0}"#);
/// ```
///
/// # Errors
/// [`RenderError`] for anything PostgreSQL's `jsonb` input rejects, and
/// [`RenderError::Syntax`] ("nesting too deep for a value tree") beyond
/// [`MAX_TREE_DEPTH`] levels.
pub fn parse_value(text: &str) -> Result<JsonValue, RenderError> {
    let canon = render(text)?;
    build(canon.as_bytes())
}

/// The key of the member whose quoted key starts at `pos` of canonical text,
/// and where its value starts (past `": "`).
fn key_at(t: &[u8], pos: usize) -> Result<(String, usize), RenderError> {
    let mut buf = Vec::new();
    let (end, _) = decode_string(t, pos, &mut buf)?;
    Ok((String::from_utf8_lossy(&buf).into_owned(), end + 2))
}

/// Reads the value at `*pos` of canonical text: a scalar or empty container
/// is returned; a non-empty container is pushed on `stack` (with its first
/// key) and `None` returned, `*pos` then at its first value.
fn open_value(
    t: &[u8],
    pos: &mut usize,
    stack: &mut Vec<Partial>,
) -> Result<Option<JsonValue>, RenderError> {
    let v = match t.get(*pos) {
        Some(b'{') if t.get(*pos + 1) == Some(&b'}') => {
            *pos += 2;
            JsonValue::Object(Vec::new())
        }
        Some(b'{') => {
            let (k, next) = key_at(t, *pos + 1)?;
            stack.push(Partial::Object(Vec::new(), k));
            *pos = next;
            return Ok(None);
        }
        Some(b'[') if t.get(*pos + 1) == Some(&b']') => {
            *pos += 2;
            JsonValue::Array(Vec::new())
        }
        Some(b'[') => {
            stack.push(Partial::Array(Vec::new()));
            *pos += 1;
            return Ok(None);
        }
        Some(b'"') => {
            let mut buf = Vec::new();
            let (end, _) = decode_string(t, *pos, &mut buf)?;
            *pos = end;
            JsonValue::String(String::from_utf8_lossy(&buf).into_owned())
        }
        Some(b't') => {
            *pos += 4;
            JsonValue::Bool(true)
        }
        Some(b'f') => {
            *pos += 5;
            JsonValue::Bool(false)
        }
        Some(b'n') => {
            *pos += 4;
            JsonValue::Null
        }
        Some(_) => {
            let start = *pos;
            while !matches!(t.get(*pos), None | Some(b',' | b']' | b'}')) {
                *pos += 1;
            }
            JsonValue::Number(String::from_utf8_lossy(&t[start..*pos]).into_owned())
        }
        None => return Err(RenderError::syntax(*pos, "unexpected end of input")),
    };
    Ok(Some(v))
}

/// Builds the tree from canonical text (the renderer's output).
fn build(t: &[u8]) -> Result<JsonValue, RenderError> {
    let mut stack: Vec<Partial> = Vec::new();
    let mut pos = 0usize;
    'value: loop {
        if stack.len() >= MAX_TREE_DEPTH {
            return Err(RenderError::syntax(
                pos,
                "nesting too deep for a value tree",
            ));
        }
        let Some(mut v) = open_value(t, &mut pos, &mut stack)? else {
            continue 'value;
        };
        loop {
            match stack.last_mut() {
                None => return Ok(v),
                Some(Partial::Array(items)) => {
                    items.push(v);
                    if t.get(pos) == Some(&b',') {
                        pos += 2;
                        continue 'value;
                    }
                    pos += 1;
                    let Some(Partial::Array(items)) = stack.pop() else {
                        unreachable!("top of stack is an array")
                    };
                    v = JsonValue::Array(items);
                }
                Some(Partial::Object(members, key)) => {
                    members.push((std::mem::take(key), v));
                    if t.get(pos) == Some(&b',') {
                        let (k, next) = key_at(t, pos + 2)?;
                        *key = k;
                        pos = next;
                        continue 'value;
                    }
                    pos += 1;
                    let Some(Partial::Object(members, _)) = stack.pop() else {
                        unreachable!("top of stack is an object")
                    };
                    v = JsonValue::Object(members);
                }
            }
        }
    }
}

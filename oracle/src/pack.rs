//! Evidence packs (`cpo.evidence_pack/v1`): offline verification and diff.
//!
//! A pack is the JSON that `cpo.export_evidence_pack(agent_id)` returns:
//! `{"format": "cpo.evidence_pack/v1", "agent_id": "<uuid>", "artifacts":
//! {"<type>": [<content object>, ...]}, ...}`, optionally with `"digests":
//! {"<type>": ["<sha256 hex of each row's content>", ...]}`. Further keys are
//! allowed and ignored (CONTRACT.md §1, v2).
//!
//! `digests` is optional: when present it is checked (every declared list
//! against its type's rows, in order and in number), when absent nothing
//! requires it. A type with rows for which a present `digests` declares no
//! list is reported ([`PackVerification::undeclared_types`]) but is not a
//! failure; [`PackVerification::is_complete`] tells whether every row of the
//! pack carries a declared digest (`pgconform pack verify --require-digests`).
//!
//! The whole pack is first rendered canonically with this crate's own parser
//! (so numbers stay exact, whatever their size or precision); each content
//! element's digest is then the sha256 of its span in that canonical text,
//! which is exactly the element's own `::jsonb::text`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diff::{diff, MultisetDiff};
use crate::digest::Digest;
use crate::error::RenderError;
use crate::multiset::DigestMultiset;
use crate::render::render_bytes;
use crate::strings::decode_string;

/// The only pack format this crate understands.
pub const PACK_FORMAT: &str = "cpo.evidence_pack/v1";

/// Why a pack could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The pack is not valid `jsonb` input.
    #[error("pack is not valid jsonb input: {0}")]
    InvalidJson(#[from] RenderError),
    /// A value has the wrong JSON type, or a required key is absent.
    #[error("malformed pack at {path}: expected {expected}, found {found}")]
    Structure {
        /// Where, e.g. `artifacts.cpo_decisions[3]` (`$` is the top level).
        path: String,
        /// What was expected there.
        expected: &'static str,
        /// What was found (`missing` for an absent key).
        found: &'static str,
    },
    /// `format` is not [`PACK_FORMAT`].
    #[error("unknown pack format {found:?} (expected {PACK_FORMAT:?})")]
    UnknownFormat {
        /// The format string found.
        found: String,
    },
    /// `agent_id` is not a lowercase hyphenated UUID (PostgreSQL's `uuid` output).
    #[error("malformed pack at agent_id: {found:?} is not a uuid")]
    InvalidAgentId {
        /// The value found.
        found: String,
    },
    /// A pack file could not be read.
    #[error("cannot read pack file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An error in one of the two packs of [`diff_packs`].
    #[error("pack {which}: {source}")]
    Side {
        /// `"a"` or `"b"`.
        which: &'static str,
        /// The error in that pack.
        source: Box<PackError>,
    },
}

/// What verification found for one artifact type.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TypeVerification {
    /// Rows (content elements) of this type in the pack.
    pub rows: usize,
    /// Number of digests the pack declares for this type, if it declares any.
    pub declared_rows: Option<usize>,
    /// Recomputed row digests, in pack order.
    pub digests: Vec<Digest>,
}

/// A declared row digest that differs from the recomputed one.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DigestMismatch {
    /// The artifact type.
    pub artifact_type: String,
    /// The row's position in the type's array (0-based).
    pub index: usize,
    /// The declared digest text, as found.
    pub declared: String,
    /// The digest recomputed from the row's content.
    pub computed: Digest,
}

/// A type whose declared digest list and row array differ in length.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CountMismatch {
    /// The artifact type.
    pub artifact_type: String,
    /// Digests declared for it.
    pub declared: usize,
    /// Rows present in `artifacts` (0 when the type is absent there).
    pub actual: usize,
    /// Whether `artifacts` has the type at all.
    pub type_present: bool,
}

/// The result of [`verify_pack`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PackVerification {
    /// The pack's `format`.
    pub format: String,
    /// The pack's `agent_id`.
    pub agent_id: String,
    /// Per artifact type, in bytewise order.
    pub types: BTreeMap<String, TypeVerification>,
    /// Whether the pack has a `digests` key at all.
    pub has_declared_digests: bool,
    /// Every declared digest that does not match its row.
    pub digest_mismatches: Vec<DigestMismatch>,
    /// Every type whose declared digest count differs from its row count.
    pub count_mismatches: Vec<CountMismatch>,
    /// Types with rows for which a present `digests` declares no list (their
    /// rows are hashed but nothing is checked against them).
    pub undeclared_types: Vec<String>,
}

impl PackVerification {
    /// True when the pack has at least one artifact type and every declared
    /// digest (if any) matches. A pack without `digests` verifies on structure
    /// alone.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        !self.types.is_empty()
            && self.digest_mismatches.is_empty()
            && self.count_mismatches.is_empty()
    }

    /// True when the pack verifies ([`Self::is_ok`]) and every row carries a
    /// declared digest: `digests` is present and lists every type with rows.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.is_ok() && self.has_declared_digests && self.undeclared_types.is_empty()
    }

    /// Total rows over all types.
    #[must_use]
    pub fn total_rows(&self) -> usize {
        self.types.values().map(|t| t.rows).sum()
    }

    /// The pack's rows as a multiset (every type registered, even if empty).
    #[must_use]
    pub fn multiset(&self) -> DigestMultiset {
        let mut m = DigestMultiset::new();
        for (t, v) in &self.types {
            m.ensure_type(t);
            for d in &v.digests {
                m.insert(t, *d);
            }
        }
        m
    }
}

impl fmt::Display for PackVerification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.is_ok() { "OK" } else { "NOT OK" };
        let digests = match (self.has_declared_digests, self.undeclared_types.len()) {
            (false, _) => "no declared digests".to_owned(),
            (true, 0) => "declared digests checked".to_owned(),
            (true, n) => format!("declared digests checked; {n} types with rows declare none"),
        };
        writeln!(
            f,
            "evidence pack {} for agent {}: {verdict} ({} types, {} rows, {digests})",
            self.format,
            self.agent_id,
            self.types.len(),
            self.total_rows()
        )?;
        if self.types.is_empty() {
            writeln!(f, "  no artifact types in the pack")?;
        }
        for (t, v) in &self.types {
            let bad = self
                .digest_mismatches
                .iter()
                .filter(|m| &m.artifact_type == t)
                .count();
            match v.declared_rows {
                Some(n) => writeln!(
                    f,
                    "  {t}: {} rows, {n} declared digests, {bad} mismatched",
                    v.rows
                )?,
                None if self.has_declared_digests && v.rows > 0 => {
                    writeln!(f, "  {t}: {} rows, no declared digests", v.rows)?
                }
                None => writeln!(f, "  {t}: {} rows", v.rows)?,
            }
        }
        for c in &self.count_mismatches {
            if c.type_present {
                writeln!(
                    f,
                    "  count mismatch {}: {} digests declared, {} rows present",
                    c.artifact_type, c.declared, c.actual
                )?;
            } else {
                writeln!(
                    f,
                    "  count mismatch {}: {} digests declared for a type absent from artifacts",
                    c.artifact_type, c.declared
                )?;
            }
        }
        for m in &self.digest_mismatches {
            writeln!(
                f,
                "  digest mismatch {}[{}]: declared {}, computed {}",
                m.artifact_type, m.index, m.declared, m.computed
            )?;
        }
        Ok(())
    }
}

/// Verifies a pack: structure, format, per-type row digests and, where the
/// pack declares `digests`, every declared digest and count.
///
/// # Errors
/// [`PackError`] when the bytes are not JSON, the format is unknown or the
/// structure is malformed. Digest and count mismatches are not errors: they
/// are reported in the result.
pub fn verify_pack(bytes: &[u8]) -> Result<PackVerification, PackError> {
    let pack = ParsedPack::parse(bytes)?;
    let mut digest_mismatches = Vec::new();
    let mut count_mismatches = Vec::new();
    let mut undeclared_types = Vec::new();
    let mut types = BTreeMap::new();
    for (t, digests) in pack.rows {
        let declared = pack.declared.as_ref().and_then(|d| d.get(&t));
        if pack.declared.is_some() && declared.is_none() && !digests.is_empty() {
            undeclared_types.push(t.clone());
        }
        if let Some(declared) = declared {
            if declared.len() != digests.len() {
                count_mismatches.push(CountMismatch {
                    artifact_type: t.clone(),
                    declared: declared.len(),
                    actual: digests.len(),
                    type_present: true,
                });
            }
            for (index, (dec, comp)) in declared.iter().zip(&digests).enumerate() {
                if dec.parse::<Digest>().ok() != Some(*comp) {
                    digest_mismatches.push(DigestMismatch {
                        artifact_type: t.clone(),
                        index,
                        declared: dec.clone(),
                        computed: *comp,
                    });
                }
            }
        }
        types.insert(
            t,
            TypeVerification {
                rows: digests.len(),
                declared_rows: declared.map(Vec::len),
                digests,
            },
        );
    }
    if let Some(declared) = &pack.declared {
        for (t, list) in declared {
            // an empty list for a type the pack does not have declares nothing
            if !types.contains_key(t) && !list.is_empty() {
                count_mismatches.push(CountMismatch {
                    artifact_type: t.clone(),
                    declared: list.len(),
                    actual: 0,
                    type_present: false,
                });
            }
        }
    }
    count_mismatches.sort_by(|a, b| a.artifact_type.cmp(&b.artifact_type));
    Ok(PackVerification {
        format: pack.format,
        agent_id: pack.agent_id,
        types,
        has_declared_digests: pack.declared.is_some(),
        digest_mismatches,
        count_mismatches,
        undeclared_types,
    })
}

/// The per-type multiset difference of two packs' rows (`a` is the source,
/// `b` the target). Declared digests are not consulted: rows are re-hashed.
///
/// # Errors
/// [`PackError::Side`] naming the pack that is malformed.
pub fn diff_packs(a_bytes: &[u8], b_bytes: &[u8]) -> Result<MultisetDiff, PackError> {
    let side = |which, bytes| {
        ParsedPack::parse(bytes)
            .map(|p| p.multiset())
            .map_err(|e| PackError::Side {
                which,
                source: Box::new(e),
            })
    };
    // The two packs are parsed and hashed at once (and each one's rows on
    // all threads of the pool).
    let (a, b) = rayon::join(|| side("a", a_bytes), || side("b", b_bytes));
    Ok(diff(&a?, &b?))
}

/// Reads a pack file's bytes.
///
/// # Errors
/// [`PackError::Io`] naming the file.
pub fn read_pack_file(path: impl AsRef<Path>) -> Result<Vec<u8>, PackError> {
    let path = path.as_ref();
    std::fs::read(path).map_err(|source| PackError::Io {
        path: path.to_owned(),
        source,
    })
}

/// [`verify_pack`] on a file.
///
/// # Errors
/// As [`read_pack_file`] and [`verify_pack`].
pub fn verify_pack_file(path: impl AsRef<Path>) -> Result<PackVerification, PackError> {
    verify_pack(&read_pack_file(path)?)
}

/// [`diff_packs`] on two files.
///
/// # Errors
/// As [`read_pack_file`] and [`diff_packs`].
pub fn diff_pack_files(
    a: impl AsRef<Path>,
    b: impl AsRef<Path>,
) -> Result<MultisetDiff, PackError> {
    diff_packs(&read_pack_file(a)?, &read_pack_file(b)?)
}

/// A pack reduced to what verification needs.
struct ParsedPack {
    format: String,
    agent_id: String,
    /// Per type (in pack order, which is bytewise order), each row's digest.
    rows: Vec<(String, Vec<Digest>)>,
    declared: Option<BTreeMap<String, Vec<String>>>,
}

impl ParsedPack {
    fn parse(bytes: &[u8]) -> Result<Self, PackError> {
        let canon = render_bytes(bytes)?;
        let t = canon.as_slice();
        let top = members(t, 0, "$")?;
        let get = |key: &'static str| top.iter().find(|m| m.key == key);
        let missing = |path: &str, expected| PackError::Structure {
            path: path.to_owned(),
            expected,
            found: "missing",
        };

        let format_m = get("format").ok_or_else(|| missing("format", "a string"))?;
        let format = string_at(t, format_m.start, "format")?;
        if format != PACK_FORMAT {
            return Err(PackError::UnknownFormat { found: format });
        }
        let agent_m = get("agent_id").ok_or_else(|| missing("agent_id", "a uuid string"))?;
        let agent_id = string_at(t, agent_m.start, "agent_id")?;
        if !is_uuid(&agent_id) {
            return Err(PackError::InvalidAgentId { found: agent_id });
        }

        let art_m = get("artifacts").ok_or_else(|| missing("artifacts", "an object"))?;
        let mut rows = Vec::new();
        for m in members(t, art_m.start, "artifacts")? {
            let path = format!("artifacts.{}", m.key);
            let spans = elements(t, m.start, &path)?;
            if let Some((i, &(s, _))) = spans.iter().enumerate().find(|(_, (s, _))| t[*s] != b'{') {
                return Err(PackError::Structure {
                    path: format!("{path}[{i}]"),
                    expected: "a content object",
                    found: kind(t, s),
                });
            }
            let digests: Vec<Digest> = spans
                .par_iter()
                .with_min_len(256)
                .map(|&(s, e)| Digest::of_canonical(&t[s..e]))
                .collect();
            rows.push((m.key, digests));
        }

        let declared = match get("digests") {
            None => None,
            Some(dm) => {
                let mut map = BTreeMap::new();
                for m in members(t, dm.start, "digests")? {
                    let path = format!("digests.{}", m.key);
                    let mut list = Vec::new();
                    for (i, (s, _)) in elements(t, m.start, &path)?.into_iter().enumerate() {
                        list.push(string_at(t, s, &format!("{path}[{i}]"))?);
                    }
                    map.insert(m.key, list);
                }
                Some(map)
            }
        };
        Ok(Self {
            format,
            agent_id,
            rows,
            declared,
        })
    }

    fn multiset(&self) -> DigestMultiset {
        let mut m = DigestMultiset::new();
        for (t, ds) in &self.rows {
            m.ensure_type(t);
            for d in ds {
                m.insert(t, *d);
            }
        }
        m
    }
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => matches!(c, b'0'..=b'9' | b'a'..=b'f'),
        })
}

// ---- navigation over canonical jsonb text -------------------------------
//
// The input to these helpers is the renderer's own output: valid, with
// `", "` and `": "` separators, no other whitespace.

struct Member {
    key: String,
    /// Offset of the member's value.
    start: usize,
}

fn kind(t: &[u8], pos: usize) -> &'static str {
    match t.get(pos) {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        Some(_) => "a number",
        None => "nothing",
    }
}

fn string_end(t: &[u8], mut pos: usize) -> usize {
    pos += 1;
    while let Some(&b) = t.get(pos) {
        match b {
            b'\\' => pos += 2,
            b'"' => return pos + 1,
            _ => pos += 1,
        }
    }
    pos
}

/// End offset of the value starting at `pos`.
fn value_end(t: &[u8], mut pos: usize) -> usize {
    let mut depth = 0usize;
    loop {
        match t.get(pos) {
            None => return pos,
            Some(b'"') => {
                pos = string_end(t, pos);
                if depth == 0 {
                    return pos;
                }
            }
            Some(b'{' | b'[') => {
                depth += 1;
                pos += 1;
            }
            Some(b'}' | b']') => {
                if depth == 0 {
                    return pos;
                }
                depth -= 1;
                pos += 1;
                if depth == 0 {
                    return pos;
                }
            }
            Some(b',') if depth == 0 => return pos,
            Some(_) => pos += 1,
        }
    }
}

fn skip_sep(t: &[u8], mut pos: usize) -> usize {
    while let Some(b' ' | b',' | b':') = t.get(pos) {
        pos += 1;
    }
    pos
}

/// `Ok` when the value at `pos` opens with `open`; otherwise the structure
/// error saying that `path` should hold `expected` and what it holds.
fn expect_opening(
    t: &[u8],
    pos: usize,
    open: u8,
    path: &str,
    expected: &'static str,
) -> Result<(), PackError> {
    if t.get(pos) == Some(&open) {
        return Ok(());
    }
    Err(PackError::Structure {
        path: path.to_owned(),
        expected,
        found: kind(t, pos),
    })
}

fn string_at(t: &[u8], pos: usize, path: &str) -> Result<String, PackError> {
    expect_opening(t, pos, b'"', path, "a string")?;
    let mut buf = Vec::new();
    decode_string(t, pos, &mut buf)?;
    String::from_utf8(buf).map_err(|_| PackError::Structure {
        path: path.to_owned(),
        expected: "a utf-8 string",
        found: "invalid utf-8",
    })
}

fn members(t: &[u8], pos: usize, path: &str) -> Result<Vec<Member>, PackError> {
    expect_opening(t, pos, b'{', path, "an object")?;
    let mut out = Vec::new();
    let mut p = pos + 1;
    while t.get(p) == Some(&b'"') {
        let mut key = Vec::new();
        let (end, _) = decode_string(t, p, &mut key)?;
        let start = skip_sep(t, end);
        p = skip_sep(t, value_end(t, start));
        out.push(Member {
            key: String::from_utf8_lossy(&key).into_owned(),
            start,
        });
    }
    Ok(out)
}

fn elements(t: &[u8], pos: usize, path: &str) -> Result<Vec<(usize, usize)>, PackError> {
    expect_opening(t, pos, b'[', path, "an array")?;
    let mut out = Vec::new();
    let mut p = pos + 1;
    while !matches!(t.get(p), Some(b']') | None) {
        let e = value_end(t, p);
        out.push((p, e));
        p = skip_sep(t, e);
    }
    Ok(out)
}

//! Per-type multisets of row digests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use rayon::prelude::*;

use crate::digest::Digest;
use crate::error::RenderError;
use crate::render::with_thread_renderer;

/// Order-independent summary of a bag of digests: row count, lane-wise
/// wrapping sum and XOR of the digests' four 64-bit lanes. Two bags with
/// different summaries differ; two bags with equal summaries are taken as
/// equal (a false "equal" needs a simultaneous count, sum and XOR collision
/// of SHA-256 outputs, which no accidental difference produces).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Accumulator {
    pub(crate) count: u64,
    pub(crate) sum: [u64; 4],
    pub(crate) xor: [u64; 4],
}

impl Accumulator {
    /// The summary of the union of two bags.
    pub(crate) fn merge(a: Self, b: Self) -> Self {
        let mut out = a;
        out.count += b.count;
        for i in 0..4 {
            out.sum[i] = out.sum[i].wrapping_add(b.sum[i]);
            out.xor[i] ^= b.xor[i];
        }
        out
    }

    #[inline]
    pub(crate) fn add(&mut self, d: &Digest) {
        let l = d.lanes();
        self.count += 1;
        for ((s, x), l) in self.sum.iter_mut().zip(self.xor.iter_mut()).zip(l) {
            *s = s.wrapping_add(l);
            *x ^= l;
        }
    }
}

/// The digests of one artifact type, in insertion order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Bag {
    pub(crate) digests: Vec<Digest>,
    pub(crate) acc: Accumulator,
}

impl Bag {
    #[inline]
    fn push(&mut self, d: Digest) {
        self.acc.add(&d);
        self.digests.push(d);
    }
}

/// A row that could not be digested while building a multiset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {index} of type {artifact_type} is not valid jsonb input: {source}")]
pub struct RowError {
    /// Position of the row in the input (0-based, over all types).
    pub index: usize,
    /// The row's artifact type.
    pub artifact_type: String,
    /// Why the row's JSON was rejected.
    pub source: RenderError,
}

/// A multiset of row digests per artifact type.
///
/// Memory is 32 bytes per row plus a small constant per type: row texts are
/// never kept. Types are listed in bytewise order.
#[derive(Clone, Debug, Default)]
pub struct DigestMultiset {
    names: Vec<String>,
    bags: Vec<Bag>,
    index: HashMap<String, usize>,
    last: usize,
}

impl DigestMultiset {
    /// An empty multiset (no types).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn bag_mut(&mut self, artifact_type: &str) -> &mut Bag {
        // Rows usually arrive grouped by type: try the last one first.
        if self
            .names
            .get(self.last)
            .is_some_and(|n| n == artifact_type)
        {
            return &mut self.bags[self.last];
        }
        let i = match self.index.get(artifact_type) {
            Some(&i) => i,
            None => {
                let i = self.names.len();
                self.names.push(artifact_type.to_owned());
                self.bags.push(Bag::default());
                self.index.insert(artifact_type.to_owned(), i);
                i
            }
        };
        self.last = i;
        &mut self.bags[i]
    }

    /// Registers a type, possibly with no rows (a pack's empty array still
    /// names its type, and the diff reports it).
    pub fn ensure_type(&mut self, artifact_type: &str) {
        self.bag_mut(artifact_type);
    }

    /// Adds one row by its digest.
    pub fn insert(&mut self, artifact_type: &str, digest: Digest) {
        self.bag_mut(artifact_type).push(digest);
    }

    /// Adds one row given as JSON text (rendered, then hashed) and returns
    /// its digest.
    ///
    /// # Errors
    /// [`RenderError`] if the text is not valid `jsonb` input; nothing is added.
    pub fn insert_json(
        &mut self,
        artifact_type: &str,
        json_text: &str,
    ) -> Result<Digest, RenderError> {
        let d = crate::digest::row_digest(json_text)?;
        self.insert(artifact_type, d);
        Ok(d)
    }

    /// Adds one row given as text that already is PostgreSQL's canonical
    /// `jsonb` output (e.g. fetched as `content::text`): hashed, not rendered.
    pub fn insert_canonical(&mut self, artifact_type: &str, canonical: &[u8]) -> Digest {
        let d = Digest::of_canonical(canonical);
        self.insert(artifact_type, d);
        d
    }

    /// Builds a multiset from `(type, digest)` pairs.
    pub fn from_digests<I, T>(rows: I) -> Self
    where
        I: IntoIterator<Item = (T, Digest)>,
        T: AsRef<str>,
    {
        let mut m = Self::new();
        for (t, d) in rows {
            m.insert(t.as_ref(), d);
        }
        m
    }

    /// Builds a multiset from `(type, json_text)` rows, rendering and hashing
    /// on the calling thread.
    ///
    /// # Errors
    /// [`RowError`] for the first row whose JSON is rejected.
    pub fn from_json_rows<I, T, J>(rows: I) -> Result<Self, RowError>
    where
        I: IntoIterator<Item = (T, J)>,
        T: AsRef<str>,
        J: AsRef<str>,
    {
        let mut m = Self::new();
        for (index, (t, j)) in rows.into_iter().enumerate() {
            m.insert_json(t.as_ref(), j.as_ref())
                .map_err(|source| RowError {
                    index,
                    artifact_type: t.as_ref().to_owned(),
                    source,
                })?;
        }
        Ok(m)
    }

    /// Like [`DigestMultiset::from_json_rows`], rendering and hashing on all
    /// threads of the current rayon pool. The result (and the reported
    /// error: always the first bad row) does not depend on the thread count.
    ///
    /// # Errors
    /// [`RowError`] for the first row whose JSON is rejected.
    pub fn par_from_json_rows<T, J>(rows: &[(T, J)]) -> Result<Self, RowError>
    where
        T: AsRef<str> + Sync,
        J: AsRef<str> + Sync,
    {
        let failed = AtomicBool::new(false);
        let m = Self::par_build(rows, |(_, j)| {
            with_thread_renderer(|r, _| r.digest_str(j.as_ref())).unwrap_or_else(|_| {
                failed.store(true, AtomicOrdering::Relaxed);
                Digest::default()
            })
        });
        if failed.load(AtomicOrdering::Relaxed) {
            // Rare path: find the first bad row deterministically.
            return Self::from_json_rows(rows.iter().map(|(t, j)| (t.as_ref(), j.as_ref())));
        }
        Ok(m)
    }

    /// Builds a multiset from `(type, canonical_text)` rows whose text already
    /// is PostgreSQL's `jsonb` output: hashed on all threads, not rendered.
    pub fn par_from_canonical_rows<T, B>(rows: &[(T, B)]) -> Self
    where
        T: AsRef<str> + Sync,
        B: AsRef<[u8]> + Sync,
    {
        Self::par_build(rows, |(_, b)| Digest::of_canonical(b.as_ref()))
    }

    /// Hashes rows on all threads straight into their types' bags. Rows of
    /// one type usually come in long runs (export order): each run is
    /// hashed in parallel directly into its bag and its summary folded in
    /// parallel, so the only serial work is finding the runs.
    fn par_build<T, X>(rows: &[(T, X)], hash: impl Fn(&(T, X)) -> Digest + Sync) -> Self
    where
        T: AsRef<str> + Sync,
        X: Sync,
    {
        let mut runs: Vec<(&str, usize, usize)> = Vec::new();
        for (i, (t, _)) in rows.iter().enumerate() {
            let t = t.as_ref();
            match runs.last_mut() {
                // Same slice (pointer and length) is the common case and
                // needs no byte comparison.
                Some((rt, _, end))
                    if (rt.as_ptr() == t.as_ptr() && rt.len() == t.len()) || *rt == t =>
                {
                    *end = i + 1;
                }
                _ => runs.push((t, i, i + 1)),
            }
        }
        let mut m = Self::new();
        for (t, start, end) in runs {
            let bag = m.bag_mut(t);
            let from = bag.digests.len();
            bag.digests
                .par_extend(rows[start..end].par_iter().with_min_len(256).map(&hash));
            let acc = bag.digests[from..]
                .par_chunks(16 * 1024)
                .map(|c| {
                    let mut a = Accumulator::default();
                    c.iter().for_each(|d| a.add(d));
                    a
                })
                .reduce(Accumulator::default, Accumulator::merge);
            bag.acc = Accumulator::merge(bag.acc, acc);
        }
        m
    }

    /// Artifact types present (including types with zero rows), sorted.
    #[must_use]
    pub fn types(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.names.iter().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// The digests of one type in insertion order, if the type is present.
    #[must_use]
    pub fn digests(&self, artifact_type: &str) -> Option<&[Digest]> {
        self.index
            .get(artifact_type)
            .map(|&i| self.bags[i].digests.as_slice())
    }

    /// Number of rows of one type (0 when absent).
    #[must_use]
    pub fn count(&self, artifact_type: &str) -> usize {
        self.digests(artifact_type).map_or(0, <[Digest]>::len)
    }

    /// Total number of rows over all types.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bags.iter().map(|b| b.digests.len()).sum()
    }

    /// True when there are no rows (there may still be registered types).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn bag(&self, artifact_type: &str) -> Option<&Bag> {
        self.index.get(artifact_type).map(|&i| &self.bags[i])
    }
}

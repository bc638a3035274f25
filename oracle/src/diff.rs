//! Multiset difference of two [`DigestMultiset`]s, per artifact type.

use std::collections::BTreeMap;
use std::fmt;

use crate::digest::Digest;
use crate::multiset::{Bag, DigestMultiset};

/// The difference for one artifact type.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TypeDiff {
    /// Rows of this type on the source side.
    pub source_count: usize,
    /// Rows of this type on the target side.
    pub target_count: usize,
    /// Digests on the source side not matched on the target side, with
    /// multiplicity, sorted.
    pub missing: Vec<Digest>,
    /// Digests on the target side not matched on the source side, with
    /// multiplicity (a duplicated row is one extra), sorted.
    pub extra: Vec<Digest>,
}

impl TypeDiff {
    /// True when both sides hold the same multiset of rows.
    #[must_use]
    pub fn is_equal(&self) -> bool {
        self.source_count == self.target_count && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// Per-type multiset difference, shaped like the kernel's
/// `cpo.verify_reconstruction` result: serialises as
/// `{"ok": bool, "types": {type: {"source_count", "target_count", "missing", "extra"}}}`
/// (`ok` is [`MultisetDiff::is_ok`]; it is ignored when deserialising).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct MultisetDiff {
    /// Every type present on either side, in bytewise order.
    pub types: BTreeMap<String, TypeDiff>,
}

impl MultisetDiff {
    /// True when every type is equal (vacuously true with no types).
    #[must_use]
    pub fn is_equal(&self) -> bool {
        self.types.values().all(TypeDiff::is_equal)
    }

    /// The contract's verdict: equal and at least one type (zero types is a
    /// failure, never a vacuous pass).
    #[must_use]
    pub fn is_ok(&self) -> bool {
        !self.types.is_empty() && self.is_equal()
    }

    /// Sorts every `missing` / `extra` list, so that a result deserialised
    /// from the kernel's `cpo.verify_reconstruction` (whose lists need not be
    /// sorted) compares equal to this crate's [`diff()`] of the same sides.
    pub fn normalize(&mut self) {
        for d in self.types.values_mut() {
            d.missing.sort_unstable();
            d.extra.sort_unstable();
        }
    }

    /// Types whose multisets differ, in order.
    pub fn differing_types(&self) -> impl Iterator<Item = (&str, &TypeDiff)> {
        self.types
            .iter()
            .filter(|(_, d)| !d.is_equal())
            .map(|(t, d)| (t.as_str(), d))
    }
}

impl serde::Serialize for MultisetDiff {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("MultisetDiff", 2)?;
        s.serialize_field("ok", &self.is_ok())?;
        s.serialize_field("types", &self.types)?;
        s.end()
    }
}

/// Digests listed per type in [`fmt::Display`] before eliding the rest.
const DISPLAY_LIMIT: usize = 20;

impl fmt::Display for MultisetDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let differing = self.differing_types().count();
        if self.types.is_empty() {
            writeln!(
                f,
                "multiset diff: NOT OK (no artifact types on either side)"
            )?;
            return Ok(());
        }
        if differing == 0 {
            writeln!(f, "multiset diff: EQUAL ({} types)", self.types.len())?;
        } else {
            writeln!(
                f,
                "multiset diff: DIFFERENT ({differing} of {} types differ)",
                self.types.len()
            )?;
        }
        for (t, d) in &self.types {
            let verdict = if d.is_equal() { "equal" } else { "DIFFERENT" };
            writeln!(
                f,
                "  {t}: {verdict} (source {}, target {}, missing {}, extra {})",
                d.source_count,
                d.target_count,
                d.missing.len(),
                d.extra.len()
            )?;
            for (label, list) in [("missing", &d.missing), ("extra", &d.extra)] {
                for digest in list.iter().take(DISPLAY_LIMIT) {
                    writeln!(f, "    {label} {digest}")?;
                }
                if list.len() > DISPLAY_LIMIT {
                    writeln!(f, "    … and {} more {label}", list.len() - DISPLAY_LIMIT)?;
                }
            }
        }
        Ok(())
    }
}

/// The per-type multiset difference of `source` and `target` over the union
/// of their types.
///
/// Cost: when a type's order-independent summaries (count, lane sums, lane
/// XOR) agree, it is equal and nothing is sorted. Otherwise digests are
/// partitioned by their leading bits into buckets with their own summaries
/// and only the buckets that disagree are sorted and merged, so localising a
/// few differences among a million rows is two linear passes.
#[must_use]
pub fn diff(source: &DigestMultiset, target: &DigestMultiset) -> MultisetDiff {
    let empty = Bag::default();
    let types = type_union(source, target)
        .into_iter()
        .map(|t| {
            let s = source.bag(t).unwrap_or(&empty);
            let g = target.bag(t).unwrap_or(&empty);
            let (missing, extra) = diff_bags(s, g);
            (
                t.to_owned(),
                TypeDiff {
                    source_count: s.digests.len(),
                    target_count: g.digests.len(),
                    missing,
                    extra,
                },
            )
        })
        .collect();
    MultisetDiff { types }
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct BucketSum {
    count: u64,
    sum: [u64; 4],
}

fn bucket_bits(n: usize) -> u32 {
    // About 256 digests per bucket, at most 2^16 buckets.
    let target = (n / 256).max(1);
    (usize::BITS - target.leading_zeros()).min(16)
}

#[inline]
fn bucket_of(d: &Digest, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        usize::from(u16::from_be_bytes([d.0[0], d.0[1]]) >> (16 - bits))
    }
}

fn bucket_sums(digests: &[Digest], bits: u32) -> Vec<BucketSum> {
    let mut sums = vec![BucketSum::default(); 1 << bits];
    for d in digests {
        let b = &mut sums[bucket_of(d, bits)];
        let l = d.lanes();
        b.count += 1;
        for (s, l) in b.sum.iter_mut().zip(l) {
            *s = s.wrapping_add(l);
        }
    }
    sums
}

/// Gathers the digests of the selected buckets, grouped by bucket (in
/// bucket order) and sorted within each; returns them with each selected
/// bucket's end offset.
fn gather(
    digests: &[Digest],
    bits: u32,
    slot: &[u32],
    counts: &[u64],
) -> (Vec<Digest>, Vec<usize>) {
    let mut starts = Vec::new();
    let mut total = 0usize;
    for (b, &s) in slot.iter().enumerate() {
        if s != u32::MAX {
            starts.push(total);
            total += counts[b] as usize;
        }
    }
    let mut ends = starts.clone();
    let mut out = vec![Digest::default(); total];
    for d in digests {
        let s = slot[bucket_of(d, bits)];
        if s != u32::MAX {
            let at = &mut ends[s as usize];
            out[*at] = *d;
            *at += 1;
        }
    }
    for (i, &start) in starts.iter().enumerate() {
        out[start..ends[i]].sort_unstable();
    }
    (out, ends)
}

fn diff_bags(s: &Bag, t: &Bag) -> (Vec<Digest>, Vec<Digest>) {
    if s.acc == t.acc {
        return (Vec::new(), Vec::new());
    }
    let bits = bucket_bits(s.digests.len().max(t.digests.len()));
    let ss = bucket_sums(&s.digests, bits);
    let ts = bucket_sums(&t.digests, bits);
    let mut slot = vec![u32::MAX; ss.len()];
    let mut next = 0u32;
    for (b, sl) in slot.iter_mut().enumerate() {
        if ss[b] != ts[b] {
            *sl = next;
            next += 1;
        }
    }
    if next == 0 {
        // Counts and sums agree in every bucket but the XORs differed:
        // compare everything.
        for (b, sl) in slot.iter_mut().enumerate() {
            *sl = b as u32;
        }
    }
    let s_counts: Vec<u64> = ss.iter().map(|b| b.count).collect();
    let t_counts: Vec<u64> = ts.iter().map(|b| b.count).collect();
    let (sv, s_ends) = gather(&s.digests, bits, &slot, &s_counts);
    let (tv, t_ends) = gather(&t.digests, bits, &slot, &t_counts);
    let mut missing = Vec::new();
    let mut extra = Vec::new();
    let (mut i, mut j) = (0usize, 0usize);
    for (&se, &te) in s_ends.iter().zip(&t_ends) {
        while i < se && j < te {
            match sv[i].cmp(&tv[j]) {
                std::cmp::Ordering::Less => {
                    missing.push(sv[i]);
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    extra.push(tv[j]);
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                }
            }
        }
        missing.extend_from_slice(&sv[i..se]);
        extra.extend_from_slice(&tv[j..te]);
        i = se;
        j = te;
    }
    (missing, extra)
}

/// The artifact types present on either side, sorted, each once.
fn type_union<'a>(source: &'a DigestMultiset, target: &'a DigestMultiset) -> Vec<&'a str> {
    let mut names = source.types();
    names.extend(target.types());
    names.sort_unstable();
    names.dedup();
    names
}

/// Compares only the summaries: `true` when every type's count, lane sums
/// and lane XOR agree. The fast path of [`diff`], exposed for callers that
/// need a verdict but no localisation.
#[must_use]
pub fn summaries_equal(source: &DigestMultiset, target: &DigestMultiset) -> bool {
    type_union(source, target).into_iter().all(|t| {
        let s = source.bag(t).map(|b| b.acc).unwrap_or_default();
        let g = target.bag(t).map(|b| b.acc).unwrap_or_default();
        s == g
    })
}

//! Shared workload for `benches/multiset.rs` and `examples/ratios.rs`.
//!
//! Rows are ~200-byte content objects already in PostgreSQL's canonical
//! `jsonb` text (as `content::text` returns them), split into four artifact
//! types in contiguous blocks (export order). All row texts live in one
//! buffer; a side is a list of `(type, &text)` slices into it.

#![allow(dead_code)]

use pgconform_contract::durability::TABLES;
use pgconform_oracle::{diff, render, Digest, DigestMultiset, MultisetDiff, Renderer};

/// Artifact types of the workload.
pub const TYPES: [&str; 4] = [
    TABLES[0].name,
    TABLES[4].name,
    TABLES[5].name,
    TABLES[11].name,
];

/// One side: `(artifact_type, canonical row text)`.
pub type Side<'a> = Vec<(&'static str, &'a str)>;

/// `n` canonical rows, concatenated, with their byte ranges.
pub fn make_rows(n: usize) -> (String, Vec<(usize, usize)>) {
    let mut buf = String::with_capacity(n * 210);
    let mut spans = Vec::with_capacity(n);
    for i in 0..n {
        let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let raw = format!(
            r#"{{"action_type":"commit_decision","actor_id":"{:08x}-4c1a-4e59-9a57-{:012x}","action":{{"seq":{i},"weight":{}.50,"note":"row {i} é"}},"tags":["alpha","beta"],"ok":true}}"#,
            h >> 32,
            h & 0xFFFF_FFFF_FFFF,
            h % 1000,
        );
        let canon = render(&raw).unwrap_or(raw);
        let start = buf.len();
        buf.push_str(&canon);
        spans.push((start, buf.len()));
    }
    (buf, spans)
}

/// The rows as one side, types in four contiguous blocks.
pub fn side<'a>(buf: &'a str, spans: &[(usize, usize)]) -> Side<'a> {
    let block = spans.len().div_ceil(TYPES.len()).max(1);
    spans
        .iter()
        .enumerate()
        .map(|(i, &(s, e))| (TYPES[i / block], &buf[s..e]))
        .collect()
}

/// A copy of `side` with `k` tampers: delete, duplicate, change, in turn
/// (changed rows take another row's text from `spare`).
pub fn tampered<'a>(side: &Side<'a>, spare: &'a str, k: usize) -> Side<'a> {
    let mut t = side.clone();
    for j in 0..k {
        let at = (j * 7919 + 13) % t.len();
        match j % 3 {
            0 => {
                t.remove(at);
            }
            1 => {
                let r = t[at];
                t.push(r);
            }
            _ => t[at].1 = spare,
        }
    }
    t
}

/// (1) The physical limit: sha256 of both sides' bytes, one thread.
pub fn hash_both(a: &Side<'_>, b: &Side<'_>) -> u8 {
    let mut x = 0u8;
    for side in [a, b] {
        for (_, text) in side {
            x ^= Digest::of_canonical(text.as_bytes()).0[0];
        }
    }
    x
}

/// (2) Render + sha256 of both sides, one thread, one reused renderer.
pub fn render_hash_both(a: &Side<'_>, b: &Side<'_>) -> u8 {
    let mut r = Renderer::new();
    let mut x = 0u8;
    for side in [a, b] {
        for (_, text) in side {
            if let Ok(d) = r.digest_str(text) {
                x ^= d.0[0];
            }
        }
    }
    x
}

/// (2') Like (2) for rows that are not canonical (compact, keys unsorted),
/// so every row goes through the full renderer.
pub fn render_hash_noncanonical(a: &[String], b: &[String]) -> u8 {
    let mut r = Renderer::new();
    let mut x = 0u8;
    for side in [a, b] {
        for text in side {
            if let Ok(d) = r.digest_str(text) {
                x ^= d.0[0];
            }
        }
    }
    x
}

/// Non-canonical spellings of the first `n` rows: compact, keys reversed.
pub fn noncanonical_rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            format!(
                r#"{{"ok":true,"tags":["alpha","beta"],"action":{{"note":"row {i} é","weight":{}.50,"seq":{i}}},"actor_id":"{:08x}-4c1a-4e59-9a57-{:012x}","action_type":"commit_decision"}}"#,
                h % 1000,
                h >> 32,
                h & 0xFFFF_FFFF_FFFF,
            )
        })
        .collect()
}

/// (3) Full multiset diff of canonical rows, one thread: hash both sides
/// into multisets, compare, localise.
pub fn multiset_diff_seq(a: &Side<'_>, b: &Side<'_>) -> MultisetDiff {
    let build = |s: &Side<'_>| {
        let mut m = DigestMultiset::new();
        for (t, text) in s {
            m.insert_canonical(t, text.as_bytes());
        }
        m
    };
    diff(&build(a), &build(b))
}

/// (3) on all threads of the current rayon pool, both sides at once.
pub fn multiset_diff_par(a: &Side<'_>, b: &Side<'_>) -> MultisetDiff {
    let (ma, mb) = rayon::join(
        || DigestMultiset::par_from_canonical_rows(a),
        || DigestMultiset::par_from_canonical_rows(b),
    );
    diff(&ma, &mb)
}

/// Render + hash + diff on all threads of the current rayon pool (for rows
/// that are not known to be canonical).
pub fn render_multiset_diff_par(a: &Side<'_>, b: &Side<'_>) -> Option<MultisetDiff> {
    let (ma, mb) = rayon::join(
        || DigestMultiset::par_from_json_rows(a),
        || DigestMultiset::par_from_json_rows(b),
    );
    Some(diff(&ma.ok()?, &mb.ok()?))
}

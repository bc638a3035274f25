//! Choice sequences and the decoders' helpers: picking from them, and
//! handing out unique names.

use super::*;

/// Decodes choices from a vector of numbers.
pub(super) struct Chooser {
    data: Vec<u32>,
    pos: usize,
}

impl Chooser {
    pub(super) fn new(data: Vec<u32>) -> Self {
        Self { data, pos: 0 }
    }
    /// A choice in `0..n` (0 when the sequence is exhausted or `n` is 0).
    pub(super) fn pick(&mut self, n: usize) -> usize {
        let v = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        if n == 0 {
            0
        } else {
            v as usize % n
        }
    }
    pub(super) fn coin(&mut self) -> bool {
        self.pick(2) == 1
    }
    pub(super) fn int(&mut self, lo: i32, width: u32) -> i32 {
        lo.saturating_add(i32::try_from(self.pick(width as usize)).unwrap_or(0))
    }
}

/// Hands out unique names: hostile hints first, then PostgreSQL-style ones.
pub(super) struct Namer {
    pub(super) used: BTreeSet<String>,
    hints: Vec<Option<String>>,
    next_hint: usize,
}

impl Namer {
    pub(super) fn new(used: BTreeSet<String>, hints: Vec<Option<String>>) -> Self {
        Self {
            used,
            hints,
            next_hint: 0,
        }
    }
    /// A fresh name: the next hint if there is one (and it is free), else `base`
    /// made unique with a numeric suffix; always at most 63 bytes.
    pub(super) fn fresh(&mut self, base: &str) -> String {
        let hint = self.hints.get(self.next_hint).cloned().flatten();
        self.next_hint += 1;
        if let Some(h) = hint {
            let h = truncate_bytes(&h, MAX_IDENT_BYTES);
            if !h.is_empty() && !self.used.contains(&h) {
                self.used.insert(h.clone());
                return h;
            }
        }
        let mut cand = truncate_bytes(base, MAX_IDENT_BYTES);
        let mut n = 0u32;
        while cand.is_empty() || self.used.contains(&cand) {
            n += 1;
            let suffix = n.to_string();
            cand = format!(
                "{}{suffix}",
                truncate_bytes(base, MAX_IDENT_BYTES - suffix.len())
            );
        }
        self.used.insert(cand.clone());
        cand
    }
}

pub(super) fn short(name: &str) -> String {
    truncate_bytes(name, 20)
}

/// A choice sequence: small numbers shrink in few steps, and shorter
/// sequences decode to simpler structures.
pub fn arb_choices(max_len: usize) -> impl Strategy<Value = Vec<u32>> {
    vec(0u32..64, max_len / 4..max_len)
}

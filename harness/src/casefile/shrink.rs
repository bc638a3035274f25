//! Generic shrinking of a recorded input, on its serde JSON form.
//!
//! Proptest shrinks through the value tree of the strategy that generated an
//! input; a case file has only the value, so `replay --shrink` simplifies the
//! JSON itself: drop array elements, shorten strings, move numbers toward
//! zero, turn `true` into `false` and values into `null` (accepted only where
//! the input type allows it). Every candidate is re-checked against a fresh
//! database and kept only if the invariant still fails. Works for every
//! property, because every input is plain serde data.

use serde_json::{Number, Value};
use std::time::{Duration, Instant};

/// A step in a JSON tree.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn get_mut<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut cur = v;
    for s in path {
        cur = match (s, cur) {
            (Step::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Paths of every node, breadth-first (big reductions near the root first).
fn paths(v: &Value) -> Vec<Vec<Step>> {
    let mut out = vec![Vec::new()];
    let mut i = 0;
    while i < out.len() {
        let path = out[i].clone();
        let mut node = v;
        for s in &path {
            node = match (s, node) {
                (Step::Key(k), Value::Object(m)) => &m[k],
                (Step::Index(j), Value::Array(a)) => &a[*j],
                _ => unreachable_node(),
            };
        }
        match node {
            Value::Object(m) => {
                for k in m.keys() {
                    let mut p = path.clone();
                    p.push(Step::Key(k.clone()));
                    out.push(p);
                }
            }
            Value::Array(a) => {
                for j in 0..a.len() {
                    let mut p = path.clone();
                    p.push(Step::Index(j));
                    out.push(p);
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn unreachable_node() -> &'static Value {
    &Value::Null
}

/// Simpler replacements for one node, most aggressive first. Every
/// replacement is strictly simpler (null < false < true; numbers nearer zero;
/// shorter strings and arrays), so the greedy loop terminates.
fn simpler(node: &Value) -> Vec<Value> {
    let mut c = Vec::new();
    match node {
        Value::Null => {}
        Value::Bool(true) => c.push(Value::Bool(false)),
        Value::Bool(false) => {}
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                for x in [0, i / 2, i - i.signum()] {
                    if x != i && !c.contains(&Value::from(x)) {
                        c.push(Value::from(x));
                    }
                }
            } else if let Some(u) = n.as_u64() {
                for x in [0, u / 2, u.saturating_sub(1)] {
                    if x != u && !c.contains(&Value::from(x)) {
                        c.push(Value::from(x));
                    }
                }
            } else if let Some(f) = n.as_f64() {
                for x in [0.0, f.trunc(), f / 2.0] {
                    if x != f {
                        if let Some(n) = Number::from_f64(x) {
                            c.push(Value::Number(n));
                        }
                    }
                }
            }
        }
        Value::String(s) => {
            let chars: Vec<char> = s.chars().collect();
            if !chars.is_empty() {
                c.push(Value::String(String::new()));
                let half = chars.len() / 2;
                if half > 0 {
                    c.push(Value::String(chars[..half].iter().collect()));
                    c.push(Value::String(chars[half..].iter().collect()));
                }
                if chars.len() > 1 {
                    c.push(Value::String(chars[1..].iter().collect()));
                    c.push(Value::String(chars[..chars.len() - 1].iter().collect()));
                }
            }
        }
        Value::Array(a) => {
            if !a.is_empty() {
                c.push(Value::Array(Vec::new()));
                let half = a.len() / 2;
                if half > 0 {
                    c.push(Value::Array(a[..half].to_vec()));
                    c.push(Value::Array(a[half..].to_vec()));
                }
                if a.len() > 1 {
                    for i in 0..a.len() {
                        let mut b = a.clone();
                        b.remove(i);
                        c.push(Value::Array(b));
                    }
                }
            }
        }
        Value::Object(_) => {}
    }
    if !node.is_null() {
        // Accepted only where the input type has an Option.
        c.push(Value::Null);
    }
    c
}

/// Size measure used to report progress: bytes of compact JSON.
pub fn size(v: &Value) -> usize {
    serde_json::to_vec(v).map_or(0, |b| b.len())
}

/// Bounds on a shrink.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Wall-time bound.
    pub max_time: Duration,
    /// Bound on candidates checked.
    pub max_checks: u64,
}

/// What a shrink did.
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The smallest failing input found.
    pub input: Value,
    /// Candidates checked.
    pub checks: u64,
    /// Candidates accepted (each one a smaller failing input).
    pub steps: u64,
    /// Whether a bound stopped the shrink before a fixpoint.
    pub bounded: bool,
}

/// Greedily simplify `start` while `still_fails` holds. `still_fails` must
/// return `true` only when the candidate is a valid input that fails the
/// invariant (not when it is rejected or breaks the environment).
pub fn shrink(
    start: &Value,
    bounds: Bounds,
    mut still_fails: impl FnMut(&Value) -> bool,
) -> Shrunk {
    let started = Instant::now();
    let mut cur = start.clone();
    let mut checks = 0u64;
    let mut steps = 0u64;
    'outer: loop {
        for path in paths(&cur) {
            let node = {
                let mut probe = cur.clone();
                match get_mut(&mut probe, &path) {
                    Some(n) => n.clone(),
                    None => continue,
                }
            };
            for replacement in simpler(&node) {
                if started.elapsed() >= bounds.max_time || checks >= bounds.max_checks {
                    return Shrunk {
                        input: cur,
                        checks,
                        steps,
                        bounded: true,
                    };
                }
                let mut cand = cur.clone();
                if let Some(slot) = get_mut(&mut cand, &path) {
                    *slot = replacement;
                } else {
                    continue;
                }
                if cand == cur {
                    continue;
                }
                checks += 1;
                if still_fails(&cand) {
                    cur = cand;
                    steps += 1;
                    continue 'outer;
                }
            }
        }
        return Shrunk {
            input: cur,
            checks,
            steps,
            bounded: false,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shrinks_to_the_minimal_failing_shape() {
        // Fails whenever the array holds a number >= 10.
        let start = json!({"xs": [1, 55, 3, 20, 7], "name": "hello world", "flag": true});
        let fails = |v: &Value| {
            v.get("xs")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|x| x.as_i64().is_some_and(|n| n >= 10)))
                && v.get("name").is_some_and(Value::is_string)
                && v.get("flag").is_some_and(Value::is_boolean)
        };
        let out = shrink(
            &start,
            Bounds {
                max_time: Duration::from_secs(10),
                max_checks: 10_000,
            },
            fails,
        );
        assert_eq!(out.input, json!({"xs": [10], "name": "", "flag": false}));
        assert!(!out.bounded);
        assert!(out.steps > 0);
    }

    #[test]
    fn respects_the_check_bound() {
        let start = json!([1, 2, 3, 4, 5, 6, 7, 8]);
        let out = shrink(
            &start,
            Bounds {
                max_time: Duration::from_secs(10),
                max_checks: 2,
            },
            |_| false,
        );
        assert_eq!(out.checks, 2);
        assert!(out.bounded);
        assert_eq!(out.input, start);
    }
}

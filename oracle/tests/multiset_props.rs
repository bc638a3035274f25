//! Properties of digest multisets and their diff, against a counting model.

use std::collections::BTreeMap;

use pgconform_oracle::{diff, summaries_equal, Digest, DigestMultiset, MultisetDiff};
use proptest::prelude::*;

/// A digest from a small alphabet, so that duplicates are common.
fn arb_digest(alphabet: u32) -> impl Strategy<Value = Digest> {
    (0..alphabet).prop_map(|i| Digest::of_canonical(&i.to_le_bytes()))
}

fn arb_rows(alphabet: u32, max: usize) -> impl Strategy<Value = Vec<(String, Digest)>> {
    proptest::collection::vec(
        (
            prop::sample::select(vec!["t1", "t2", "t3"]).prop_map(str::to_owned),
            arb_digest(alphabet),
        ),
        0..max,
    )
}

/// The obvious model: count per (type, digest).
fn model(
    source: &[(String, Digest)],
    target: &[(String, Digest)],
) -> BTreeMap<String, (usize, usize, Vec<Digest>, Vec<Digest>)> {
    type Counts = BTreeMap<String, BTreeMap<Digest, (usize, usize)>>;
    /// The (source, target) counts of `d` among rows of type `t`.
    fn slot<'a>(counts: &'a mut Counts, t: &str, d: Digest) -> &'a mut (usize, usize) {
        counts
            .entry(t.to_owned())
            .or_default()
            .entry(d)
            .or_default()
    }
    let mut counts = Counts::new();
    for (t, d) in source {
        slot(&mut counts, t, *d).0 += 1;
    }
    for (t, d) in target {
        slot(&mut counts, t, *d).1 += 1;
    }
    counts
        .into_iter()
        .map(|(t, m)| {
            let (mut sc, mut tc, mut missing, mut extra) = (0, 0, Vec::new(), Vec::new());
            for (d, (s, g)) in m {
                sc += s;
                tc += g;
                missing.extend(std::iter::repeat_n(d, s.saturating_sub(g)));
                extra.extend(std::iter::repeat_n(d, g.saturating_sub(s)));
            }
            (t, (sc, tc, missing, extra))
        })
        .collect()
}

fn check(
    source: &[(String, Digest)],
    target: &[(String, Digest)],
) -> Result<MultisetDiff, TestCaseError> {
    let s = DigestMultiset::from_digests(source.iter().map(|(t, d)| (t.as_str(), *d)));
    let t = DigestMultiset::from_digests(target.iter().map(|(t, d)| (t.as_str(), *d)));
    let got = diff(&s, &t);
    let want = model(source, target);
    prop_assert_eq!(got.types.len(), want.len());
    for (ty, (sc, tc, missing, extra)) in want {
        let d = &got.types[&ty];
        prop_assert_eq!(d.source_count, sc);
        prop_assert_eq!(d.target_count, tc);
        prop_assert_eq!(&d.missing, &missing);
        prop_assert_eq!(&d.extra, &extra);
    }
    prop_assert_eq!(got.is_equal(), summaries_equal(&s, &t));
    Ok(got)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn diff_matches_counting_model(source in arb_rows(6, 40), target in arb_rows(6, 40)) {
        check(&source, &target)?;
    }

    #[test]
    fn diff_is_symmetric(source in arb_rows(6, 40), target in arb_rows(6, 40)) {
        let ab = check(&source, &target)?;
        let ba = check(&target, &source)?;
        for (t, d) in &ab.types {
            let r = &ba.types[t];
            prop_assert_eq!(&d.missing, &r.extra);
            prop_assert_eq!(&d.extra, &r.missing);
            prop_assert_eq!(d.source_count, r.target_count);
        }
    }

    #[test]
    fn order_does_not_matter(mut rows in arb_rows(1000, 300), seed in any::<u64>()) {
        let a = DigestMultiset::from_digests(rows.clone());
        let mut s = seed;
        for i in (1..rows.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            rows.swap(i, (s >> 33) as usize % (i + 1));
        }
        let b = DigestMultiset::from_digests(rows);
        prop_assert!(diff(&a, &b).is_equal());
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Large sides with a few tampers exercise the bucketed localisation.
    #[test]
    fn localises_few_differences_in_many_rows(
        n in 2_000usize..20_000,
        deletes in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
        dups in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let source: Vec<(String, Digest)> =
            (0..n as u64).map(|i| ("t".to_owned(), Digest::of_canonical(&i.to_le_bytes()))).collect();
        let mut target = source.clone();
        for i in &dups {
            let r = target[i.index(target.len())].clone();
            target.push(r);
        }
        for i in &deletes {
            let at = i.index(target.len());
            target.remove(at);
        }
        check(&source, &target)?;
    }
}

#[test]
fn duplicated_row_is_one_extra() {
    let d = Digest::of_canonical(b"{}");
    let s = DigestMultiset::from_digests([("t", d)]);
    let t = DigestMultiset::from_digests([("t", d), ("t", d)]);
    let r = diff(&s, &t);
    assert_eq!(r.types["t"].extra, vec![d]);
    assert!(r.types["t"].missing.is_empty());
    assert!(!r.is_ok());
    assert!(r.to_string().contains(&format!("extra {d}")));
}

#[test]
fn empty_types_are_reported_and_zero_types_is_not_ok() {
    let mut a = DigestMultiset::new();
    a.ensure_type("empty");
    let r = diff(&a, &DigestMultiset::new());
    assert!(r.is_ok());
    assert_eq!(r.types["empty"].source_count, 0);
    let none = diff(&DigestMultiset::new(), &DigestMultiset::new());
    assert!(none.is_equal() && !none.is_ok());
}

#[test]
fn json_rows_parallel_equals_sequential_and_reports_first_error() {
    let rows: Vec<(String, String)> = (0..5000)
        .map(|i| {
            (
                format!("t{}", i % 3),
                format!("{{\"n\": {i}, \"b\": [1.50e1]}}"),
            )
        })
        .collect();
    let seq = DigestMultiset::from_json_rows(rows.iter().map(|(t, j)| (t.as_str(), j.as_str())))
        .map_err(|e| e.to_string());
    let par = DigestMultiset::par_from_json_rows(&rows).map_err(|e| e.to_string());
    let (seq, par) = (seq.unwrap_or_default(), par.unwrap_or_default());
    assert_eq!(seq.len(), 5000);
    assert!(diff(&seq, &par).is_ok());
    for t in seq.types() {
        assert_eq!(seq.digests(t), par.digests(t));
    }
    let mut bad = rows.clone();
    bad[4000].1 = "[".to_owned();
    bad[1234].1 = "\"\\u0000\"".to_owned();
    let e = DigestMultiset::par_from_json_rows(&bad).err();
    assert_eq!(e.map(|e| e.index), Some(1234));
}

#[test]
fn serialises_in_the_kernel_shape() {
    let d = Digest::of_canonical(b"1");
    let r = diff(
        &DigestMultiset::from_digests([("t", d)]),
        &DigestMultiset::new(),
    );
    let v = serde_json::to_value(&r).unwrap_or_default();
    assert_eq!(v["ok"], serde_json::json!(false));
    assert_eq!(v["types"]["t"]["missing"][0], serde_json::json!(d.to_hex()));
    assert_eq!(v["types"]["t"]["target_count"], serde_json::json!(0));
    let back: MultisetDiff = serde_json::from_value(v).unwrap_or_default();
    assert_eq!(back, r);
}

#[test]
fn digest_text_round_trip() {
    let d = Digest::of_canonical(b"x");
    assert_eq!(d.to_string().parse::<Digest>(), Ok(d));
    assert!(d.to_string().to_uppercase().parse::<Digest>().is_err());
    assert!("abc".parse::<Digest>().is_err());
    let json = serde_json::to_string(&d).unwrap_or_default();
    assert_eq!(serde_json::from_str::<Digest>(&json).ok(), Some(d));
}

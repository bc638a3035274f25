//! DRIFT-CLEAN, DRIFT-DETECT, DRIFT-ORDER and DRIFT-EXTRA-INDEX over generated schemas.

use super::kernel_client::{self, Snapshot, SET};
use crate::case::{CaseError, CaseResult};
use crate::invariant::{InvariantMeta, Suite};
use crate::property::declare_property;
use crate::sandbox::Sandbox;
use pgconform_generators::drift::{self as gen, Mutation, Schema};
use proptest::collection::vec;
use proptest::prelude::*;
use std::collections::BTreeSet;

const SEED: &str = "002_683b4106638da6eb.txt";

/// Coverage classes of a schema: `object:<class>`.
pub fn schema_coverage(s: &Schema) -> Vec<String> {
    let mut v: BTreeSet<String> = BTreeSet::new();
    for t in &s.tables {
        for o in &t.objects {
            v.insert(format!("object:{}", o.kind.class()));
        }
    }
    v.into_iter().collect()
}

/// Build `s` in a fresh database (canonical order), snapshot it and check
/// that the snapshot holds exactly the schema's objects with consistent hashes.
fn build(
    sandbox: &dyn Sandbox,
    s: &Schema,
) -> Result<(crate::sandbox::CaseDb, Snapshot), CaseError> {
    let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
    kernel_client::run_all(&mut db, &gen::schema_ddl(s))?;
    let snap = kernel_client::snapshot(&mut db, std::slice::from_ref(&s.name))?;
    kernel_client::check_hashes(&snap)?;
    let mut want = BTreeSet::new();
    for p in gen::object_paths(s) {
        want.insert(kernel_client::identity(&mut db, &p)?);
    }
    let got: BTreeSet<(String, String)> = snap.keys().cloned().collect();
    if want != got {
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        return Err(CaseError::mismatch(
            "the realized snapshot does not hold exactly the schema's tables, constraints, indexes and triggers",
            format!("also {missing:?}"),
            format!("also {extra:?}"),
        ));
    }
    Ok((db, snap))
}

static CLEAN: InvariantMeta = InvariantMeta::new(
    "DRIFT-CLEAN",
    Suite::Drift,
    "seal → activate → verify is ok for any schema (no false positive)",
    SEED,
    "For any generated schema, the realized snapshot holds exactly its objects with hashes the harness \
     recomputes, and seal → activate → verify reports ok with no failure.",
    48,
);

declare_property! {
    /// DRIFT-CLEAN over generated schemas.
    Clean {
        input: Schema,
        static_meta: CLEAN,
        strategy: gen::arb_schema,
        coverage: schema_coverage,
        check: generated_clean_holds,
    }
}

/// DRIFT-CLEAN's check.
fn generated_clean_holds(sandbox: &dyn Sandbox, s: &Schema) -> CaseResult {
    let (mut db, snap) = build(sandbox, s)?;
    let m = kernel_client::seal_activate(&mut db, SET, std::slice::from_ref(&s.name))?;
    let report = kernel_client::verify(&mut db, SET)?;
    kernel_client::check_report(&report, m, &Default::default(), &snap, &snap)
}

static DETECT: InvariantMeta = InvariantMeta::new(
    "DRIFT-DETECT",
    Suite::Drift,
    "verify reports exactly the mutated objects, with the right kind",
    SEED,
    "For any schema (always with a trigger and a foreign key) and a sequence of mutations of every kind \
     (one alteration of every kind the schema admits, then trigger enabled/disabled, FK deferrability in place, alterations of expression/column order/\
     predicate/action/deferrability/opclass/INCLUDE/trigger, drop, rename, drop-and-recreate-identical, \
     add), each applied after sealing and activating the previous state, verify reports exactly the \
     objects the mutation changed (and their tables), kind and hashes right, code \
     OBJECT_AUTHORITY_IMMUTABLE; identical recreation is not drift; a sealed but never activated \
     manifest is not ok.",
    32,
);

declare_property! {
    /// DRIFT-DETECT over generated schemas and sequences of mutations.
    Detect {
        input: (Schema, Vec<Mutation>),
        static_meta: DETECT,
        strategy: gen::arb_schema_and_mutations,
        coverage: generated_detect_coverage,
        check: generated_detect_holds,
    }
}

/// DRIFT-DETECT's coverage classes.
fn generated_detect_coverage((s, ms): &(Schema, Vec<Mutation>)) -> Vec<String> {
    // the generator only yields mutations that apply, in order, to the
    // state they were decoded for: every one of them is checked
    let mut v = schema_coverage(s);
    let labels: BTreeSet<String> = ms
        .iter()
        .map(|m| format!("mutation:{}", m.label()))
        .collect();
    v.extend(labels);
    v
}

/// DRIFT-DETECT's check.
fn generated_detect_holds(sandbox: &dyn Sandbox, (s, ms): &(Schema, Vec<Mutation>)) -> CaseResult {
    detect_case(sandbox, s, ms)
}

fn detect_case(sandbox: &dyn Sandbox, s: &Schema, ms: &[Mutation]) -> CaseResult {
    let (mut db, mut before) = build(sandbox, s)?;
    let schemas = std::slice::from_ref(&s.name);
    let mut manifest = kernel_client::seal(&mut db, SET, schemas)?;
    let pending = kernel_client::verify(&mut db, SET)?;
    if pending.ok {
        return Err(CaseError::fail(format!(
            "CONTRACT §2 verify_object_authority: no active manifest → not ok, but verify is ok for a set whose \
             only version was sealed but never activated: {}",
            pending.raw
        )));
    }
    let ev = kernel_client::evidence(&mut db)?;
    kernel_client::activate(&mut db, manifest, ev)?;
    let mut state = s.clone();
    for (i, m) in ms.iter().enumerate() {
        let next = gen::apply(&state, m).map_err(|e| CaseError::Reject(e.to_string()))?;
        let ddl = gen::mutation_ddl(&state, m).map_err(|e| CaseError::Reject(e.to_string()))?;
        if i > 0 {
            // the previous state becomes the sealed, active version
            manifest = kernel_client::seal_activate(&mut db, SET, schemas)?;
        }
        kernel_client::run_all(&mut db, &ddl)?;
        let after = kernel_client::snapshot(&mut db, schemas)?;
        kernel_client::check_hashes(&after)?;
        let expected =
            kernel_client::expected_identities(&mut db, &gen::expected_drift(&state, &next))?;
        let report = kernel_client::verify(&mut db, SET)?;
        kernel_client::check_report(&report, manifest, &expected, &before, &after).map_err(
            |e| {
                e.with_sql(format!(
                    "-- mutation {} of {} ({})\n{}",
                    i + 1,
                    ms.len(),
                    m.label(),
                    ddl.join(";\n")
                ))
            },
        )?;
        before = after;
        state = next;
    }
    Ok(())
}

static ORDER: InvariantMeta = InvariantMeta::new(
    "DRIFT-ORDER",
    Suite::Drift,
    "the same schema built in any order, in another database, gives identical hashes",
    SEED,
    "Building a schema in its canonical order in one database and in a random dependency-respecting \
     order (after OID-shifting noise) in another gives identical snapshots: same identities, same \
     definition and TABLE set hashes.",
    32,
);

declare_property! {
    /// DRIFT-ORDER.
    Order {
        input: (Schema, Vec<u32>),
        static_meta: ORDER,
        strategy: || (gen::arb_schema(), vec(any::<u32>(), 1..64)),
        coverage: generated_order_coverage,
        check: generated_order_holds,
    }
}

/// DRIFT-ORDER's coverage classes.
fn generated_order_coverage((s, _): &(Schema, Vec<u32>)) -> Vec<String> {
    schema_coverage(s)
}

/// DRIFT-ORDER's check.
fn generated_order_holds(sandbox: &dyn Sandbox, (s, prio): &(Schema, Vec<u32>)) -> CaseResult {
    let (_a, snap_a) = build(sandbox, s)?;
    let mut b = sandbox.fresh_db().map_err(CaseError::env)?;
    // shift OIDs and relfilenodes relative to database A
    let noise: Vec<String> = (0..=(prio[0] % 5))
        .flat_map(|i| {
            vec![
                format!("CREATE TABLE public.pgc_noise_{i} (a int PRIMARY KEY, b text UNIQUE)"),
                format!("CREATE INDEX pgc_noise_{i}_b ON public.pgc_noise_{i} (b, a)"),
                format!("DROP TABLE public.pgc_noise_{i}"),
            ]
        })
        .collect();
    kernel_client::run_all(&mut b, &noise)?;
    kernel_client::run_all(&mut b, &gen::creation_statements(s, prio))?;
    let snap_b = kernel_client::snapshot(&mut b, std::slice::from_ref(&s.name))?;
    kernel_client::check_hashes(&snap_b)?;
    let flat = |s: &Snapshot| {
        s.values()
            .map(|r| format!("{} {} {}", r.object_type, r.identity, r.sha256))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if snap_a != snap_b {
        return Err(CaseError::mismatch(
            "snapshots of the same schema differ between creation orders/databases",
            flat(&snap_a),
            flat(&snap_b),
        ));
    }
    Ok(())
}

static EXTRA_INDEX: InvariantMeta = InvariantMeta::new(
    "DRIFT-EXTRA-INDEX",
    Suite::Drift,
    "any extra index fails until a new sealed, activated version lists it",
    SEED,
    "After seal+activate, adding any index (plain, unique, partial, expression, INCLUDE, any name) \
     makes verify report exactly that INDEX extra and its TABLE changed; sealing and activating a \
     new version makes verify ok; dropping the index again is reported missing.",
    32,
);

declare_property! {
    /// DRIFT-EXTRA-INDEX.
    ExtraIndex {
        input: (Schema, Mutation),
        static_meta: EXTRA_INDEX,
        strategy: gen::arb_extra_index,
        coverage: extra_index_coverage,
        check: extra_index_holds,
    }
}

/// DRIFT-EXTRA-INDEX's coverage classes.
fn extra_index_coverage((s, m): &(Schema, Mutation)) -> Vec<String> {
    let mut v = schema_coverage(s);
    if let Mutation::Add { object, .. } = m {
        v.push(format!("extra:{}", object.kind.class()));
    }
    v
}

/// DRIFT-EXTRA-INDEX's check.
fn extra_index_holds(sandbox: &dyn Sandbox, (s, m): &(Schema, Mutation)) -> CaseResult {
    let Mutation::Add { table, object } = m else {
        return Err(CaseError::Reject("not an added index".into()));
    };
    let with_index = gen::apply(s, m).map_err(|e| CaseError::Reject(e.to_string()))?;
    let (mut db, before) = build(sandbox, s)?;
    let schemas = std::slice::from_ref(&s.name);
    let m1 = kernel_client::seal_activate(&mut db, SET, schemas)?;
    let add = gen::mutation_ddl(s, m).map_err(|e| CaseError::Reject(e.to_string()))?;
    kernel_client::run_all(&mut db, &add)?;
    let after = kernel_client::snapshot(&mut db, schemas)?;
    let expected =
        kernel_client::expected_identities(&mut db, &gen::expected_drift(s, &with_index))?;
    let report = kernel_client::verify(&mut db, SET)?;
    kernel_client::check_report(&report, m1, &expected, &before, &after)
        .map_err(|e| e.with_sql(add.join(";\n")))?;
    // a new sealed, activated version lists it: then it passes
    let m2 = kernel_client::seal_activate(&mut db, SET, schemas)?;
    let report = kernel_client::verify(&mut db, SET)?;
    kernel_client::check_report(&report, m2, &Default::default(), &after, &after)?;
    // and removing it is drift again
    let drop = gen::mutation_ddl(
        &with_index,
        &Mutation::Drop {
            table: table.clone(),
            object: object.name.clone(),
        },
    )
    .map_err(|e| CaseError::Reject(e.to_string()))?;
    kernel_client::run_all(&mut db, &drop)?;
    let dropped = kernel_client::snapshot(&mut db, schemas)?;
    let expected =
        kernel_client::expected_identities(&mut db, &gen::expected_drift(&with_index, s))?;
    let report = kernel_client::verify(&mut db, SET)?;
    kernel_client::check_report(&report, m2, &expected, &after, &dropped)
}

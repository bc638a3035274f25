//! PostgreSQL's SQL verification and the harness's streamed Rust
//! verification of the same two tables reach the same verdict: equal tables,
//! then tampered ones localised digest by digest with multiplicity.
//! (Their speeds are compared in `harness/benches/verify.rs`.)

use pgconform::testkit;
use pgconform_scenarios::verify_paths::{
    agree, load_workload, verify_in_postgres, verify_in_rust, SOURCE, TARGET, TYPES,
};

const ROWS: u64 = 2_000;

#[test]
fn sql_and_streamed_oracle_agree_on_equal_and_tampered_tables() {
    let sb = testkit::sandbox(None).expect("sandbox");
    let mut db = sb.fresh_db().expect("db");
    let (mut src_reader, mut dst_reader) = (
        db.connect().expect("connect"),
        db.connect().expect("connect"),
    );

    load_workload(db.client(), ROWS, 0).expect("load");
    let sql = verify_in_postgres(db.client(), SOURCE, TARGET).expect("sql verify");
    let rust =
        verify_in_rust(&mut src_reader, &mut dst_reader, SOURCE, TARGET).expect("rust verify");
    assert!(rust.is_equal(), "{rust:?}");
    assert!(sql.differences.is_empty(), "{sql:?}");
    assert_eq!(sql.counts.len(), TYPES.len());
    assert_eq!(sql.counts.values().map(|c| c.0).sum::<i64>(), ROWS as i64);
    assert!(agree(&sql, &rust));

    // delete, duplicate, change, delete, duplicate.
    load_workload(db.client(), ROWS, 5).expect("load tampered");
    let sql = verify_in_postgres(db.client(), SOURCE, TARGET).expect("sql verify");
    let rust =
        verify_in_rust(&mut src_reader, &mut dst_reader, SOURCE, TARGET).expect("rust verify");
    let missing: usize = rust.types.values().map(|t| t.missing.len()).sum();
    let extra: usize = rust.types.values().map(|t| t.extra.len()).sum();
    assert_eq!((missing, extra), (3, 3), "{rust:?}");
    assert_eq!(sql.differences.len(), 6, "{sql:?}");
    assert!(agree(&sql, &rust), "{sql:?}\n{rust:?}");
}

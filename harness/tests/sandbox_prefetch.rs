//! The sandbox prepares the next case's database in the background. Each
//! case still gets its own fresh clone of the template, and nothing the
//! sandbox created — including the clone prepared for a case that never
//! came — outlives it.

use pgconform::provision::ProvisionOptions;
use pgconform::session::Session;
use pgconform_scenarios::Sandbox;

#[test]
fn every_case_gets_a_fresh_clone_and_the_spare_is_reclaimed() {
    let Session { sandbox, server } = Session::prepare(
        &pgconform::sut::bundled_kernel_dir(),
        None,
        &ProvisionOptions::default(),
        &[],
    )
    .expect("embedded session");

    let mut names = Vec::new();
    for i in 0..4 {
        let mut db = sandbox.fresh_db().expect("fresh db");
        // The SUT is installed, and nothing of the previous case is here.
        db.batch_execute("SELECT public.kernel_now()")
            .expect("SUT present");
        let leftover: bool = db
            .query_one("SELECT to_regclass('public.case_scratch') IS NOT NULL", &[])
            .expect("query")
            .get(0);
        assert!(!leftover, "case {i} sees the previous case's table");
        db.batch_execute("CREATE TABLE public.case_scratch (x int)")
            .expect("case writes");
        names.push(db.name().to_owned());
    }
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        names.len(),
        "a database was handed out twice: {names:?}"
    );

    let prefix = format!("{}%", server.db_prefix);
    drop(sandbox);
    let mut admin = server.connect("postgres").expect("admin session");
    let left: Vec<String> = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1",
            &[&prefix],
        )
        .expect("list databases")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(left.is_empty(), "databases left behind: {left:?}");
}

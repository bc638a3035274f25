//! Invariants of the SUT as a whole: installation, the clock seam, hygiene.

use crate::case::{CaseError, CaseResult};
use crate::clock;
use crate::invariant::{Invariant, InvariantMeta, Suite};
use crate::pg::{answer, query_strings, quote_ident, Answer, PgResultExt};
use crate::property::{boxed, declare_property, unit_strategy};
use crate::sandbox::Sandbox;
use crate::snapshot;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// The foundation invariants.
pub fn invariants() -> Vec<Box<dyn Invariant>> {
    vec![
        boxed(InstallAtomic),
        boxed(Reinstall),
        boxed(ClockSeam),
        boxed(SearchPathPinned),
    ]
}

/// A unique role name for one case (roles are cluster-wide).
pub fn case_role() -> String {
    format!("pgc_role_{}", uuid::Uuid::new_v4().simple())
}

/// Drops a role when it goes out of scope (best effort).
struct RoleGuard<'a> {
    client: &'a mut postgres::Client,
    role: String,
}

impl Drop for RoleGuard<'_> {
    fn drop(&mut self) {
        let _ = self.client.batch_execute(&format!(
            "RESET ROLE; DROP OWNED BY {r}; DROP ROLE IF EXISTS {r}",
            r = quote_ident(&self.role)
        ));
    }
}

// ---------------------------------------------------------------- SUT-INSTALL-ATOMIC

declare_property! {
    /// SUT-INSTALL-ATOMIC.
    InstallAtomic {
        input: InstallCut,
        static_meta: INSTALL_ATOMIC,
        strategy: || {
            (0usize..64, any::<bool>())
            .prop_map(|(after_files, raise)| InstallCut { after_files, raise })
        },
        coverage: install_atomic_coverage,
        check: install_atomic_holds,
    }
}

/// Where the injected failure strikes during an install.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstallCut {
    /// The failure comes after this many install files (modulo the file count + 1).
    pub after_files: usize,
    /// Fail with a raised exception (true) or a syntax error (false).
    pub raise: bool,
}

static INSTALL_ATOMIC: InvariantMeta = InvariantMeta::new(
    "SUT-INSTALL-ATOMIC",
    Suite::Foundation,
    "the kernel installs in one transaction: a failure at any point leaves no trace",
    "CONTRACT.md",
    "For any cut point in the install sequence, installing the files up to it and then failing, \
     all in one transaction, leaves the database's catalog and data snapshot exactly as before.",
    8,
);

/// SUT-INSTALL-ATOMIC's coverage classes.
fn install_atomic_coverage(input: &InstallCut) -> Vec<String> {
    vec![format!(
        "fault:{}",
        if input.raise { "raise" } else { "syntax" }
    )]
}

/// SUT-INSTALL-ATOMIC's check.
fn install_atomic_holds(sandbox: &dyn Sandbox, input: &InstallCut) -> CaseResult {
    let files: Vec<_> = sandbox.sut().install_with_mutant().cloned().collect();
    let cut = input.after_files % (files.len() + 1);
    let mut db = sandbox.empty_db().map_err(CaseError::env)?;
    let before = snapshot::take(&mut db, true).env()?;
    db.batch_execute("BEGIN").env()?;
    for f in &files[..cut] {
        if let Err(e) = db.batch_execute(&f.sql) {
            let _ = db.batch_execute("ROLLBACK");
            return Err(CaseError::env(format!(
                "install file {} failed in a fresh database: {}",
                f.path,
                crate::pg::describe(&e)
            )));
        }
    }
    let fault = if input.raise {
        "DO $$BEGIN RAISE EXCEPTION 'pgconform injected install fault'; END$$"
    } else {
        "SELEC pgconform_injected_syntax_error"
    };
    if db.batch_execute(fault).is_ok() {
        return Err(CaseError::env("the injected fault did not fail"));
    }
    let _ = db.batch_execute("ROLLBACK");
    let after = snapshot::take(&mut db, true).env()?;
    snapshot::expect_same(
        &before,
        &after,
        format!(
            "an install that failed after {cut} of {} files left objects behind (a file commits on its own or runs outside the transaction)",
            files.len()
        ),
        "an unchanged database",
        10,
    )
}

// ---------------------------------------------------------------- SUT-REINSTALL

declare_property! {
    /// SUT-REINSTALL.
    Reinstall {
        input: (),
        static_meta: REINSTALL,
        strategy: unit_strategy,
        check: reinstall_holds,
    }
}

static REINSTALL: InvariantMeta = InvariantMeta::new(
    "SUT-REINSTALL",
    Suite::Foundation,
    "the kernel installs again on a cluster that already has it, identically",
    "CONTRACT.md",
    "Installing the SUT into two fresh databases of one cluster (the second sees the cluster-wide \
     roles the first created) succeeds both times and yields identical catalog snapshots.",
    1,
);

/// SUT-REINSTALL's check.
fn reinstall_holds(sandbox: &dyn Sandbox, _: &()) -> CaseResult {
    let files: Vec<_> = sandbox.sut().install_with_mutant().cloned().collect();
    let mut snaps = Vec::new();
    for attempt in 1..=2 {
        let mut db = sandbox.empty_db().map_err(CaseError::env)?;
        db.batch_execute("BEGIN").env()?;
        for f in &files {
            if let Err(e) = db.batch_execute(&f.sql) {
                let state = crate::pg::sqlstate(&e);
                return Err(CaseError::Fail(Box::new(
                    pgconform_reports::FailureDetail {
                        message: format!(
                            "install #{attempt} failed in {}: {}",
                            f.path,
                            crate::pg::describe(&e)
                        ),
                        sql: Some(f.path.clone()),
                        sqlstate: state,
                        ..Default::default()
                    },
                )));
            }
        }
        db.batch_execute("COMMIT").env()?;
        snaps.push(snapshot::take(&mut db, false).env()?);
    }
    snapshot::expect_same(
        &snaps[0],
        &snaps[1],
        "two installs of the same SUT on one cluster differ",
        "identical snapshots",
        10,
    )
}

// ---------------------------------------------------------------- SUT-CLOCK

declare_property! {
    /// SUT-CLOCK.
    ClockSeam {
        input: ClockPlan,
        static_meta: CLOCK,
        strategy: || {
            (
                -315_360_000i64..315_360_000,
                prop::collection::vec(
                    prop_oneof![
                        Just(0i64),
                        Just(1),
                        Just(3600),
                        Just(-1),
                        -100_000i64..100_000
                    ],
                    0..6,
                ),
            )
                .prop_map(|(freeze_offset, steps)| ClockPlan {
                    freeze_offset,
                    steps,
                })
        },
        coverage: clock_seam_coverage,
        check: clock_seam_holds,
    }
}

/// A clock scenario: where to freeze and how to move.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClockPlan {
    /// Seconds from 2030-01-01T00:00:00Z to freeze at.
    pub freeze_offset: i64,
    /// Successive advances in seconds (may be negative).
    pub steps: Vec<i64>,
}

static CLOCK: InvariantMeta = InvariantMeta::new(
    "SUT-CLOCK",
    Suite::Foundation,
    "kernel_now() follows the harness's test clock, and nothing else moves it",
    "CONTRACT.md",
    "kernel_now() is now() without a test clock; equals the frozen time after any sequence of \
     advances; ignores session settings; cannot be moved by a non-superuser; ignores a clock row \
     for another database.",
    16,
);

fn epoch(db: &mut postgres::Client, sql: &str) -> Result<f64, CaseError> {
    let row = db.query_one(sql, &[]).kernel(sql)?;
    row.try_get::<_, f64>(0).kernel(sql)
}

/// The kernel's clock in epoch seconds.
const NOW: &str = "SELECT extract(epoch FROM public.kernel_now())::float8";

/// Whether kernel_now() is now() (no test clock in effect).
fn kernel_now_is_now(db: &mut postgres::Client) -> Result<bool, CaseError> {
    Ok(db
        .query_one("SELECT public.kernel_now() = now()", &[])
        .kernel("SELECT public.kernel_now() = now()")?
        .get(0))
}

/// Freeze the clock at the plan's instant and advance it by each step,
/// checking kernel_now() after each; returns the final expected epoch.
fn freeze_and_advance(db: &mut postgres::Client, plan: &ClockPlan) -> Result<f64, CaseError> {
    let base = 1_893_456_000i64 + plan.freeze_offset; // 2030-01-01T00:00:00Z + offset
    let at: String = db
        .query_one("SELECT to_timestamp($1::float8)::text", &[&(base as f64)])
        .env()?
        .get(0);
    clock::freeze(db, &at)?;
    let mut expected = base as f64;
    let got = epoch(db, NOW)?;
    if (got - expected).abs() > 1e-6 {
        return Err(CaseError::mismatch("frozen clock not honoured", expected, got).with_sql(NOW));
    }
    for step in &plan.steps {
        clock::advance(db, *step)?;
        expected += *step as f64;
        let got = epoch(db, NOW)?;
        if (got - expected).abs() > 1e-6 {
            return Err(CaseError::mismatch(
                format!("clock advanced by {step}s not honoured"),
                expected,
                got,
            )
            .with_sql(NOW));
        }
    }
    Ok(expected)
}

/// A non-superuser can read the clock (at `expected`) but never move it.
fn non_superuser_cannot_move(db: &mut postgres::Client, expected: f64) -> CaseResult {
    let role = case_role();
    db.batch_execute(&format!("CREATE ROLE {} NOLOGIN", quote_ident(&role)))
        .env()?;
    let guard = RoleGuard {
        client: db,
        role: role.clone(),
    };
    guard
        .client
        .batch_execute(&format!("SET ROLE {}", quote_ident(&role)))
        .env()?;
    let as_role = epoch(guard.client, NOW)?;
    let write = "UPDATE public.kernel_test_clock SET frozen_at = '1999-01-01'";
    let moved = answer(guard.client.execute(write, &[]))?;
    guard.client.batch_execute("RESET ROLE").env()?;
    drop(guard);
    if (as_role - expected).abs() > 1e-6 {
        return Err(CaseError::mismatch(
            "a non-superuser sees another clock",
            expected,
            as_role,
        ));
    }
    if let Answer::Ok(_) = moved {
        return Err(CaseError::fail("a non-superuser could write the test clock").with_sql(write));
    }
    Ok(())
}

/// A clock row for another database, or one whose `enabled_by` is not a
/// superuser, has no effect here (a kernel may also refuse to store such a
/// row: that is as good).
fn foreign_clock_rows_ignored(db: &mut postgres::Client) -> CaseResult {
    for (row, why) in [
        (
            "INSERT INTO public.kernel_test_clock (database_name, frozen_at) \
             VALUES ('some_other_db', '1999-01-01')",
            "a clock row for another database moved this database's clock",
        ),
        (
            "INSERT INTO public.kernel_test_clock (database_name, frozen_at, enabled_by) \
             VALUES (current_database(), '1999-01-01', 'pgc_no_such_superuser')",
            "a clock row enabled by a role that is not a superuser moved the clock \
             (contract §0: only a superuser's row counts)",
        ),
    ] {
        clock::release(db)?;
        if let Answer::Err { .. } = answer(db.execute(row, &[]))? {
            continue;
        }
        if !kernel_now_is_now(db)? {
            return Err(CaseError::fail(why).with_sql(row));
        }
        db.batch_execute("DELETE FROM public.kernel_test_clock")
            .env()?;
    }
    Ok(())
}

/// SUT-CLOCK's coverage classes.
fn clock_seam_coverage(plan: &ClockPlan) -> Vec<String> {
    let mut c = vec![format!("steps:{}", plan.steps.len().min(3))];
    if plan.steps.iter().any(|s| *s < 0) {
        c.push("step:negative".to_owned());
    }
    c
}

/// SUT-CLOCK's check.
fn clock_seam_holds(sandbox: &dyn Sandbox, plan: &ClockPlan) -> CaseResult {
    let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
    if !kernel_now_is_now(&mut db)? {
        return Err(CaseError::fail(
            "without a test clock kernel_now() is not now()",
        ));
    }
    let expected = freeze_and_advance(&mut db, plan)?;
    db.batch_execute(
        "SET pgconform.test_clock = '1999-01-01'; SET TimeZone = 'Pacific/Kiritimati'",
    )
    .env()?;
    let got = epoch(&mut db, NOW)?;
    if (got - expected).abs() > 1e-6 {
        return Err(CaseError::mismatch(
            "a session setting moved the clock",
            expected,
            got,
        ));
    }
    non_superuser_cannot_move(&mut db, expected)?;
    foreign_clock_rows_ignored(&mut db)
}

// ---------------------------------------------------------------- SUT-SEARCH-PATH

declare_property! {
    /// SUT-SEARCH-PATH.
    SearchPathPinned {
        input: (),
        static_meta: SEARCH_PATH,
        strategy: unit_strategy,
        check: search_path_pinned_holds,
    }
}

static SEARCH_PATH: InvariantMeta = InvariantMeta::new(
    "SUT-SEARCH-PATH",
    Suite::Foundation,
    "every kernel function pins its search_path",
    "CONTRACT.md",
    "Every function the SUT installs (outside extensions) has `SET search_path` in its \
     configuration, so callers cannot redirect its unqualified names.",
    1,
);

/// SUT-SEARCH-PATH's check.
fn search_path_pinned_holds(sandbox: &dyn Sandbox, _: &()) -> CaseResult {
    const SQL: &str = "SELECT p.oid::regprocedure::text FROM pg_proc p \
         JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\\_%' \
           AND p.prokind IN ('f','p') \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass \
                           AND d.objid = p.oid AND d.deptype = 'e') \
           AND NOT coalesce(EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search\\_path=%'), false) \
         ORDER BY 1";
    let mut db = sandbox.fresh_db().map_err(CaseError::env)?;
    let unpinned = query_strings(&mut db, SQL, &[])?;
    if unpinned.is_empty() {
        Ok(())
    } else {
        Err(CaseError::mismatch(
            format!("{} function(s) do not pin search_path", unpinned.len()),
            "SET search_path on every function",
            unpinned.join(", "),
        )
        .with_sql(SQL))
    }
}

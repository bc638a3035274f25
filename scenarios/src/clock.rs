//! The harness's control of the kernel clock seam `public.kernel_now()`.
//!
//! The base kernel reads `public.kernel_test_clock` (a superuser-only table)
//! for a row naming the current database; the harness writes that row only in
//! disposable databases. A session setting alone can never move the clock.

use crate::case::CaseError;
use crate::pg::PgResultExt;
use postgres::Client;

/// Freeze the test clock of this database at `at` (a timestamptz literal).
pub fn freeze(client: &mut Client, at: &str) -> Result<(), CaseError> {
    client
        .execute(
            "INSERT INTO public.kernel_test_clock (database_name, frozen_at) \
             VALUES (current_database(), $1::text::timestamptz) \
             ON CONFLICT (database_name) DO UPDATE SET frozen_at = EXCLUDED.frozen_at",
            &[&at],
        )
        .env()?;
    Ok(())
}

/// Move the frozen test clock by `seconds` (may be negative).
pub fn advance(client: &mut Client, seconds: i64) -> Result<(), CaseError> {
    let n = client
        .execute(
            "UPDATE public.kernel_test_clock \
             SET frozen_at = frozen_at + make_interval(secs => $1::bigint::double precision) \
             WHERE database_name = current_database()",
            &[&seconds],
        )
        .env()?;
    if n == 1 {
        Ok(())
    } else {
        Err(CaseError::env("test clock is not frozen in this database"))
    }
}

/// Disable the test clock (back to `now()`).
pub fn release(client: &mut Client) -> Result<(), CaseError> {
    client
        .execute(
            "DELETE FROM public.kernel_test_clock WHERE database_name = current_database()",
            &[],
        )
        .env()?;
    Ok(())
}

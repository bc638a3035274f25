//! Small helpers for talking to the kernel from scenarios.
//!
//! Errors are classified by their nature, never by message text: a server-side
//! error (with a SQLSTATE) is the kernel's answer; anything else (I/O, closed
//! connection, protocol) is an environment error.

use crate::case::CaseError;
use pgconform_reports::FailureDetail;
use postgres::{Client, Row};

/// A full one-line description of a driver error (the driver's own Display
/// says only "db error" for server errors).
pub fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str(&format!("; detail: {d}"));
            }
            if let Some(w) = db.where_() {
                s.push_str(&format!("; where: {}", w.replace('\n', " / ")));
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(inner) = src {
                s.push_str(&format!(": {inner}"));
                src = inner.source();
            }
            s
        }
    }
}

/// The SQLSTATE of a server error, or `None` for client-side errors.
pub fn sqlstate(e: &postgres::Error) -> Option<String> {
    e.as_db_error().map(|db| db.code().code().to_owned())
}

/// A kernel answer: either rows or a server error with its SQLSTATE.
#[derive(Debug)]
pub enum Answer<T> {
    /// The statement succeeded.
    Ok(T),
    /// The server raised an error.
    Err {
        /// SQLSTATE, e.g. `42501`.
        sqlstate: String,
        /// The server's message (for humans only; never matched).
        message: String,
    },
}

impl<T> Answer<T> {
    /// The SQLSTATE if this is an error.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            Self::Ok(_) => None,
            Self::Err { sqlstate, .. } => Some(sqlstate),
        }
    }
}

/// Turn a driver result into a kernel answer; non-server errors become `Env`.
pub fn answer<T>(r: Result<T, postgres::Error>) -> Result<Answer<T>, CaseError> {
    match r {
        Ok(v) => Ok(Answer::Ok(v)),
        Err(e) => match e.as_db_error() {
            Some(db) => Ok(Answer::Err {
                sqlstate: db.code().code().to_owned(),
                message: db.message().to_owned(),
            }),
            None => Err(CaseError::Env(describe(&e))),
        },
    }
}

/// A server error as a kernel failure carrying `message` (made from the
/// server's message), the SQLSTATE and `sql`; a client-side error as an
/// environment error.
pub fn server_failure(
    e: postgres::Error,
    sql: &str,
    message: impl FnOnce(&str) -> String,
) -> CaseError {
    match e.as_db_error() {
        Some(db) => CaseError::Fail(Box::new(FailureDetail {
            message: message(db.message()),
            sql: Some(sql.to_owned()),
            sqlstate: Some(db.code().code().to_owned()),
            ..FailureDetail::default()
        })),
        None => CaseError::Env(describe(&e)),
    }
}

/// Extension for driver results inside a case.
pub trait PgResultExt<T> {
    /// Any error is an environment error (use for harness-side statements).
    fn env(self) -> Result<T, CaseError>;
    /// Any error is a kernel failure carrying `sql`: a server error with its
    /// SQLSTATE; an unreadable answer (NULL, wrong type, no row, a session
    /// that died in the call) without one.
    fn kernel(self, sql: &str) -> Result<T, CaseError>;
}

impl<T> PgResultExt<T> for Result<T, postgres::Error> {
    fn env(self) -> Result<T, CaseError> {
        self.map_err(|e| CaseError::Env(describe(&e)))
    }

    fn kernel(self, sql: &str) -> Result<T, CaseError> {
        self.map_err(|e| match e.as_db_error() {
            Some(_) => server_failure(e, sql, |m| format!("kernel raised: {m}")),
            // No server error: the kernel's answer could not be read (NULL
            // or the wrong type, no row, or its backend went away during the
            // call). That is the kernel's fault, not the environment's; an
            // interruption is told apart by the runner.
            None => CaseError::Fail(Box::new(FailureDetail {
                message: format!(
                    "the kernel's answer is not what the contract says (NULL, the wrong type, \
                     no row, or its session died): {}",
                    describe(&e)
                ),
                sql: Some(sql.to_owned()),
                ..FailureDetail::default()
            })),
        })
    }
}

/// Run `sql` and return the single jsonb value it yields; server errors are
/// kernel failures.
pub fn query_json(
    client: &mut Client,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<serde_json::Value, CaseError> {
    let row: Row = client.query_one(sql, params).kernel(sql)?;
    row.try_get::<_, serde_json::Value>(0).kernel(sql)
}

/// The first column of every row `sql` returns, as text (a harness-side
/// query: any error, a NULL included, is an environment error).
pub fn query_strings(
    client: &mut Client,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Vec<String>, CaseError> {
    client
        .query(sql, params)
        .env()?
        .iter()
        .map(|r| r.try_get(0).env())
        .collect()
}

/// Quote an identifier the way `quote_ident`/`%I` does, always quoting.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quote a string literal (standard_conforming_strings on).
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

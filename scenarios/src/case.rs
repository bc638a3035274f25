//! The outcome of one case: held, not applicable, kernel failure, or broken harness.

use pgconform_reports::FailureDetail;

/// Why a case did not hold.
///
/// Keeps "the kernel violated the invariant" apart from "the input does not
/// apply" and from "the harness or its environment broke": an environment
/// failure is never reported as a kernel failure.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The kernel violated the invariant.
    #[error("invariant violated: {}", .0.message)]
    Fail(Box<FailureDetail>),
    /// The generated input does not apply to this property; skip it.
    #[error("input rejected: {0}")]
    Reject(String),
    /// The harness or environment failed (no server, lost connection, ...).
    #[error("environment error: {0}")]
    Env(String),
}

/// Result of checking one case.
pub type CaseResult = Result<(), CaseError>;

impl CaseError {
    /// A kernel failure with just a message.
    pub fn fail(message: impl Into<String>) -> Self {
        Self::Fail(Box::new(FailureDetail {
            message: message.into(),
            ..FailureDetail::default()
        }))
    }

    /// A kernel failure with expected and actual values.
    pub fn mismatch(
        message: impl Into<String>,
        expected: impl std::fmt::Display,
        actual: impl std::fmt::Display,
    ) -> Self {
        Self::Fail(Box::new(FailureDetail {
            message: message.into(),
            expected: Some(expected.to_string()),
            actual: Some(actual.to_string()),
            ..FailureDetail::default()
        }))
    }

    /// Attach the SQL that exposed a failure (no-op for other variants).
    pub fn with_sql(mut self, sql: impl Into<String>) -> Self {
        if let Self::Fail(detail) = &mut self {
            detail.sql = Some(sql.into());
        }
        self
    }

    /// Prefix a kernel failure's message with `what` (`what: message`), e.g.
    /// the clause it breaks or the step that exposed it; other variants are
    /// returned unchanged.
    #[must_use]
    pub fn prefixed(self, what: &str) -> Self {
        match self {
            Self::Fail(mut d) => {
                d.message = format!("{what}: {}", d.message);
                Self::Fail(d)
            }
            other => other,
        }
    }

    /// An environment error from anything displayable.
    pub fn env(e: impl std::fmt::Display) -> Self {
        Self::Env(e.to_string())
    }
}

/// `ensure!`-style helper: fail the case with `message` unless `cond` holds.
pub fn ensure(cond: bool, message: impl FnOnce() -> String) -> CaseResult {
    if cond {
        Ok(())
    } else {
        Err(CaseError::fail(message()))
    }
}

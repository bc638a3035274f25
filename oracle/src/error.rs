//! The error type of canonical rendering.

/// Why a JSON text cannot be turned into PostgreSQL 16 `jsonb` text.
///
/// Every variant carries the byte offset (0-based, into the input) where the
/// problem was detected. PostgreSQL rejects exactly the same inputs (see
/// `tests/pg16_known_outputs.rs`), though its messages differ.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The input is not JSON as PostgreSQL's lexer defines it.
    #[error("invalid json at byte {offset}: {reason}")]
    Syntax {
        /// Byte offset of the offending token.
        offset: usize,
        /// Lowercase description of what was expected or found.
        reason: &'static str,
    },
    /// A raw control character (below 0x20) inside a string.
    #[error("invalid json at byte {offset}: character with value {byte:#04x} must be escaped")]
    UnescapedControl {
        /// Byte offset of the character.
        offset: usize,
        /// The character's value.
        byte: u8,
    },
    /// `\u0000`: PostgreSQL's `text` cannot hold NUL ("unsupported Unicode escape sequence").
    #[error(
        "unsupported unicode escape sequence at byte {offset}: \\u0000 cannot be converted to text"
    )]
    NulEscape {
        /// Byte offset of the backslash.
        offset: usize,
    },
    /// A lone, reversed or doubled UTF-16 surrogate in a `\u` escape.
    #[error("invalid unicode escape at byte {offset}: {reason}")]
    Surrogate {
        /// Byte offset of the escape (or character) where the pairing failed.
        offset: usize,
        /// Which pairing rule was broken.
        reason: &'static str,
    },
    /// A number outside PostgreSQL `numeric`'s range: more than 131072 digits
    /// before the decimal point, a display scale above 16383, or an exponent
    /// whose magnitude exceeds 1073741823.
    #[error("numeric out of range at byte {offset}: value overflows numeric format")]
    NumericOverflow {
        /// Byte offset of the number's first character.
        offset: usize,
    },
    /// The input bytes are not valid UTF-8 (PostgreSQL's server encoding is UTF8).
    #[error("invalid utf-8 at byte {offset}")]
    InvalidUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
}

impl RenderError {
    /// Byte offset in the input where the error was detected.
    #[must_use]
    pub fn offset(&self) -> usize {
        match *self {
            Self::Syntax { offset, .. }
            | Self::UnescapedControl { offset, .. }
            | Self::NulEscape { offset }
            | Self::Surrogate { offset, .. }
            | Self::NumericOverflow { offset }
            | Self::InvalidUtf8 { offset } => offset,
        }
    }

    pub(crate) fn syntax(offset: usize, reason: &'static str) -> Self {
        Self::Syntax { offset, reason }
    }
}

//! Terminal output that never panics and error messages that say each cause once.
//!
//! `println!` panics when stdout is a closed pipe (`pgconform list | head -1`);
//! [`outln!`](crate::outln) and [`errln!`](crate::errln) write through here
//! instead: a closed pipe ends that output quietly (the reader has what it
//! wanted), any other stdout error is remembered and reported once at exit.

use std::fmt;
use std::io::{self, Write};
use std::sync::Mutex;

/// The first stdout write error that was not a closed pipe.
static STDOUT_ERROR: Mutex<Option<String>> = Mutex::new(None);

/// Write `args` on stdout; see the module docs for errors.
pub fn write_stdout(args: fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            let mut first = STDOUT_ERROR.lock().unwrap_or_else(|p| p.into_inner());
            first.get_or_insert_with(|| e.to_string());
        }
    }
}

/// Write `args` on stderr; a failure is dropped (there is nowhere left to say it).
pub fn write_stderr(args: fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.flush());
}

/// The first stdout write error other than a closed pipe, if any.
pub fn stdout_error() -> Option<String> {
    STDOUT_ERROR
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// `println!` that never panics (see [`write_stdout`]).
#[macro_export]
macro_rules! outln {
    () => {
        $crate::cli::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that never panics (see [`write_stdout`]).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::write_stdout(format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics (see [`write_stderr`]).
#[macro_export]
macro_rules! errln {
    () => {
        $crate::cli::output::write_stderr(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// An error and its causes, each said once: a cause whose text the message
/// already contains (a `thiserror` source embedded in its parent's Display,
/// then chained again by anyhow) is not repeated.
pub fn error_message(e: &anyhow::Error) -> String {
    let mut message = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
    }
    message
}

/// `1 case`, `2 cases`, `0 cases`: a count with its noun in the right number
/// (the plural adds `s`).
pub fn plural(n: impl Into<u64>, noun: &str) -> String {
    match n.into() {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// [`plural`] for a `usize` count.
pub fn plural_of(n: usize, noun: &str) -> String {
    plural(u64::try_from(n).unwrap_or(u64::MAX), noun)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("malformed pack at x: {source}")]
    struct Outer {
        source: Inner,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("expected an object")]
    struct Inner;

    #[test]
    fn a_cause_embedded_in_its_parent_is_said_once() {
        let e = anyhow::Error::new(Outer { source: Inner }).context("pack a");
        assert_eq!(
            error_message(&e),
            "pack a: malformed pack at x: expected an object"
        );
    }

    #[test]
    fn a_cause_not_embedded_is_still_said() {
        let e = anyhow::Error::new(Inner).context("cannot read pack a");
        assert_eq!(error_message(&e), "cannot read pack a: expected an object");
    }

    #[test]
    fn plurals_agree_with_their_count() {
        assert_eq!(plural(1u32, "case"), "1 case");
        assert_eq!(plural(0u32, "case"), "0 cases");
        assert_eq!(plural_of(2, "invariant"), "2 invariants");
    }
}

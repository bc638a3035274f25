//! Drawing values from a strategy in unit tests.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

/// `n` values of `strategy` drawn by a deterministic runner: the same
/// values on every run.
pub(crate) fn samples<S: Strategy>(strategy: S, n: usize) -> impl Iterator<Item = S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..n).map(move |_| strategy.new_tree(&mut runner).expect("strategy").current())
}

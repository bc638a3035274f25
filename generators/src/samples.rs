//! Drawing values from a strategy in unit tests.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

/// `n` values of `strategy` drawn by a deterministic runner: the same
/// values on every run.
pub(crate) fn samples<S: Strategy>(strategy: S, n: usize) -> impl Iterator<Item = S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..n).map(move |_| strategy.new_tree(&mut runner).expect("strategy").current())
}

/// The values `tree` passes through while it shrinks as far as it can (each
/// simplification kept, as if every value still failed), at most `steps`.
pub(crate) fn shrink_steps<T: ValueTree>(
    tree: &mut T,
    steps: usize,
) -> impl Iterator<Item = T::Value> + '_ {
    (0..steps).map_while(move |_| tree.simplify().then(|| tree.current()))
}

//! Process exit codes: part of pgconform's stable interface.

/// Every invariant passed (or the command succeeded).
pub const OK: i32 = 0;
/// At least one invariant failed (or a gate/diff found a difference).
pub const INVARIANT_FAILED: i32 = 1;
/// Usage or environment error: bad flags, no server, broken SUT, corrupt input.
pub const USAGE_OR_ENV: i32 = 2;

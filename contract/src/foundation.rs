//! Contract §0: the test clock every suite relies on.

use crate::ContractItem::{self, Column as C, Function as F, Table as T};

/// Every item §0 requires.
pub const ITEMS: &[ContractItem] = &[
    F("public.kernel_now()"),
    T("public.kernel_test_clock"),
    C("public.kernel_test_clock", "database_name"),
    C("public.kernel_test_clock", "frozen_at"),
    C("public.kernel_test_clock", "enabled_by"),
];

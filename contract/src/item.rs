//! One named object the contract requires, and the clause that names it.

/// One named object the contract requires.
///
/// Functions are resolved by exact signature (`to_regprocedure`), tables by
/// exact name (`to_regclass`), columns by exact name: no overload guessing,
/// no substring matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractItem {
    /// A function, as a regprocedure signature.
    Function(&'static str),
    /// A table, schema-qualified.
    Table(&'static str),
    /// A column of a table: (schema-qualified table, column).
    Column(&'static str, &'static str),
}

impl ContractItem {
    /// The contract section that names this item.
    pub fn clause(self) -> &'static str {
        let name = match self {
            ContractItem::Function(s) | ContractItem::Table(s) | ContractItem::Column(s, _) => s,
        };
        if name.starts_with("cpo.") {
            "contract §1"
        } else if name.starts_with("public.kernel_") {
            "contract §0, the test clock"
        } else if name.starts_with("public.") {
            "contract §4"
        } else if name.contains("manifest") || name.contains("authority") {
            "contract §2"
        } else {
            "contract §3"
        }
    }
}

impl std::fmt::Display for ContractItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContractItem::Function(s) => write!(f, "function {s}"),
            ContractItem::Table(s) => write!(f, "table {s}"),
            ContractItem::Column(t, c) => write!(f, "column {c} of table {t}"),
        }
    }
}

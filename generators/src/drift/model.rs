//! The schema model: tables with typed columns and named authority objects.

use serde::{Deserialize, Serialize};

/// A generated schema: one namespace with trigger functions and tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// Schema name (may be hostile; always quoted when rendered).
    pub name: String,
    /// Trigger functions (`RETURNS trigger`, plpgsql) by name.
    pub functions: Vec<String>,
    /// Tables in canonical creation order.
    pub tables: Vec<Table>,
}

/// A table and the authority objects defined on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Table name.
    pub name: String,
    /// Columns in attribute order.
    pub columns: Vec<Column>,
    /// Constraints, indexes and triggers, in canonical creation order.
    pub objects: Vec<Object>,
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Type.
    pub ty: ColType,
    /// `NOT NULL`.
    pub not_null: bool,
}

/// Column types (only the ones the object generators know how to use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColType {
    /// `integer`
    Int4,
    /// `bigint`
    Int8,
    /// `text`
    Text,
    /// `varchar(40)`
    Varchar,
    /// `numeric(12,2)`
    Numeric,
    /// `double precision`
    Float8,
    /// `boolean`
    Bool,
    /// `uuid`
    Uuid,
    /// `date`
    Date,
    /// `timestamptz`
    Timestamptz,
    /// `jsonb`
    Jsonb,
    /// `bytea`
    Bytea,
    /// `int4range`
    Int4Range,
    /// `tstzrange`
    TstzRange,
    /// `box`
    Box,
}

impl ColType {
    /// Every type.
    pub const ALL: [ColType; 15] = [
        ColType::Int4,
        ColType::Int8,
        ColType::Text,
        ColType::Varchar,
        ColType::Numeric,
        ColType::Float8,
        ColType::Bool,
        ColType::Uuid,
        ColType::Date,
        ColType::Timestamptz,
        ColType::Jsonb,
        ColType::Bytea,
        ColType::Int4Range,
        ColType::TstzRange,
        ColType::Box,
    ];

    /// SQL spelling.
    pub fn sql(self) -> &'static str {
        match self {
            ColType::Int4 => "integer",
            ColType::Int8 => "bigint",
            ColType::Text => "text",
            ColType::Varchar => "varchar(40)",
            ColType::Numeric => "numeric(12,2)",
            ColType::Float8 => "double precision",
            ColType::Bool => "boolean",
            ColType::Uuid => "uuid",
            ColType::Date => "date",
            ColType::Timestamptz => "timestamptz",
            ColType::Jsonb => "jsonb",
            ColType::Bytea => "bytea",
            ColType::Int4Range => "int4range",
            ColType::TstzRange => "tstzrange",
            ColType::Box => "box",
        }
    }

    /// Has a default btree operator class (PK, UNIQUE, FK, btree index).
    pub fn btree(self) -> bool {
        self != ColType::Box
    }

    /// Has a default gist operator class without extensions (range, box).
    pub fn gist(self) -> bool {
        matches!(self, ColType::Int4Range | ColType::TstzRange | ColType::Box)
    }

    /// Numeric: comparable with integer constants in CHECKs and predicates.
    pub fn numeric(self) -> bool {
        matches!(
            self,
            ColType::Int4 | ColType::Int8 | ColType::Numeric | ColType::Float8
        )
    }

    /// Character types.
    pub fn textual(self) -> bool {
        matches!(self, ColType::Text | ColType::Varchar)
    }

    /// Has a default hash operator class and is simple enough for hash indexes.
    pub fn hash(self) -> bool {
        matches!(
            self,
            ColType::Int4 | ColType::Int8 | ColType::Text | ColType::Uuid
        )
    }
}

/// A named authority object on a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Object {
    /// Constraint, index or trigger name.
    pub name: String,
    /// What it is.
    pub kind: ObjectKind,
}

/// Foreign-key referential actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FkAction {
    /// `NO ACTION` (the default; not rendered by PostgreSQL)
    NoAction,
    /// `RESTRICT`
    Restrict,
    /// `CASCADE`
    Cascade,
    /// `SET NULL`
    SetNull,
    /// `SET DEFAULT`
    SetDefault,
}

impl FkAction {
    /// Every action.
    pub const ALL: [FkAction; 5] = [
        FkAction::NoAction,
        FkAction::Restrict,
        FkAction::Cascade,
        FkAction::SetNull,
        FkAction::SetDefault,
    ];
    /// SQL spelling.
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }
}

/// Constraint deferrability (three distinct canonical forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Deferral {
    /// `NOT DEFERRABLE`
    NotDeferrable,
    /// `DEFERRABLE INITIALLY IMMEDIATE`
    Deferrable,
    /// `DEFERRABLE INITIALLY DEFERRED`
    InitiallyDeferred,
}

impl Deferral {
    /// Every form.
    pub const ALL: [Deferral; 3] = [
        Deferral::NotDeferrable,
        Deferral::Deferrable,
        Deferral::InitiallyDeferred,
    ];
    /// SQL spelling.
    pub fn sql(self) -> &'static str {
        match self {
            Deferral::NotDeferrable => "NOT DEFERRABLE",
            Deferral::Deferrable => "DEFERRABLE INITIALLY IMMEDIATE",
            Deferral::InitiallyDeferred => "DEFERRABLE INITIALLY DEFERRED",
        }
    }
}

/// A CHECK constraint's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckExpr {
    /// `col > k` (numeric column)
    Gt {
        /// Column.
        col: String,
        /// Constant.
        k: i32,
    },
    /// `col BETWEEN lo AND lo + span` (numeric column)
    Between {
        /// Column.
        col: String,
        /// Lower bound.
        lo: i32,
        /// Width.
        span: u16,
    },
    /// `length(col) <= k` (character column)
    MaxLen {
        /// Column.
        col: String,
        /// Constant.
        k: u16,
    },
    /// `col IS NOT NULL OR other IS NULL` (any columns)
    NullImplies {
        /// Column.
        col: String,
        /// Other column.
        other: String,
    },
}

/// A partial-index or exclusion predicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Predicate {
    /// `col IS NOT NULL`
    NotNull(String),
    /// `col > k` (numeric column)
    Gt(String, i32),
    /// `col <> ''` (character column)
    NonEmpty(String),
}

/// Sort options of a btree key: the four canonical combinations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortOrder {
    /// `ASC NULLS LAST` (the default, not rendered)
    Asc,
    /// `DESC` (`NULLS FIRST` implied)
    Desc,
    /// `ASC NULLS FIRST`
    AscNullsFirst,
    /// `DESC NULLS LAST`
    DescNullsLast,
}

impl SortOrder {
    /// Every order.
    pub const ALL: [SortOrder; 4] = [
        SortOrder::Asc,
        SortOrder::Desc,
        SortOrder::AscNullsFirst,
        SortOrder::DescNullsLast,
    ];
}

/// An index key element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexKey {
    /// A column, with an optional non-default opclass and collation (btree,
    /// character columns only) and a sort order (btree only).
    Column {
        /// Column.
        col: String,
        /// `text_pattern_ops` / `varchar_pattern_ops`.
        pattern_ops: bool,
        /// `COLLATE "C"`.
        collate_c: bool,
        /// Sort order.
        order: SortOrder,
    },
    /// `lower(col)` on a character column.
    Lower {
        /// Column.
        col: String,
        /// Sort order.
        order: SortOrder,
    },
    /// `(col + k)` on a numeric column.
    Plus {
        /// Column.
        col: String,
        /// Constant.
        k: i16,
        /// Sort order.
        order: SortOrder,
    },
}

impl IndexKey {
    /// The column the key reads.
    pub fn col(&self) -> &str {
        match self {
            IndexKey::Column { col, .. }
            | IndexKey::Lower { col, .. }
            | IndexKey::Plus { col, .. } => col,
        }
    }
}

/// Index access methods used without extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexMethod {
    /// btree
    Btree,
    /// hash (one plain column key)
    Hash,
    /// gist (range/box column keys)
    Gist,
}

/// Exclusion constraint forms that need no extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExcludeForm {
    /// `EXCLUDE USING gist (col WITH &&)` on a range or box column.
    GistOverlap(String),
    /// `EXCLUDE USING btree (col WITH =)`.
    BtreeEq(String),
}

/// Trigger timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Timing {
    /// BEFORE
    Before,
    /// AFTER
    After,
}

/// Trigger events (a non-empty set, rendered in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Events {
    /// INSERT
    pub insert: bool,
    /// UPDATE
    pub update: bool,
    /// DELETE
    pub delete: bool,
}

/// What an object is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectKind {
    /// `PRIMARY KEY (cols)` (backed by an index of the same name).
    PrimaryKey {
        /// Key columns.
        cols: Vec<String>,
    },
    /// `UNIQUE [NULLS NOT DISTINCT] (cols) [INCLUDE (...)]` (backed by an index).
    Unique {
        /// Key columns.
        cols: Vec<String>,
        /// INCLUDE columns.
        include: Vec<String>,
        /// NULLS NOT DISTINCT.
        nulls_not_distinct: bool,
    },
    /// `FOREIGN KEY (cols) REFERENCES ref_table (its primary key)`.
    ForeignKey {
        /// Referencing columns.
        cols: Vec<String>,
        /// Referenced table (in the same schema); references its primary key.
        ref_table: String,
        /// Referenced columns (the referenced table's primary key).
        ref_cols: Vec<String>,
        /// ON DELETE.
        on_delete: FkAction,
        /// ON UPDATE.
        on_update: FkAction,
        /// MATCH FULL (else MATCH SIMPLE).
        match_full: bool,
        /// Deferrability.
        deferral: Deferral,
    },
    /// `CHECK (expr)`.
    Check {
        /// Body.
        expr: CheckExpr,
    },
    /// `EXCLUDE ...` (backed by an index).
    Exclude {
        /// Form.
        form: ExcludeForm,
        /// Optional `WHERE`.
        predicate: Option<Predicate>,
    },
    /// `CREATE [UNIQUE] INDEX`.
    Index {
        /// UNIQUE (btree only).
        unique: bool,
        /// Access method.
        method: IndexMethod,
        /// Key elements.
        keys: Vec<IndexKey>,
        /// INCLUDE columns (btree/gist).
        include: Vec<String>,
        /// Partial-index predicate.
        predicate: Option<Predicate>,
    },
    /// `CREATE TRIGGER` calling one of the schema's trigger functions.
    Trigger {
        /// BEFORE/AFTER.
        timing: Timing,
        /// Events.
        events: Events,
        /// FOR EACH ROW (else STATEMENT).
        row: bool,
        /// Trigger function name (in the schema).
        function: String,
        /// Enabled (else `ALTER TABLE ... DISABLE TRIGGER` after creation).
        enabled: bool,
    },
}

impl ObjectKind {
    /// Constraint-type objects (pg_constraint rows).
    pub fn is_constraint(&self) -> bool {
        !matches!(self, ObjectKind::Index { .. } | ObjectKind::Trigger { .. })
    }

    /// Constraints backed by an index of the same name.
    pub fn has_backing_index(&self) -> bool {
        matches!(
            self,
            ObjectKind::PrimaryKey { .. } | ObjectKind::Unique { .. } | ObjectKind::Exclude { .. }
        )
    }

    /// Coverage class, e.g. `PK`, `INDEX-partial`.
    pub fn class(&self) -> &'static str {
        match self {
            ObjectKind::PrimaryKey { .. } => "PK",
            ObjectKind::Unique {
                nulls_not_distinct: true,
                ..
            } => "UNIQUE-nulls-not-distinct",
            ObjectKind::Unique { .. } => "UNIQUE",
            ObjectKind::ForeignKey {
                deferral: Deferral::InitiallyDeferred,
                ..
            } => "FK-deferred",
            ObjectKind::ForeignKey { .. } => "FK",
            ObjectKind::Check { .. } => "CHECK",
            ObjectKind::Exclude { .. } => "EXCLUDE",
            ObjectKind::Index {
                predicate: Some(_), ..
            } => "INDEX-partial",
            ObjectKind::Index { keys, .. }
                if keys.iter().any(|k| !matches!(k, IndexKey::Column { .. })) =>
            {
                "INDEX-expression"
            }
            ObjectKind::Index { include, .. } if !include.is_empty() => "INDEX-include",
            ObjectKind::Index { unique: true, .. } => "INDEX-unique",
            ObjectKind::Index { keys, .. } if keys.len() > 1 => "INDEX-multicolumn",
            ObjectKind::Index {
                method: IndexMethod::Hash,
                ..
            } => "INDEX-hash",
            ObjectKind::Index {
                method: IndexMethod::Gist,
                ..
            } => "INDEX-gist",
            ObjectKind::Index { .. } => "INDEX-plain",
            ObjectKind::Trigger { .. } => "TRIGGER",
        }
    }
}

impl Schema {
    /// The table named `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The table named `name`, mutably.
    pub fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        self.tables.iter_mut().find(|t| t.name == name)
    }

    /// Every name used in the schema's namespaces (tables, functions, objects,
    /// columns): fresh names must avoid all of them.
    pub fn used_names(&self) -> std::collections::BTreeSet<String> {
        let mut s: std::collections::BTreeSet<String> = self.functions.iter().cloned().collect();
        for t in &self.tables {
            s.insert(t.name.clone());
            s.extend(t.columns.iter().map(|c| c.name.clone()));
            s.extend(t.objects.iter().map(|o| o.name.clone()));
        }
        s
    }

    /// Whether the primary key of `table` is referenced by a foreign key
    /// (then it cannot be dropped or replaced without CASCADE).
    pub fn pk_referenced(&self, table: &str) -> bool {
        self.tables.iter().any(|t| {
            t.objects.iter().any(|o| {
                matches!(&o.kind, ObjectKind::ForeignKey { ref_table, .. } if ref_table == table)
            })
        })
    }
}

impl Table {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The object named `name`.
    pub fn object(&self, name: &str) -> Option<&Object> {
        self.objects.iter().find(|o| o.name == name)
    }

    /// The primary key's columns, if any.
    pub fn primary_key(&self) -> Option<&[String]> {
        self.objects.iter().find_map(|o| match &o.kind {
            ObjectKind::PrimaryKey { cols } => Some(cols.as_slice()),
            _ => None,
        })
    }
}

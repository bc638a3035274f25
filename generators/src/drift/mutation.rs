//! Mutations of a schema and the exact drift each one must produce.

use super::model::*;
use super::render::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One change to a built schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mutation {
    /// Drop an object (a constraint's backing index goes with it).
    Drop {
        /// Table.
        table: String,
        /// Object name.
        object: String,
    },
    /// Add a new object.
    Add {
        /// Table.
        table: String,
        /// The new object (a fresh name).
        object: Object,
    },
    /// Drop an object and create a different definition under the same name.
    Replace {
        /// Table.
        table: String,
        /// The new definition (same name as an existing object).
        object: Object,
        /// What changed (coverage label, e.g. `column-order`, `predicate`).
        what: String,
    },
    /// `ALTER TABLE ... ALTER CONSTRAINT` changing a foreign key's deferrability in place.
    AlterFkDeferral {
        /// Table.
        table: String,
        /// Foreign key name.
        object: String,
        /// New deferrability (differs from the current one).
        deferral: Deferral,
    },
    /// `ALTER TABLE ... ENABLE/DISABLE TRIGGER`.
    SetTriggerEnabled {
        /// Table.
        table: String,
        /// Trigger name.
        object: String,
        /// New state (differs from the current one).
        enabled: bool,
    },
    /// Rename an object (a constraint and its backing index rename together).
    Rename {
        /// Table.
        table: String,
        /// Object name.
        object: String,
        /// New, unused name.
        new_name: String,
    },
    /// Drop an object and recreate it identically: not drift.
    RecreateIdentical {
        /// Table.
        table: String,
        /// Object name.
        object: String,
    },
}

impl Mutation {
    /// Coverage label: `drop`, `add`, `alter:<what>`, `rename`, `recreate-identical`.
    pub fn label(&self) -> String {
        match self {
            Mutation::Drop { .. } => "drop".into(),
            Mutation::Add { .. } => "add".into(),
            Mutation::Replace { what, .. } => format!("alter:{what}"),
            Mutation::AlterFkDeferral { .. } => "alter:deferrability-in-place".into(),
            Mutation::SetTriggerEnabled { .. } => "alter:trigger-enabled".into(),
            Mutation::Rename { .. } => "rename".into(),
            Mutation::RecreateIdentical { .. } => "recreate-identical".into(),
        }
    }

    /// The table the mutation touches.
    pub fn table(&self) -> &str {
        match self {
            Mutation::Drop { table, .. }
            | Mutation::Add { table, .. }
            | Mutation::Replace { table, .. }
            | Mutation::AlterFkDeferral { table, .. }
            | Mutation::SetTriggerEnabled { table, .. }
            | Mutation::Rename { table, .. }
            | Mutation::RecreateIdentical { table, .. } => table,
        }
    }
}

/// Why a mutation does not apply to a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotApplicable(pub String);

impl std::error::Error for NotApplicable {}

impl std::fmt::Display for NotApplicable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mutation does not apply: {}", self.0)
    }
}

fn find<'a>(
    s: &'a Schema,
    table: &str,
    object: &str,
) -> Result<(&'a Table, &'a Object), NotApplicable> {
    let t = s
        .table(table)
        .ok_or_else(|| NotApplicable(format!("no table {table}")))?;
    let o = t
        .object(object)
        .ok_or_else(|| NotApplicable(format!("no object {object} on {table}")))?;
    Ok((t, o))
}

/// The schema after `m`.
pub fn apply(s: &Schema, m: &Mutation) -> Result<Schema, NotApplicable> {
    let mut out = s.clone();
    let t = out
        .table_mut(m.table())
        .ok_or_else(|| NotApplicable(format!("no table {}", m.table())))?;
    let pos = |t: &Table, name: &str| {
        t.objects
            .iter()
            .position(|o| o.name == name)
            .ok_or_else(|| NotApplicable(format!("no object {name}")))
    };
    match m {
        Mutation::Drop { object, .. } => {
            let i = pos(t, object)?;
            t.objects.remove(i);
        }
        Mutation::Add { object, .. } => t.objects.push(object.clone()),
        Mutation::Replace { object, .. } => {
            let i = pos(t, &object.name)?;
            t.objects[i] = object.clone();
        }
        Mutation::AlterFkDeferral {
            object, deferral, ..
        } => {
            let i = pos(t, object)?;
            match &mut t.objects[i].kind {
                ObjectKind::ForeignKey { deferral: d, .. } => *d = *deferral,
                _ => return Err(NotApplicable(format!("{object} is not a foreign key"))),
            }
        }
        Mutation::SetTriggerEnabled {
            object, enabled, ..
        } => {
            let i = pos(t, object)?;
            match &mut t.objects[i].kind {
                ObjectKind::Trigger { enabled: e, .. } => *e = *enabled,
                _ => return Err(NotApplicable(format!("{object} is not a trigger"))),
            }
        }
        Mutation::Rename {
            object, new_name, ..
        } => {
            let i = pos(t, object)?;
            t.objects[i].name = new_name.clone();
        }
        Mutation::RecreateIdentical { object, .. } => {
            pos(t, object)?;
        }
    }
    Ok(out)
}

/// The statements performing `m` on a database built from `s`.
pub fn mutation_ddl(s: &Schema, m: &Mutation) -> Result<Vec<String>, NotApplicable> {
    let tq = |t: &Table| qualified(&s.name, &t.name);
    Ok(match m {
        Mutation::Drop { table, object } => {
            let (t, o) = find(s, table, object)?;
            vec![drop_object_sql(s, t, o)]
        }
        Mutation::Add { table, object } => {
            let after = apply(s, m)?;
            let t = after
                .table(table)
                .ok_or_else(|| NotApplicable(table.clone()))?;
            object_ddl(&after, t, object)
        }
        Mutation::Replace { table, object, .. } => {
            let (t, old) = find(s, table, &object.name)?;
            let after = apply(s, m)?;
            let t2 = after
                .table(table)
                .ok_or_else(|| NotApplicable(table.clone()))?;
            let mut v = vec![drop_object_sql(s, t, old)];
            v.extend(object_ddl(&after, t2, object));
            v
        }
        Mutation::AlterFkDeferral {
            table,
            object,
            deferral,
        } => {
            let (t, _) = find(s, table, object)?;
            vec![format!(
                "ALTER TABLE {} ALTER CONSTRAINT {} {}",
                tq(t),
                qi(object),
                deferral.sql()
            )]
        }
        Mutation::SetTriggerEnabled {
            table,
            object,
            enabled,
        } => {
            let (t, _) = find(s, table, object)?;
            vec![format!(
                "ALTER TABLE {} {} TRIGGER {}",
                tq(t),
                if *enabled { "ENABLE" } else { "DISABLE" },
                qi(object)
            )]
        }
        Mutation::Rename {
            table,
            object,
            new_name,
        } => {
            let (t, o) = find(s, table, object)?;
            vec![rename_sql(s, t, o, new_name)]
        }
        Mutation::RecreateIdentical { table, object } => {
            let (t, o) = find(s, table, object)?;
            let mut v = vec![drop_object_sql(s, t, o)];
            v.extend(object_ddl(s, t, o));
            v
        }
    })
}

/// The statement renaming object `o` of table `t` to `new_name`: an index,
/// a trigger and a constraint each have their own `ALTER`.
fn rename_sql(s: &Schema, t: &Table, o: &Object, new_name: &str) -> String {
    let tq = qualified(&s.name, &t.name);
    match &o.kind {
        ObjectKind::Index { .. } => format!(
            "ALTER INDEX {} RENAME TO {}",
            qualified(&s.name, &o.name),
            qi(new_name)
        ),
        ObjectKind::Trigger { .. } => format!(
            "ALTER TRIGGER {} ON {tq} RENAME TO {}",
            qi(&o.name),
            qi(new_name)
        ),
        _ => format!(
            "ALTER TABLE {tq} RENAME CONSTRAINT {} TO {}",
            qi(&o.name),
            qi(new_name)
        ),
    }
}

/// Drift kinds, as `verify_object_authority` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftKind {
    /// Expected but not realized.
    Missing,
    /// Realized but not expected.
    Extra,
    /// Both, with different hashes.
    Changed,
}

impl DriftKind {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::Missing => "missing",
            DriftKind::Extra => "extra",
            DriftKind::Changed => "changed",
        }
    }
}

/// An object by raw names: `(object_type, schema, table, name)`; `name` is
/// `None` for TABLE objects. The harness turns it into the kernel's quoted
/// identity.
pub type ObjectPath = (String, String, String, Option<String>);

/// The exact drift expected: object path → kind.
pub type ExpectedDrift = BTreeMap<ObjectPath, DriftKind>;

/// A model key per object: equal keys iff PostgreSQL renders equal definitions.
fn model_objects(s: &Schema) -> BTreeMap<ObjectPath, String> {
    let mut out = BTreeMap::new();
    for t in &s.tables {
        let mut children: BTreeMap<ObjectPath, String> = BTreeMap::new();
        for o in &t.objects {
            let ty = match &o.kind {
                ObjectKind::Index { .. } => "INDEX",
                ObjectKind::Trigger { .. } => "TRIGGER",
                _ => "CONSTRAINT",
            };
            let path = (
                ty.to_owned(),
                s.name.clone(),
                t.name.clone(),
                Some(o.name.clone()),
            );
            children.insert(path, object_ddl(s, t, o).join(";\n"));
            if o.kind.has_backing_index() {
                let idx = match &o.kind {
                    ObjectKind::PrimaryKey { cols } => format!("pk {cols:?}"),
                    ObjectKind::Unique {
                        cols,
                        include,
                        nulls_not_distinct,
                    } => {
                        format!("unique {cols:?} {include:?} {nulls_not_distinct}")
                    }
                    ObjectKind::Exclude { form, predicate } => {
                        let (m, c) = match form {
                            ExcludeForm::GistOverlap(c) => ("gist", c),
                            ExcludeForm::BtreeEq(c) => ("btree", c),
                        };
                        format!("exclude {m} {c:?} {predicate:?}")
                    }
                    _ => String::new(),
                };
                let path = (
                    "INDEX".to_owned(),
                    s.name.clone(),
                    t.name.clone(),
                    Some(o.name.clone()),
                );
                children.insert(path, format!("{} {}.{} {idx}", o.name, s.name, t.name));
            }
        }
        let set = children
            .iter()
            .map(|(k, v)| format!("{k:?}={v}\n"))
            .collect::<String>();
        out.insert(
            ("TABLE".to_owned(), s.name.clone(), t.name.clone(), None),
            set,
        );
        out.extend(children);
    }
    out
}

/// Every object path of a schema (what a snapshot must contain, no more).
pub fn object_paths(s: &Schema) -> BTreeSet<ObjectPath> {
    model_objects(s).into_keys().collect()
}

/// The exact drift between a sealed schema and the realized one.
pub fn expected_drift(before: &Schema, after: &Schema) -> ExpectedDrift {
    let a = model_objects(before);
    let b = model_objects(after);
    let mut out = ExpectedDrift::new();
    for (k, v) in &a {
        match b.get(k) {
            None => {
                out.insert(k.clone(), DriftKind::Missing);
            }
            Some(w) if w != v => {
                out.insert(k.clone(), DriftKind::Changed);
            }
            Some(_) => {}
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            out.insert(k.clone(), DriftKind::Extra);
        }
    }
    out
}

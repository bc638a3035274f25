//! DDL rendering. Every identifier is quoted, so hostile names stay names.

use super::model::*;

/// `"name"` with embedded quotes doubled (always quoted, like `%I` on a hostile name).
pub fn qi(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `"schema"."name"`.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", qi(schema), qi(name))
}

fn col_list(cols: &[String]) -> String {
    cols.iter().map(|c| qi(c)).collect::<Vec<_>>().join(", ")
}

fn sort_sql(order: SortOrder) -> &'static str {
    match order {
        SortOrder::Asc => "",
        SortOrder::Desc => " DESC",
        SortOrder::AscNullsFirst => " NULLS FIRST",
        SortOrder::DescNullsLast => " DESC NULLS LAST",
    }
}

/// A CHECK body.
pub fn check_sql(e: &CheckExpr) -> String {
    match e {
        CheckExpr::Gt { col, k } => format!("{} > {k}", qi(col)),
        CheckExpr::Between { col, lo, span } => {
            format!(
                "{} BETWEEN {lo} AND {}",
                qi(col),
                i64::from(*lo) + i64::from(*span)
            )
        }
        CheckExpr::MaxLen { col, k } => format!("length({}) <= {k}", qi(col)),
        CheckExpr::NullImplies { col, other } => {
            format!("{} IS NOT NULL OR {} IS NULL", qi(col), qi(other))
        }
    }
}

/// A predicate.
pub fn predicate_sql(p: &Predicate) -> String {
    match p {
        Predicate::NotNull(c) => format!("{} IS NOT NULL", qi(c)),
        Predicate::Gt(c, k) => format!("{} > {k}", qi(c)),
        Predicate::NonEmpty(c) => format!("{} <> ''", qi(c)),
    }
}

fn key_sql(table: &Table, method: IndexMethod, k: &IndexKey) -> String {
    let btree = method == IndexMethod::Btree;
    let ord = |o: SortOrder| if btree { sort_sql(o) } else { "" };
    match k {
        IndexKey::Column {
            col,
            pattern_ops,
            collate_c,
            order,
        } => {
            let mut s = qi(col);
            let ty = table.column(col).map(|c| c.ty);
            if btree && *collate_c {
                s.push_str(" COLLATE \"C\"");
            }
            if btree && *pattern_ops {
                s.push_str(match ty {
                    Some(ColType::Varchar) => " varchar_pattern_ops",
                    _ => " text_pattern_ops",
                });
            }
            s.push_str(ord(*order));
            s
        }
        IndexKey::Lower { col, order } => format!("lower({}){}", qi(col), ord(*order)),
        IndexKey::Plus { col, k, order } => format!("({} + {k}){}", qi(col), ord(*order)),
    }
}

/// The statements creating one object of `table` (a trigger created disabled
/// is two statements).
pub fn object_ddl(schema: &Schema, table: &Table, o: &Object) -> Vec<String> {
    let t = qualified(&schema.name, &table.name);
    match &o.kind {
        ObjectKind::Index {
            unique,
            method,
            keys,
            include,
            predicate,
        } => {
            let m = match method {
                IndexMethod::Btree => "btree",
                IndexMethod::Hash => "hash",
                IndexMethod::Gist => "gist",
            };
            let keys: Vec<String> = keys.iter().map(|k| key_sql(table, *method, k)).collect();
            let mut s = format!(
                "CREATE {}INDEX {} ON {t} USING {m} ({})",
                if *unique { "UNIQUE " } else { "" },
                qi(&o.name),
                keys.join(", ")
            );
            if !include.is_empty() {
                s.push_str(&format!(" INCLUDE ({})", col_list(include)));
            }
            if let Some(p) = predicate {
                s.push_str(&format!(" WHERE {}", predicate_sql(p)));
            }
            vec![s]
        }
        ObjectKind::Trigger {
            timing,
            events,
            row,
            function,
            enabled,
        } => {
            let mut v = vec![format!(
                "CREATE TRIGGER {} {} {} ON {t} FOR EACH {} EXECUTE FUNCTION {}()",
                qi(&o.name),
                match timing {
                    Timing::Before => "BEFORE",
                    Timing::After => "AFTER",
                },
                events_sql(events),
                if *row { "ROW" } else { "STATEMENT" },
                qualified(&schema.name, function)
            )];
            if !enabled {
                v.push(format!("ALTER TABLE {t} DISABLE TRIGGER {}", qi(&o.name)));
            }
            v
        }
        constraint => constraint_body(schema, constraint)
            .map(|body| format!("ALTER TABLE {t} ADD CONSTRAINT {} {body}", qi(&o.name)))
            .into_iter()
            .collect(),
    }
}

/// What follows `ADD CONSTRAINT name` for a table constraint; `None` for
/// the objects that are not constraints (indexes, triggers).
fn constraint_body(schema: &Schema, kind: &ObjectKind) -> Option<String> {
    Some(match kind {
        ObjectKind::PrimaryKey { cols } => format!("PRIMARY KEY ({})", col_list(cols)),
        ObjectKind::Unique {
            cols,
            include,
            nulls_not_distinct,
        } => {
            let mut b = String::from("UNIQUE");
            if *nulls_not_distinct {
                b.push_str(" NULLS NOT DISTINCT");
            }
            b.push_str(&format!(" ({})", col_list(cols)));
            if !include.is_empty() {
                b.push_str(&format!(" INCLUDE ({})", col_list(include)));
            }
            b
        }
        ObjectKind::ForeignKey {
            cols,
            ref_table,
            ref_cols,
            on_delete,
            on_update,
            match_full,
            deferral,
        } => {
            format!(
                "FOREIGN KEY ({}) REFERENCES {} ({}) MATCH {} ON UPDATE {} ON DELETE {} {}",
                col_list(cols),
                qualified(&schema.name, ref_table),
                col_list(ref_cols),
                if *match_full { "FULL" } else { "SIMPLE" },
                on_update.sql(),
                on_delete.sql(),
                deferral.sql()
            )
        }
        ObjectKind::Check { expr } => format!("CHECK ({})", check_sql(expr)),
        ObjectKind::Exclude { form, predicate } => {
            let mut b = match form {
                ExcludeForm::GistOverlap(c) => format!("EXCLUDE USING gist ({} WITH &&)", qi(c)),
                ExcludeForm::BtreeEq(c) => format!("EXCLUDE USING btree ({} WITH =)", qi(c)),
            };
            if let Some(p) = predicate {
                b.push_str(&format!(" WHERE ({})", predicate_sql(p)));
            }
            b
        }
        ObjectKind::Index { .. } | ObjectKind::Trigger { .. } => return None,
    })
}

/// A trigger's events: `INSERT OR UPDATE OR DELETE`, those it has.
fn events_sql(events: &Events) -> String {
    let mut ev = Vec::new();
    if events.insert {
        ev.push("INSERT");
    }
    if events.update {
        ev.push("UPDATE");
    }
    if events.delete {
        ev.push("DELETE");
    }
    ev.join(" OR ")
}

/// The statement dropping one object (its backing index goes with it).
pub fn drop_object_sql(schema: &Schema, table: &Table, o: &Object) -> String {
    let t = qualified(&schema.name, &table.name);
    match &o.kind {
        ObjectKind::Index { .. } => format!("DROP INDEX {}", qualified(&schema.name, &o.name)),
        ObjectKind::Trigger { .. } => format!("DROP TRIGGER {} ON {t}", qi(&o.name)),
        _ => format!("ALTER TABLE {t} DROP CONSTRAINT {}", qi(&o.name)),
    }
}

/// `CREATE SCHEMA`.
pub fn create_schema_sql(schema: &Schema) -> String {
    format!("CREATE SCHEMA {}", qi(&schema.name))
}

/// `CREATE FUNCTION` of a trigger function.
pub fn create_function_sql(schema: &Schema, f: &str) -> String {
    format!(
        "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $pgc$ BEGIN \
         IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $pgc$",
        qualified(&schema.name, f)
    )
}

/// `CREATE TABLE` with its columns only (objects are separate statements).
pub fn create_table_sql(schema: &Schema, t: &Table) -> String {
    let cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| {
            format!(
                "{} {}{}",
                qi(&c.name),
                c.ty.sql(),
                if c.not_null { " NOT NULL" } else { "" }
            )
        })
        .collect();
    format!(
        "CREATE TABLE {} ({})",
        qualified(&schema.name, &t.name),
        cols.join(", ")
    )
}

/// The whole schema in canonical order: schema, functions, tables, then each
/// table's objects (primary keys of all tables before any other object, so
/// foreign keys always find their referenced key).
pub fn schema_ddl(schema: &Schema) -> Vec<String> {
    super::order::creation_statements(schema, &[])
}

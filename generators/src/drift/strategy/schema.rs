//! Decoding a [`Schema`] from a choice sequence: tables, columns and the
//! objects on them (indexes, checks, uniques, exclusions, triggers, foreign keys).

use super::*;

pub(super) fn pick_col<'a>(
    c: &mut Chooser,
    t: &'a Table,
    ok: impl Fn(ColType) -> bool,
) -> Option<&'a Column> {
    let cands: Vec<&Column> = t.columns.iter().filter(|x| ok(x.ty)).collect();
    if cands.is_empty() {
        None
    } else {
        Some(cands[c.pick(cands.len())])
    }
}

pub(super) fn gen_predicate(c: &mut Chooser, t: &Table) -> Option<Predicate> {
    match c.pick(4) {
        1 => pick_col(c, t, |_| true).map(|x| Predicate::NotNull(x.name.clone())),
        2 => pick_col(c, t, ColType::numeric).map(|x| Predicate::Gt(x.name.clone(), c.int(-5, 20))),
        3 => pick_col(c, t, ColType::textual).map(|x| Predicate::NonEmpty(x.name.clone())),
        _ => None,
    }
}

pub(super) fn gen_index(c: &mut Chooser, t: &Table) -> Option<ObjectKind> {
    let method = match c.pick(5) {
        3 if t.columns.iter().any(|x| x.ty.gist()) => IndexMethod::Gist,
        4 if t.columns.iter().any(|x| x.ty.hash()) => IndexMethod::Hash,
        _ => IndexMethod::Btree,
    };
    let ok: fn(ColType) -> bool = match method {
        IndexMethod::Btree => ColType::btree,
        IndexMethod::Gist => ColType::gist,
        IndexMethod::Hash => ColType::hash,
    };
    let mut pool: Vec<&Column> = t.columns.iter().filter(|x| ok(x.ty)).collect();
    if pool.is_empty() {
        return None;
    }
    let nkeys = if method == IndexMethod::Hash {
        1
    } else {
        1 + c.pick(3)
    };
    let mut keys = Vec::new();
    for _ in 0..nkeys {
        if pool.is_empty() {
            break;
        }
        let col = pool.remove(c.pick(pool.len()));
        let order = if method == IndexMethod::Btree {
            SortOrder::ALL[c.pick(4)]
        } else {
            SortOrder::Asc
        };
        let form = if method == IndexMethod::Btree {
            c.pick(4)
        } else {
            0
        };
        keys.push(match form {
            2 if col.ty.textual() => IndexKey::Lower {
                col: col.name.clone(),
                order,
            },
            3 if col.ty.numeric() => IndexKey::Plus {
                col: col.name.clone(),
                k: i16::try_from(c.int(1, 9)).unwrap_or(1),
                order,
            },
            _ => {
                let textual = method == IndexMethod::Btree && col.ty.textual();
                IndexKey::Column {
                    col: col.name.clone(),
                    pattern_ops: textual && c.coin(),
                    collate_c: textual && c.coin(),
                    order,
                }
            }
        });
    }
    let key_cols: BTreeSet<&str> = keys.iter().map(IndexKey::col).collect();
    let mut include = Vec::new();
    if method != IndexMethod::Hash && c.pick(3) == 1 {
        let rest: Vec<&Column> = t
            .columns
            .iter()
            .filter(|x| !key_cols.contains(x.name.as_str()))
            .collect();
        if !rest.is_empty() {
            include.push(rest[c.pick(rest.len())].name.clone());
        }
    }
    let unique = method == IndexMethod::Btree && c.pick(3) == 1;
    let predicate = gen_predicate(c, t);
    Some(ObjectKind::Index {
        unique,
        method,
        keys,
        include,
        predicate,
    })
}

pub(super) fn gen_check(c: &mut Chooser, t: &Table) -> Option<ObjectKind> {
    let col = pick_col(c, t, |_| true)?;
    let expr = if col.ty.numeric() && c.coin() {
        CheckExpr::Between {
            col: col.name.clone(),
            lo: c.int(-10, 20),
            span: u16::try_from(c.pick(50)).unwrap_or(0),
        }
    } else if col.ty.numeric() {
        CheckExpr::Gt {
            col: col.name.clone(),
            k: c.int(-10, 20),
        }
    } else if col.ty.textual() {
        CheckExpr::MaxLen {
            col: col.name.clone(),
            k: u16::try_from(c.pick(200)).unwrap_or(0) + 1,
        }
    } else {
        let other = &t.columns[c.pick(t.columns.len())];
        CheckExpr::NullImplies {
            col: col.name.clone(),
            other: other.name.clone(),
        }
    };
    Some(ObjectKind::Check { expr })
}

pub(super) fn gen_unique(c: &mut Chooser, t: &Table) -> Option<ObjectKind> {
    let mut pool: Vec<&Column> = t.columns.iter().filter(|x| x.ty.btree()).collect();
    if pool.is_empty() {
        return None;
    }
    let n = 1 + c.pick(2);
    let mut cols = Vec::new();
    for _ in 0..n {
        if pool.is_empty() {
            break;
        }
        cols.push(pool.remove(c.pick(pool.len())).name.clone());
    }
    let mut include = Vec::new();
    if c.pick(3) == 1 {
        let rest: Vec<&Column> = t
            .columns
            .iter()
            .filter(|x| !cols.contains(&x.name))
            .collect();
        if !rest.is_empty() {
            include.push(rest[c.pick(rest.len())].name.clone());
        }
    }
    Some(ObjectKind::Unique {
        cols,
        include,
        nulls_not_distinct: c.coin(),
    })
}

pub(super) fn gen_exclude(c: &mut Chooser, t: &Table) -> Option<ObjectKind> {
    let form = if let Some(g) = pick_col(c, t, ColType::gist) {
        ExcludeForm::GistOverlap(g.name.clone())
    } else {
        ExcludeForm::BtreeEq(pick_col(c, t, ColType::btree)?.name.clone())
    };
    Some(ObjectKind::Exclude {
        form,
        predicate: gen_predicate(c, t),
    })
}

pub(super) fn gen_trigger(c: &mut Chooser, functions: &[String]) -> Option<ObjectKind> {
    let function = functions.get(c.pick(functions.len()))?.clone();
    let mask = 1 + c.pick(7);
    Some(ObjectKind::Trigger {
        timing: if c.coin() {
            Timing::After
        } else {
            Timing::Before
        },
        events: Events {
            insert: mask & 1 != 0,
            update: mask & 2 != 0,
            delete: mask & 4 != 0,
        },
        row: c.pick(3) != 0,
        function,
        enabled: c.pick(5) != 4,
    })
}

/// A non-FK object for table `t` (used for schemas and for `Add` mutations).
pub(super) fn gen_object(c: &mut Chooser, t: &Table, functions: &[String]) -> Option<ObjectKind> {
    match c.pick(6) {
        1 => gen_check(c, t),
        2 => gen_unique(c, t),
        3 => gen_exclude(c, t),
        4 => gen_trigger(c, functions),
        _ => gen_index(c, t),
    }
}

pub(super) fn object_base(t: &Table, k: &ObjectKind) -> String {
    let tn = short(&t.name);
    let first = |cols: &[String]| cols.first().map(|c| short(c)).unwrap_or_default();
    match k {
        ObjectKind::PrimaryKey { .. } => format!("{tn}_pkey"),
        ObjectKind::Unique { cols, .. } => format!("{tn}_{}_key", first(cols)),
        ObjectKind::ForeignKey { cols, .. } => format!("{tn}_{}_fkey", first(cols)),
        ObjectKind::Check { expr } => {
            let col = match expr {
                CheckExpr::Gt { col, .. }
                | CheckExpr::Between { col, .. }
                | CheckExpr::MaxLen { col, .. }
                | CheckExpr::NullImplies { col, .. } => col,
            };
            format!("{tn}_{}_check", short(col))
        }
        ObjectKind::Exclude {
            form: ExcludeForm::GistOverlap(c) | ExcludeForm::BtreeEq(c),
            ..
        } => {
            format!("{tn}_{}_excl", short(c))
        }
        ObjectKind::Index { keys, .. } => {
            format!(
                "{tn}_{}_idx",
                keys.first().map(|k| short(k.col())).unwrap_or_default()
            )
        }
        ObjectKind::Trigger { .. } => format!("{tn}_trg"),
    }
}

/// A foreign key from `tables[ti]` to a table with a primary key (adding
/// matching columns to `tables[ti]`), or `None` when no table has one.
pub(super) fn gen_fk(c: &mut Chooser, tables: &mut [Table], ti: usize) -> Option<ObjectKind> {
    let targets: Vec<usize> = (0..tables.len())
        .filter(|&i| tables[i].primary_key().is_some())
        .collect();
    if targets.is_empty() {
        None
    } else {
        let target = targets[c.pick(targets.len())];
        let ref_table = tables[target].name.clone();
        let ref_cols: Vec<String> = tables[target]
            .primary_key()
            .map(<[String]>::to_vec)
            .unwrap_or_default();
        let mut cols = Vec::new();
        for rc in &ref_cols {
            let ty = tables[target].column(rc).map_or(ColType::Int4, |x| x.ty);
            let used: BTreeSet<String> =
                tables[ti].columns.iter().map(|x| x.name.clone()).collect();
            let mut cn = Namer::new(used, Vec::new());
            let cname = cn.fresh(&format!("{}_{}", short(&ref_table), short(rc)));
            let not_null = c.pick(3) == 2;
            tables[ti].columns.push(Column {
                name: cname.clone(),
                ty,
                not_null,
            });
            cols.push(cname);
        }
        Some(ObjectKind::ForeignKey {
            cols,
            ref_table,
            ref_cols,
            on_delete: FkAction::ALL[c.pick(5)],
            on_update: FkAction::ALL[c.pick(5)],
            match_full: c.coin(),
            deferral: Deferral::ALL[c.pick(3)],
        })
    }
}

pub(super) fn reserved_schema(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l.starts_with("pg_")
        || ["public", "qt001_cp", "cpo", "information_schema"].contains(&l.as_str())
}

/// Decode a schema from name hints and a choice sequence. Pure.
pub fn decode_schema(
    schema_hint: Option<String>,
    hints: Vec<Option<String>>,
    data: Vec<u32>,
) -> Schema {
    let mut c = Chooser::new(data);
    let name = schema_hint
        .map(|h| truncate_bytes(&h, MAX_IDENT_BYTES))
        .filter(|h| !h.is_empty() && !reserved_schema(h))
        .unwrap_or_else(|| "drift_s".to_owned());
    let mut names = Namer::new(BTreeSet::new(), hints);
    let functions: Vec<String> = (0..1 + c.pick(2))
        .map(|i| names.fresh(&format!("trg_fn{i}")))
        .collect();
    let ntables = 1 + c.pick(4);
    let mut tables: Vec<Table> = Vec::new();
    for ti in 0..ntables {
        let tname = names.fresh(&format!("t{ti}"));
        let ncols = 1 + c.pick(6);
        let mut columns = Vec::new();
        let mut col_names = Namer::new(BTreeSet::new(), Vec::new());
        for ci in 0..ncols {
            let cname = if c.pick(4) == 3 {
                names.fresh(&format!("c{ci}"))
            } else {
                col_names.fresh(&format!("c{ci}"))
            };
            col_names.used.insert(cname.clone());
            columns.push(Column {
                name: cname,
                ty: ColType::ALL[c.pick(ColType::ALL.len())],
                not_null: c.coin(),
            });
        }
        let mut t = Table {
            name: tname,
            columns,
            objects: Vec::new(),
        };
        if c.pick(3) != 0 {
            let pool: Vec<String> = t
                .columns
                .iter()
                .filter(|x| x.ty.btree())
                .map(|x| x.name.clone())
                .collect();
            if !pool.is_empty() {
                let mut cols = vec![pool[c.pick(pool.len())].clone()];
                if c.coin() {
                    let other = pool[c.pick(pool.len())].clone();
                    if !cols.contains(&other) {
                        cols.push(other);
                    }
                }
                let kind = ObjectKind::PrimaryKey { cols };
                let oname = names.fresh(&object_base(&t, &kind));
                t.objects.push(Object { name: oname, kind });
            }
        }
        tables.push(t);
    }
    for ti in 0..tables.len() {
        let nobj = c.pick(7);
        for _ in 0..nobj {
            let kind = if c.pick(5) == 4 {
                // a foreign key to a table with a primary key: add matching columns
                gen_fk(&mut c, &mut tables, ti)
            } else {
                gen_object(&mut c, &tables[ti], &functions)
            };
            if let Some(kind) = kind {
                let oname = names.fresh(&object_base(&tables[ti], &kind));
                tables[ti].objects.push(Object { name: oname, kind });
            }
        }
    }
    Schema {
        name,
        functions,
        tables,
    }
}

pub(super) fn arb_hints(max: usize) -> impl Strategy<Value = Vec<Option<String>>> {
    vec(prop::option::weighted(0.25, arb_hostile_ident()), 0..max)
}

/// A random schema: 1–4 tables of 1–6 typed columns (plus FK columns), PKs,
/// UNIQUE (incl. NULLS NOT DISTINCT, INCLUDE), FKs (every action, MATCH
/// FULL/SIMPLE, every deferrability), CHECKs, EXCLUDE (gist on range/box or
/// btree `=`), btree/hash/gist indexes (unique, partial, expression,
/// multi-column, INCLUDE, opclass, collation, sort orders), triggers (some
/// disabled); names partly hostile.
pub fn arb_schema() -> impl Strategy<Value = Schema> {
    (
        prop::option::weighted(0.3, arb_hostile_ident()),
        arb_hints(24),
        arb_choices(160),
    )
        .prop_map(|(s, h, d)| decode_schema(s, h, d))
}

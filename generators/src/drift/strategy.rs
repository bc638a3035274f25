//! Strategies. Structure is decoded from a choice sequence (a vector of
//! numbers, 0 = simplest choice, exhausted = all zeros), so proptest's
//! shrinking of the numbers shrinks the schema towards one table with one
//! column and no objects.

use super::model::*;
use super::mutation::Mutation;
use crate::ident::{arb_hostile_ident, truncate_bytes, MAX_IDENT_BYTES};
use proptest::collection::vec;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// Decodes choices from a vector of numbers.
struct Chooser {
    data: Vec<u32>,
    pos: usize,
}

impl Chooser {
    fn new(data: Vec<u32>) -> Self {
        Self { data, pos: 0 }
    }
    /// A choice in `0..n` (0 when the sequence is exhausted or `n` is 0).
    fn pick(&mut self, n: usize) -> usize {
        let v = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        if n == 0 {
            0
        } else {
            v as usize % n
        }
    }
    fn coin(&mut self) -> bool {
        self.pick(2) == 1
    }
    fn int(&mut self, lo: i32, width: u32) -> i32 {
        lo.saturating_add(i32::try_from(self.pick(width as usize)).unwrap_or(0))
    }
}

/// Hands out unique names: hostile hints first, then PostgreSQL-style ones.
struct Namer {
    used: BTreeSet<String>,
    hints: Vec<Option<String>>,
    next_hint: usize,
}

impl Namer {
    fn new(used: BTreeSet<String>, hints: Vec<Option<String>>) -> Self {
        Self {
            used,
            hints,
            next_hint: 0,
        }
    }
    /// A fresh name: the next hint if there is one (and it is free), else `base`
    /// made unique with a numeric suffix; always at most 63 bytes.
    fn fresh(&mut self, base: &str) -> String {
        let hint = self.hints.get(self.next_hint).cloned().flatten();
        self.next_hint += 1;
        if let Some(h) = hint {
            let h = truncate_bytes(&h, MAX_IDENT_BYTES);
            if !h.is_empty() && !self.used.contains(&h) {
                self.used.insert(h.clone());
                return h;
            }
        }
        let mut cand = truncate_bytes(base, MAX_IDENT_BYTES);
        let mut n = 0u32;
        while cand.is_empty() || self.used.contains(&cand) {
            n += 1;
            let suffix = n.to_string();
            cand = format!(
                "{}{suffix}",
                truncate_bytes(base, MAX_IDENT_BYTES - suffix.len())
            );
        }
        self.used.insert(cand.clone());
        cand
    }
}

fn short(name: &str) -> String {
    truncate_bytes(name, 20)
}

fn pick_col<'a>(c: &mut Chooser, t: &'a Table, ok: impl Fn(ColType) -> bool) -> Option<&'a Column> {
    let cands: Vec<&Column> = t.columns.iter().filter(|x| ok(x.ty)).collect();
    if cands.is_empty() {
        None
    } else {
        Some(cands[c.pick(cands.len())])
    }
}

fn gen_predicate(c: &mut Chooser, t: &Table) -> Option<Predicate> {
    match c.pick(4) {
        1 => pick_col(c, t, |_| true).map(|x| Predicate::NotNull(x.name.clone())),
        2 => pick_col(c, t, ColType::numeric).map(|x| Predicate::Gt(x.name.clone(), c.int(-5, 20))),
        3 => pick_col(c, t, ColType::textual).map(|x| Predicate::NonEmpty(x.name.clone())),
        _ => None,
    }
}

fn gen_index(c: &mut Chooser, t: &Table) -> Option<ObjectKind> {
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

fn gen_check(c: &mut Chooser, t: &Table) -> Option<ObjectKind> {
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

fn gen_unique(c: &mut Chooser, t: &Table) -> Option<ObjectKind> {
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

fn gen_exclude(c: &mut Chooser, t: &Table) -> Option<ObjectKind> {
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

fn gen_trigger(c: &mut Chooser, functions: &[String]) -> Option<ObjectKind> {
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
fn gen_object(c: &mut Chooser, t: &Table, functions: &[String]) -> Option<ObjectKind> {
    match c.pick(6) {
        1 => gen_check(c, t),
        2 => gen_unique(c, t),
        3 => gen_exclude(c, t),
        4 => gen_trigger(c, functions),
        _ => gen_index(c, t),
    }
}

fn object_base(t: &Table, k: &ObjectKind) -> String {
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
fn gen_fk(c: &mut Chooser, tables: &mut [Table], ti: usize) -> Option<ObjectKind> {
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

fn reserved_schema(name: &str) -> bool {
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

fn arb_hints(max: usize) -> impl Strategy<Value = Vec<Option<String>>> {
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

fn next_in<T: Copy + PartialEq>(all: &[T], cur: T, step: usize) -> T {
    let i = all.iter().position(|x| *x == cur).unwrap_or(0);
    all[(i + 1 + step % (all.len() - 1)) % all.len()]
}

/// Alternative definitions of `o` that PostgreSQL renders differently, with labels.
fn alterations(
    s: &Schema,
    t: &Table,
    o: &Object,
    c: &mut Chooser,
) -> Vec<(ObjectKind, &'static str)> {
    let mut v = Vec::new();
    match &o.kind {
        ObjectKind::Index {
            unique,
            method,
            keys,
            include,
            predicate,
        } => {
            let base = |keys: Vec<IndexKey>,
                        include: Vec<String>,
                        predicate: Option<Predicate>,
                        unique: bool| {
                ObjectKind::Index {
                    unique,
                    method: *method,
                    keys,
                    include,
                    predicate,
                }
            };
            if keys.len() >= 2 {
                let mut k = keys.clone();
                k.swap(0, 1);
                v.push((
                    base(k, include.clone(), predicate.clone(), *unique),
                    "column-order",
                ));
            }
            let p2 = match predicate {
                Some(_) => None,
                None => Some(Predicate::NotNull(keys[0].col().to_owned())),
            };
            v.push((
                base(keys.clone(), include.clone(), p2, *unique),
                "predicate",
            ));
            if let Some(Predicate::Gt(col, k)) = predicate {
                v.push((
                    base(
                        keys.clone(),
                        include.clone(),
                        Some(Predicate::Gt(col.clone(), k + 1)),
                        *unique,
                    ),
                    "predicate",
                ));
            }
            if *method == IndexMethod::Btree {
                let mut k = keys.clone();
                match &mut k[0] {
                    IndexKey::Column { order, .. }
                    | IndexKey::Lower { order, .. }
                    | IndexKey::Plus { order, .. } => {
                        *order = next_in(&SortOrder::ALL, *order, c.pick(3));
                    }
                }
                v.push((
                    base(k, include.clone(), predicate.clone(), *unique),
                    "sort-order",
                ));
                v.push((
                    base(keys.clone(), include.clone(), predicate.clone(), !unique),
                    "unique",
                ));
                let textual = t.column(keys[0].col()).is_some_and(|x| x.ty.textual());
                if let IndexKey::Column {
                    col,
                    pattern_ops,
                    collate_c,
                    order,
                } = &keys[0]
                {
                    if textual {
                        let mut k = keys.clone();
                        k[0] = IndexKey::Column {
                            col: col.clone(),
                            pattern_ops: !pattern_ops,
                            collate_c: *collate_c,
                            order: *order,
                        };
                        v.push((
                            base(k, include.clone(), predicate.clone(), *unique),
                            "opclass",
                        ));
                    }
                }
                if let IndexKey::Plus { col, k: kk, order } = &keys[0] {
                    let mut k = keys.clone();
                    k[0] = IndexKey::Plus {
                        col: col.clone(),
                        k: kk.saturating_add(1),
                        order: *order,
                    };
                    v.push((
                        base(k, include.clone(), predicate.clone(), *unique),
                        "expression",
                    ));
                }
            }
            if *method != IndexMethod::Hash {
                if include.is_empty() {
                    let used: BTreeSet<&str> = keys.iter().map(IndexKey::col).collect();
                    if let Some(col) = t.columns.iter().find(|x| !used.contains(x.name.as_str())) {
                        v.push((
                            base(
                                keys.clone(),
                                vec![col.name.clone()],
                                predicate.clone(),
                                *unique,
                            ),
                            "include",
                        ));
                    }
                } else {
                    v.push((
                        base(keys.clone(), Vec::new(), predicate.clone(), *unique),
                        "include",
                    ));
                }
            }
        }
        ObjectKind::Check { expr } => {
            let e2 = match expr {
                CheckExpr::Gt { col, k } => Some(CheckExpr::Gt {
                    col: col.clone(),
                    k: k.saturating_add(1),
                }),
                CheckExpr::Between { col, lo, span } => Some(CheckExpr::Between {
                    col: col.clone(),
                    lo: *lo,
                    span: span.saturating_add(1),
                }),
                CheckExpr::MaxLen { col, k } => Some(CheckExpr::MaxLen {
                    col: col.clone(),
                    k: k.saturating_add(1),
                }),
                CheckExpr::NullImplies { col, other } if col != other => {
                    Some(CheckExpr::NullImplies {
                        col: other.clone(),
                        other: col.clone(),
                    })
                }
                CheckExpr::NullImplies { .. } => None,
            };
            if let Some(expr) = e2 {
                v.push((ObjectKind::Check { expr }, "expression"));
            }
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
            let fk = |on_delete, on_update, match_full, deferral| ObjectKind::ForeignKey {
                cols: cols.clone(),
                ref_table: ref_table.clone(),
                ref_cols: ref_cols.clone(),
                on_delete,
                on_update,
                match_full,
                deferral,
            };
            v.push((
                fk(
                    next_in(&FkAction::ALL, *on_delete, c.pick(4)),
                    *on_update,
                    *match_full,
                    *deferral,
                ),
                "action",
            ));
            v.push((
                fk(
                    *on_delete,
                    next_in(&FkAction::ALL, *on_update, c.pick(4)),
                    *match_full,
                    *deferral,
                ),
                "action",
            ));
            v.push((fk(*on_delete, *on_update, !match_full, *deferral), "match"));
            v.push((
                fk(
                    *on_delete,
                    *on_update,
                    *match_full,
                    next_in(&Deferral::ALL, *deferral, c.pick(2)),
                ),
                "deferrability",
            ));
        }
        ObjectKind::Unique {
            cols,
            include,
            nulls_not_distinct,
        } => {
            v.push((
                ObjectKind::Unique {
                    cols: cols.clone(),
                    include: include.clone(),
                    nulls_not_distinct: !nulls_not_distinct,
                },
                "nulls-not-distinct",
            ));
            let inc = if include.is_empty() {
                t.columns
                    .iter()
                    .find(|x| !cols.contains(&x.name))
                    .map(|x| vec![x.name.clone()])
            } else {
                Some(Vec::new())
            };
            if let Some(include) = inc {
                v.push((
                    ObjectKind::Unique {
                        cols: cols.clone(),
                        include,
                        nulls_not_distinct: *nulls_not_distinct,
                    },
                    "include",
                ));
            }
        }
        ObjectKind::Exclude { form, predicate } => {
            let col = match form {
                ExcludeForm::GistOverlap(c) | ExcludeForm::BtreeEq(c) => c.clone(),
            };
            let p2 = if predicate.is_some() {
                None
            } else {
                Some(Predicate::NotNull(col))
            };
            v.push((
                ObjectKind::Exclude {
                    form: form.clone(),
                    predicate: p2,
                },
                "predicate",
            ));
        }
        ObjectKind::Trigger {
            timing,
            events,
            row,
            function,
            enabled,
        } => {
            let tr = |timing, events, row, function: String| ObjectKind::Trigger {
                timing,
                events,
                row,
                function,
                enabled: *enabled,
            };
            let flip = if *timing == Timing::Before {
                Timing::After
            } else {
                Timing::Before
            };
            v.push((tr(flip, *events, *row, function.clone()), "timing"));
            v.push((tr(*timing, *events, !row, function.clone()), "for-each"));
            let ev = Events {
                insert: !events.insert,
                update: events.update,
                delete: events.delete,
            };
            if ev.insert || ev.update || ev.delete {
                v.push((tr(*timing, ev, *row, function.clone()), "events"));
            }
            if let Some(f2) = s.functions.iter().find(|f| *f != function) {
                v.push((tr(*timing, *events, *row, f2.clone()), "function"));
            }
        }
        ObjectKind::PrimaryKey { .. } => {}
    }
    v
}

/// The top-level kinds of mutation, each with its own decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MutationKind {
    /// Drop an object.
    Drop,
    /// Add an object.
    Add,
    /// Replace an object by a different definition under the same name.
    Alter,
    /// Change a foreign key's deferrability in place.
    FkDeferral,
    /// Enable or disable a trigger.
    TriggerEnabled,
    /// Rename an object.
    Rename,
    /// Drop and recreate an object identically.
    RecreateIdentical,
}

/// Decode one mutation of `s` from a choice sequence and a name hint. Always
/// returns an applicable mutation (falls back to adding an index or a CHECK).
pub fn decode_mutation(s: &Schema, data: Vec<u32>, hint: Option<String>) -> Mutation {
    let mut c = Chooser::new(data);
    let mut names = Namer::new(s.used_names(), vec![hint]);
    let cands = candidates(s, &mut c);
    // only the kinds that apply to this schema; alterations count twice
    let mut kinds: Vec<MutationKind> = vec![MutationKind::Add];
    if !cands.droppable.is_empty() {
        kinds.extend([MutationKind::Drop, MutationKind::RecreateIdentical]);
    }
    if !cands.alters.is_empty() {
        kinds.extend([MutationKind::Alter; 4]);
    }
    if !cands.fks.is_empty() {
        kinds.push(MutationKind::FkDeferral);
    }
    if !cands.trgs.is_empty() {
        kinds.push(MutationKind::TriggerEnabled);
    }
    if !cands.all.is_empty() {
        kinds.push(MutationKind::Rename);
    }
    let kind = kinds[c.pick(kinds.len())];
    decode_kind(s, cands, kind, &mut c, &mut names)
        .unwrap_or_else(|| add_mutation(s, &mut c, &mut names))
}

/// Decode one mutation of the given kind, or `None` when no object of `s`
/// admits that kind (e.g. no trigger to enable or disable).
pub fn decode_mutation_of_kind(
    s: &Schema,
    kind: MutationKind,
    data: Vec<u32>,
    hint: Option<String>,
) -> Option<Mutation> {
    let mut c = Chooser::new(data);
    let mut names = Namer::new(s.used_names(), vec![hint]);
    let cands = candidates(s, &mut c);
    decode_kind(s, cands, kind, &mut c, &mut names)
}

/// The kinds of alteration (`alter:<what>` labels) that apply to `s`, in order.
pub fn alteration_kinds(s: &Schema) -> Vec<&'static str> {
    let mut c = Chooser::new(Vec::new());
    let cands = candidates(s, &mut c);
    let whats: BTreeSet<&'static str> = cands.alters.iter().map(|a| a.2).collect();
    whats.into_iter().collect()
}

/// Decode one alteration of kind `what` of `s` (where, and how, from `data`).
pub fn decode_alteration(s: &Schema, what: &str, data: Vec<u32>) -> Option<Mutation> {
    let mut c = Chooser::new(data);
    let cands = candidates(s, &mut c);
    let mut of_what: Vec<(&Table, Object, &'static str)> =
        cands.alters.into_iter().filter(|a| a.2 == what).collect();
    if of_what.is_empty() {
        return None;
    }
    let i = c.pick(of_what.len());
    let (t, object, what) = of_what.swap_remove(i);
    Some(Mutation::Replace {
        table: t.name.clone(),
        object,
        what: what.to_owned(),
    })
}

/// The objects of a schema each kind of mutation can apply to.
struct Candidates<'a> {
    all: Vec<(&'a Table, &'a Object)>,
    droppable: Vec<(&'a Table, &'a Object)>,
    fks: Vec<(&'a Table, &'a Object, Deferral)>,
    trgs: Vec<(&'a Table, &'a Object, bool)>,
    alters: Vec<(&'a Table, Object, &'static str)>,
}

fn candidates<'a>(s: &'a Schema, c: &mut Chooser) -> Candidates<'a> {
    let all: Vec<(&Table, &Object)> = s
        .tables
        .iter()
        .flat_map(|t| t.objects.iter().map(move |o| (t, o)))
        .collect();
    let droppable: Vec<(&Table, &Object)> = all
        .iter()
        .copied()
        .filter(|(t, o)| {
            !(matches!(o.kind, ObjectKind::PrimaryKey { .. }) && s.pk_referenced(&t.name))
        })
        .collect();
    let fks: Vec<(&Table, &Object, Deferral)> = all
        .iter()
        .filter_map(|(t, o)| match o.kind {
            ObjectKind::ForeignKey { deferral, .. } => Some((*t, *o, deferral)),
            _ => None,
        })
        .collect();
    let trgs: Vec<(&Table, &Object, bool)> = all
        .iter()
        .filter_map(|(t, o)| match o.kind {
            ObjectKind::Trigger { enabled, .. } => Some((*t, *o, enabled)),
            _ => None,
        })
        .collect();
    let mut alters: Vec<(&Table, Object, &'static str)> = Vec::new();
    for (t, o) in &droppable {
        for (k, what) in alterations(s, t, o, c) {
            alters.push((
                t,
                Object {
                    name: o.name.clone(),
                    kind: k,
                },
                what,
            ));
        }
    }
    Candidates {
        all,
        droppable,
        fks,
        trgs,
        alters,
    }
}

fn decode_kind(
    s: &Schema,
    cands: Candidates<'_>,
    kind: MutationKind,
    c: &mut Chooser,
    names: &mut Namer,
) -> Option<Mutation> {
    let Candidates {
        all,
        droppable,
        fks,
        trgs,
        alters,
    } = cands;
    Some(match kind {
        MutationKind::Drop => {
            let (t, o) = *droppable.get(c.pick(droppable.len()))?;
            Mutation::Drop {
                table: t.name.clone(),
                object: o.name.clone(),
            }
        }
        MutationKind::RecreateIdentical => {
            let (t, o) = *droppable.get(c.pick(droppable.len()))?;
            Mutation::RecreateIdentical {
                table: t.name.clone(),
                object: o.name.clone(),
            }
        }
        MutationKind::Alter => {
            // pick what to alter first (uniform over kinds of alteration), then where
            let whats: BTreeSet<&'static str> = alters.iter().map(|a| a.2).collect();
            let whats: Vec<&'static str> = whats.into_iter().collect();
            let what = *whats.get(c.pick(whats.len()))?;
            let mut of_what: Vec<(&Table, Object, &'static str)> =
                alters.into_iter().filter(|a| a.2 == what).collect();
            let i = c.pick(of_what.len());
            let (t, object, what) = of_what.swap_remove(i);
            Mutation::Replace {
                table: t.name.clone(),
                object,
                what: what.to_owned(),
            }
        }
        MutationKind::FkDeferral => {
            let (t, o, d) = *fks.get(c.pick(fks.len()))?;
            Mutation::AlterFkDeferral {
                table: t.name.clone(),
                object: o.name.clone(),
                deferral: next_in(&Deferral::ALL, d, c.pick(2)),
            }
        }
        MutationKind::TriggerEnabled => {
            let (t, o, e) = *trgs.get(c.pick(trgs.len()))?;
            Mutation::SetTriggerEnabled {
                table: t.name.clone(),
                object: o.name.clone(),
                enabled: !e,
            }
        }
        MutationKind::Rename => {
            let (t, o) = *all.get(c.pick(all.len()))?;
            let new_name = names.fresh(&format!("{}_renamed", short(&o.name)));
            Mutation::Rename {
                table: t.name.clone(),
                object: o.name.clone(),
                new_name,
            }
        }
        MutationKind::Add => add_mutation(s, c, names),
    })
}

/// Make sure `s` has what every kind of mutation needs: a trigger (to enable
/// or disable) and a foreign key (to change its deferrability), adding a
/// primary key to reference when no table has one and a column admits it.
pub fn with_every_kind_applicable(mut s: Schema, data: Vec<u32>) -> Schema {
    let mut c = Chooser::new(data);
    let mut names = Namer::new(s.used_names(), Vec::new());
    let has = |s: &Schema, f: fn(&ObjectKind) -> bool| {
        s.tables
            .iter()
            .any(|t| t.objects.iter().any(|o| f(&o.kind)))
    };
    if !has(&s, |k| matches!(k, ObjectKind::Trigger { .. })) && !s.functions.is_empty() {
        let ti = c.pick(s.tables.len());
        let function = s.functions[c.pick(s.functions.len())].clone();
        let kind = ObjectKind::Trigger {
            timing: Timing::Before,
            events: Events {
                insert: true,
                update: c.coin(),
                delete: false,
            },
            row: true,
            function,
            enabled: true,
        };
        let name = names.fresh(&object_base(&s.tables[ti], &kind));
        s.tables[ti].objects.push(Object { name, kind });
    }
    if !has(&s, |k| matches!(k, ObjectKind::Index { .. })) {
        let ti = c.pick(s.tables.len());
        if let Some(kind) = gen_index(&mut c, &s.tables[ti]) {
            let name = names.fresh(&object_base(&s.tables[ti], &kind));
            s.tables[ti].objects.push(Object { name, kind });
        }
    }
    if !has(&s, |k| matches!(k, ObjectKind::ForeignKey { .. })) {
        if !s.tables.iter().any(|t| t.primary_key().is_some()) {
            // a table with a btree-able column (else give table 0 an int key column)
            let able: Vec<usize> = (0..s.tables.len())
                .filter(|&i| s.tables[i].columns.iter().any(|x| x.ty.btree()))
                .collect();
            let ti = match able.get(c.pick(able.len())) {
                Some(&ti) => ti,
                None => {
                    let used = s.tables[0].columns.iter().map(|x| x.name.clone()).collect();
                    let name = Namer::new(used, Vec::new()).fresh("id");
                    s.tables[0].columns.push(Column {
                        name,
                        ty: ColType::Int4,
                        not_null: true,
                    });
                    0
                }
            };
            let col = s.tables[ti]
                .columns
                .iter()
                .find(|x| x.ty.btree())
                .map(|x| x.name.clone());
            if let Some(col) = col {
                let kind = ObjectKind::PrimaryKey { cols: vec![col] };
                let name = names.fresh(&object_base(&s.tables[ti], &kind));
                s.tables[ti].objects.push(Object { name, kind });
            }
        }
        let ti = c.pick(s.tables.len());
        if let Some(kind) = gen_fk(&mut c, &mut s.tables, ti) {
            let name = names.fresh(&object_base(&s.tables[ti], &kind));
            s.tables[ti].objects.push(Object { name, kind });
        }
    }
    s
}

/// The kinds every DRIFT-DETECT case applies, one after the other (kinds
/// that need an object of their own first, so earlier drops cannot take it;
/// alterations twice, as they have the most variety).
pub const DETECT_SEQUENCE: [MutationKind; 8] = [
    MutationKind::TriggerEnabled,
    MutationKind::FkDeferral,
    MutationKind::Alter,
    MutationKind::Drop,
    MutationKind::Rename,
    MutationKind::RecreateIdentical,
    MutationKind::Alter,
    MutationKind::Add,
];

/// One alteration of every kind the schema admits, then mutations of every
/// kind of [`DETECT_SEQUENCE`] that applies, each decoded
/// from its own choices against the schema the previous ones left, so each
/// one applies (checked) to the state it is decoded for.
pub fn decode_mutation_sequence(
    s: &Schema,
    data: Vec<Vec<u32>>,
    hints: Vec<Option<String>>,
) -> Vec<Mutation> {
    let mut state = s.clone();
    let mut out = Vec::new();
    // first one alteration of every kind the schema admits, so that no kind of
    // alteration is left to the luck of the seed
    for (i, what) in alteration_kinds(s).into_iter().enumerate() {
        let d = data
            .get(DETECT_SEQUENCE.len() + i)
            .cloned()
            .unwrap_or_default();
        let Some(m) = decode_alteration(&state, what, d) else {
            continue;
        };
        if let (Ok(next), Ok(_)) = (
            super::mutation::apply(&state, &m),
            super::mutation::mutation_ddl(&state, &m),
        ) {
            state = next;
            out.push(m);
        }
    }
    for (i, kind) in DETECT_SEQUENCE.iter().enumerate() {
        let d = data.get(i).cloned().unwrap_or_default();
        let h = hints.get(i).cloned().flatten();
        let Some(m) = decode_mutation_of_kind(&state, *kind, d, h) else {
            continue;
        };
        if let Ok(next) = super::mutation::apply(&state, &m) {
            if super::mutation::mutation_ddl(&state, &m).is_ok() {
                state = next;
                out.push(m);
            }
        }
    }
    out
}

/// A schema with every kind of mutation applicable, and a sequence of
/// mutations of every kind ([`DETECT_SEQUENCE`]), for DRIFT-DETECT.
pub fn arb_schema_and_mutations() -> impl Strategy<Value = (Schema, Vec<Mutation>)> {
    (
        prop::option::weighted(0.3, arb_hostile_ident()),
        arb_hints(24),
        arb_choices(160),
        arb_choices(8),
        vec(arb_choices(24), DETECT_SEQUENCE.len() + 16),
        vec(
            prop::option::weighted(0.3, arb_hostile_ident()),
            DETECT_SEQUENCE.len(),
        ),
    )
        .prop_map(|(sh, h, d, ed, md, mh)| {
            let s = with_every_kind_applicable(decode_schema(sh, h, d), ed);
            let ms = decode_mutation_sequence(&s, md, mh);
            (s, ms)
        })
}

fn add_mutation(s: &Schema, c: &mut Chooser, names: &mut Namer) -> Mutation {
    let t = &s.tables[c.pick(s.tables.len())];
    let kind = gen_object(c, t, &s.functions)
        .or_else(|| gen_index(c, t))
        .or_else(|| gen_check(c, t))
        .unwrap_or(ObjectKind::Check {
            expr: CheckExpr::NullImplies {
                col: t.columns[0].name.clone(),
                other: t.columns[0].name.clone(),
            },
        });
    let name = names.fresh(&object_base(t, &kind));
    Mutation::Add {
        table: t.name.clone(),
        object: Object { name, kind },
    }
}

/// An extra index for `s` (any kind the generator knows), as an `Add` mutation.
pub fn decode_extra_index(s: &Schema, data: Vec<u32>, hint: Option<String>) -> Mutation {
    let mut c = Chooser::new(data);
    let mut names = Namer::new(s.used_names(), vec![hint]);
    let t = &s.tables[c.pick(s.tables.len())];
    match gen_index(&mut c, t) {
        Some(kind) => {
            let name = names.fresh(&object_base(t, &kind));
            Mutation::Add {
                table: t.name.clone(),
                object: Object { name, kind },
            }
        }
        None => add_mutation(s, &mut c, &mut names),
    }
}

/// A choice sequence: small numbers shrink in few steps, and shorter
/// sequences decode to simpler structures.
pub fn arb_choices(max_len: usize) -> impl Strategy<Value = Vec<u32>> {
    vec(0u32..64, max_len / 4..max_len)
}

/// A mutation of `s`.
pub fn arb_mutation(s: Schema) -> impl Strategy<Value = Mutation> {
    (
        arb_choices(24),
        prop::option::weighted(0.3, arb_hostile_ident()),
    )
        .prop_map(move |(d, h)| decode_mutation(&s, d, h))
}

/// A schema and one mutation of it. Both are decoded from independent choice
/// sequences (no `flat_map`), so shrinking the schema keeps a mutation.
pub fn arb_schema_and_mutation() -> impl Strategy<Value = (Schema, Mutation)> {
    (
        prop::option::weighted(0.3, arb_hostile_ident()),
        arb_hints(24),
        arb_choices(160),
        arb_choices(24),
        prop::option::weighted(0.3, arb_hostile_ident()),
    )
        .prop_map(|(sh, h, d, md, mh)| {
            let s = decode_schema(sh, h, d);
            let m = decode_mutation(&s, md, mh);
            (s, m)
        })
}

/// A schema and an extra index for it.
pub fn arb_extra_index() -> impl Strategy<Value = (Schema, Mutation)> {
    (
        prop::option::weighted(0.3, arb_hostile_ident()),
        arb_hints(24),
        arb_choices(160),
        arb_choices(24),
        prop::option::weighted(0.3, arb_hostile_ident()),
    )
        .prop_map(|(sh, h, d, md, mh)| {
            let s = decode_schema(sh, h, d);
            let m = decode_extra_index(&s, md, mh);
            (s, m)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::{apply, expected_drift, mutation_ddl};
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeMap;

    #[test]
    fn mutations_apply_and_know_their_drift() {
        let mut runner = TestRunner::deterministic();
        let strat = arb_schema_and_mutation();
        let mut labels: BTreeMap<String, u32> = BTreeMap::new();
        for _ in 0..2000 {
            let (s, m) = strat.new_tree(&mut runner).expect("tree").current();
            let after = apply(&s, &m).expect("applies");
            assert!(!mutation_ddl(&s, &m).expect("ddl").is_empty());
            let d = expected_drift(&s, &after);
            match m {
                Mutation::RecreateIdentical { .. } => assert!(d.is_empty(), "{m:?} {d:?}"),
                _ => assert!(!d.is_empty(), "{m:?} is drift"),
            }
            *labels.entry(m.label()).or_default() += 1;
        }
        eprintln!("{labels:#?}");
        for l in [
            "drop",
            "add",
            "rename",
            "recreate-identical",
            "alter:column-order",
            "alter:predicate",
            "alter:action",
        ] {
            assert!(
                labels.get(l).copied().unwrap_or(0) >= 10,
                "{l} is rare: {labels:?}"
            );
        }
    }

    #[test]
    fn every_detect_case_applies_every_kind() {
        let mut runner = TestRunner::deterministic();
        let strat = arb_schema_and_mutations();
        for _ in 0..500 {
            let (s, ms) = strat.new_tree(&mut runner).expect("tree").current();
            let labels: Vec<String> = ms.iter().map(Mutation::label).collect();
            for need in [
                "alter:trigger-enabled",
                "alter:deferrability-in-place",
                "add",
                "rename",
            ] {
                assert!(
                    labels.iter().any(|l| l == need),
                    "{need} missing: {labels:?}\n{s:?}"
                );
            }
            let mut state = s.clone();
            for m in &ms {
                let next = apply(&state, m).expect("applies in sequence");
                assert!(!mutation_ddl(&state, m).expect("ddl").is_empty());
                let d = expected_drift(&state, &next);
                assert_eq!(
                    d.is_empty(),
                    matches!(m, Mutation::RecreateIdentical { .. }),
                    "{m:?}"
                );
                state = next;
            }
        }
        // the simplest choices still give a trigger and a foreign key
        let s = with_every_kind_applicable(decode_schema(None, Vec::new(), Vec::new()), Vec::new());
        let ms = decode_mutation_sequence(&s, Vec::new(), Vec::new());
        assert!(ms.len() >= 6, "{ms:?}");
    }

    #[test]
    fn empty_choices_decode_to_the_simplest_schema() {
        let s = decode_schema(None, Vec::new(), Vec::new());
        assert_eq!(s.tables.len(), 1);
        assert_eq!(s.tables[0].columns.len(), 1);
        assert!(s.tables[0].objects.is_empty());
    }
}

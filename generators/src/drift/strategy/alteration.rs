//! Alterations: other definitions of an object that PostgreSQL renders
//! differently, so a verifier must see them as drift.

use super::*;

pub(super) fn next_in<T: Copy + PartialEq>(all: &[T], cur: T, step: usize) -> T {
    let i = all.iter().position(|x| *x == cur).unwrap_or(0);
    all[(i + 1 + step % (all.len() - 1)) % all.len()]
}

/// Alternative definitions of `o` that PostgreSQL renders differently, with labels.
pub(super) fn alterations(
    s: &Schema,
    t: &Table,
    o: &Object,
    c: &mut Chooser,
) -> Vec<(ObjectKind, &'static str)> {
    match &o.kind {
        ObjectKind::Index {
            unique,
            method,
            keys,
            include,
            predicate,
        } => IndexShape {
            unique: *unique,
            method: *method,
            keys,
            include,
            predicate,
        }
        .alterations(t, c),
        ObjectKind::Check { expr } => check_alterations(expr),
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
            fk_alterations(fk, *on_delete, *on_update, *match_full, *deferral, c)
        }
        ObjectKind::Unique {
            cols,
            include,
            nulls_not_distinct,
        } => unique_alterations(t, cols, include, *nulls_not_distinct),
        ObjectKind::Exclude { form, predicate } => exclude_alterations(form, predicate),
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
            trigger_alterations(s, tr, *timing, *events, *row, function)
        }
        ObjectKind::PrimaryKey { .. } => Vec::new(),
    }
}

/// The parts of an index definition an alteration changes.
struct IndexShape<'a> {
    unique: bool,
    method: IndexMethod,
    keys: &'a [IndexKey],
    include: &'a [String],
    predicate: &'a Option<Predicate>,
}

impl IndexShape<'_> {
    /// An index of the same method with these parts.
    fn with(
        &self,
        keys: Vec<IndexKey>,
        include: Vec<String>,
        predicate: Option<Predicate>,
        unique: bool,
    ) -> ObjectKind {
        ObjectKind::Index {
            unique,
            method: self.method,
            keys,
            include,
            predicate,
        }
    }

    /// The same index with only `keys` changed.
    fn with_keys(&self, keys: Vec<IndexKey>) -> ObjectKind {
        self.with(
            keys,
            self.include.to_vec(),
            self.predicate.clone(),
            self.unique,
        )
    }

    fn alterations(&self, t: &Table, c: &mut Chooser) -> Vec<(ObjectKind, &'static str)> {
        let mut v = self.key_and_predicate_alterations();
        if self.method == IndexMethod::Btree {
            v.extend(self.btree_alterations(t, c));
        }
        if self.method != IndexMethod::Hash {
            v.extend(self.include_alterations(t));
        }
        v
    }

    /// Swapped key columns, a predicate added/removed or moved.
    fn key_and_predicate_alterations(&self) -> Vec<(ObjectKind, &'static str)> {
        let (keys, include, predicate) = (self.keys, self.include, self.predicate);
        let mut v = Vec::new();
        if keys.len() >= 2 {
            let mut k = keys.to_vec();
            k.swap(0, 1);
            v.push((self.with_keys(k), "column-order"));
        }
        let p2 = match predicate {
            Some(_) => None,
            None => Some(Predicate::NotNull(keys[0].col().to_owned())),
        };
        v.push((
            self.with(keys.to_vec(), include.to_vec(), p2, self.unique),
            "predicate",
        ));
        if let Some(Predicate::Gt(col, k)) = predicate {
            v.push((
                self.with(
                    keys.to_vec(),
                    include.to_vec(),
                    Some(Predicate::Gt(col.clone(), k + 1)),
                    self.unique,
                ),
                "predicate",
            ));
        }
        v
    }

    /// What only a btree has: sort order, uniqueness, opclass, expression keys.
    fn btree_alterations(&self, t: &Table, c: &mut Chooser) -> Vec<(ObjectKind, &'static str)> {
        let keys = self.keys;
        let mut v = Vec::new();
        let mut k = keys.to_vec();
        match &mut k[0] {
            IndexKey::Column { order, .. }
            | IndexKey::Lower { order, .. }
            | IndexKey::Plus { order, .. } => {
                *order = next_in(&SortOrder::ALL, *order, c.pick(3));
            }
        }
        v.push((self.with_keys(k), "sort-order"));
        v.push((
            self.with(
                keys.to_vec(),
                self.include.to_vec(),
                self.predicate.clone(),
                !self.unique,
            ),
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
                let mut k = keys.to_vec();
                k[0] = IndexKey::Column {
                    col: col.clone(),
                    pattern_ops: !pattern_ops,
                    collate_c: *collate_c,
                    order: *order,
                };
                v.push((self.with_keys(k), "opclass"));
            }
        }
        if let IndexKey::Plus { col, k: kk, order } = &keys[0] {
            let mut k = keys.to_vec();
            k[0] = IndexKey::Plus {
                col: col.clone(),
                k: kk.saturating_add(1),
                order: *order,
            };
            v.push((self.with_keys(k), "expression"));
        }
        v
    }

    /// An INCLUDE column added (the first unused one) or the INCLUDE list dropped.
    fn include_alterations(&self, t: &Table) -> Vec<(ObjectKind, &'static str)> {
        let include = if self.include.is_empty() {
            let used: BTreeSet<&str> = self.keys.iter().map(IndexKey::col).collect();
            match t.columns.iter().find(|x| !used.contains(x.name.as_str())) {
                Some(col) => vec![col.name.clone()],
                None => return Vec::new(),
            }
        } else {
            Vec::new()
        };
        vec![(
            self.with(
                self.keys.to_vec(),
                include,
                self.predicate.clone(),
                self.unique,
            ),
            "include",
        )]
    }
}

/// The check's expression moved by one (or its columns swapped).
fn check_alterations(expr: &CheckExpr) -> Vec<(ObjectKind, &'static str)> {
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
        CheckExpr::NullImplies { col, other } if col != other => Some(CheckExpr::NullImplies {
            col: other.clone(),
            other: col.clone(),
        }),
        CheckExpr::NullImplies { .. } => None,
    };
    e2.map(|expr| (ObjectKind::Check { expr }, "expression"))
        .into_iter()
        .collect()
}

/// Each of the foreign key's actions, its match type and its deferral changed.
fn fk_alterations(
    fk: impl Fn(FkAction, FkAction, bool, Deferral) -> ObjectKind,
    on_delete: FkAction,
    on_update: FkAction,
    match_full: bool,
    deferral: Deferral,
    c: &mut Chooser,
) -> Vec<(ObjectKind, &'static str)> {
    vec![
        (
            fk(
                next_in(&FkAction::ALL, on_delete, c.pick(4)),
                on_update,
                match_full,
                deferral,
            ),
            "action",
        ),
        (
            fk(
                on_delete,
                next_in(&FkAction::ALL, on_update, c.pick(4)),
                match_full,
                deferral,
            ),
            "action",
        ),
        (fk(on_delete, on_update, !match_full, deferral), "match"),
        (
            fk(
                on_delete,
                on_update,
                match_full,
                next_in(&Deferral::ALL, deferral, c.pick(2)),
            ),
            "deferrability",
        ),
    ]
}

/// NULLS NOT DISTINCT flipped; an INCLUDE column added or the list dropped.
fn unique_alterations(
    t: &Table,
    cols: &[String],
    include: &[String],
    nulls_not_distinct: bool,
) -> Vec<(ObjectKind, &'static str)> {
    let mut v = vec![(
        ObjectKind::Unique {
            cols: cols.to_vec(),
            include: include.to_vec(),
            nulls_not_distinct: !nulls_not_distinct,
        },
        "nulls-not-distinct",
    )];
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
                cols: cols.to_vec(),
                include,
                nulls_not_distinct,
            },
            "include",
        ));
    }
    v
}

/// A predicate added to (or removed from) the exclusion constraint.
fn exclude_alterations(
    form: &ExcludeForm,
    predicate: &Option<Predicate>,
) -> Vec<(ObjectKind, &'static str)> {
    let col = match form {
        ExcludeForm::GistOverlap(c) | ExcludeForm::BtreeEq(c) => c.clone(),
    };
    let p2 = if predicate.is_some() {
        None
    } else {
        Some(Predicate::NotNull(col))
    };
    vec![(
        ObjectKind::Exclude {
            form: form.clone(),
            predicate: p2,
        },
        "predicate",
    )]
}

/// The trigger's timing, row/statement level, events or function changed.
fn trigger_alterations(
    s: &Schema,
    tr: impl Fn(Timing, Events, bool, String) -> ObjectKind,
    timing: Timing,
    events: Events,
    row: bool,
    function: &String,
) -> Vec<(ObjectKind, &'static str)> {
    let flip = if timing == Timing::Before {
        Timing::After
    } else {
        Timing::Before
    };
    let mut v = vec![
        (tr(flip, events, row, function.clone()), "timing"),
        (tr(timing, events, !row, function.clone()), "for-each"),
    ];
    let ev = Events {
        insert: !events.insert,
        update: events.update,
        delete: events.delete,
    };
    if ev.insert || ev.update || ev.delete {
        v.push((tr(timing, ev, row, function.clone()), "events"));
    }
    if let Some(f2) = s.functions.iter().find(|f| *f != function) {
        v.push((tr(timing, events, row, f2.clone()), "function"));
    }
    v
}

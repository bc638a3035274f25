//! Decoding mutations of a schema (drops, additions, alterations, renames, ...)
//! from a choice sequence.

use super::*;

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
pub(super) struct Candidates<'a> {
    all: Vec<(&'a Table, &'a Object)>,
    droppable: Vec<(&'a Table, &'a Object)>,
    fks: Vec<(&'a Table, &'a Object, Deferral)>,
    trgs: Vec<(&'a Table, &'a Object, bool)>,
    alters: Vec<(&'a Table, Object, &'static str)>,
}

pub(super) fn candidates<'a>(s: &'a Schema, c: &mut Chooser) -> Candidates<'a> {
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

pub(super) fn decode_kind(
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
            crate::drift::mutation::apply(&state, &m),
            crate::drift::mutation::mutation_ddl(&state, &m),
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
        if let Ok(next) = crate::drift::mutation::apply(&state, &m) {
            if crate::drift::mutation::mutation_ddl(&state, &m).is_ok() {
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

pub(super) fn add_mutation(s: &Schema, c: &mut Chooser, names: &mut Namer) -> Mutation {
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

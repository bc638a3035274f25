//! The harness's own catalog snapshot of a database: every user-visible object
//! keyed by an OID-free identity, with its definition, owner and ACL, plus a
//! digest of every user table's rows. Two databases (or one database at two
//! moments) with equal snapshots are the same as far as an install or rollback
//! is concerned. Computed from pg_catalog directly, never through the kernel.

use crate::case::CaseError;
use crate::pg::PgResultExt;
use postgres::Client;
use std::collections::BTreeMap;

/// Identity -> definition.
pub type Snapshot = BTreeMap<String, String>;

/// Schemas that are never part of a snapshot.
const SYSTEM_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
     AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'";

fn queries() -> Vec<(&'static str, String)> {
    let s = SYSTEM_SCHEMAS;
    vec![
        (
            "schema",
            format!(
                "SELECT n.nspname::text, concat_ws(' | ', pg_get_userbyid(n.nspowner), n.nspacl::text, \
                 obj_description(n.oid, 'pg_namespace')) FROM pg_namespace n WHERE {s}"
            ),
        ),
        (
            "relation",
            format!(
                "SELECT format('%I.%I', n.nspname, c.relname), concat_ws(' | ', c.relkind, c.relpersistence, \
                 pg_get_userbyid(c.relowner), c.relacl::text, c.reloptions::text, c.relrowsecurity, \
                 c.relforcerowsecurity, c.relreplident, obj_description(c.oid, 'pg_class'), \
                 CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END) \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE {s} AND c.relkind NOT IN ('i', 'I', 't')"
            ),
        ),
        (
            "column",
            format!(
                "SELECT format('%I.%I.%I', n.nspname, c.relname, a.attname), concat_ws(' | ', a.attnum, \
                 format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated, \
                 pg_get_expr(d.adbin, d.adrelid), a.attcollation::regcollation::text, a.attacl::text, \
                 col_description(c.oid, a.attnum)) \
                 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                 WHERE {s} AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind NOT IN ('t')"
            ),
        ),
        (
            "constraint",
            format!(
                "SELECT format('%I.%I/%I', n.nspname, coalesce(c.relname, t.typname), co.conname), \
                 concat_ws(' | ', co.contype, pg_get_constraintdef(co.oid), co.condeferrable, co.condeferred, \
                 co.convalidated) FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace \
                 LEFT JOIN pg_class c ON c.oid = co.conrelid LEFT JOIN pg_type t ON t.oid = co.contypid \
                 WHERE {s}"
            ),
        ),
        (
            "index",
            format!(
                "SELECT format('%I.%I', n.nspname, c.relname), pg_get_indexdef(c.oid) FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {s} AND c.relkind IN ('i', 'I')"
            ),
        ),
        (
            "trigger",
            format!(
                "SELECT format('%I.%I/%I', n.nspname, c.relname, tg.tgname), concat_ws(' | ', \
                 pg_get_triggerdef(tg.oid), tg.tgenabled) FROM pg_trigger tg \
                 JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE {s} AND NOT tg.tgisinternal"
            ),
        ),
        (
            "function",
            format!(
                "SELECT p.oid::regprocedure::text, concat_ws(' | ', pg_get_userbyid(p.proowner), p.proacl::text, \
                 md5(CASE WHEN p.prokind = 'a' THEN p.proname ELSE pg_get_functiondef(p.oid) END), \
                 obj_description(p.oid, 'pg_proc')) \
                 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {s}"
            ),
        ),
        (
            "type",
            format!(
                "SELECT format('%I.%I', n.nspname, t.typname), concat_ws(' | ', t.typtype, \
                 pg_get_userbyid(t.typowner), t.typacl::text, \
                 (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e \
                   WHERE e.enumtypid = t.oid)) \
                 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
                 WHERE {s} AND t.typtype IN ('e', 'd', 'r', 'm') \
                    OR ({s} AND t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class c \
                        WHERE c.oid = t.typrelid AND c.relkind = 'c'))"
            ),
        ),
        (
            "sequence",
            format!(
                "SELECT format('%I.%I', n.nspname, c.relname), concat_ws(' | ', format_type(q.seqtypid, NULL), \
                 q.seqstart, q.seqincrement, q.seqmax, q.seqmin, q.seqcache, q.seqcycle) \
                 FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {s}"
            ),
        ),
        (
            "policy",
            format!(
                "SELECT format('%I.%I/%I', n.nspname, c.relname, po.polname), concat_ws(' | ', po.polcmd, \
                 po.polpermissive, pg_get_expr(po.polqual, po.polrelid), pg_get_expr(po.polwithcheck, po.polrelid)) \
                 FROM pg_policy po JOIN pg_class c ON c.oid = po.polrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {s}"
            ),
        ),
        (
            "rule",
            format!(
                "SELECT format('%I.%I/%I', r.schemaname, r.tablename, r.rulename), r.definition \
                 FROM pg_rules r JOIN pg_namespace n ON n.nspname = r.schemaname WHERE {s}"
            ),
        ),
        (
            "extension",
            "SELECT e.extname::text, e.extversion FROM pg_extension e".to_owned(),
        ),
        (
            "event_trigger",
            "SELECT e.evtname::text, concat_ws(' | ', e.evtevent, e.evtenabled, e.evtfoid::regproc::text) \
             FROM pg_event_trigger e"
                .to_owned(),
        ),
        (
            "default_acl",
            "SELECT concat_ws('/', pg_get_userbyid(d.defaclrole), d.defaclnamespace::regnamespace::text, \
             d.defaclobjtype), d.defaclacl::text FROM pg_default_acl d"
                .to_owned(),
        ),
    ]
}

/// Tables whose rows the snapshot does not digest: the harness's own test clock.
const UNDIGESTED: [&str; 1] = ["public.kernel_test_clock"];

/// Take the snapshot of the connected database.
pub fn take(client: &mut Client) -> Result<Snapshot, CaseError> {
    let mut snap = Snapshot::new();
    for (kind, sql) in queries() {
        for row in client.query(sql.as_str(), &[]).env()? {
            let id: String = row.get(0);
            let def: Option<String> = row.get(1);
            snap.insert(format!("{kind} {id}"), def.unwrap_or_default());
        }
    }
    let tables = client
        .query(
            &format!(
                "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE {SYSTEM_SCHEMAS} AND c.relkind IN ('r', 'p') ORDER BY 1"
            ),
            &[],
        )
        .env()?;
    for t in tables {
        let name: String = t.get(0);
        if UNDIGESTED.contains(&name.as_str()) {
            continue;
        }
        let sql = format!(
            "SELECT count(*)::text || ' rows, md5 ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '-') \
             FROM {name} t"
        );
        let row = client.query_one(sql.as_str(), &[]).env()?;
        snap.insert(format!("data {name}"), row.get(0));
    }
    Ok(snap)
}

/// The differences between two snapshots, one line per identity
/// (`- id: def` only in `a`, `+ id: def` only in `b`, `~ id: a => b` changed).
pub fn diff(a: &Snapshot, b: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in a {
        match b.get(k) {
            None => out.push(format!("- {k}: {v}")),
            Some(w) if w != v => out.push(format!("~ {k}: {v} => {w}")),
            Some(_) => {}
        }
    }
    for (k, v) in b {
        if !a.contains_key(k) {
            out.push(format!("+ {k}: {v}"));
        }
    }
    out
}

//! The harness's own catalog-and-data snapshot of a database, computed from
//! pg_catalog directly, never through the kernel.
//!
//! Used wherever an invariant says "exactly as before": install dry-runs,
//! failed installs, rollbacks, uninstalls, refused writes. Every user-visible
//! object is keyed by an OID-free identity with its definition, owner, ACL
//! and comment: schemas, relations (with options, RLS, views' definitions),
//! columns (with collation), constraints, indexes, triggers, functions
//! (definition hash), types and enum labels, sequences' parameters, policies,
//! rules, extensions, event triggers and default ACLs; optionally a digest of
//! every user table's rows.

use postgres::Client;
use std::collections::BTreeMap;

/// Identity -> definition.
pub type Snapshot = BTreeMap<String, String>;

/// Schemas that are never part of a snapshot.
const SYSTEM_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
     AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'";

#[allow(
    clippy::too_many_lines,
    reason = "a flat table of catalog queries, one entry per object kind"
)]
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

/// Take a snapshot of the connected database. With `with_data`, each user
/// table's rows are included as a count and an order-independent digest.
///
/// # Errors
/// The first catalog or data query that fails.
pub fn take(client: &mut Client, with_data: bool) -> Result<Snapshot, postgres::Error> {
    let mut snap = Snapshot::new();
    for (kind, sql) in queries() {
        for row in client.query(sql.as_str(), &[])? {
            let id: String = row.get(0);
            let def: Option<String> = row.get(1);
            snap.insert(format!("{kind} {id}"), def.unwrap_or_default());
        }
    }
    if !with_data {
        return Ok(snap);
    }
    let tables = client.query(
        &format!(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE {SYSTEM_SCHEMAS} AND c.relkind IN ('r', 'p') ORDER BY 1"
        ),
        &[],
    )?;
    for t in tables {
        let name: String = t.get(0);
        if UNDIGESTED.contains(&name.as_str()) {
            continue;
        }
        let sql = format!(
            "SELECT count(*)::text || ' rows, md5 ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '-') \
             FROM {name} t"
        );
        let row = client.query_one(sql.as_str(), &[])?;
        snap.insert(format!("data {name}"), row.get(0));
    }
    Ok(snap)
}

/// True when the snapshot entry `key` is the schema `schema` or an object
/// inside it (identities are `kind schema.name…`, quoted as `%I` quotes).
pub fn in_schema(key: &str, schema: &str) -> bool {
    let Some((_, id)) = key.split_once(' ') else {
        return false;
    };
    let quoted = if schema
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        schema.to_owned()
    } else {
        crate::pg::quote_ident(schema)
    };
    id == quoted
        || id
            .strip_prefix(quoted.as_str())
            .is_some_and(|rest| rest.starts_with('.'))
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

/// `after` must equal `before`; else a failure `message`, expecting
/// `expected`, showing at most `max` lines of [`describe_diff`].
pub fn expect_same(
    before: &Snapshot,
    after: &Snapshot,
    message: impl Into<String>,
    expected: &str,
    max: usize,
) -> crate::case::CaseResult {
    if after == before {
        return Ok(());
    }
    Err(crate::case::CaseError::mismatch(
        message,
        expected,
        describe_diff(before, after, max),
    ))
}

/// A short human rendering of [`diff`]: at most `max` lines, then a count
/// of the rest.
pub fn describe_diff(before: &Snapshot, after: &Snapshot, max: usize) -> String {
    let lines = diff(before, after);
    let mut out = String::new();
    for l in lines.iter().take(max) {
        out.push_str(l);
        out.push('\n');
    }
    if lines.len() > max {
        out.push_str(&format!("… {} more\n", lines.len() - max));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::in_schema;

    #[test]
    fn in_schema_matches_the_schema_and_its_objects_only() {
        for k in [
            "schema pgc_t",
            "relation pgc_t.x",
            "column pgc_t.x.y",
            "constraint pgc_t.x/k",
            "function pgc_t.f(integer)",
            "data pgc_t.x",
        ] {
            assert!(in_schema(k, "pgc_t"), "{k}");
        }
        for k in [
            "schema pgc_t2",
            "relation pgc_t2.x",
            "relation public.pgc_t",
            "function public.f(pgc_t.x)",
            "data public.x",
            "schema",
        ] {
            assert!(!in_schema(k, "pgc_t"), "{k}");
        }
        assert!(in_schema("relation \"My S\".x", "My S"));
    }
}

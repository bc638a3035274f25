//! A catalog-and-data snapshot of a database, computed by the harness.
//!
//! Used wherever an invariant says "exactly as before": install dry-runs,
//! failed installs, rollbacks, uninstalls. It covers every user schema:
//! schemas, relations and columns, constraints, indexes, triggers, functions
//! (definition hash), owners, ACLs, extensions, and a content hash per table.

use postgres::Client;
use std::collections::BTreeSet;

const OBJECTS: &str = r#"
WITH ns AS (
  SELECT oid, nspname FROM pg_namespace
   WHERE nspname NOT IN ('pg_catalog','information_schema','pg_toast')
     AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'
)
SELECT 'schema ' || n.nspname || ' owner=' || pg_get_userbyid(s.nspowner) || ' acl=' || coalesce(s.nspacl::text, '-')
  FROM ns n JOIN pg_namespace s ON s.oid = n.oid
UNION ALL
SELECT 'rel ' || n.nspname || '.' || c.relname || ' kind=' || c.relkind::text || ' owner=' || pg_get_userbyid(c.relowner)
       || ' acl=' || coalesce(c.relacl::text, '-') || ' rls=' || c.relrowsecurity
  FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
UNION ALL
SELECT 'col ' || n.nspname || '.' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || ' notnull=' || a.attnotnull || ' ident=' || a.attidentity::text || ' gen=' || a.attgenerated::text
       || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '-') || ' acl=' || coalesce(a.attacl::text, '-')
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN ns n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'con ' || n.nspname || '.' || coalesce(c.relname, '-') || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
       || ' deferrable=' || k.condeferrable || ' deferred=' || k.condeferred
  FROM pg_constraint k JOIN ns n ON n.oid = k.connamespace LEFT JOIN pg_class c ON c.oid = k.conrelid
UNION ALL
SELECT 'idx ' || pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN ns n ON n.oid = c.relnamespace
UNION ALL
SELECT 'trg ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns n ON n.oid = c.relnamespace
 WHERE NOT t.tgisinternal
UNION ALL
SELECT 'fn ' || p.oid::regprocedure::text || ' owner=' || pg_get_userbyid(p.proowner)
       || ' acl=' || coalesce(p.proacl::text, '-')
       || ' def=' || md5(CASE WHEN p.prokind IN ('a','w') THEN p.prosrc ELSE pg_get_functiondef(p.oid) END)
  FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
UNION ALL
SELECT 'type ' || n.nspname || '.' || t.typname || ' ' || t.typtype::text || ' owner=' || pg_get_userbyid(t.typowner)
  FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
 WHERE t.typtype IN ('d','e','c','r','m') AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid AND c.relkind <> 'c')
UNION ALL
SELECT 'ext ' || e.extname || ' ' || e.extversion FROM pg_extension e
UNION ALL
SELECT 'defacl ' || d.defaclrole::regrole::text || ' ' || coalesce(d.defaclnamespace::regnamespace::text, '-') || ' '
       || d.defaclobjtype::text || ' ' || d.defaclacl::text
  FROM pg_default_acl d
UNION ALL
SELECT 'policy ' || n.nspname || '.' || c.relname || ' ' || p.polname || ' ' || p.polcmd::text
       || ' ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-')
  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN ns n ON n.oid = c.relnamespace
"#;

const TABLES: &str = r#"
SELECT format('%I.%I', n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema','pg_toast')
   AND n.nspname NOT LIKE 'pg\_temp\_%'
"#;

/// Take a snapshot of the connected database. With `with_data`, each table's
/// content (as an order-independent hash of its rows' text) is included.
pub fn take(client: &mut Client, with_data: bool) -> Result<BTreeSet<String>, postgres::Error> {
    let mut set: BTreeSet<String> = client
        .query(OBJECTS, &[])?
        .into_iter()
        .map(|r| r.get::<_, String>(0))
        .collect();
    if with_data {
        let tables: Vec<String> = client
            .query(TABLES, &[])?
            .into_iter()
            .map(|r| r.get(0))
            .collect();
        for t in tables {
            let sql = format!(
                "SELECT count(*)::text || ':' || coalesce(md5(string_agg(x.r, E'\\n' ORDER BY x.r)), '-') \
                 FROM (SELECT t::text AS r FROM {t} t) x"
            );
            let h: String = client.query_one(&sql, &[])?.get(0);
            set.insert(format!("data {t} {h}"));
        }
    }
    Ok(set)
}

/// Lines only in `before` (removed) and only in `after` (added).
pub fn diff(before: &BTreeSet<String>, after: &BTreeSet<String>) -> (Vec<String>, Vec<String>) {
    (
        before.difference(after).cloned().collect(),
        after.difference(before).cloned().collect(),
    )
}

/// A short human rendering of a snapshot difference (at most `max` lines each way).
pub fn describe_diff(before: &BTreeSet<String>, after: &BTreeSet<String>, max: usize) -> String {
    let (gone, new) = diff(before, after);
    let mut out = String::new();
    for l in gone.iter().take(max) {
        out.push_str(&format!("- {l}\n"));
    }
    if gone.len() > max {
        out.push_str(&format!("- … {} more\n", gone.len() - max));
    }
    for l in new.iter().take(max) {
        out.push_str(&format!("+ {l}\n"));
    }
    if new.len() > max {
        out.push_str(&format!("+ … {} more\n", new.len() - max));
    }
    out
}

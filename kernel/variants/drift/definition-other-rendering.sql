-- variant: definition-other-rendering
-- choice: section 2, Canonical form: the `definition` text is the kernel's choice (and a TABLE's definition text is not fixed at all); only definition_sha256 = sha256(definition), identities and the TABLE set hash are exact
-- why: a kernel that renders children as "kind|flags|pretty definition" (fields in another order, pretty-printed, no name prefix) and a TABLE as a summary line plus its child lines is as correct as the reference's rendering

CREATE OR REPLACE FUNCTION qt001_cp.realized_authority_rows(p_schemas text[])
RETURNS TABLE (object_identity text, parent_object_identity text, object_type text,
               definition_sha256 text, definition text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
SET "DateStyle" = 'ISO, YMD'
SET "TimeZone" = 'UTC'
AS $$
    WITH tabs AS MATERIALIZED (
        SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS ident
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY (p_schemas)
           AND c.relkind IN ('r', 'p')
    ), kids AS MATERIALIZED (
        SELECT t.ident || '.' || quote_ident(con.conname) AS oi, t.ident AS parent,
               'CONSTRAINT'::text AS ot,
               'constraint|type=' || con.contype::text
                 || '|validated=' || con.convalidated::text
                 || '|deferrable=' || con.condeferrable::text
                 || '|deferred=' || con.condeferred::text
                 || E'\n' || pg_get_constraintdef(con.oid, true) AS def
          FROM tabs t
          JOIN pg_constraint con ON con.conrelid = t.oid
         WHERE con.contype <> 't'
        UNION ALL
        SELECT t.ident || '.' || quote_ident(ic.relname), t.ident, 'INDEX',
               'index|valid=' || i.indisvalid::text || '|ready=' || i.indisready::text
                 || E'\n' || pg_get_indexdef(i.indexrelid, 0, true)
          FROM tabs t
          JOIN pg_index i ON i.indrelid = t.oid
          JOIN pg_class ic ON ic.oid = i.indexrelid
        UNION ALL
        SELECT t.ident || '.' || quote_ident(tg.tgname), t.ident, 'TRIGGER',
               'trigger|function-md5=' || md5(pg_get_functiondef(tg.tgfoid))
                 || '|enabled=' || tg.tgenabled::text
                 || E'\n' || pg_get_triggerdef(tg.oid, true)
          FROM tabs t
          JOIN pg_trigger tg ON tg.tgrelid = t.oid
         WHERE NOT tg.tgisinternal
    ), hashed AS MATERIALIZED (
        SELECT k.oi, k.parent, k.ot, k.def,
               encode(sha256(convert_to(k.def, 'UTF8')), 'hex') AS h
          FROM kids k
    ), sets AS (
        SELECT h.parent, count(*) AS n,
               string_agg(h.ot || E'\t' || octet_length(h.oi)::text || ':' || h.oi || E'\t' || h.h || E'\n', ''
                          ORDER BY convert_to(h.ot, 'UTF8'), convert_to(h.oi, 'UTF8')) AS lines
          FROM hashed h
         GROUP BY h.parent
    ), all_rows AS (
        SELECT h.oi, h.parent, h.ot, h.h, h.def FROM hashed h
        UNION ALL
        SELECT t.ident, NULL::text, 'TABLE',
               encode(sha256(convert_to(coalesce(s.lines, ''), 'UTF8')), 'hex'),
               'table ' || t.ident || ' with ' || coalesce(s.n, 0)::text || E' children\n' || coalesce(s.lines, '')
          FROM tabs t
          LEFT JOIN sets s ON s.parent = t.ident
    )
    SELECT a.oi, a.parent, a.ot, a.h, a.def
      FROM all_rows a
$$;

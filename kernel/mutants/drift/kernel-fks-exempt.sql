-- mutant: kernel-fks-exempt
-- kills: DRIFT-DEFERRED-FK
-- why: the realized set leaves out the foreign keys of the kernel's own schema qt001_cp (its deferred constraint groups), so dropping one after `script seal-kernel` goes unnoticed (seed 002 step 8/10)

CREATE OR REPLACE FUNCTION qt001_cp.realized_authority_rows(p_schemas text[])
RETURNS TABLE (object_identity text, parent_object_identity text, object_type text,
               definition_sha256 text, definition text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH tabs AS MATERIALIZED (
        SELECT c.oid, n.nspname, format('%I.%I', n.nspname, c.relname) AS ident
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY (p_schemas)
           AND c.relkind IN ('r', 'p')
    ), kids AS MATERIALIZED (
        SELECT format('%s.%I', t.ident, con.conname) AS oi, t.ident AS parent,
               'CONSTRAINT'::text AS ot,
               format('CONSTRAINT %I ON %s %s', con.conname, t.ident,
                      pg_get_constraintdef(con.oid, false)) AS def
          FROM tabs t
          JOIN pg_constraint con ON con.conrelid = t.oid
         WHERE con.contype <> 't'
           -- MUTANT: the kernel "trusts" its own schema's foreign keys
           AND NOT (con.contype = 'f' AND t.nspname = 'qt001_cp')
        UNION ALL
        SELECT format('%s.%I', t.ident, ic.relname), t.ident, 'INDEX',
               pg_get_indexdef(i.indexrelid, 0, false)
                 || CASE WHEN i.indisvalid THEN '' ELSE ' /* INVALID */' END
          FROM tabs t
          JOIN pg_index i ON i.indrelid = t.oid
          JOIN pg_class ic ON ic.oid = i.indexrelid
        UNION ALL
        SELECT format('%s.%I', t.ident, tg.tgname), t.ident, 'TRIGGER',
               pg_get_triggerdef(tg.oid, false)
                 || E'\n-- enabled ' || tg.tgenabled::text
                 || E'\n-- function sha256 '
                 || encode(sha256(convert_to(pg_get_functiondef(tg.tgfoid), 'UTF8')), 'hex')
          FROM tabs t
          JOIN pg_trigger tg ON tg.tgrelid = t.oid
         WHERE NOT tg.tgisinternal
    ), hashed AS MATERIALIZED (
        SELECT k.oi, k.parent, k.ot, k.def,
               encode(sha256(convert_to(k.def, 'UTF8')), 'hex') AS h
          FROM kids k
    ), sets AS (
        SELECT h.parent,
               string_agg(format(E'%s\t%s:%s\t%s\n', h.ot, octet_length(h.oi), h.oi, h.h), ''
                          ORDER BY h.ot COLLATE "C", h.oi COLLATE "C") AS def
          FROM hashed h
         GROUP BY h.parent
    ), all_rows AS (
        SELECT h.oi, h.parent, h.ot, h.h, h.def FROM hashed h
        UNION ALL
        SELECT t.ident, NULL::text, 'TABLE', encode(sha256(convert_to(coalesce(s.def, ''), 'UTF8')), 'hex'),
               coalesce(s.def, '')
          FROM tabs t
          LEFT JOIN sets s ON s.parent = t.ident
    )
    SELECT a.oi, a.parent, a.ot, a.h, a.def
      FROM all_rows a
     ORDER BY a.ot COLLATE "C", a.oi COLLATE "C"
$$;

-- 220_drift_snapshot.sql — the realized authority snapshot (seed 002, canonical form).
--
-- Objects: every table (relkind r/p) of the given schemas, and as its children
-- every pg_constraint row (PK, UNIQUE, FK, CHECK, EXCLUDE; constraint triggers
-- are covered by their TRIGGER row), every pg_index row (constraint-backing,
-- plain, partial, expression — all of them) and every non-internal pg_trigger row.
--
-- Identity (independent of OIDs and creation order): quote_ident-quoted names,
--   TABLE       schema.table
--   CONSTRAINT  schema.table.constraint     (names are unique per table)
--   INDEX       schema.table.index          (names are unique per schema)
--   TRIGGER     schema.table.trigger        (names are unique per table)
-- (object_type, object_identity) is unique; a PK constraint and its index share
-- an identity and differ by type.
--
-- Definition (hashed with sha256 over UTF-8):
--   CONSTRAINT  'CONSTRAINT <name> ON <table> ' || pg_get_constraintdef(oid)
--   INDEX       pg_get_indexdef(oid) (+ ' /* INVALID */' when not indisvalid)
--   TRIGGER     pg_get_triggerdef(oid) || '\n-- enabled <tgenabled>'
--               || '\n-- function sha256 <sha256(pg_get_functiondef(tgfoid))>'
--   TABLE       the canonical child set: one line per child, ordered by
--               (object_type, object_identity) in byte order (COLLATE "C"):
--               <object_type> TAB <octet_length(identity)> ':' <identity> TAB <sha256> LF
--               its sha256 is the TABLE's set hash (sha256 of '' when it has no children).
-- Names are part of both identity and definition: a rename is a missing + an
-- extra object, while dropping and recreating an identical object yields the
-- identical row. The functions run with search_path = pg_catalog, pg_temp, so
-- every non-catalog name in a definition is schema-qualified whatever the
-- caller's search_path is.
--
-- SQLSTATEs: realized_authority_snapshot raises 22023 on a NULL/empty array or a
-- NULL element, 3F000 on a schema that does not exist.

-- Internal: the snapshot rows of the schemas that exist among p_schemas (no
-- validation; verify uses it so a dropped schema reads as all-missing).
CREATE FUNCTION qt001_cp.realized_authority_rows(p_schemas text[])
RETURNS TABLE (object_identity text, parent_object_identity text, object_type text,
               definition_sha256 text, definition text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH tabs AS MATERIALIZED (
        SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS ident
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

CREATE FUNCTION qt001_cp.realized_authority_snapshot(p_schemas text[])
RETURNS TABLE (object_identity text, parent_object_identity text, object_type text,
               definition_sha256 text, definition text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_missing text;
BEGIN
    IF p_schemas IS NULL OR cardinality(p_schemas) = 0 OR array_position(p_schemas, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'realized_authority_snapshot needs a non-empty array of schema names without NULLs'
            USING ERRCODE = '22023';
    END IF;
    SELECT s INTO v_missing
      FROM unnest(p_schemas) s
     WHERE NOT EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = s)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'schema % does not exist', quote_ident(v_missing) USING ERRCODE = '3F000';
    END IF;
    RETURN QUERY SELECT * FROM qt001_cp.realized_authority_rows(p_schemas);
END
$$;

REVOKE ALL ON FUNCTION qt001_cp.realized_authority_rows(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.realized_authority_snapshot(text[]) FROM PUBLIC;

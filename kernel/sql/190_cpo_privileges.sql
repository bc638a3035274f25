-- 190_cpo_privileges.sql — ownership and grants of every cpo object.
--
-- cpo_owner owns the schema, tables, sequences and functions (so the SECURITY
-- DEFINER aperture writes as the owner, which the guard requires). PUBLIC gets
-- nothing. cpo_writer: EXECUTE cpo.commit_action only. cpo_reader: SELECT on
-- every table and EXECUTE on the read-only functions. No role but the owner
-- holds INSERT/UPDATE/DELETE/TRUNCATE on a canonical table (proof 7).

DO $own$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.oid::regclass AS rel, c.relkind
               FROM pg_class c
              WHERE c.relnamespace = 'cpo'::regnamespace AND c.relkind IN ('r', 'p', 'S')
    LOOP
        IF r.relkind = 'S' THEN
            -- identity sequences follow their table
            CONTINUE;
        END IF;
        EXECUTE format('ALTER TABLE %s OWNER TO cpo_owner', r.rel);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p WHERE p.pronamespace = 'cpo'::regnamespace LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO cpo_owner', r.fn);
    END LOOP;
END
$own$;

REVOKE ALL ON ALL TABLES IN SCHEMA cpo FROM PUBLIC, cpo_writer, cpo_reader;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA cpo FROM PUBLIC, cpo_writer, cpo_reader;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA cpo FROM PUBLIC, cpo_writer, cpo_reader;

GRANT EXECUTE ON FUNCTION cpo.commit_action(text, jsonb, jsonb, uuid, uuid) TO cpo_writer;

GRANT SELECT ON ALL TABLES IN SCHEMA cpo TO cpo_reader;
GRANT EXECUTE ON FUNCTION cpo.get_canonical_artifact_types() TO cpo_reader;
GRANT EXECUTE ON FUNCTION cpo.pack_row_order_expr(text, text) TO cpo_reader;
GRANT EXECUTE ON FUNCTION cpo.export_evidence_pack(uuid) TO cpo_reader;
GRANT EXECUTE ON FUNCTION cpo.verify_reconstruction(uuid, text, text) TO cpo_reader;
GRANT EXECUTE ON FUNCTION cpo.verify_heads_equivalence(uuid, text, text) TO cpo_reader;

-- mutant: verify-count-only
-- kills: DUR-TAMPER, DUR-WIRING
-- why: equivalence by row counts instead of sha256 multisets: an edited row goes unnoticed (seed 000, "NOT just row counts")
CREATE OR REPLACE FUNCTION cpo.verify_reconstruction(p_agent_id uuid, p_source_schema text, p_target_schema text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r       record;
    v_sc    bigint;
    v_tc    bigint;
    v_ok    boolean := true;
    v_types jsonb := '{}'::jsonb;
BEGIN
    FOR r IN SELECT g.artifact_type, c.relname FROM cpo.get_canonical_artifact_types() g
               JOIN pg_class c ON c.oid = g.table_regclass LOOP
        EXECUTE format('SELECT count(*) FROM %I.%I WHERE agent_id = $1', p_source_schema, r.relname) INTO v_sc USING p_agent_id;
        EXECUTE format('SELECT count(*) FROM %I.%I WHERE agent_id = $1', p_target_schema, r.relname) INTO v_tc USING p_agent_id;
        v_ok := v_ok AND v_sc = v_tc;
        v_types := v_types || jsonb_build_object(r.artifact_type, jsonb_build_object(
            'source_count', v_sc, 'target_count', v_tc, 'missing', '[]'::jsonb, 'extra', '[]'::jsonb));
    END LOOP;
    RETURN jsonb_build_object('ok', v_ok, 'types', v_types);
END
$$;

-- mutant: verify-one-directional
-- kills: DUR-TAMPER
-- why: only source digests absent from the target are checked (set containment): a duplicated or injected row passes
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
    v_miss  jsonb;
    v_ok    boolean := true;
    v_types jsonb := '{}'::jsonb;
BEGIN
    FOR r IN SELECT g.artifact_type, c.relname FROM cpo.get_canonical_artifact_types() g
               JOIN pg_class c ON c.oid = g.table_regclass LOOP
        EXECUTE format(
            'WITH s AS (SELECT encode(sha256(convert_to(content::text, ''UTF8'')), ''hex'') d FROM %1$I.%3$I WHERE agent_id = $1), '
            '     x AS (SELECT encode(sha256(convert_to(content::text, ''UTF8'')), ''hex'') d FROM %2$I.%3$I WHERE agent_id = $1) '
            'SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM x), '
            '       coalesce((SELECT jsonb_agg(s.d ORDER BY s.d) FROM s WHERE s.d NOT IN (SELECT d FROM x)), ''[]''::jsonb)',
            p_source_schema, p_target_schema, r.relname)
        INTO v_sc, v_tc, v_miss USING p_agent_id;
        v_ok := v_ok AND jsonb_array_length(v_miss) = 0;
        v_types := v_types || jsonb_build_object(r.artifact_type, jsonb_build_object(
            'source_count', v_sc, 'target_count', v_tc, 'missing', v_miss, 'extra', '[]'::jsonb));
    END LOOP;
    RETURN jsonb_build_object('ok', v_ok, 'types', v_types);
END
$$;

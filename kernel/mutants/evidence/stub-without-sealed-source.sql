-- mutant: stub-without-sealed-source
-- kills: EVID-NO-SOURCE-NO-CHANGE, EVID-FAILCLOSED
-- why: the stub only checks that the pin matches the live definition; the evidence is never fetched, so a body is changed with no restorable source (seed 001: no-artifact => no body change)
CREATE OR REPLACE FUNCTION qt001_cp.stub_fail_closed(
    p_object regprocedure, p_pinned_sha256 text, p_evidence_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
    e qt001_cp.evidence_registry%ROWTYPE;
    v_body bytea;
    v_live text;
    v_stub_sql text;
    v_stub_def text;
    v_stub_sha text;
    v_stub_ev uuid;
BEGIN
    PERFORM qt001_cp.require_sha256(p_pinned_sha256, 'the pinned sha256');
    SELECT * INTO t FROM qt001_cp.vet_routine(p_object, true);
    PERFORM pg_advisory_xact_lock(p_object::oid::bigint);

    v_live := qt001_cp.live_definition(p_object);
    IF qt001_cp.sha256_hex(convert_to(v_live, 'UTF8')) <> p_pinned_sha256 THEN
        RAISE EXCEPTION 'stub_fail_closed: the live definition of % does not match the pinned %',
            p_object, p_pinned_sha256 USING ERRCODE = '22000';
    END IF;

    v_stub_sql := format(
        E'CREATE OR REPLACE %s %I.%I(%s)%s\n LANGUAGE plpgsql\n VOLATILE SECURITY INVOKER\n SET search_path TO pg_catalog, pg_temp\nAS %L',
        CASE t.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
        t.nspname, t.proname,
        pg_get_function_arguments(p_object),
        CASE t.prokind WHEN 'p' THEN '' ELSE E'\n RETURNS ' || pg_get_function_result(p_object) END,
        format('BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L, HINT = %L; END',
               'P0001',
               format('%s is stubbed fail-closed (STUB_FAIL_CLOSED)', p_object),
               format('restore it with qt001_cp.restore_function from evidence %s', p_evidence_id)));
    EXECUTE v_stub_sql;

    v_stub_def := qt001_cp.live_definition(p_object);
    v_stub_sha := qt001_cp.sha256_hex(convert_to(v_stub_def, 'UTF8'));
    IF v_stub_sha = p_pinned_sha256 THEN
        RAISE EXCEPTION 'stub_fail_closed: the body of % did not change', p_object USING ERRCODE = 'P0004';
    END IF;
    v_stub_ev := NULL;

    RETURN jsonb_build_object(
        'ok', true, 'action', 'STUB_FAIL_CLOSED', 'object', p_object::text,
        'evidence_id', p_evidence_id, 'pinned_sha256', p_pinned_sha256,
        'stub_sha256', v_stub_sha, 'stub_evidence_id', v_stub_ev);
END
$$;

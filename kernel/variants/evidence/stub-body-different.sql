-- variant: stub-body-different
-- choice: section 3, stub_fail_closed: the stub's text (any body that raises), whether the stub is itself sealed, and the result's keys beyond ok are the kernel's choice
-- why: a stub in LANGUAGE plpgsql with its own message and SQLSTATE, SECURITY DEFINER left as it was, and a result of different shape is as correct as the reference's
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
    v_stub_sha text;
BEGIN
    PERFORM qt001_cp.require_sha256(p_pinned_sha256, 'the pinned sha256');
    SELECT * INTO t FROM qt001_cp.vet_routine(p_object, true);
    PERFORM pg_advisory_xact_lock(p_object::oid::bigint);

    v_body := qt001_cp.fetch_verified_body(p_evidence_id);
    SELECT * INTO e FROM qt001_cp.evidence_registry r WHERE r.evidence_id = p_evidence_id;
    IF e.artifact_sha256 <> p_pinned_sha256 OR qt001_cp.sha256_hex(v_body) <> p_pinned_sha256 THEN
        RAISE EXCEPTION 'evidence does not hold the pin' USING ERRCODE = '22000';
    END IF;
    v_live := qt001_cp.live_definition(p_object);
    IF qt001_cp.sha256_hex(convert_to(v_live, 'UTF8')) <> p_pinned_sha256
       OR convert_from(v_body, 'UTF8') <> v_live THEN
        RAISE EXCEPTION 'live definition does not match the pin' USING ERRCODE = '22000';
    END IF;

    EXECUTE format(
        E'CREATE OR REPLACE %s %I.%I(%s)%s LANGUAGE plpgsql AS %L',
        CASE t.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
        t.nspname, t.proname,
        pg_get_function_arguments(p_object),
        CASE t.prokind WHEN 'p' THEN '' ELSE ' RETURNS ' || pg_get_function_result(p_object) END,
        E'BEGIN\n  RAISE EXCEPTION ''quarantined: body withheld'' USING ERRCODE = ''55P03'';\nEND');

    v_stub_sha := qt001_cp.live_definition_sha256(p_object);
    IF v_stub_sha = p_pinned_sha256 THEN
        RAISE EXCEPTION 'the body did not change' USING ERRCODE = 'P0004';
    END IF;
    RETURN jsonb_build_object('ok', true, 'disposition', 'quarantined', 'definition', v_stub_sha);
END
$$;
REVOKE ALL ON FUNCTION qt001_cp.stub_fail_closed(regprocedure, text, uuid) FROM PUBLIC;

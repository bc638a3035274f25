-- mutant: restore-ignores-pin
-- kills: EVID-FAILCLOSED
-- why: restore compares the body with artifact_sha256 only, never with the caller's pin: any intact artifact restores, whatever was pinned (seed 001: sha256 == artifact_sha256 == pinned)
CREATE OR REPLACE FUNCTION qt001_cp.restore_function(
    p_object regprocedure, p_evidence_id uuid, p_pinned_sha256 text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
    e qt001_cp.evidence_registry%ROWTYPE;
    v_body bytea;
    v_sql text;
    v_prefix text;
    v_before text;
    v_after text;
BEGIN
    PERFORM qt001_cp.require_sha256(p_pinned_sha256, 'the pinned sha256');
    SELECT * INTO t FROM qt001_cp.vet_routine(p_object, false);
    PERFORM pg_advisory_xact_lock(p_object::oid::bigint);

    v_body := qt001_cp.fetch_verified_body(p_evidence_id);
    SELECT * INTO e FROM qt001_cp.evidence_registry r WHERE r.evidence_id = p_evidence_id;
    IF qt001_cp.sha256_hex(v_body) <> e.artifact_sha256 THEN
        RAISE EXCEPTION 'restore_function: evidence % holds %, not the pinned %',
            p_evidence_id, e.artifact_sha256, p_pinned_sha256 USING ERRCODE = '22000';
    END IF;
    v_sql := convert_from(v_body, 'UTF8');
    v_prefix := format('CREATE OR REPLACE %s %s.%s(',
                       CASE t.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
                       quote_ident(t.nspname), quote_ident(t.proname));
    IF left(v_sql, length(v_prefix)) <> v_prefix THEN
        RAISE EXCEPTION 'restore_function: evidence % does not define %', p_evidence_id, p_object
            USING ERRCODE = '22000';
    END IF;

    v_before := qt001_cp.live_definition_sha256(p_object);
    EXECUTE v_sql;
    v_after := qt001_cp.live_definition_sha256(p_object);
    IF v_after IS DISTINCT FROM e.artifact_sha256 THEN
        RAISE EXCEPTION 'restore_function: live definition of % hashes to %, not the pinned %',
            p_object, v_after, p_pinned_sha256 USING ERRCODE = 'P0004';
    END IF;

    RETURN jsonb_build_object(
        'ok', true, 'action', 'RESTORE', 'object', p_object::text,
        'evidence_id', p_evidence_id, 'pinned_sha256', p_pinned_sha256,
        'previous_sha256', v_before, 'live_sha256', v_after);
END
$$;

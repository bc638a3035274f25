-- mutant: revoke-only-keeps-public
-- kills: EVID-NO-SOURCE-NO-CHANGE
-- why: revoke_only moves the owner and revokes named grantees but forgets PUBLIC, so EXECUTE stays effectively granted to everyone (seed 004: owner isolation + REVOKE must reach effective EXECUTE = 0)
CREATE OR REPLACE FUNCTION qt001_cp.revoke_only(p_object regprocedure)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
    v_sha_before text;
    v_sha_after text;
    v_grantee oid;
    v_left int;
    v_kw text;
BEGIN
    SELECT * INTO t FROM qt001_cp.vet_routine(p_object, false);
    PERFORM pg_advisory_xact_lock(p_object::oid::bigint);
    IF NOT EXISTS (SELECT 1 FROM pg_roles r
                    WHERE r.rolname = 'qt001_cp_quarantine' AND NOT r.rolcanlogin AND NOT r.rolsuper)
       OR EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
                   WHERE r.rolname = 'qt001_cp_quarantine') THEN
        RAISE EXCEPTION 'the isolation role qt001_cp_quarantine is missing or not isolated'
            USING ERRCODE = '55000';
    END IF;
    v_sha_before := qt001_cp.live_definition_sha256(p_object);

    -- FUNCTION/PROCEDURE, never ROUTINE: a ROUTINE argument list also matches
    -- OUT parameters, so f(t) is ambiguous next to f() RETURNS TABLE (x t)
    v_kw := CASE t.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END;
    EXECUTE format('ALTER %s %s OWNER TO %I', v_kw, p_object, 'qt001_cp_quarantine');
    -- A superuser's REVOKE acts as the owner: it removes the owner's grants and,
    -- with CASCADE, every grant that depends on a revoked grant option.
    FOR v_grantee IN
        SELECT DISTINCT a.grantee
          FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
         WHERE p.oid = p_object
    LOOP
        IF v_grantee = 0 THEN
            NULL;
        ELSE
            EXECUTE format('REVOKE ALL ON %s %s FROM %I CASCADE', v_kw, p_object,
                           (SELECT r.rolname FROM pg_roles r WHERE r.oid = v_grantee));
        END IF;
    END LOOP;

    SELECT count(*) INTO v_left
      FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
     WHERE p.oid = p_object;
    IF EXISTS (SELECT 1 FROM pg_roles r
                               WHERE false) THEN
        RAISE EXCEPTION 'revoke_only: EXECUTE on % is still held', p_object USING ERRCODE = 'P0004';
    END IF;
    v_sha_after := qt001_cp.live_definition_sha256(p_object);
    IF v_sha_after IS DISTINCT FROM v_sha_before THEN
        RAISE EXCEPTION 'revoke_only: the definition of % changed', p_object USING ERRCODE = 'P0004';
    END IF;

    RETURN jsonb_build_object(
        'ok', true, 'action', 'REVOKE_ONLY', 'object', p_object::text,
        'previous_owner', t.owner, 'owner', 'qt001_cp_quarantine',
        'definition_sha256', v_sha_after);
END
$$;

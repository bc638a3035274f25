-- 320_evidence_stub_restore.sql — body changes bound to sealed evidence
-- (CONTRACT.md §3, seeds 001 and 004).
--
-- A function body changes only when its prior body is sealed, read back and
-- uniquely bound: stub_fail_closed needs the evidence id of a valid artifact
-- whose sha256 equals the pin and the sha256 of the live definition (see
-- 310 for the exact hashed text). Without such a source the only disposition is
-- revoke_only (owner isolation + REVOKE, body untouched). restore_function
-- re-creates the body from the artifact and proves the live definition hash
-- equals the pin afterwards, or raises — and a raise rolls back the whole
-- statement, so a refused restore changes nothing.
--
-- Only plain functions and procedures of language sql or plpgsql outside the
-- kernel's own and the system schemas are handled (0A000 otherwise).
-- All functions here are operator functions: EXECUTE is revoked from PUBLIC;
-- the operator (a superuser) calls them.

-- Internal: resolve and vet a target routine; raises 22023 (NULL), 42883 (no
-- such routine), 0A000 (aggregate/window, kernel or system schema, or — when
-- p_need_language — a language other than sql/plpgsql).
CREATE OR REPLACE FUNCTION qt001_cp.vet_routine(p_object regprocedure, p_need_language boolean)
RETURNS TABLE (nspname name, proname name, prokind "char", lanname name, owner name)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_object IS NULL THEN
        RAISE EXCEPTION 'a function is required' USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
        SELECT n.nspname, p.proname, p.prokind, l.lanname, r.rolname
          FROM pg_proc p
          JOIN pg_namespace n ON n.oid = p.pronamespace
          JOIN pg_language l ON l.oid = p.prolang
          JOIN pg_roles r ON r.oid = p.proowner
         WHERE p.oid = p_object;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'function with oid % does not exist', p_object::oid USING ERRCODE = '42883';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE p.oid = p_object
                  AND (p.prokind NOT IN ('f', 'p')
                       OR n.nspname IN ('qt001_cp', 'pg_catalog', 'information_schema')
                       OR n.nspname LIKE 'pg\_toast%' OR n.nspname LIKE 'pg\_temp%')) THEN
        RAISE EXCEPTION '% is not a routine this kernel may change', p_object USING ERRCODE = '0A000';
    END IF;
    IF p_need_language AND EXISTS (
        SELECT 1 FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
         WHERE p.oid = p_object AND l.lanname NOT IN ('sql', 'plpgsql')) THEN
        RAISE EXCEPTION '% is not a sql or plpgsql routine', p_object USING ERRCODE = '0A000';
    END IF;
END
$$;

-- stub_fail_closed: replace the body of p_object with a stub that raises
-- (SQLSTATE P0001 when called), only if evidence p_evidence_id is valid, its
-- body reads back untampered, and artifact_sha256 = p_pinned_sha256 = sha256 of
-- the live definition. The stub's own definition is sealed too (kind
-- 'function_source', one of the kinds the contract lists), so both sides of the
-- change are evidence.
-- Returns {"ok": true, "action": "STUB_FAIL_CLOSED", "object", "evidence_id",
-- "pinned_sha256", "stub_sha256", "stub_evidence_id"}.
-- SQLSTATEs: 22023 NULL/malformed argument; 42883 no such routine; 0A000
-- unsupported routine; P0002 evidence missing; 55000 evidence revoked, expired
-- or never read back; XX001 tampered; 22000 pin differs from the artifact or
-- from the live definition; P0004 post-check failed.
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

    v_body := qt001_cp.fetch_verified_body(p_evidence_id);
    SELECT * INTO e FROM qt001_cp.evidence_registry r WHERE r.evidence_id = p_evidence_id;
    IF e.artifact_sha256 <> p_pinned_sha256 OR qt001_cp.sha256_hex(v_body) <> p_pinned_sha256 THEN
        RAISE EXCEPTION 'stub_fail_closed: evidence % holds %, not the pinned %',
            p_evidence_id, e.artifact_sha256, p_pinned_sha256 USING ERRCODE = '22000';
    END IF;
    v_live := qt001_cp.live_definition(p_object);
    IF qt001_cp.sha256_hex(convert_to(v_live, 'UTF8')) <> p_pinned_sha256
       OR convert_from(v_body, 'UTF8') <> v_live THEN
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
    v_stub_ev := qt001_cp.seal_artifact(
        'qt001_cp:function-stub/' || gen_random_uuid()::text,
        convert_to(v_stub_def, 'UTF8'), 'function_source', e.storage_class, e.issuer_principal_id,
        e.valid_until - public.kernel_now());

    RETURN jsonb_build_object(
        'ok', true, 'action', 'STUB_FAIL_CLOSED', 'object', p_object::text,
        'evidence_id', p_evidence_id, 'pinned_sha256', p_pinned_sha256,
        'stub_sha256', v_stub_sha, 'stub_evidence_id', v_stub_ev);
END
$$;

-- revoke_only: the disposition when no sealed source exists. Moves ownership
-- to the isolation role qt001_cp_quarantine (NOLOGIN, no members) and revokes
-- every privilege on the routine (PUBLIC, every grantee, the owner's own,
-- cascading grant chains). The body is untouched (checked). Afterwards no
-- non-superuser role has EXECUTE (checked with has_function_privilege over
-- pg_roles, which covers inheritance).
-- Returns {"ok": true, "action": "REVOKE_ONLY", "object", "previous_owner",
-- "owner", "definition_sha256"}.
-- SQLSTATEs: 22023 NULL; 42883 no such routine; 0A000 kernel/system routine;
-- 55000 the isolation role is missing, can log in, is a superuser or has
-- members; P0004 post-check failed.
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
            EXECUTE format('REVOKE ALL ON %s %s FROM PUBLIC CASCADE', v_kw, p_object);
        ELSE
            EXECUTE format('REVOKE ALL ON %s %s FROM %I CASCADE', v_kw, p_object,
                           (SELECT r.rolname FROM pg_roles r WHERE r.oid = v_grantee));
        END IF;
    END LOOP;

    SELECT count(*) INTO v_left
      FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
     WHERE p.oid = p_object;
    IF v_left <> 0 OR EXISTS (SELECT 1 FROM pg_roles r
                               WHERE NOT r.rolsuper AND has_function_privilege(r.oid, p_object, 'EXECUTE')) THEN
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

-- restore_function: fetch the evidence body (valid, read back, untampered) →
-- sha256(body) = artifact_sha256 = p_pinned_sha256 → the body must re-create
-- this routine's name → CREATE OR REPLACE (executed under search_path
-- pg_catalog, pg_temp, the path the definition was rendered under) → the live
-- definition of p_object must hash to p_pinned_sha256. Any failure raises, and
-- the raise undoes everything the statement did (including a body that
-- replaced another overload).
-- Returns {"ok": true, "action": "RESTORE", "object", "evidence_id",
-- "pinned_sha256", "previous_sha256", "live_sha256"}.
-- SQLSTATEs: 22023 NULL/malformed argument; 42883 no such routine; 0A000
-- unsupported routine; P0002 evidence missing; 55000 revoked, expired or never
-- read back; XX001 tampered; 22000 pin mismatch or evidence bound to another
-- routine; 22021 body is not UTF-8; P0004 the restored definition does not hash
-- to the pin.
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
    IF e.artifact_sha256 <> p_pinned_sha256 OR qt001_cp.sha256_hex(v_body) <> p_pinned_sha256 THEN
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
    IF v_after IS DISTINCT FROM p_pinned_sha256 THEN
        RAISE EXCEPTION 'restore_function: live definition of % hashes to %, not the pinned %',
            p_object, v_after, p_pinned_sha256 USING ERRCODE = 'P0004';
    END IF;

    RETURN jsonb_build_object(
        'ok', true, 'action', 'RESTORE', 'object', p_object::text,
        'evidence_id', p_evidence_id, 'pinned_sha256', p_pinned_sha256,
        'previous_sha256', v_before, 'live_sha256', v_after);
END
$$;

-- restore_function_by_hash: the legacy lookup by pinned hash alone. A hash is
-- not a key (seed 004: the registry is unique on (storage_class, uri, sha256)),
-- so this proceeds only when exactly one *valid* evidence row carries the hash;
-- zero or several fail closed. Then exactly restore_function.
-- SQLSTATEs: those of restore_function, plus P0002 no valid artifact carries
-- the hash and P0003 more than one does.
CREATE OR REPLACE FUNCTION qt001_cp.restore_function_by_hash(p_object regprocedure, p_pinned_sha256 text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids uuid[];
BEGIN
    PERFORM qt001_cp.require_sha256(p_pinned_sha256, 'the pinned sha256');
    SELECT coalesce(array_agg(e.evidence_id ORDER BY e.evidence_id), '{}') INTO v_ids
      FROM qt001_cp.evidence_registry e
     WHERE e.artifact_sha256 = p_pinned_sha256
       AND qt001_cp.evidence_is_valid(e.evidence_id);
    IF cardinality(v_ids) = 0 THEN
        RAISE EXCEPTION 'restore_function_by_hash: no valid artifact carries %', p_pinned_sha256
            USING ERRCODE = 'P0002';
    ELSIF cardinality(v_ids) > 1 THEN
        RAISE EXCEPTION 'restore_function_by_hash: % valid artifacts carry %; the lookup is ambiguous',
            cardinality(v_ids), p_pinned_sha256 USING ERRCODE = 'P0003';
    END IF;
    RETURN qt001_cp.restore_function(p_object, v_ids[1], p_pinned_sha256)
           || jsonb_build_object('lookup', 'by_hash');
END
$$;

REVOKE ALL ON FUNCTION qt001_cp.vet_routine(regprocedure, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.stub_fail_closed(regprocedure, text, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.revoke_only(regprocedure) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.restore_function(regprocedure, uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.restore_function_by_hash(regprocedure, text) FROM PUBLIC;

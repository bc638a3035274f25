-- variant: restore-result-keys
-- choice: section 3, restore_function, restore_function_by_hash, replay_owner_acl: "returns jsonb" — the result's keys are the kernel's choice; only a raise or "ok": false is a refusal
-- why: a kernel whose restore results carry no "ok" key at all (success is the absence of an error) and other keys is as correct as the reference's
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
        'restored', jsonb_build_object('routine', p_object::oid, 'from', p_evidence_id),
        'hashes', jsonb_build_array(v_before, v_after));
END
$$;

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
    RETURN jsonb_build_object('via', qt001_cp.restore_function(p_object, v_ids[1], p_pinned_sha256),
                              'candidates', cardinality(v_ids));
END
$$;

CREATE OR REPLACE FUNCTION qt001_cp.replay_owner_acl(p_evidence_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e qt001_cp.evidence_registry%ROWTYPE;
    v_snap jsonb;
    v_obj jsonb;
    v_item jsonb;
    v_oid oid;
    v_on text;
    v_alter text;
    v_grantee oid;
    v_pending jsonb;
    v_next jsonb;
    v_progress boolean;
    v_round int;
    v_acl jsonb;
    v_temp jsonb;
    v_kw text;
    v_idents text[] := '{}';
BEGIN
    v_snap := convert_from(qt001_cp.fetch_verified_body(p_evidence_id), 'UTF8')::jsonb;
    SELECT * INTO e FROM qt001_cp.evidence_registry r WHERE r.evidence_id = p_evidence_id;
    IF e.evidence_kind <> 'owner_acl_snapshot'
       OR v_snap->>'format' IS DISTINCT FROM 'qt001_cp.owner_acl_snapshot/v1'
       OR jsonb_typeof(v_snap->'objects') IS DISTINCT FROM 'array'
       OR jsonb_array_length(v_snap->'objects') = 0 THEN
        RAISE EXCEPTION 'evidence % is not an owner/ACL snapshot', p_evidence_id USING ERRCODE = '22023';
    END IF;

    FOR v_obj IN SELECT o FROM jsonb_array_elements(v_snap->'objects') o LOOP
        -- resolve by identity; every role must exist
        IF v_obj->>'kind' = 'routine' THEN
            v_oid := to_regprocedure(v_obj->>'identity');
            -- FUNCTION/PROCEDURE, never ROUTINE: a ROUTINE argument list also
            -- matches OUT parameters, so f(t) is ambiguous next to an
            -- overload f() RETURNS TABLE (x t)
            v_kw := CASE (SELECT p.prokind FROM pg_proc p WHERE p.oid = v_oid)
                        WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END;
            v_on := format('%s %s', v_kw, v_oid::regprocedure);
            v_alter := format('ALTER %s %s', v_kw, v_oid::regprocedure);
        ELSE
            v_oid := to_regclass(v_obj->>'identity');
            v_on := format('TABLE %s', v_oid::regclass);
            v_alter := format('ALTER %s %s',
                CASE (SELECT c.relkind FROM pg_class c WHERE c.oid = v_oid)
                    WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                    WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                v_oid::regclass);
        END IF;
        IF v_oid IS NULL THEN
            RAISE EXCEPTION 'replay_owner_acl: % no longer exists', v_obj->>'identity' USING ERRCODE = '42704';
        END IF;
        IF EXISTS (SELECT 1 FROM (
                       SELECT v_obj->>'owner' AS n
                       UNION SELECT i->>'grantor' FROM jsonb_array_elements(v_obj->'acl') i
                       UNION SELECT i->>'grantee' FROM jsonb_array_elements(v_obj->'acl') i
                                                 WHERE i->>'grantee' IS NOT NULL) x
                    WHERE NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = x.n)) THEN
            RAISE EXCEPTION 'replay_owner_acl: a role of % no longer exists', v_obj->>'identity'
                USING ERRCODE = '42704';
        END IF;

        EXECUTE format('%s OWNER TO %I', v_alter, v_obj->>'owner');

        -- clear: as superuser each REVOKE acts as the owner; CASCADE removes
        -- grants that depend on a revoked grant option
        FOR v_grantee IN
            SELECT DISTINCT a.grantee
              FROM aclexplode(CASE WHEN v_obj->>'kind' = 'routine'
                                   THEN (SELECT coalesce(p.proacl, acldefault('f', p.proowner)) FROM pg_proc p WHERE p.oid = v_oid)
                                   ELSE (SELECT coalesce(c.relacl, acldefault('r', c.relowner)) FROM pg_class c WHERE c.oid = v_oid) END) a
        LOOP
            IF v_grantee = 0 THEN
                EXECUTE format('REVOKE ALL ON %s FROM PUBLIC CASCADE', v_on);
            ELSE
                EXECUTE format('REVOKE ALL ON %s FROM %I CASCADE', v_on,
                               (SELECT r.rolname FROM pg_roles r WHERE r.oid = v_grantee));
            END IF;
        END LOOP;
        -- What survives was granted by a role that keeps grant options
        -- through membership in the owner role, so the owner's cascade spares
        -- it, and that role's own REVOKE acts as the owner. Give it the grant
        -- option directly (so it is the grantor of its REVOKE), revoke as it,
        -- then take the option back.
        FOR v_round IN 1..8 LOOP
            v_acl := qt001_cp.owner_acl_of(v_obj->>'kind', v_oid)->'acl';
            EXIT WHEN jsonb_array_length(v_acl) = 0;
            FOR v_item IN SELECT i FROM jsonb_array_elements(v_acl) i LOOP
                CONTINUE WHEN NOT (qt001_cp.owner_acl_of(v_obj->>'kind', v_oid)->'acl') @> jsonb_build_array(v_item);
                PERFORM qt001_cp.exec_as(NULL, format('GRANT %s ON %s TO %I WITH GRANT OPTION',
                                                      v_item->>'privilege', v_on, v_item->>'grantor'));
                PERFORM qt001_cp.exec_as(v_item->>'grantor',
                    format('REVOKE %s ON %s FROM %s CASCADE', v_item->>'privilege', v_on,
                           CASE WHEN v_item->>'grantee' IS NULL THEN 'PUBLIC'
                                ELSE quote_ident(v_item->>'grantee') END));
                PERFORM qt001_cp.exec_as(NULL, format('REVOKE %s ON %s FROM %I CASCADE',
                                                      v_item->>'privilege', v_on, v_item->>'grantor'));
            END LOOP;
        END LOOP;
        IF jsonb_array_length(qt001_cp.owner_acl_of(v_obj->>'kind', v_oid)->'acl') <> 0 THEN
            RAISE EXCEPTION 'replay_owner_acl: could not clear the ACL of %', v_obj->>'identity'
                USING ERRCODE = '55000';
        END IF;

        -- grant: owner-granted items first, then each grantor once it holds
        -- the grant option for that privilege
        v_pending := v_obj->'acl';
        v_temp := '[]';
        LOOP
            EXIT WHEN jsonb_array_length(v_pending) = 0;
            v_progress := false;
            v_next := '[]';
            FOR v_item IN SELECT i FROM jsonb_array_elements(v_pending) i LOOP
                IF v_item->>'grantor' = v_obj->>'owner'
                   OR (qt001_cp.owner_acl_of(v_obj->>'kind', v_oid)->'acl') @> jsonb_build_array(jsonb_build_object(
                          'grantee', v_item->>'grantor', 'privilege', v_item->>'privilege', 'grantable', true)) THEN
                    PERFORM qt001_cp.exec_as(
                        CASE WHEN v_item->>'grantor' = v_obj->>'owner' THEN NULL ELSE v_item->>'grantor' END,
                        format('GRANT %s ON %s TO %s%s', v_item->>'privilege', v_on,
                               CASE WHEN v_item->>'grantee' IS NULL THEN 'PUBLIC'
                                    ELSE quote_ident(v_item->>'grantee') END,
                               CASE WHEN (v_item->>'grantable')::boolean THEN ' WITH GRANT OPTION' ELSE '' END));
                    v_progress := true;
                ELSE
                    v_next := v_next || jsonb_build_array(v_item);
                END IF;
            END LOOP;
            IF NOT v_progress THEN
                -- An item whose grantor holds the grant option only through
                -- membership in the owner role (PostgreSQL keeps such items
                -- when the direct option is revoked). Re-issue it the same
                -- way: a temporary direct option from the owner, the grant as
                -- that grantor; the option is withdrawn again below.
                v_item := v_next->0;
                EXIT WHEN v_item IS NULL OR v_temp @> jsonb_build_array(v_item);
                PERFORM qt001_cp.exec_as(NULL, format('GRANT %s ON %s TO %I WITH GRANT OPTION',
                                                      v_item->>'privilege', v_on, v_item->>'grantor'));
                v_temp := v_temp || jsonb_build_array(v_item);
                CONTINUE;
            END IF;
            v_pending := v_next;
        END LOOP;
        IF jsonb_array_length(v_pending) <> 0 AND NOT v_progress THEN
            RAISE EXCEPTION 'replay_owner_acl: grants on % cannot be re-issued (no grant option chain): %',
                v_obj->>'identity', v_pending USING ERRCODE = '55000';
        END IF;
        -- withdraw temporary options to what the snapshot says the owner gave
        FOR v_item IN SELECT i FROM jsonb_array_elements(v_temp) i LOOP
            CONTINUE WHEN (v_obj->'acl') @> jsonb_build_array(jsonb_build_object(
                'grantor', v_obj->>'owner', 'grantee', v_item->>'grantor',
                'privilege', v_item->>'privilege', 'grantable', true));
            IF (v_obj->'acl') @> jsonb_build_array(jsonb_build_object(
                   'grantor', v_obj->>'owner', 'grantee', v_item->>'grantor',
                   'privilege', v_item->>'privilege', 'grantable', false)) THEN
                PERFORM qt001_cp.exec_as(NULL, format('REVOKE GRANT OPTION FOR %s ON %s FROM %I CASCADE',
                                                      v_item->>'privilege', v_on, v_item->>'grantor'));
            ELSE
                PERFORM qt001_cp.exec_as(NULL, format('REVOKE %s ON %s FROM %I CASCADE',
                                                      v_item->>'privilege', v_on, v_item->>'grantor'));
            END IF;
        END LOOP;

        IF qt001_cp.owner_acl_of(v_obj->>'kind', v_oid)
           IS DISTINCT FROM v_obj THEN
            RAISE EXCEPTION 'replay_owner_acl: % does not match its snapshot after replay: % vs %',
                v_obj->>'identity', qt001_cp.owner_acl_of(v_obj->>'kind', v_oid), v_obj
                USING ERRCODE = 'P0004';
        END IF;
        v_idents := v_idents || (v_obj->>'identity');
    END LOOP;

    RETURN jsonb_build_object('replayed', cardinality(v_idents), 'ok', 'yes');
END
$$;


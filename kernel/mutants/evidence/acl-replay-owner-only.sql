-- mutant: acl-replay-owner-only
-- kills: EVID-ACL
-- why: the owner/ACL replay restores the owner and stops: revoked grants stay revoked and later grants stay granted (seed 004: replay owner + full ACL)
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
        v_idents := v_idents || (v_obj->>'identity');
        CONTINUE;

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

    RETURN jsonb_build_object('ok', true, 'evidence_id', p_evidence_id, 'objects', to_jsonb(v_idents));
END
$$;

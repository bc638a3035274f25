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
            v_on := format('ROUTINE %s', v_oid::regprocedure);
            v_alter := format('ALTER ROUTINE %s', v_oid::regprocedure);
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
        IF jsonb_array_length(qt001_cp.owner_acl_of(v_obj->>'kind', v_oid)->'acl') <> 0 THEN
            RAISE EXCEPTION 'replay_owner_acl: could not clear the ACL of %', v_obj->>'identity'
                USING ERRCODE = '55000';
        END IF;

        -- grant: owner-granted items first, then each grantor once it holds
        -- the grant option for that privilege
        v_pending := v_obj->'acl';
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
                RAISE EXCEPTION 'replay_owner_acl: grants on % cannot be re-issued (no grant option chain): %',
                    v_obj->>'identity', v_next USING ERRCODE = '55000';
            END IF;
            v_pending := v_next;
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

-- 330_evidence_owner_acl.sql — owner/ACL snapshots as sealed evidence and their
-- exact replay (CONTRACT.md §3, seed 004: the legacy owner/ACL rollback source
-- is a snapshot artifact uniquely bound by evidence_id).
--
-- The snapshot of an object is its owner and its full object-level ACL: every
-- aclitem of coalesce(acl, acldefault(kind, owner)) as (grantor, grantee,
-- privilege, grantable), grantee NULL meaning PUBLIC. A NULL ACL (never
-- granted) is recorded as its explicit default; replay writes that explicit
-- set, which grants exactly the same privileges. Column-level privileges
-- (attacl) are not part of the snapshot.
--
-- Object names in p_objects resolve under search_path pg_catalog, pg_temp, so
-- they must be schema-qualified: a routine as a regprocedure signature
-- ('s.f(integer)'), a table/view/materialized view/foreign table as a
-- relation name. Each name must resolve to exactly one object.
--
-- Snapshot body (UTF-8 jsonb text), sealed with kind 'owner_acl_snapshot',
-- storage class 'embedded', issuer md5(session_user)::uuid, valid 90 days:
--   {"format": "qt001_cp.owner_acl_snapshot/v1", "taken_at": ...,
--    "objects": [{"kind": "routine"|"relation", "relkind": ..., "identity": ...,
--                 "owner": ..., "acl": [{"grantor", "grantee", "privilege",
--                 "grantable"}, ...]}, ...]}

-- Internal: the owner/ACL record of one resolved object.
CREATE OR REPLACE FUNCTION qt001_cp.owner_acl_of(p_kind text, p_oid oid)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH obj AS (
        SELECT 'routine'::text AS kind, NULL::text AS relkind, p.oid::regprocedure::text AS identity,
               p.proowner AS owner, coalesce(p.proacl, acldefault('f', p.proowner)) AS acl
          FROM pg_proc p WHERE p_kind = 'routine' AND p.oid = p_oid
        UNION ALL
        SELECT 'relation', c.relkind::text, c.oid::regclass::text,
               c.relowner, coalesce(c.relacl, acldefault('r', c.relowner))
          FROM pg_class c WHERE p_kind = 'relation' AND c.oid = p_oid
    )
    SELECT jsonb_build_object(
               'kind', o.kind, 'relkind', o.relkind, 'identity', o.identity,
               'owner', (SELECT r.rolname FROM pg_roles r WHERE r.oid = o.owner),
               'acl', coalesce((
                   SELECT jsonb_agg(jsonb_build_object(
                              'grantor', g.rolname, 'grantee', e.rolname,
                              'privilege', a.privilege_type, 'grantable', a.is_grantable)
                          ORDER BY g.rolname, e.rolname NULLS FIRST, a.privilege_type, a.is_grantable)
                     FROM aclexplode(o.acl) a
                     JOIN pg_roles g ON g.oid = a.grantor
                     LEFT JOIN pg_roles e ON e.oid = a.grantee AND a.grantee <> 0), '[]'::jsonb))
      FROM obj o
$$;

-- Internal: resolve a snapshot name to (kind, oid); 22023 NULL, 42704 unknown,
-- 0A000 unsupported relation kind.
CREATE OR REPLACE FUNCTION qt001_cp.resolve_acl_object(p_name text, OUT kind text, OUT object_oid oid)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fn oid;
    v_rel oid;
BEGIN
    IF p_name IS NULL OR p_name = '' THEN
        RAISE EXCEPTION 'an object name is required' USING ERRCODE = '22023';
    END IF;
    BEGIN
        v_fn := to_regprocedure(p_name);
    EXCEPTION WHEN OTHERS THEN
        v_fn := NULL;
    END;
    BEGIN
        v_rel := to_regclass(p_name);
    EXCEPTION WHEN OTHERS THEN
        v_rel := NULL;
    END;
    -- A routine signature wins: relation names that contain parentheses must
    -- be quoted and never parse as a signature, so a text that resolves as a
    -- routine is one (to_regclass may also "resolve" it, by truncating an
    -- over-long unquoted 'name()' to 63 bytes).
    IF v_fn IS NOT NULL THEN
        kind := 'routine';
        object_oid := v_fn;
    ELSIF v_rel IS NOT NULL THEN
        IF (SELECT c.relkind FROM pg_class c WHERE c.oid = v_rel) NOT IN ('r', 'p', 'v', 'm', 'f') THEN
            RAISE EXCEPTION '% is not a table, view or foreign table', p_name USING ERRCODE = '0A000';
        END IF;
        kind := 'relation';
        object_oid := v_rel;
    ELSE
        RAISE EXCEPTION 'no routine or relation named %', p_name USING ERRCODE = '42704';
    END IF;
END
$$;

-- snapshot_owner_acl: seal the owner and full ACL of every named object.
-- Returns the evidence id. SQLSTATEs: 22023 NULL/empty list, NULL element or
-- an object named twice; 42704/0A000 from resolution.
CREATE OR REPLACE FUNCTION qt001_cp.snapshot_owner_acl(p_objects text[])
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name text;
    v_res record;
    v_seen text[] := '{}';
    v_objects jsonb := '[]';
    v_body bytea;
BEGIN
    IF p_objects IS NULL OR cardinality(p_objects) = 0 THEN
        RAISE EXCEPTION 'snapshot_owner_acl: at least one object is required' USING ERRCODE = '22023';
    END IF;
    FOREACH v_name IN ARRAY p_objects LOOP
        SELECT * INTO v_res FROM qt001_cp.resolve_acl_object(v_name);
        IF (v_res.kind || ':' || v_res.object_oid) = ANY (v_seen) THEN
            RAISE EXCEPTION 'snapshot_owner_acl: % is named twice', v_name USING ERRCODE = '22023';
        END IF;
        v_seen := v_seen || (v_res.kind || ':' || v_res.object_oid);
        v_objects := v_objects || jsonb_build_array(qt001_cp.owner_acl_of(v_res.kind, v_res.object_oid));
    END LOOP;
    SELECT coalesce(jsonb_agg(o ORDER BY o->>'kind', o->>'identity'), '[]') INTO v_objects
      FROM jsonb_array_elements(v_objects) o;
    v_body := convert_to(jsonb_build_object(
                  'format', 'qt001_cp.owner_acl_snapshot/v1',
                  'taken_at', public.kernel_now(),
                  'objects', v_objects)::text, 'UTF8');
    RETURN qt001_cp.seal_artifact(
        'qt001_cp:owner-acl/' || gen_random_uuid()::text, v_body, 'owner_acl_snapshot', 'embedded',
        md5(session_user)::uuid, interval '90 days');
END
$$;

-- Internal: run one GRANT/REVOKE as p_role (NULL: as the caller). A
-- superuser's GRANT records the owner as grantor; a grant by another grantor
-- must be issued by that role.
CREATE OR REPLACE FUNCTION qt001_cp.exec_as(p_role text, p_sql text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_prev text := current_setting('role');
BEGIN
    IF p_role IS NULL THEN
        EXECUTE p_sql;
        RETURN;
    END IF;
    EXECUTE format('SET LOCAL ROLE %I', p_role);
    EXECUTE p_sql;
    IF v_prev = 'none' THEN
        RESET ROLE;
    ELSE
        EXECUTE format('SET LOCAL ROLE %I', v_prev);
    END IF;
END
$$;

-- replay_owner_acl: restore exactly the snapshot sealed under p_evidence_id.
-- The evidence must be valid and read back untampered (fail closed otherwise),
-- every object and role must still exist. Per object: owner := snapshot owner;
-- every current privilege revoked (CASCADE; as the owner, then as each
-- remaining grantor, since a member of the owner role keeps grant options
-- through membership and its grants survive the owner's cascade); the
-- snapshot's aclitems granted
-- again, owner-granted first, then each other grantor's once it holds the
-- grant option; finally the owner and the aclitem set are compared with the
-- snapshot. Any failure raises and nothing changes.
-- Returns {"ok": true, "evidence_id", "objects": [identity, ...]}.
-- SQLSTATEs: 22023 NULL id or not an owner/ACL snapshot; P0002 missing; 55000
-- revoked, expired or never read back, or grants that cannot be re-issued;
-- XX001 tampered; 42704 object or role missing; P0004 post-check failed.
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

    RETURN jsonb_build_object('ok', true, 'evidence_id', p_evidence_id, 'objects', to_jsonb(v_idents));
END
$$;

REVOKE ALL ON FUNCTION qt001_cp.owner_acl_of(text, oid) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.resolve_acl_object(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.snapshot_owner_acl(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.exec_as(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.replay_owner_acl(uuid) FROM PUBLIC;

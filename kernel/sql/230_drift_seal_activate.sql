-- 230_drift_seal_activate.sql — sealing a manifest version and activating it.
--
-- Payload (the sealed form; payload_sha256 = sha256 of payload::text):
--   {"format": "qt001_cp.manifest/v1", "manifest_set": <set>,
--    "schemas": [sorted distinct schema names],
--    "objects": [{"object_type", "object_identity", "parent_object_identity",
--                 "sha256"}, ...] in canonical order (object_type, object_identity, COLLATE "C")}
-- For TABLE objects "sha256" is the child-set hash, for children the definition
-- hash. Version numbers and ids are not in the payload, so a rollback version
-- carries the prior payload byte for byte. The typed scope rows are derived from
-- the payload by one function (manifest_scope_from_payload) in the same
-- transaction; verify re-checks that they agree.

-- Internal: the typed scope rows of a payload.
CREATE FUNCTION qt001_cp.manifest_scope_from_payload(p_payload jsonb)
RETURNS TABLE (object_type text, object_identity text, parent_object_identity text,
               expected_definition_sha256 text, expected_constraint_set_sha256 text)
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT o->>'object_type', o->>'object_identity', o->>'parent_object_identity',
           CASE WHEN o->>'object_type' = 'TABLE' THEN NULL ELSE o->>'sha256' END,
           CASE WHEN o->>'object_type' = 'TABLE' THEN o->>'sha256' END
      FROM jsonb_array_elements(p_payload->'objects') o
$$;

-- Internal: append a version of p_set holding p_payload; returns its id.
-- Serialises versions of a set with a transaction-scoped advisory lock.
CREATE FUNCTION qt001_cp.manifest_append_version(p_set text, p_payload jsonb, p_origin text,
                                                 p_carries uuid)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id uuid := gen_random_uuid();
    v_prev uuid;
    v_version int;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('qt001_cp.manifest_set:' || p_set, 0));
    SELECT m.manifest_id, m.version INTO v_prev, v_version
      FROM qt001_cp.manifest_version m
     WHERE m.manifest_set = p_set
     ORDER BY m.version DESC
     LIMIT 1;
    INSERT INTO qt001_cp.manifest_version (manifest_id, manifest_set, version, payload,
                                           payload_sha256, created_at, supersedes_manifest_id,
                                           origin, carries_payload_of)
    VALUES (v_id, p_set, coalesce(v_version, 0) + 1, p_payload,
            encode(sha256(convert_to(p_payload::text, 'UTF8')), 'hex'),
            public.kernel_now(), v_prev, p_origin, p_carries);
    INSERT INTO qt001_cp.authority_scope_manifest (manifest_id, object_type, object_identity,
                                                   parent_object_identity,
                                                   expected_definition_sha256,
                                                   expected_constraint_set_sha256)
    SELECT v_id, s.object_type, s.object_identity, s.parent_object_identity,
           s.expected_definition_sha256, s.expected_constraint_set_sha256
      FROM qt001_cp.manifest_scope_from_payload(p_payload) s;
    RETURN v_id;
END
$$;

-- seal_manifest_from_realized: a new immutable version of p_manifest_set holding
-- the realized set of p_schemas.
-- SQLSTATEs: 22023 empty/NULL set name or schema list (or NULL element), or a
-- realized set with no object at all (never seal nothing); 3F000 unknown schema.
CREATE FUNCTION qt001_cp.seal_manifest_from_realized(p_manifest_set text, p_schemas text[])
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schemas text[];
    v_objects jsonb;
BEGIN
    IF p_manifest_set IS NULL OR p_manifest_set = '' THEN
        RAISE EXCEPTION 'seal_manifest_from_realized needs a non-empty manifest set name'
            USING ERRCODE = '22023';
    END IF;
    -- validates the schema list (22023 / 3F000)
    PERFORM 1 FROM qt001_cp.realized_authority_snapshot(p_schemas) LIMIT 0;
    v_schemas := ARRAY(SELECT DISTINCT s COLLATE "C" FROM unnest(p_schemas) s ORDER BY 1);
    SELECT jsonb_agg(jsonb_build_object('object_type', r.object_type,
                                        'object_identity', r.object_identity,
                                        'parent_object_identity', r.parent_object_identity,
                                        'sha256', r.definition_sha256)
                     ORDER BY r.object_type COLLATE "C", r.object_identity COLLATE "C")
      INTO v_objects
      FROM qt001_cp.realized_authority_rows(v_schemas) r;
    IF v_objects IS NULL THEN
        RAISE EXCEPTION 'schemas % hold no table: refusing to seal an empty manifest', v_schemas
            USING ERRCODE = '22023';
    END IF;
    RETURN qt001_cp.manifest_append_version(
        p_manifest_set,
        jsonb_build_object('format', 'qt001_cp.manifest/v1', 'manifest_set', p_manifest_set,
                           'schemas', to_jsonb(v_schemas), 'objects', v_objects),
        'seal', NULL);
END
$$;

-- Internal: raise unless p_evidence_id names valid evidence: present, not
-- revoked, not expired (kernel_now() < valid_until) and read back.
-- SQLSTATEs: 22004 NULL id; P0002 missing; 55000 revoked, expired or never read back.
CREATE FUNCTION qt001_cp.manifest_require_valid_evidence(p_evidence_id uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e record;
BEGIN
    IF p_evidence_id IS NULL THEN
        RAISE EXCEPTION 'a rollback evidence id is required' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO e FROM qt001_cp.evidence_registry r WHERE r.evidence_id = p_evidence_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'evidence % does not exist', p_evidence_id USING ERRCODE = 'P0002';
    END IF;
    IF e.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION 'evidence % is revoked', p_evidence_id USING ERRCODE = '55000';
    END IF;
    IF NOT (public.kernel_now() < e.valid_until) THEN
        RAISE EXCEPTION 'evidence % has expired', p_evidence_id USING ERRCODE = '55000';
    END IF;
    IF e.last_readback_at IS NULL THEN
        RAISE EXCEPTION 'evidence % was never read back', p_evidence_id USING ERRCODE = '55000';
    END IF;
END
$$;

-- Internal: append an activation (the caller has validated everything).
CREATE FUNCTION qt001_cp.manifest_append_activation(p_manifest_id uuid, p_evidence_id uuid)
RETURNS uuid
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO qt001_cp.manifest_activation (manifest_id, activated_at, rollback_evidence_id)
    VALUES (p_manifest_id, public.kernel_now(), p_evidence_id)
    RETURNING activation_id
$$;

-- activate_manifest: append an activation of p_manifest_id bound to valid
-- rollback evidence; returns the activation id. Only the latest version of a
-- set may be activated (an older payload comes back only through
-- rollback_manifest, as a new version), and never the version already active.
-- Activation does not look at the realized catalog: verify reports any drift.
-- SQLSTATEs: 22004 NULL argument; P0002 unknown manifest or evidence; 55000
-- invalid evidence, a superseded version, or the version already active.
CREATE FUNCTION qt001_cp.activate_manifest(p_manifest_id uuid, p_rollback_evidence_id uuid)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    v_active uuid;
BEGIN
    IF p_manifest_id IS NULL THEN
        RAISE EXCEPTION 'a manifest id is required' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO m FROM qt001_cp.manifest_version v WHERE v.manifest_id = p_manifest_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'manifest % does not exist', p_manifest_id USING ERRCODE = 'P0002';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('qt001_cp.manifest_set:' || m.manifest_set, 0));
    PERFORM qt001_cp.manifest_require_valid_evidence(p_rollback_evidence_id);
    IF EXISTS (SELECT 1 FROM qt001_cp.manifest_version v
                WHERE v.manifest_set = m.manifest_set AND v.version > m.version) THEN
        RAISE EXCEPTION 'manifest % (version % of %) is superseded; roll back with rollback_manifest',
            p_manifest_id, m.version, m.manifest_set USING ERRCODE = '55000';
    END IF;
    SELECT a.manifest_id INTO v_active
      FROM qt001_cp.manifest_activation a
      JOIN qt001_cp.manifest_version v ON v.manifest_id = a.manifest_id
     WHERE v.manifest_set = m.manifest_set
     ORDER BY a.activation_seq DESC
     LIMIT 1;
    IF v_active = p_manifest_id THEN
        RAISE EXCEPTION 'manifest % is already the active version of %', p_manifest_id, m.manifest_set
            USING ERRCODE = '55000';
    END IF;
    RETURN qt001_cp.manifest_append_activation(p_manifest_id, p_rollback_evidence_id);
END
$$;

REVOKE ALL ON FUNCTION qt001_cp.manifest_scope_from_payload(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.manifest_append_version(text, jsonb, text, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.seal_manifest_from_realized(text, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.manifest_require_valid_evidence(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.manifest_append_activation(uuid, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.activate_manifest(uuid, uuid) FROM PUBLIC;

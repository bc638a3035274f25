-- variant: insert-only-through-seal
-- choice: section 3, objects/functions: how rows enter evidence_registry and artifact_store is the kernel's choice; the contract names only seal_artifact (and snapshot_owner_acl) as the way evidence is made
-- why: a kernel whose tables refuse every INSERT that does not come from seal_artifact, superusers included, is as correct as one that lets a superuser register rows by hand; the harness must make its faulty evidence through seal_artifact and the two bypasses the contract names
CREATE OR REPLACE FUNCTION qt001_cp.evidence_insert_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('qt001_cp.sealing', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION '%.%: rows are made by qt001_cp.seal_artifact only', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION qt001_cp.evidence_insert_guard() FROM PUBLIC;
CREATE TRIGGER evidence_registry_insert_guard
    BEFORE INSERT ON qt001_cp.evidence_registry
    FOR EACH ROW EXECUTE FUNCTION qt001_cp.evidence_insert_guard();
CREATE TRIGGER artifact_store_insert_guard
    BEFORE INSERT ON qt001_cp.artifact_store
    FOR EACH ROW EXECUTE FUNCTION qt001_cp.evidence_insert_guard();

CREATE OR REPLACE FUNCTION qt001_cp.seal_artifact(
    p_uri text, p_body bytea, p_kind text, p_storage_class text, p_issuer uuid, p_valid_for interval)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now timestamptz := public.kernel_now();
    v_sha text;
    v_stored bytea;
    v_id uuid;
BEGIN
    IF p_uri IS NULL OR p_uri = '' OR p_body IS NULL OR p_kind IS NULL OR p_kind = ''
       OR p_storage_class IS NULL OR p_storage_class = '' OR p_issuer IS NULL OR p_valid_for IS NULL THEN
        RAISE EXCEPTION 'seal_artifact: every argument is required and non-empty' USING ERRCODE = '22023';
    END IF;
    IF v_now + p_valid_for <= v_now THEN
        RAISE EXCEPTION 'seal_artifact: validity % is not positive', p_valid_for USING ERRCODE = '22023';
    END IF;
    v_sha := qt001_cp.sha256_hex(p_body);
    PERFORM set_config('qt001_cp.sealing', 'on', true);

    SELECT s.body INTO v_stored FROM qt001_cp.artifact_store s WHERE s.artifact_uri = p_uri FOR SHARE;
    IF FOUND THEN
        IF v_stored IS DISTINCT FROM p_body THEN
            RAISE EXCEPTION 'seal_artifact: % already holds a different body', p_uri USING ERRCODE = '23505';
        END IF;
    ELSE
        INSERT INTO qt001_cp.artifact_store (artifact_uri, body, stored_at) VALUES (p_uri, p_body, v_now);
    END IF;

    -- read back what the store now holds and recompute
    SELECT s.body INTO v_stored FROM qt001_cp.artifact_store s WHERE s.artifact_uri = p_uri;
    IF NOT FOUND OR qt001_cp.sha256_hex(v_stored) <> v_sha OR octet_length(v_stored) <> octet_length(p_body) THEN
        RAISE EXCEPTION 'seal_artifact: read-back of % does not match', p_uri USING ERRCODE = 'XX001';
    END IF;

    INSERT INTO qt001_cp.evidence_registry (
        evidence_kind, storage_class, artifact_uri, artifact_sha256, artifact_size_bytes,
        issuer_principal_id, issued_at, last_readback_at, valid_until)
    VALUES (p_kind, p_storage_class, p_uri, v_sha, octet_length(v_stored),
            p_issuer, v_now, v_now, v_now + p_valid_for)
    RETURNING evidence_id INTO v_id;
    PERFORM set_config('qt001_cp.sealing', 'off', true);
    RETURN v_id;
END
$$;

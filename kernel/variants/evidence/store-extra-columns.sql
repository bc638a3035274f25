-- variant: store-extra-columns
-- choice: section 3, objects: artifact_store(artifact_uri text PK, body bytea NOT NULL, ...): columns beyond artifact_uri and body are the kernel's choice (v2)
-- why: a store that records more about each body (its own digest, a media type, a required sealing note without default) is as correct as the reference's; the harness reads only artifact_uri and body
ALTER TABLE qt001_cp.artifact_store
    ADD COLUMN body_sha256 text NOT NULL CHECK (body_sha256 ~ '^[0-9a-f]{64}$'),
    ADD COLUMN media_type text NOT NULL DEFAULT 'application/octet-stream',
    ADD COLUMN sealed_by name NOT NULL;
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

    SELECT s.body INTO v_stored FROM qt001_cp.artifact_store s WHERE s.artifact_uri = p_uri FOR SHARE;
    IF FOUND THEN
        IF v_stored IS DISTINCT FROM p_body THEN
            RAISE EXCEPTION 'seal_artifact: % already holds a different body', p_uri USING ERRCODE = '23505';
        END IF;
    ELSE
        INSERT INTO qt001_cp.artifact_store (artifact_uri, body, stored_at, body_sha256, sealed_by) VALUES (p_uri, p_body, v_now, v_sha, session_user);
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
    RETURN v_id;
END
$$;

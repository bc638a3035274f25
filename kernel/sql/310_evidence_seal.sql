-- 310_evidence_seal.sql — sealing, read-back and validity of evidence
-- (CONTRACT.md §3, seed 001).
--
-- Evidence is *valid* when its registry row exists, is not revoked, is not
-- expired (public.kernel_now() < valid_until) and has been read back
-- (last_readback_at IS NOT NULL). Using evidence additionally re-reads the body
-- from qt001_cp.artifact_store and recomputes its sha256 and size: a body that
-- no longer hashes to artifact_sha256 is *tampered*. Missing, revoked, expired,
-- never read back and tampered evidence all fail closed.
--
-- The "live definition" of a function, the text every pin and every function
-- source artifact is hashed over, is defined here once:
--
--     pg_catalog.pg_get_functiondef(oid), evaluated with
--     search_path = pg_catalog, pg_temp, encoded as UTF-8 (convert_to(..,'UTF8')),
--     hashed with sha256, lowercase hex.
--
-- The search_path matters: pg_get_functiondef qualifies types (and the SQL of
-- BEGIN ATOMIC bodies) only when they are not visible, so the same function
-- renders differently under another path. With only pg_catalog on the path,
-- every non-catalog name is schema-qualified and the text re-creates exactly
-- the same function when executed under the same path. The output always
-- begins with `CREATE OR REPLACE FUNCTION <schema>.<name>(` (or PROCEDURE) and
-- ends with a newline, which is part of the hashed text.

-- Internal: lowercase hex sha256 of bytes.
CREATE OR REPLACE FUNCTION qt001_cp.sha256_hex(p_bytes bytea)
RETURNS text
LANGUAGE sql
IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$ SELECT encode(sha256(p_bytes), 'hex') $$;

-- The live definition text of a function (see the header for why the path is
-- fixed). NULL when the oid names no function.
CREATE OR REPLACE FUNCTION qt001_cp.live_definition(p_object regprocedure)
RETURNS text
LANGUAGE sql
STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.oid = p_object $$;

-- sha256 (lowercase hex) of the UTF-8 bytes of the live definition.
CREATE OR REPLACE FUNCTION qt001_cp.live_definition_sha256(p_object regprocedure)
RETURNS text
LANGUAGE sql
STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$ SELECT qt001_cp.sha256_hex(convert_to(qt001_cp.live_definition(p_object), 'UTF8')) $$;

-- Internal: raise 22023 unless p_sha256 is 64 lowercase hex digits.
CREATE OR REPLACE FUNCTION qt001_cp.require_sha256(p_sha256 text, p_what text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_sha256 IS NULL OR p_sha256 !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION '% must be a lowercase hex sha256, got %', p_what, coalesce(quote_literal(p_sha256), 'NULL')
            USING ERRCODE = '22023';
    END IF;
END
$$;

-- Is the evidence row valid right now (exists, not revoked, not expired, read
-- back)? Structural only: the content check is fetch_verified_body's.
CREATE OR REPLACE FUNCTION qt001_cp.evidence_is_valid(p_evidence_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((
        SELECT e.revoked_at IS NULL
           AND public.kernel_now() < e.valid_until
           AND e.last_readback_at IS NOT NULL
          FROM qt001_cp.evidence_registry e
         WHERE e.evidence_id = p_evidence_id), false)
$$;

-- Internal: the body of valid, untampered evidence, read back now.
-- Records the read-back (last_readback_at = kernel_now()).
-- SQLSTATEs: 22023 NULL id; P0002 no such evidence; 55000 revoked, expired or
-- never read back; XX001 body missing from the store or no longer matching
-- artifact_sha256 / artifact_size_bytes (tampered).
CREATE OR REPLACE FUNCTION qt001_cp.fetch_verified_body(p_evidence_id uuid)
RETURNS bytea
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e qt001_cp.evidence_registry%ROWTYPE;
    v_body bytea;
BEGIN
    IF p_evidence_id IS NULL THEN
        RAISE EXCEPTION 'an evidence id is required' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO e FROM qt001_cp.evidence_registry r WHERE r.evidence_id = p_evidence_id FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'evidence % does not exist', p_evidence_id USING ERRCODE = 'P0002';
    END IF;
    IF NOT qt001_cp.evidence_is_valid(p_evidence_id) THEN
        RAISE EXCEPTION 'evidence % is not valid (revoked_at %, valid_until %, last_readback_at %, now %)',
            p_evidence_id, e.revoked_at, e.valid_until, e.last_readback_at, public.kernel_now()
            USING ERRCODE = '55000';
    END IF;
    SELECT s.body INTO v_body FROM qt001_cp.artifact_store s WHERE s.artifact_uri = e.artifact_uri;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'evidence %: artifact % is missing from the store', p_evidence_id, e.artifact_uri
            USING ERRCODE = 'XX001';
    END IF;
    IF qt001_cp.sha256_hex(v_body) <> e.artifact_sha256 OR octet_length(v_body) <> e.artifact_size_bytes THEN
        RAISE EXCEPTION 'evidence %: stored body no longer hashes to %', p_evidence_id, e.artifact_sha256
            USING ERRCODE = 'XX001';
    END IF;
    UPDATE qt001_cp.evidence_registry r
       SET last_readback_at = public.kernel_now()
     WHERE r.evidence_id = p_evidence_id;
    RETURN v_body;
END
$$;

-- seal_artifact: store the body (content-addressed by URI), read it back,
-- recompute sha256 and size, and register it as evidence valid for p_valid_for
-- from kernel_now(), with last_readback_at set. An existing URI is reused only
-- when it holds exactly this body.
-- SQLSTATEs: 22023 NULL/empty argument or non-positive validity; 23505 the URI
-- holds a different body, or (storage_class, uri, sha256) is already
-- registered; XX001 read-back mismatch.
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
    RETURN v_id;
END
$$;

-- readback_verify: true iff the evidence exists, is not revoked, not expired,
-- and its stored body hashes to artifact_sha256 with the recorded size; then
-- records the read-back (last_readback_at = kernel_now()). Otherwise false and
-- nothing changes. Never raises for a bad id (NULL or unknown: false).
CREATE OR REPLACE FUNCTION qt001_cp.readback_verify(p_evidence_id uuid)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e qt001_cp.evidence_registry%ROWTYPE;
    v_body bytea;
BEGIN
    SELECT * INTO e FROM qt001_cp.evidence_registry r WHERE r.evidence_id = p_evidence_id FOR SHARE;
    IF NOT FOUND OR e.revoked_at IS NOT NULL OR NOT (public.kernel_now() < e.valid_until) THEN
        RETURN false;
    END IF;
    SELECT s.body INTO v_body FROM qt001_cp.artifact_store s WHERE s.artifact_uri = e.artifact_uri;
    IF NOT FOUND OR qt001_cp.sha256_hex(v_body) <> e.artifact_sha256
       OR octet_length(v_body) <> e.artifact_size_bytes THEN
        RETURN false;
    END IF;
    UPDATE qt001_cp.evidence_registry r
       SET last_readback_at = public.kernel_now()
     WHERE r.evidence_id = p_evidence_id;
    RETURN true;
END
$$;

REVOKE ALL ON FUNCTION qt001_cp.sha256_hex(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.live_definition(regprocedure) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.live_definition_sha256(regprocedure) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.require_sha256(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.evidence_is_valid(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.fetch_verified_body(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.seal_artifact(text, bytea, text, text, uuid, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.readback_verify(uuid) FROM PUBLIC;

-- mutant: tamper-undetected
-- kills: EVID-FAILCLOSED
-- why: using evidence trusts the registry row and never recomputes the stored body's sha256: a tampered body is restored or replayed (seed 001: the artifact content is fetched and its sha256 recomputed)
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
    IF false THEN
        RAISE EXCEPTION 'evidence %: stored body no longer hashes to %', p_evidence_id, e.artifact_sha256
            USING ERRCODE = 'XX001';
    END IF;
    UPDATE qt001_cp.evidence_registry r
       SET last_readback_at = public.kernel_now()
     WHERE r.evidence_id = p_evidence_id;
    RETURN v_body;
END
$$;

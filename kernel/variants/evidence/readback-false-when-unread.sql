-- variant: readback-false-when-unread
-- choice: section 3, readback_verify: whether readback_verify of evidence never read back answers false (sealing is the only read-back) or reads it back now is the kernel's choice
-- why: the contract makes never-read-back evidence invalid; a kernel in which only seal_artifact reads back, and readback_verify merely re-verifies, is as correct as the reference
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
    IF NOT FOUND OR e.revoked_at IS NOT NULL OR NOT (public.kernel_now() < e.valid_until)
       OR e.last_readback_at IS NULL THEN
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
REVOKE ALL ON FUNCTION qt001_cp.readback_verify(uuid) FROM PUBLIC;

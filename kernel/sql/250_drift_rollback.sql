-- 250_drift_rollback.sql — forward-only rollback of a manifest set (seeds 002, 004).
--
-- rollback_manifest(set): with activations ... A(n-1) of M(n-1), A(n) of M(n)
-- (A(n) the latest), append a NEW version whose payload is M(n-1)'s payload byte
-- for byte (origin 'rollback', carries_payload_of = M(n-1), supersedes the
-- latest version) and activate it with A(n)'s rollback_evidence_id — the
-- evidence bound when the version being rolled back was activated. No existing
-- row is edited or deleted. The evidence must still be valid.
-- Returns the new manifest_id.
-- SQLSTATEs: 22023 NULL/empty set; P0002 no active version; 55000 nothing to
-- roll back to (a single activation) or the rollback evidence is no longer
-- valid (then also P0002 if it vanished).

CREATE FUNCTION qt001_cp.rollback_manifest(p_manifest_set text)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cur record;
    prev record;
    v_new uuid;
BEGIN
    IF p_manifest_set IS NULL OR p_manifest_set = '' THEN
        RAISE EXCEPTION 'rollback_manifest needs a manifest set name' USING ERRCODE = '22023';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('qt001_cp.manifest_set:' || p_manifest_set, 0));
    SELECT a.activation_seq, a.manifest_id, a.rollback_evidence_id INTO cur
      FROM qt001_cp.manifest_activation a
      JOIN qt001_cp.manifest_version v ON v.manifest_id = a.manifest_id
     WHERE v.manifest_set = p_manifest_set
     ORDER BY a.activation_seq DESC
     LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'manifest set % has no active version', p_manifest_set USING ERRCODE = 'P0002';
    END IF;
    SELECT v.manifest_id, v.payload INTO prev
      FROM qt001_cp.manifest_activation a
      JOIN qt001_cp.manifest_version v ON v.manifest_id = a.manifest_id
     WHERE v.manifest_set = p_manifest_set
       AND a.activation_seq < cur.activation_seq
     ORDER BY a.activation_seq DESC
     LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'manifest set % has no prior active version to roll back to', p_manifest_set
            USING ERRCODE = '55000';
    END IF;
    PERFORM qt001_cp.manifest_require_valid_evidence(cur.rollback_evidence_id);
    v_new := qt001_cp.manifest_append_version(p_manifest_set, prev.payload, 'rollback', prev.manifest_id);
    PERFORM qt001_cp.manifest_append_activation(v_new, cur.rollback_evidence_id);
    RETURN v_new;
END
$$;

REVOKE ALL ON FUNCTION qt001_cp.rollback_manifest(text) FROM PUBLIC;

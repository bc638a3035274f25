-- mutant: rollback-reactivates-old-version
-- kills: DRIFT-FORWARD-ONLY
-- why: rollback re-activates the prior version row instead of appending a new version carrying its payload (seed 004: rollback is a new candidate)

CREATE OR REPLACE FUNCTION qt001_cp.rollback_manifest(p_manifest_set text)
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
    v_new := prev.manifest_id;
    PERFORM qt001_cp.manifest_append_activation(v_new, cur.rollback_evidence_id);
    RETURN v_new;
END
$$;

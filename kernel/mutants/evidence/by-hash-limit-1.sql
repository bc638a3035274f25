-- mutant: by-hash-limit-1
-- kills: EVID-FAILCLOSED
-- why: the legacy hash lookup takes the first of several valid matching artifacts (LIMIT 1) instead of failing closed on ambiguity (seed 004)
CREATE OR REPLACE FUNCTION qt001_cp.restore_function_by_hash(p_object regprocedure, p_pinned_sha256 text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids uuid[];
BEGIN
    PERFORM qt001_cp.require_sha256(p_pinned_sha256, 'the pinned sha256');
    SELECT coalesce(array_agg(x.evidence_id), '{}') INTO v_ids
      FROM (SELECT e.evidence_id
              FROM qt001_cp.evidence_registry e
             WHERE e.artifact_sha256 = p_pinned_sha256
               AND qt001_cp.evidence_is_valid(e.evidence_id)
             ORDER BY e.issued_at DESC
             LIMIT 1) x;
    IF cardinality(v_ids) = 0 THEN
        RAISE EXCEPTION 'restore_function_by_hash: no valid artifact carries %', p_pinned_sha256
            USING ERRCODE = 'P0002';
    ELSIF cardinality(v_ids) > 1 THEN
        RAISE EXCEPTION 'restore_function_by_hash: % valid artifacts carry %; the lookup is ambiguous',
            cardinality(v_ids), p_pinned_sha256 USING ERRCODE = 'P0003';
    END IF;
    RETURN qt001_cp.restore_function(p_object, v_ids[1], p_pinned_sha256)
           || jsonb_build_object('lookup', 'by_hash');
END
$$;

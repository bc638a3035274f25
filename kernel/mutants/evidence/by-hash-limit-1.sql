-- mutant: by-hash-limit-1
-- kills: EVID-FAILCLOSED
-- why: the legacy hash lookup takes the first of several valid matching artifacts (LIMIT 1) instead of failing closed on ambiguity (seed 004)
SELECT pg_temp.pgconform_patch('qt001_cp.restore_function_by_hash(regprocedure,text)',
    $old$    SELECT coalesce(array_agg(e.evidence_id ORDER BY e.evidence_id), '{}') INTO v_ids
      FROM qt001_cp.evidence_registry e
     WHERE e.artifact_sha256 = p_pinned_sha256
       AND qt001_cp.evidence_is_valid(e.evidence_id);$old$,
    $new$    SELECT coalesce(array_agg(x.evidence_id), '{}') INTO v_ids
      FROM (SELECT e.evidence_id
              FROM qt001_cp.evidence_registry e
             WHERE e.artifact_sha256 = p_pinned_sha256
               AND qt001_cp.evidence_is_valid(e.evidence_id)
             ORDER BY e.issued_at DESC
             LIMIT 1) x;$new$);

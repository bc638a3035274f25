-- mutant: rollback-reactivates-old-version
-- kills: DRIFT-FORWARD-ONLY
-- why: rollback re-activates the prior version row instead of appending a new version carrying its payload (seed 004: rollback is a new candidate)
SELECT pg_temp.pgconform_patch('qt001_cp.rollback_manifest(text)',
    $old$    v_new := qt001_cp.manifest_append_version(p_manifest_set, prev.payload, 'rollback', prev.manifest_id);$old$,
    $new$    v_new := prev.manifest_id;$new$);

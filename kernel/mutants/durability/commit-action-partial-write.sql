-- mutant: commit-action-partial-write
-- kills: DUR-FAILCLOSED
-- why: commit_action skips unknown artifact types instead of refusing the call, so a bad request is half-written
SELECT pg_temp.pgconform_patch('cpo.commit_action(text,jsonb,jsonb,uuid,uuid)',
    $old$        IF NOT EXISTS (SELECT 1 FROM cpo.get_canonical_artifact_types() g WHERE g.artifact_type = v_key) THEN
            RAISE EXCEPTION$old$,
    $new$        IF NOT EXISTS (SELECT 1 FROM cpo.get_canonical_artifact_types() g WHERE g.artifact_type = v_key) THEN
            CONTINUE;
            RAISE EXCEPTION$new$);

-- mutant: commit-action-partial-write
-- kills: DUR-FAILCLOSED
-- why: commit_action skips unknown artifact types instead of refusing the call, so a bad request is half-written
DO $m$
DECLARE
    v_def text := pg_get_functiondef('cpo.commit_action(text,jsonb,jsonb,uuid,uuid)'::regprocedure);
    v_old text := $o$        IF NOT EXISTS (SELECT 1 FROM cpo.get_canonical_artifact_types() g WHERE g.artifact_type = v_key) THEN
            RAISE EXCEPTION$o$;
BEGIN
    IF position(v_old IN v_def) = 0 THEN
        RAISE EXCEPTION 'mutant anchor not found';
    END IF;
    EXECUTE replace(v_def, v_old, $n$        IF NOT EXISTS (SELECT 1 FROM cpo.get_canonical_artifact_types() g WHERE g.artifact_type = v_key) THEN
            CONTINUE;
            RAISE EXCEPTION$n$);
END
$m$;

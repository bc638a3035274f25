-- mutant: restore-ignores-pin
-- kills: EVID-FAILCLOSED
-- why: restore compares the body with artifact_sha256 only, never with the caller's pin: any intact artifact restores, whatever was pinned (seed 001: sha256 == artifact_sha256 == pinned)
SELECT pg_temp.pgconform_patch('qt001_cp.restore_function(regprocedure,uuid,text)',
    $old$    IF e.artifact_sha256 <> p_pinned_sha256 OR qt001_cp.sha256_hex(v_body) <> p_pinned_sha256 THEN$old$,
    $new$    IF qt001_cp.sha256_hex(v_body) <> e.artifact_sha256 THEN$new$,
    $old$    IF v_after IS DISTINCT FROM p_pinned_sha256 THEN$old$,
    $new$    IF v_after IS DISTINCT FROM e.artifact_sha256 THEN$new$);

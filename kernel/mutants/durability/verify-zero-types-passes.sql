-- mutant: verify-zero-types-passes
-- kills: DUR-FAILCLOSED
-- why: verification starts from ok=true and never fails on an empty registry: zero types pass vacuously
SELECT pg_temp.pgconform_patch('cpo.verify_reconstruction(uuid,text,text)',
    $old$    IF v_n = 0 THEN
        v_ok := false;$old$,
    $new$    IF v_n = 0 THEN
        NULL;$new$);

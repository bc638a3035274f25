-- mutant: guard-allows-update
-- kills: DUR-IMMUTABLE
-- why: the immutability guard lets UPDATE through (only DELETE/TRUNCATE are refused), so canonical history can be rewritten
SELECT pg_temp.pgconform_patch('cpo.guard_canonical_write()',
    $old$    IF TG_OP = 'INSERT' THEN
        RAISE EXCEPTION$old$,
    $new$    IF TG_OP = 'UPDATE' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        RAISE EXCEPTION$new$);

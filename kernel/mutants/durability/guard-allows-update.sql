-- mutant: guard-allows-update
-- kills: DUR-IMMUTABLE
-- why: the immutability guard lets UPDATE through (only DELETE/TRUNCATE are refused), so canonical history can be rewritten
DO $m$
DECLARE
    v_def text := pg_get_functiondef('cpo.guard_canonical_write()'::regprocedure);
    v_old text := $o$    IF TG_OP = 'INSERT' THEN
        RAISE EXCEPTION$o$;
BEGIN
    IF position(v_old IN v_def) = 0 THEN
        RAISE EXCEPTION 'mutant anchor not found';
    END IF;
    EXECUTE replace(v_def, v_old, $n$    IF TG_OP = 'UPDATE' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        RAISE EXCEPTION$n$);
END
$m$;

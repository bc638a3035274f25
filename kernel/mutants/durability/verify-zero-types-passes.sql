-- mutant: verify-zero-types-passes
-- kills: DUR-FAILCLOSED
-- why: verification starts from ok=true and never fails on an empty registry: zero types pass vacuously
DO $m$
DECLARE
    v_def text := pg_get_functiondef('cpo.verify_reconstruction(uuid,text,text)'::regprocedure);
    v_old text := $o$    IF v_n = 0 THEN
        v_ok := false;$o$;
BEGIN
    IF position(v_old IN v_def) = 0 THEN
        RAISE EXCEPTION 'mutant anchor not found';
    END IF;
    EXECUTE replace(v_def, v_old, $n$    IF v_n = 0 THEN
        NULL;$n$);
END
$m$;

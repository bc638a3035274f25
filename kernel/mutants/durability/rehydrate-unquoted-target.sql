-- mutant: rehydrate-unquoted-target
-- kills: DUR-HOSTILE
-- why: the target schema is spliced with %s instead of %I, so a hostile name is parsed as SQL
DO $m$
DECLARE
    v_def text := pg_get_functiondef('cpo.rehydrate_agent(jsonb,text)'::regprocedure);
BEGIN
    IF position('%I.%I' IN v_def) = 0 THEN
        RAISE EXCEPTION 'mutant anchor not found';
    END IF;
    v_def := replace(v_def, 'CREATE SCHEMA %I', 'CREATE SCHEMA %s');
    v_def := replace(v_def, '%I.%I', '%s.%I');
    EXECUTE v_def;
END
$m$;

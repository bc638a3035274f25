-- mutant: rehydrate-merges-present-agent
-- kills: DUR-FAILCLOSED
-- why: rehydrate no longer refuses an agent the target already holds, so a second rehydrate doubles its rows
DO $m$
DECLARE
    v_def text := pg_get_functiondef('cpo.rehydrate_agent(jsonb,text)'::regprocedure);
BEGIN
    IF position('IF v_present THEN' IN v_def) = 0 THEN
        RAISE EXCEPTION 'mutant anchor not found';
    END IF;
    EXECUTE replace(v_def, 'IF v_present THEN', 'IF v_present AND false THEN');
END
$m$;

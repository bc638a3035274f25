-- mutant: rehydrate-reverses-order
-- kills: DUR-ORDER
-- why: rehydrate inserts each type's rows in reverse pack order, so recomputed seq order is reversed
DO $m$
DECLARE
    v_def text := pg_get_functiondef('cpo.rehydrate_agent(jsonb,text)'::regprocedure);
BEGIN
    IF position('''ORDER BY e.ord'',' IN v_def) = 0 THEN
        RAISE EXCEPTION 'mutant anchor not found';
    END IF;
    EXECUTE replace(v_def, '''ORDER BY e.ord'',', '''ORDER BY e.ord DESC'',');
END
$m$;

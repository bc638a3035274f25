-- mutant: aperture-proof-limit1-overload
-- kills: DUR-APERTURE
-- why: proof 1 resolves commit_action with ORDER BY pronargs DESC LIMIT 1 and never sees extra overloads (seed 000, v3.1 blocker B)
DO $m$
DECLARE
    v_def text := pg_get_functiondef('cpo.run_write_aperture_proofs()'::regprocedure);
    v_old text := $o$ELSIF v_n <> 1 THEN$o$;
BEGIN
    IF position(v_old IN v_def) = 0 THEN
        RAISE EXCEPTION 'mutant anchor not found';
    END IF;
    -- "pick one": the overload count is no longer a failure
    EXECUTE replace(v_def, v_old, $n$ELSIF v_n < 1 THEN$n$);
END
$m$;

-- mutant: aperture-proof-zero-targets-passes
-- kills: DUR-APERTURE
-- why: proof 2 warns and passes when it extracts zero INSERT targets (seed 000, v2 fail-open "WARN -> PASS")
DO $m$
DECLARE
    v_def text := pg_get_functiondef('cpo.run_write_aperture_proofs()'::regprocedure);
    v_old text := $o$passed := false; detail := 'PROOF FAIL: extracted ZERO insert targets from cpo.commit_action';$o$;
BEGIN
    IF position(v_old IN v_def) = 0 THEN
        RAISE EXCEPTION 'mutant anchor not found';
    END IF;
    EXECUTE replace(v_def, v_old,
        $n$RAISE NOTICE 'WARNING: no insert targets found'; passed := true; detail := 'no targets (warning)';$n$);
END
$m$;

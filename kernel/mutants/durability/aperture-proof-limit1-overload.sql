-- mutant: aperture-proof-limit1-overload
-- kills: DUR-APERTURE
-- why: proof 1 resolves commit_action with ORDER BY pronargs DESC LIMIT 1 and never sees extra overloads (seed 000, v3.1 blocker B)
-- "pick one": the overload count is no longer a failure
SELECT pg_temp.pgconform_patch('cpo.run_write_aperture_proofs()',
    $old$ELSIF v_n <> 1 THEN$old$,
    $new$ELSIF v_n < 1 THEN$new$);

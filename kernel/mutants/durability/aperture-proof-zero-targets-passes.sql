-- mutant: aperture-proof-zero-targets-passes
-- kills: DUR-APERTURE
-- why: proof 2 warns and passes when it extracts zero INSERT targets (seed 000, v2 fail-open "WARN -> PASS")
SELECT pg_temp.pgconform_patch('cpo.run_write_aperture_proofs()',
    $old$passed := false; detail := 'PROOF FAIL: extracted ZERO insert targets from cpo.commit_action';$old$,
    $new$RAISE NOTICE 'WARNING: no insert targets found'; passed := true; detail := 'no targets (warning)';$new$);

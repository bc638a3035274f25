-- mutant: revoked-evidence-accepted
-- kills: EVID-FAILCLOSED, EVID-NO-SOURCE-NO-CHANGE, EVID-RESTORE
-- why: validity forgets revoked_at: revoked evidence still authorizes body changes (seed 004: restore must fail closed if the bound evidence is revoked)
SELECT pg_temp.pgconform_patch('qt001_cp.evidence_is_valid(uuid)',
    $old$        SELECT e.revoked_at IS NULL
           AND public.kernel_now() < e.valid_until$old$,
    $new$        SELECT public.kernel_now() < e.valid_until$new$);

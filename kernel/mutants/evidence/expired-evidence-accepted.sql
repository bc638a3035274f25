-- mutant: expired-evidence-accepted
-- kills: EVID-FAILCLOSED, EVID-RESTORE
-- why: validity forgets valid_until: expired evidence still authorizes body changes and replays (seed 004)
SELECT pg_temp.pgconform_patch('qt001_cp.evidence_is_valid(uuid)',
    $old$        SELECT e.revoked_at IS NULL
           AND public.kernel_now() < e.valid_until$old$,
    $new$        SELECT e.revoked_at IS NULL$new$);

-- mutant: expiry-boundary-inclusive
-- kills: EVID-FAILCLOSED, EVID-RESTORE
-- why: evidence is treated as valid at the instant valid_until itself (<= instead of <): an off-by-one at the expiry boundary
SELECT pg_temp.pgconform_patch('qt001_cp.evidence_is_valid(uuid)',
    $old$           AND public.kernel_now() < e.valid_until$old$,
    $new$           AND public.kernel_now() <= e.valid_until$new$);

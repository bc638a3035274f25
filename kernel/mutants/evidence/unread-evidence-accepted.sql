-- mutant: unread-evidence-accepted
-- kills: EVID-FAILCLOSED, EVID-NO-SOURCE-NO-CHANGE, EVID-RESTORE
-- why: validity forgets last_readback_at: an artifact never read back counts as sealed (seed 001: read-back verification = last_readback_at set)
SELECT pg_temp.pgconform_patch('qt001_cp.evidence_is_valid(uuid)',
    $old$           AND public.kernel_now() < e.valid_until
           AND e.last_readback_at IS NOT NULL$old$,
    $new$           AND public.kernel_now() < e.valid_until$new$);

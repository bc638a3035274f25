-- mutant: unread-evidence-accepted
-- kills: EVID-FAILCLOSED, EVID-NO-SOURCE-NO-CHANGE, EVID-RESTORE
-- why: validity forgets last_readback_at: an artifact never read back counts as sealed (seed 001: read-back verification = last_readback_at set)
CREATE OR REPLACE FUNCTION qt001_cp.evidence_is_valid(p_evidence_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((
        SELECT e.revoked_at IS NULL
           AND public.kernel_now() < e.valid_until
          FROM qt001_cp.evidence_registry e
         WHERE e.evidence_id = p_evidence_id), false)
$$;

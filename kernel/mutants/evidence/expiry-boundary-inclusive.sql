-- mutant: expiry-boundary-inclusive
-- kills: EVID-FAILCLOSED, EVID-RESTORE
-- why: evidence is treated as valid at the instant valid_until itself (<= instead of <): an off-by-one at the expiry boundary
CREATE OR REPLACE FUNCTION qt001_cp.evidence_is_valid(p_evidence_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((
        SELECT e.revoked_at IS NULL
           AND public.kernel_now() <= e.valid_until
           AND e.last_readback_at IS NOT NULL
          FROM qt001_cp.evidence_registry e
         WHERE e.evidence_id = p_evidence_id), false)
$$;

-- mutant: revoked-evidence-accepted
-- kills: EVID-FAILCLOSED, EVID-NO-SOURCE-NO-CHANGE, EVID-RESTORE
-- why: validity forgets revoked_at: revoked evidence still authorizes body changes (seed 004: restore must fail closed if the bound evidence is revoked)
CREATE OR REPLACE FUNCTION qt001_cp.evidence_is_valid(p_evidence_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((
        SELECT public.kernel_now() < e.valid_until
           AND e.last_readback_at IS NOT NULL
          FROM qt001_cp.evidence_registry e
         WHERE e.evidence_id = p_evidence_id), false)
$$;

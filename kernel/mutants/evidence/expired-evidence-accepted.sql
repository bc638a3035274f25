-- mutant: expired-evidence-accepted
-- kills: EVID-FAILCLOSED, EVID-RESTORE
-- why: validity forgets valid_until: expired evidence still authorizes body changes and replays (seed 004)
CREATE OR REPLACE FUNCTION qt001_cp.evidence_is_valid(p_evidence_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((
        SELECT e.revoked_at IS NULL
           AND e.last_readback_at IS NOT NULL
          FROM qt001_cp.evidence_registry e
         WHERE e.evidence_id = p_evidence_id), false)
$$;

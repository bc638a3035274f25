-- mutant: registry-valid-until-mutable
-- kills: EVID-IMMUTABLE
-- why: the registry guard also lets valid_until change, so expired evidence can be silently extended (seed 001: only last_readback_at and revoked_at may change)
CREATE OR REPLACE FUNCTION qt001_cp.evidence_registry_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'qt001_cp.evidence_registry is append-only: evidence % cannot be deleted', OLD.evidence_id
            USING ERRCODE = '42501';
    END IF;
    IF (to_jsonb(NEW) - 'last_readback_at' - 'revoked_at' - 'valid_until')
       IS DISTINCT FROM (to_jsonb(OLD) - 'last_readback_at' - 'revoked_at' - 'valid_until') THEN
        RAISE EXCEPTION 'qt001_cp.evidence_registry: only last_readback_at and revoked_at may change (evidence %)', OLD.evidence_id
            USING ERRCODE = '42501';
    END IF;
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'qt001_cp.evidence_registry: evidence % is revoked; a revocation is final', OLD.evidence_id
            USING ERRCODE = '42501';
    END IF;
    IF OLD.last_readback_at IS NOT NULL AND NEW.last_readback_at IS NULL THEN
        RAISE EXCEPTION 'qt001_cp.evidence_registry: last_readback_at of evidence % cannot be cleared', OLD.evidence_id
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;

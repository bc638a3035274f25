-- 300_evidence_immutability.sql — evidence registry and content store are
-- append-only (CONTRACT.md §3, seed 001).
--
-- evidence_registry: rows are never deleted or truncated; an UPDATE may change
-- only last_readback_at and revoked_at, and even those only forward:
--   * revoked_at: NULL -> a timestamp, once (a revocation is final; un-revoking
--     would silently re-validate evidence, which is fail-open);
--   * last_readback_at: may be set or moved, never cleared back to NULL.
-- Every other column, including columns added by later files, is frozen: the
-- guard compares the whole row as jsonb minus the two allowed keys.
--
-- artifact_store: no UPDATE, DELETE or TRUNCATE at all; bodies are immutable.
--
-- The guards are ordinary triggers and apply to every role, superusers
-- included. SQLSTATE: 42501 for every refused modification.
--
-- Also here: the owner-isolation role used by revoke_only (330). Roles are
-- cluster-wide and templates are cloned in parallel, so it is created
-- idempotently.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'qt001_cp_quarantine') THEN
        CREATE ROLE qt001_cp_quarantine NOLOGIN NOINHERIT;
    END IF;
END
$$;

-- qt001_cp_quarantine owns REVOKE_ONLY-dispositioned functions: NOLOGIN, no
-- members, never granted anything (revoke_only checks this before use).

-- Row guard for evidence_registry (UPDATE, DELETE).
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
    IF (to_jsonb(NEW) - 'last_readback_at' - 'revoked_at')
       IS DISTINCT FROM (to_jsonb(OLD) - 'last_readback_at' - 'revoked_at') THEN
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

-- Guard for artifact_store (UPDATE, DELETE) and TRUNCATE of either table.
CREATE OR REPLACE FUNCTION qt001_cp.evidence_immutable_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '%.% is immutable: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = '42501';
END
$$;

CREATE OR REPLACE TRIGGER evidence_registry_guard
    BEFORE UPDATE OR DELETE ON qt001_cp.evidence_registry
    FOR EACH ROW EXECUTE FUNCTION qt001_cp.evidence_registry_guard();

CREATE OR REPLACE TRIGGER evidence_registry_no_truncate
    BEFORE TRUNCATE ON qt001_cp.evidence_registry
    FOR EACH STATEMENT EXECUTE FUNCTION qt001_cp.evidence_immutable_guard();

CREATE OR REPLACE TRIGGER artifact_store_guard
    BEFORE UPDATE OR DELETE ON qt001_cp.artifact_store
    FOR EACH ROW EXECUTE FUNCTION qt001_cp.evidence_immutable_guard();

CREATE OR REPLACE TRIGGER artifact_store_no_truncate
    BEFORE TRUNCATE ON qt001_cp.artifact_store
    FOR EACH STATEMENT EXECUTE FUNCTION qt001_cp.evidence_immutable_guard();

REVOKE ALL ON TABLE qt001_cp.evidence_registry FROM PUBLIC;
REVOKE ALL ON TABLE qt001_cp.artifact_store FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.evidence_registry_guard() FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.evidence_immutable_guard() FROM PUBLIC;

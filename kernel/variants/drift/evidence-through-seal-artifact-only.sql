-- variant: evidence-through-seal-artifact-only
-- choice: section 3, evidence_registry / artifact_store: how rows get there is the kernel's choice; the contract's way in is seal_artifact (and section 2 says the harness makes rollback evidence with seal_artifact + readback_verify)
-- why: a kernel that refuses every evidence or store row not written by seal_artifact itself (so no one can register a hash it never read back) is stricter, not wrong

ALTER FUNCTION qt001_cp.seal_artifact(text, bytea, text, text, uuid, interval)
    RENAME TO seal_artifact_unguarded;
REVOKE ALL ON FUNCTION qt001_cp.seal_artifact_unguarded(text, bytea, text, text, uuid, interval) FROM PUBLIC;

CREATE FUNCTION qt001_cp.seal_artifact(
    p_uri text, p_body bytea, p_kind text, p_storage_class text, p_issuer uuid, p_valid_for interval)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id uuid;
BEGIN
    PERFORM set_config('qt001_cp.sealing', 'on', true);
    v_id := qt001_cp.seal_artifact_unguarded(p_uri, p_body, p_kind, p_storage_class, p_issuer, p_valid_for);
    PERFORM set_config('qt001_cp.sealing', 'off', true);
    RETURN v_id;
END
$$;
REVOKE ALL ON FUNCTION qt001_cp.seal_artifact(text, bytea, text, text, uuid, interval) FROM PUBLIC;

CREATE FUNCTION qt001_cp.evidence_only_through_seal()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('qt001_cp.sealing', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION '%.%: rows are written only by qt001_cp.seal_artifact', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION qt001_cp.evidence_only_through_seal() FROM PUBLIC;

CREATE TRIGGER evidence_registry_only_through_seal
    BEFORE INSERT ON qt001_cp.evidence_registry
    FOR EACH ROW EXECUTE FUNCTION qt001_cp.evidence_only_through_seal();
CREATE TRIGGER artifact_store_only_through_seal
    BEFORE INSERT ON qt001_cp.artifact_store
    FOR EACH ROW EXECUTE FUNCTION qt001_cp.evidence_only_through_seal();

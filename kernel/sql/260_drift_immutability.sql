-- 260_drift_immutability.sql — forward-only manifest history (seed 002, seed 004).
--
-- manifest_version, authority_scope_manifest and manifest_activation rows are
-- never updated or deleted, and the tables are never truncated: row triggers
-- refuse UPDATE/DELETE and statement triggers refuse TRUNCATE, for every role
-- (privileges are also revoked from PUBLIC in 210). A typed scope row may only be
-- inserted if its manifest's sealed payload declares exactly that row, so the
-- expected set of a sealed version can never grow or change.
-- Disabling these triggers is itself drift of the kernel's own manifest
-- (tgenabled is part of a trigger's canonical definition).
-- SQLSTATEs: 42501 on any UPDATE, DELETE or TRUNCATE; 23514 on a scope row the
-- payload does not declare.

CREATE FUNCTION qt001_cp.manifest_refuse_mutation()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '%.% is forward-only: % is refused (no manifest, scope or activation row is ever edited or deleted)',
        TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = '42501';
END
$$;

CREATE FUNCTION qt001_cp.manifest_scope_must_match_payload()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (
        SELECT n.manifest_id, n.object_type, n.object_identity, n.parent_object_identity,
               n.expected_definition_sha256, n.expected_constraint_set_sha256
          FROM new_rows n
        EXCEPT
        SELECT v.manifest_id, p.*
          FROM qt001_cp.manifest_version v
         CROSS JOIN LATERAL qt001_cp.manifest_scope_from_payload(v.payload) p
         WHERE v.manifest_id IN (SELECT DISTINCT n2.manifest_id FROM new_rows n2))
    THEN
        RAISE EXCEPTION 'authority_scope_manifest rows must be exactly the sealed payload''s objects'
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER manifest_version_forward_only
    BEFORE UPDATE OR DELETE ON qt001_cp.manifest_version
    FOR EACH ROW EXECUTE FUNCTION qt001_cp.manifest_refuse_mutation();
CREATE TRIGGER manifest_version_no_truncate
    BEFORE TRUNCATE ON qt001_cp.manifest_version
    FOR EACH STATEMENT EXECUTE FUNCTION qt001_cp.manifest_refuse_mutation();

CREATE TRIGGER authority_scope_manifest_forward_only
    BEFORE UPDATE OR DELETE ON qt001_cp.authority_scope_manifest
    FOR EACH ROW EXECUTE FUNCTION qt001_cp.manifest_refuse_mutation();
CREATE TRIGGER authority_scope_manifest_no_truncate
    BEFORE TRUNCATE ON qt001_cp.authority_scope_manifest
    FOR EACH STATEMENT EXECUTE FUNCTION qt001_cp.manifest_refuse_mutation();
CREATE TRIGGER authority_scope_manifest_sealed_rows
    AFTER INSERT ON qt001_cp.authority_scope_manifest
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION qt001_cp.manifest_scope_must_match_payload();

CREATE TRIGGER manifest_activation_forward_only
    BEFORE UPDATE OR DELETE ON qt001_cp.manifest_activation
    FOR EACH ROW EXECUTE FUNCTION qt001_cp.manifest_refuse_mutation();
CREATE TRIGGER manifest_activation_no_truncate
    BEFORE TRUNCATE ON qt001_cp.manifest_activation
    FOR EACH STATEMENT EXECUTE FUNCTION qt001_cp.manifest_refuse_mutation();

REVOKE ALL ON FUNCTION qt001_cp.manifest_refuse_mutation() FROM PUBLIC;
REVOKE ALL ON FUNCTION qt001_cp.manifest_scope_must_match_payload() FROM PUBLIC;

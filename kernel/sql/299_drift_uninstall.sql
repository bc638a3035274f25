-- 299_drift_uninstall.sql — `script uninstall`: reverse the drift slice (files 210–280).
--
-- Seed 002: "Reversal is the exact reverse order and may drop only empty
-- candidate-only objects. Active/history objects are never dropped." The whole
-- reversal is one DO statement, so it is atomic: it first refuses (SQLSTATE
-- 55000, nothing changed) when any manifest version, scope row or activation
-- exists — that is sealed or active history — and otherwise drops, in exact
-- reverse creation order, 280's constraints, 260's triggers and functions,
-- 250, 240, 230, 220's functions and 210's tables. Anything else depending on
-- these objects makes a DROP fail (no CASCADE), which also changes nothing.
-- Objects of other slices (schema qt001_cp, evidence_registry, artifact_store
-- from 200; the 3xx/4xx files) are not touched.

DO $uninstall$
BEGIN
    IF EXISTS (SELECT 1 FROM qt001_cp.manifest_version)
       OR EXISTS (SELECT 1 FROM qt001_cp.authority_scope_manifest)
       OR EXISTS (SELECT 1 FROM qt001_cp.manifest_activation)
    THEN
        RAISE EXCEPTION 'drift uninstall refused: manifest history exists (sealed or active versions are never dropped)'
            USING ERRCODE = '55000';
    END IF;

    -- 280 (reverse)
    ALTER TABLE qt001_cp.manifest_activation DROP CONSTRAINT manifest_activation_rollback_evidence_fkey;
    ALTER TABLE qt001_cp.manifest_activation DROP CONSTRAINT manifest_activation_manifest_fkey;
    ALTER TABLE qt001_cp.authority_scope_manifest DROP CONSTRAINT authority_scope_manifest_manifest_fkey;
    ALTER TABLE qt001_cp.manifest_version DROP CONSTRAINT manifest_version_carries_payload_of_fkey;
    ALTER TABLE qt001_cp.manifest_version DROP CONSTRAINT manifest_version_supersedes_fkey;

    -- 260 (reverse)
    DROP TRIGGER manifest_activation_no_truncate ON qt001_cp.manifest_activation;
    DROP TRIGGER manifest_activation_forward_only ON qt001_cp.manifest_activation;
    DROP TRIGGER authority_scope_manifest_sealed_rows ON qt001_cp.authority_scope_manifest;
    DROP TRIGGER authority_scope_manifest_no_truncate ON qt001_cp.authority_scope_manifest;
    DROP TRIGGER authority_scope_manifest_forward_only ON qt001_cp.authority_scope_manifest;
    DROP TRIGGER manifest_version_no_truncate ON qt001_cp.manifest_version;
    DROP TRIGGER manifest_version_forward_only ON qt001_cp.manifest_version;
    DROP FUNCTION qt001_cp.manifest_scope_must_match_payload();
    DROP FUNCTION qt001_cp.manifest_refuse_mutation();

    -- 250 (reverse)
    DROP FUNCTION qt001_cp.rollback_manifest(text);

    -- 240 (reverse)
    DROP FUNCTION qt001_cp.verify_object_authority(text);

    -- 230 (reverse)
    DROP FUNCTION qt001_cp.activate_manifest(uuid, uuid);
    DROP FUNCTION qt001_cp.manifest_append_activation(uuid, uuid);
    DROP FUNCTION qt001_cp.manifest_require_valid_evidence(uuid);
    DROP FUNCTION qt001_cp.seal_manifest_from_realized(text, text[]);
    DROP FUNCTION qt001_cp.manifest_append_version(text, jsonb, text, uuid);
    DROP FUNCTION qt001_cp.manifest_scope_from_payload(jsonb);

    -- 220 (reverse)
    DROP FUNCTION qt001_cp.realized_authority_snapshot(text[]);
    DROP FUNCTION qt001_cp.realized_authority_rows(text[]);

    -- 210 (reverse)
    DROP TABLE qt001_cp.manifest_activation;
    DROP TABLE qt001_cp.authority_scope_manifest;
    DROP TABLE qt001_cp.manifest_version;
END
$uninstall$;

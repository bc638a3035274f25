-- 280_drift_deferred_constraints.sql — the drift slice's deferred constraint groups.
--
-- Seed 002 step 8: every FK of the manifest tables is added here, after all
-- tables exist ("deferred" refers to creation order; the constraints
-- themselves are RESTRICT/RESTRICT/NOT DEFERRABLE as the seed requires).
--   group 3 (manifest FKs): version supersession, version rollback source,
--           scope -> version, activation -> version
--   group 2 (dependency runtime FKs): activation rollback evidence -> evidence_registry
-- Dropping any of them is drift of the kernel's own manifest (DRIFT-DEFERRED-FK).

ALTER TABLE qt001_cp.manifest_version
    ADD CONSTRAINT manifest_version_supersedes_fkey
        FOREIGN KEY (supersedes_manifest_id) REFERENCES qt001_cp.manifest_version (manifest_id)
        ON UPDATE RESTRICT ON DELETE RESTRICT NOT DEFERRABLE;

ALTER TABLE qt001_cp.manifest_version
    ADD CONSTRAINT manifest_version_carries_payload_of_fkey
        FOREIGN KEY (carries_payload_of) REFERENCES qt001_cp.manifest_version (manifest_id)
        ON UPDATE RESTRICT ON DELETE RESTRICT NOT DEFERRABLE;

ALTER TABLE qt001_cp.authority_scope_manifest
    ADD CONSTRAINT authority_scope_manifest_manifest_fkey
        FOREIGN KEY (manifest_id) REFERENCES qt001_cp.manifest_version (manifest_id)
        ON UPDATE RESTRICT ON DELETE RESTRICT NOT DEFERRABLE;

ALTER TABLE qt001_cp.manifest_activation
    ADD CONSTRAINT manifest_activation_manifest_fkey
        FOREIGN KEY (manifest_id) REFERENCES qt001_cp.manifest_version (manifest_id)
        ON UPDATE RESTRICT ON DELETE RESTRICT NOT DEFERRABLE;

ALTER TABLE qt001_cp.manifest_activation
    ADD CONSTRAINT manifest_activation_rollback_evidence_fkey
        FOREIGN KEY (rollback_evidence_id) REFERENCES qt001_cp.evidence_registry (evidence_id)
        ON UPDATE RESTRICT ON DELETE RESTRICT NOT DEFERRABLE;

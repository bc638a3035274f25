-- variant: closed-kind-catalog
-- choice: section 3, objects: evidence kinds may form a closed catalog (seed 001), as long as function_source, owner_acl_snapshot, manifest_payload and test_artifact are accepted (v2)
-- why: seed 001 keys evidence_kind to a code catalog; a kernel that refuses every kind outside its catalog is as correct as one that takes any text
CREATE TABLE qt001_cp.evidence_kind_catalog (
    kind text PRIMARY KEY
);
-- exactly the four kinds of the contract, and the one the reference's
-- seal-kernel script (section 0) registers its bootstrap under
INSERT INTO qt001_cp.evidence_kind_catalog (kind) VALUES
    ('function_source'), ('owner_acl_snapshot'), ('manifest_payload'), ('test_artifact'),
    ('manifest_bootstrap');
ALTER TABLE qt001_cp.evidence_registry
    ADD CONSTRAINT evidence_registry_kind_in_catalog
    FOREIGN KEY (evidence_kind) REFERENCES qt001_cp.evidence_kind_catalog (kind);
REVOKE ALL ON TABLE qt001_cp.evidence_kind_catalog FROM PUBLIC;

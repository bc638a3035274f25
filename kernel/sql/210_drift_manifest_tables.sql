-- 210_drift_manifest_tables.sql — the manifest tables of the drift slice (seed 002).
--
-- Normative creation order (seed 002): the tables are created here WITHOUT their
-- foreign keys; every FK of the slice belongs to a deferred constraint group and
-- is added last, in 280_drift_deferred_constraints.sql. Immutability triggers
-- come in 260. The uninstall script (299) drops everything here in exact reverse
-- order.
--
-- manifest_version        one immutable row per sealed version of a manifest set.
-- authority_scope_manifest one typed row per expected object of a version
--                          (TABLE rows carry the child-set hash, children their
--                          definition hash); only insertable in the transaction
--                          that created the version (trigger in 260).
-- manifest_activation     append-only; the active version of a set is the
--                          manifest of its latest activation (activation_seq).

CREATE TABLE qt001_cp.manifest_version (
    manifest_id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    manifest_set           text NOT NULL CHECK (manifest_set <> ''),
    version                integer NOT NULL CHECK (version >= 1),
    payload                jsonb NOT NULL,
    payload_sha256         text NOT NULL CHECK (payload_sha256 ~ '^[0-9a-f]{64}$'),
    created_at             timestamptz NOT NULL,
    supersedes_manifest_id uuid,
    -- 'seal': sealed from the realized catalog; 'rollback': carries the payload
    -- of carries_payload_of (forward-only rollback, seed 004).
    origin                 text NOT NULL CHECK (origin IN ('seal', 'rollback')),
    carries_payload_of     uuid,
    CONSTRAINT manifest_version_set_version_key UNIQUE (manifest_set, version),
    CONSTRAINT manifest_version_payload_hash
        CHECK (payload_sha256 = encode(sha256(convert_to(payload::text, 'UTF8')), 'hex')),
    CONSTRAINT manifest_version_supersedes_first
        CHECK ((version = 1) = (supersedes_manifest_id IS NULL)),
    CONSTRAINT manifest_version_rollback_source
        CHECK ((origin = 'rollback') = (carries_payload_of IS NOT NULL))
);

CREATE TABLE qt001_cp.authority_scope_manifest (
    manifest_id                    uuid NOT NULL,
    object_type                    text NOT NULL
        CHECK (object_type IN ('TABLE', 'CONSTRAINT', 'INDEX', 'TRIGGER')),
    object_identity                text NOT NULL CHECK (object_identity <> ''),
    parent_object_identity         text,
    expected_definition_sha256     text CHECK (expected_definition_sha256 ~ '^[0-9a-f]{64}$'),
    expected_constraint_set_sha256 text CHECK (expected_constraint_set_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT authority_scope_manifest_pkey PRIMARY KEY (manifest_id, object_type, object_identity),
    -- TABLE rows carry the set hash and no parent; children the definition hash and a parent.
    CONSTRAINT authority_scope_manifest_typed_hash CHECK (
        CASE WHEN object_type = 'TABLE'
             THEN expected_constraint_set_sha256 IS NOT NULL
                  AND expected_definition_sha256 IS NULL
                  AND parent_object_identity IS NULL
             ELSE expected_definition_sha256 IS NOT NULL
                  AND expected_constraint_set_sha256 IS NULL
                  AND parent_object_identity IS NOT NULL
        END)
);

CREATE TABLE qt001_cp.manifest_activation (
    activation_id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    activation_seq       bigint GENERATED ALWAYS AS IDENTITY,
    manifest_id          uuid NOT NULL,
    activated_at         timestamptz NOT NULL,
    rollback_evidence_id uuid NOT NULL,
    CONSTRAINT manifest_activation_seq_key UNIQUE (activation_seq)
);

REVOKE ALL ON TABLE qt001_cp.manifest_version, qt001_cp.authority_scope_manifest,
    qt001_cp.manifest_activation FROM PUBLIC;

COMMENT ON TABLE qt001_cp.manifest_version IS
    'Sealed manifest versions (seed 002). Immutable: never updated or deleted.';
COMMENT ON TABLE qt001_cp.authority_scope_manifest IS
    'Typed expected-object rows of a manifest version (seed 002 counted surface #20). Immutable.';
COMMENT ON TABLE qt001_cp.manifest_activation IS
    'Append-only activations; the active version of a set is its latest activation.';

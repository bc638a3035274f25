-- 200_qt001_cp_base.sql — schema qt001_cp and the evidence anchor tables.
--
-- Creation order (seed 002, "Normative Creation Order"): schema first, then the
-- evidence registry and the content store, because manifest_activation's
-- rollback_evidence_id references evidence_registry. Functions and immutability
-- triggers for these tables live in the 3xx (evidence) files; the manifest
-- tables live in the 2xx (drift) files.

CREATE SCHEMA IF NOT EXISTS qt001_cp;

-- Seed 001: content-addressed evidence. Only last_readback_at and revoked_at may
-- ever change (enforced by a trigger in the evidence files).
CREATE TABLE IF NOT EXISTS qt001_cp.evidence_registry (
    evidence_id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    evidence_kind          text NOT NULL CHECK (evidence_kind <> ''),
    storage_class          text NOT NULL CHECK (storage_class <> ''),
    artifact_uri           text NOT NULL CHECK (artifact_uri <> ''),
    artifact_sha256        text NOT NULL CHECK (artifact_sha256 ~ '^[0-9a-f]{64}$'),
    artifact_size_bytes    bigint NOT NULL CHECK (artifact_size_bytes >= 0),
    issuer_principal_id    uuid NOT NULL,
    control_epoch          bigint NOT NULL DEFAULT 0 CHECK (control_epoch >= 0),
    issued_at              timestamptz NOT NULL,
    last_readback_at       timestamptz,
    valid_until            timestamptz NOT NULL,
    revoked_at             timestamptz,
    supersedes_evidence_id uuid REFERENCES qt001_cp.evidence_registry (evidence_id)
                               ON UPDATE RESTRICT ON DELETE RESTRICT,
    CONSTRAINT evidence_registry_artifact_key UNIQUE (storage_class, artifact_uri, artifact_sha256),
    CONSTRAINT evidence_registry_validity CHECK (valid_until > issued_at)
);

-- The embedded content store for artifact bodies; rows are immutable.
CREATE TABLE IF NOT EXISTS qt001_cp.artifact_store (
    artifact_uri text PRIMARY KEY CHECK (artifact_uri <> ''),
    body         bytea NOT NULL,
    stored_at    timestamptz NOT NULL DEFAULT now()
);

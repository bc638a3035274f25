-- 290_drift_seal_kernel.sql — `script seal-kernel`: protect the kernel's own schema.
--
-- Seed 002 step 10 ("exact-set verification, then seal/activate") comes after
-- every other install step, including the evidence slice's triggers (3xx) and
-- owner/ACL setup, so sealing the kernel's own schema is not an install file
-- (sealing at the end of 2xx would make the 3xx objects extras): the deployer
-- runs this script once after the install. It seals manifest set
-- 'qt001_cp.kernel' over schema qt001_cp and activates it with a bootstrap
-- evidence row: the sealed payload itself, stored in artifact_store and
-- registered directly in evidence_registry after reading it back (the evidence
-- functions are not required here). The bootstrap evidence never expires.
-- Refuses (55000, nothing changed) if the set was already sealed.

DO $seal$
DECLARE
    v_mid uuid;
    v_body bytea;
    v_uri text;
    v_ev uuid;
    v_now timestamptz := public.kernel_now();
BEGIN
    IF EXISTS (SELECT 1 FROM qt001_cp.manifest_version WHERE manifest_set = 'qt001_cp.kernel') THEN
        RAISE EXCEPTION 'manifest set qt001_cp.kernel is already sealed; use seal + activate for a new version'
            USING ERRCODE = '55000';
    END IF;
    v_mid := qt001_cp.seal_manifest_from_realized('qt001_cp.kernel', ARRAY['qt001_cp']);
    SELECT convert_to(payload::text, 'UTF8') INTO v_body
      FROM qt001_cp.manifest_version WHERE manifest_id = v_mid;
    v_uri := 'qt001_cp:manifest/qt001_cp.kernel/' || v_mid::text;
    INSERT INTO qt001_cp.artifact_store (artifact_uri, body) VALUES (v_uri, v_body);
    -- read back what was stored before registering it
    IF (SELECT encode(sha256(s.body), 'hex') FROM qt001_cp.artifact_store s WHERE s.artifact_uri = v_uri)
       IS DISTINCT FROM encode(sha256(v_body), 'hex') THEN
        RAISE EXCEPTION 'bootstrap evidence read-back mismatch' USING ERRCODE = 'XX001';
    END IF;
    INSERT INTO qt001_cp.evidence_registry (evidence_kind, storage_class, artifact_uri, artifact_sha256,
                                            artifact_size_bytes, issuer_principal_id, issued_at,
                                            last_readback_at, valid_until)
    VALUES ('manifest_bootstrap', 'embedded', v_uri, encode(sha256(v_body), 'hex'),
            octet_length(v_body), '00000000-0000-0000-0000-000000000000', v_now, v_now, 'infinity')
    RETURNING evidence_id INTO v_ev;
    PERFORM qt001_cp.activate_manifest(v_mid, v_ev);
END
$seal$;

-- 290_drift_seal_kernel.sql — `script seal-kernel`: protect the kernel's own schema.
--
-- Seed 002 step 10 ("exact-set verification, then seal/activate") comes after
-- every other install step, including the evidence slice's triggers (3xx) and
-- owner/ACL setup, so sealing the kernel's own schema is not an install file
-- (sealing at the end of 2xx would make the 3xx objects extras): the deployer
-- runs this script once after the install (CONTRACT §0, `script seal-kernel`).
-- It seals manifest set 'qt001_cp.kernel' over schema qt001_cp and activates
-- it with bootstrap rollback evidence: the sealed payload itself, sealed with
-- qt001_cp.seal_artifact (kind manifest_payload, storage class embedded) and
-- read back with qt001_cp.readback_verify — the same path every other piece of
-- evidence takes. The bootstrap evidence is valid for 100 years.
-- Refuses (55000, nothing changed) if the set was already sealed; raises
-- XX001 if the read-back fails.

DO $seal$
DECLARE
    v_mid uuid;
    v_body bytea;
    v_ev uuid;
BEGIN
    IF EXISTS (SELECT 1 FROM qt001_cp.manifest_version WHERE manifest_set = 'qt001_cp.kernel') THEN
        RAISE EXCEPTION 'manifest set qt001_cp.kernel is already sealed; use seal + activate for a new version'
            USING ERRCODE = '55000';
    END IF;
    v_mid := qt001_cp.seal_manifest_from_realized('qt001_cp.kernel', ARRAY['qt001_cp']);
    SELECT convert_to(payload::text, 'UTF8') INTO v_body
      FROM qt001_cp.manifest_version WHERE manifest_id = v_mid;
    v_ev := qt001_cp.seal_artifact('qt001_cp:manifest/qt001_cp.kernel/' || v_mid::text, v_body,
                                   'manifest_payload', 'embedded',
                                   '00000000-0000-0000-0000-000000000000', interval '100 years');
    IF NOT qt001_cp.readback_verify(v_ev) THEN
        RAISE EXCEPTION 'bootstrap evidence % did not read back', v_ev USING ERRCODE = 'XX001';
    END IF;
    PERFORM qt001_cp.activate_manifest(v_mid, v_ev);
END
$seal$;

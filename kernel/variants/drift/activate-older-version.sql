-- variant: activate-older-version
-- choice: section 2, manifest_activation: the active version of a set is its latest activation "whatever its version number" — whether activate_manifest accepts a superseded (older) version is the kernel's choice
-- why: a kernel that lets an operator re-activate an older sealed version (a new activation row, no row edited) is as correct as one that only allows rollback_manifest to bring an old payload back

CREATE OR REPLACE FUNCTION qt001_cp.activate_manifest(p_manifest_id uuid, p_rollback_evidence_id uuid)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    v_active uuid;
BEGIN
    IF p_manifest_id IS NULL THEN
        RAISE EXCEPTION 'a manifest id is required' USING ERRCODE = '22004';
    END IF;
    SELECT * INTO m FROM qt001_cp.manifest_version v WHERE v.manifest_id = p_manifest_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'manifest % does not exist', p_manifest_id USING ERRCODE = 'P0002';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('qt001_cp.manifest_set:' || m.manifest_set, 0));
    PERFORM qt001_cp.manifest_require_valid_evidence(p_rollback_evidence_id);
    SELECT a.manifest_id INTO v_active
      FROM qt001_cp.manifest_activation a
      JOIN qt001_cp.manifest_version v ON v.manifest_id = a.manifest_id
     WHERE v.manifest_set = m.manifest_set
     ORDER BY a.activation_seq DESC
     LIMIT 1;
    IF v_active = p_manifest_id THEN
        RAISE EXCEPTION 'manifest % is already the active version of %', p_manifest_id, m.manifest_set
            USING ERRCODE = '55000';
    END IF;
    RETURN qt001_cp.manifest_append_activation(p_manifest_id, p_rollback_evidence_id);
END
$$;

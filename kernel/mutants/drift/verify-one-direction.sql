-- mutant: verify-one-direction
-- kills: DRIFT-DETECT, DRIFT-EXTRA-INDEX
-- why: verify compares expected against realized in one direction only (LEFT JOIN): extras are never reported

CREATE OR REPLACE FUNCTION qt001_cp.verify_object_authority(p_manifest_set text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    v_schemas text[];
    v_failures jsonb;
BEGIN
    IF p_manifest_set IS NULL OR p_manifest_set = '' THEN
        RETURN jsonb_build_object('ok', false, 'manifest_id', NULL, 'manifest_set', p_manifest_set,
                                  'failures', '[]'::jsonb, 'reason', 'NO_MANIFEST_SET');
    END IF;
    SELECT v.* INTO m
      FROM qt001_cp.manifest_activation a
      JOIN qt001_cp.manifest_version v ON v.manifest_id = a.manifest_id
     WHERE v.manifest_set = p_manifest_set
     ORDER BY a.activation_seq DESC
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('ok', false, 'manifest_id', NULL, 'manifest_set', p_manifest_set,
                                  'failures', '[]'::jsonb, 'reason', 'NO_ACTIVE_MANIFEST');
    END IF;

    -- Integrity: the payload hashes to payload_sha256 and the typed rows are
    -- exactly the payload's objects (no row added, removed or altered since the seal).
    IF m.payload_sha256 IS DISTINCT FROM encode(sha256(convert_to(m.payload::text, 'UTF8')), 'hex')
       OR jsonb_typeof(m.payload->'schemas') IS DISTINCT FROM 'array'
       OR jsonb_array_length(m.payload->'schemas') = 0
       OR EXISTS (
            (SELECT s.object_type, s.object_identity, s.parent_object_identity,
                    s.expected_definition_sha256, s.expected_constraint_set_sha256
               FROM qt001_cp.authority_scope_manifest s WHERE s.manifest_id = m.manifest_id
             EXCEPT ALL
             SELECT * FROM qt001_cp.manifest_scope_from_payload(m.payload))
            UNION ALL
            (SELECT * FROM qt001_cp.manifest_scope_from_payload(m.payload)
             EXCEPT ALL
             SELECT s.object_type, s.object_identity, s.parent_object_identity,
                    s.expected_definition_sha256, s.expected_constraint_set_sha256
               FROM qt001_cp.authority_scope_manifest s WHERE s.manifest_id = m.manifest_id))
    THEN
        RETURN jsonb_build_object('ok', false, 'manifest_id', m.manifest_id,
                                  'manifest_set', p_manifest_set,
                                  'failures', '[]'::jsonb, 'reason', 'MANIFEST_INTEGRITY');
    END IF;

    v_schemas := ARRAY(SELECT jsonb_array_elements_text(m.payload->'schemas'));

    WITH expected AS (
        SELECT s.object_type AS ot, s.object_identity AS oi,
               coalesce(s.expected_definition_sha256, s.expected_constraint_set_sha256) AS h
          FROM qt001_cp.authority_scope_manifest s
         WHERE s.manifest_id = m.manifest_id
    ), realized AS (
        SELECT r.object_type AS ot, r.object_identity AS oi, r.definition_sha256 AS h
          FROM qt001_cp.realized_authority_rows(v_schemas) r
    ), diff AS (
        SELECT coalesce(e.ot, r.ot) AS ot, coalesce(e.oi, r.oi) AS oi,
               CASE WHEN r.oi IS NULL THEN 'missing'
                    WHEN e.oi IS NULL THEN 'extra'
                    ELSE 'changed' END AS kind,
               e.h AS eh, r.h AS rh
          FROM expected e
          LEFT JOIN realized r ON r.ot = e.ot AND r.oi = e.oi
         WHERE e.h IS DISTINCT FROM r.h
    )
    SELECT jsonb_agg(jsonb_build_object('code', 'OBJECT_AUTHORITY_IMMUTABLE',
                                        'object_identity', d.oi,
                                        'object_type', d.ot,
                                        'kind', d.kind,
                                        'expected_sha256', d.eh,
                                        'realized_sha256', d.rh)
                     ORDER BY d.ot COLLATE "C", d.oi COLLATE "C")
      INTO v_failures
      FROM diff d;

    RETURN jsonb_build_object('ok', v_failures IS NULL, 'manifest_id', m.manifest_id,
                              'manifest_set', p_manifest_set,
                              'failures', coalesce(v_failures, '[]'::jsonb));
END
$$;

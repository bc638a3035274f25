-- variant: verify-reordered-extra-keys
-- choice: section 2, verify_object_authority: the contract names the keys a report has, not their absence of others, nor the order of "failures"
-- why: a kernel that lists failures TABLEs last, in reverse order, and adds keys of its own (per failure and at the top) reports exactly the same drift

ALTER FUNCTION qt001_cp.verify_object_authority(text) RENAME TO verify_object_authority_core;

CREATE FUNCTION qt001_cp.verify_object_authority(p_manifest_set text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r jsonb := qt001_cp.verify_object_authority_core(p_manifest_set);
    v_failures jsonb;
BEGIN
    SELECT coalesce(jsonb_agg(f || jsonb_build_object('severity', 'error',
                                                      'detail', (f->>'object_type') || ' ' || (f->>'kind'))
                              ORDER BY (f->>'object_type') = 'TABLE', n DESC), '[]'::jsonb)
      INTO v_failures
      FROM jsonb_array_elements(r->'failures') WITH ORDINALITY AS x(f, n);
    RETURN r || jsonb_build_object('failures', v_failures,
                                   'failure_count', jsonb_array_length(v_failures),
                                   'report_format', 'variant/2');
END
$$;

REVOKE ALL ON FUNCTION qt001_cp.verify_object_authority(text) FROM PUBLIC;

-- variant: kernel-schema-reserved
-- choice: section 2, seal_manifest_from_realized: which (set, schemas) pairs a kernel agrees to seal beyond the contract's is its choice; the kernel's own schema is sealed by `script seal-kernel` as set qt001_cp.kernel (section 0)
-- why: a kernel that refuses to seal its own schema qt001_cp under any other set name (so no second, competing manifest of itself can exist) is as correct as one that seals any schema under any name

ALTER FUNCTION qt001_cp.seal_manifest_from_realized(text, text[]) RENAME TO seal_manifest_from_realized_any;
REVOKE ALL ON FUNCTION qt001_cp.seal_manifest_from_realized_any(text, text[]) FROM PUBLIC;

CREATE FUNCTION qt001_cp.seal_manifest_from_realized(p_manifest_set text, p_schemas text[])
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF 'qt001_cp' = ANY (p_schemas) AND p_manifest_set IS DISTINCT FROM 'qt001_cp.kernel' THEN
        RAISE EXCEPTION 'schema qt001_cp is sealed only as manifest set qt001_cp.kernel, not %', p_manifest_set
            USING ERRCODE = '42501';
    END IF;
    RETURN qt001_cp.seal_manifest_from_realized_any(p_manifest_set, p_schemas);
END
$$;
REVOKE ALL ON FUNCTION qt001_cp.seal_manifest_from_realized(text, text[]) FROM PUBLIC;

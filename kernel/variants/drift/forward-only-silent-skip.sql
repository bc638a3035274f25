-- variant: forward-only-silent-skip
-- choice: section 2, DRIFT-FORWARD-ONLY: rows "can't be updated or deleted"; whether an UPDATE or DELETE is refused with an error or silently changes nothing is the kernel's choice (a statement that changes no row is not a violation)
-- why: a kernel whose row triggers skip every UPDATE and DELETE (BEFORE ... RETURN NULL) keeps its history exactly as intact as one that raises; TRUNCATE is still refused (a statement trigger cannot skip it)

CREATE OR REPLACE FUNCTION qt001_cp.manifest_refuse_mutation()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION '%.% is forward-only: TRUNCATE is refused', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501';
    END IF;
    -- UPDATE and DELETE: the row is left exactly as it is
    RETURN NULL;
END
$$;

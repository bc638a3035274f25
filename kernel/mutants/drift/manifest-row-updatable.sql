-- mutant: manifest-row-updatable
-- kills: DRIFT-FORWARD-ONLY
-- why: the forward-only trigger lets UPDATE through on manifest_version ("metadata fixes"): a sealed version can be edited in place

CREATE OR REPLACE FUNCTION qt001_cp.manifest_refuse_mutation()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'manifest_version' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '%.% is forward-only: % is refused (no manifest, scope or activation row is ever edited or deleted)',
        TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = '42501';
END
$$;

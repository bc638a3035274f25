-- variant: closed-storage-class-catalog
-- choice: section 3, objects: storage classes may form a closed catalog (seed 001), as long as 'embedded' is accepted (v2)
-- why: this kernel stores every body in its own artifact_store, so 'embedded' is the only storage class it will register; refusing others is correct
CREATE OR REPLACE FUNCTION qt001_cp.evidence_storage_class_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.storage_class IS DISTINCT FROM 'embedded' THEN
        RAISE EXCEPTION 'storage class % is not in this kernel''s catalog (only embedded)', NEW.storage_class
            USING ERRCODE = '22023';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION qt001_cp.evidence_storage_class_guard() FROM PUBLIC;
CREATE TRIGGER evidence_registry_storage_class
    BEFORE INSERT ON qt001_cp.evidence_registry
    FOR EACH ROW EXECUTE FUNCTION qt001_cp.evidence_storage_class_guard();

-- mutant: aperture-proof-substring-regclass
-- kills: DUR-APERTURE
-- why: proof 4 matches targets to the registry by name suffix (LIKE '%' || table) instead of regclass equality (seed 000, v2)
CREATE OR REPLACE FUNCTION cpo.aperture_insert_targets()
RETURNS TABLE(target text, target_oid regclass, how text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_proc regprocedure := to_regprocedure('cpo.commit_action(text,jsonb,jsonb,uuid,uuid)');
    v_src  text;
    m      text[];
BEGIN
    IF v_proc IS NULL THEN
        RETURN;
    END IF;
    SELECT p.prosrc INTO v_src FROM pg_proc p WHERE p.oid = v_proc;
    FOR m IN
        SELECT regexp_matches(v_src,
            'INSERT\s+INTO\s+((?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))?)',
            'gi')
    LOOP
        target := regexp_replace(m[1], '\s+', '', 'g');
        -- v2: "registered" when some registry table name ends with the bare table name
        SELECT r.table_regclass INTO target_oid
          FROM cpo.artifact_table_registry r
         WHERE r.table_regclass::text LIKE '%' || split_part(target, '.', 2)
         LIMIT 1;
        IF target_oid IS NULL THEN
            target_oid := to_regclass(target);
        END IF;
        how := 'literal';
        RETURN NEXT;
    END LOOP;
    IF v_src ~* 'EXECUTE\s+format\s*\(\s*''INSERT\s+INTO\s+%'
       AND v_src ~* '(get_canonical_artifact_types|artifact_table_registry)' THEN
        FOR target, target_oid IN
            SELECT g.table_regclass::text, g.table_regclass FROM cpo.get_canonical_artifact_types() g
        LOOP
            how := 'dynamic via registry';
            RETURN NEXT;
        END LOOP;
    END IF;
END
$$;

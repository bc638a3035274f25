-- mutant: aperture-proof-substring-regclass
-- kills: DUR-APERTURE
-- why: proof 4 matches targets to the registry by name suffix (LIKE '%' || table) instead of regclass equality (seed 000, v2)
SELECT pg_temp.pgconform_patch('cpo.aperture_insert_targets()',
    $old$        target_oid := to_regclass(target);$old$,
    $new$        -- v2: "registered" when some registry table name ends with the bare table name
        SELECT r.table_regclass INTO target_oid
          FROM cpo.artifact_table_registry r
         WHERE r.table_regclass::text LIKE '%' || split_part(target, '.', 2)
         LIMIT 1;
        IF target_oid IS NULL THEN
            target_oid := to_regclass(target);
        END IF;$new$);

-- mutant: benign-extra-index
-- kills: DRIFT-CLEAN, DRIFT-DETECT, DRIFT-EXTRA-INDEX
-- why: a "benign" plain index (not unique, not partial, no expression) is left out of the realized set, so an extra one never fails (seed 002: no BENIGN_EXTRA_INDEX exemption)
SELECT pg_temp.pgconform_patch('qt001_cp.realized_authority_rows(text[])',
    $old$          JOIN pg_class ic ON ic.oid = i.indexrelid$old$,
    $new$          JOIN pg_class ic ON ic.oid = i.indexrelid
         WHERE i.indisunique OR i.indpred IS NOT NULL OR i.indexprs IS NOT NULL$new$);

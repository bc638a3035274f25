-- mutant: index-ignores-predicate
-- kills: DRIFT-DETECT
-- why: index definitions are hashed without their WHERE clause: adding or dropping a partial-index predicate goes unnoticed
SELECT pg_temp.pgconform_patch('qt001_cp.realized_authority_rows(text[])',
    $old$               pg_get_indexdef(i.indexrelid, 0, false)$old$,
    $new$               regexp_replace(pg_get_indexdef(i.indexrelid, 0, false), ' WHERE .*$', '')$new$);

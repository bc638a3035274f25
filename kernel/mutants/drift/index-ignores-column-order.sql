-- mutant: index-ignores-column-order
-- kills: DRIFT-DETECT
-- why: indexes are compared as name + access method + the sorted set of key columns: column order, sort order and opclass changes go unnoticed
SELECT pg_temp.pgconform_patch('qt001_cp.realized_authority_rows(text[])',
    $old$               pg_get_indexdef(i.indexrelid, 0, false)$old$,
    $new$               format('INDEX %I ON %s USING %s (%s)', ic.relname, t.ident, (SELECT am.amname FROM pg_am am WHERE am.oid = ic.relam),
                      (SELECT string_agg(pg_get_indexdef(i.indexrelid, k, false), ', ' ORDER BY pg_get_indexdef(i.indexrelid, k, false))
                         FROM generate_series(1, i.indnatts) k))
                 || coalesce(' WHERE ' || pg_get_expr(i.indpred, i.indrelid), '')$new$);

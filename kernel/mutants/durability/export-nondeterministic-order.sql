-- mutant: export-nondeterministic-order
-- kills: DUR-DETERMINISM, DUR-ORDER
-- why: seq-ordered types are exported in the order of a hash of the whole row (random uuid ids included) instead of seq
CREATE OR REPLACE FUNCTION cpo.pack_row_order_expr(p_row_order_column text, p_content_column text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
               WHEN p_row_order_column = 'seq' THEN 'md5(t::text)'
               WHEN p_row_order_column IS NOT NULL THEN format('t.%I', p_row_order_column)
               ELSE format('t.%I::text COLLATE "C"', p_content_column)
           END
$$;

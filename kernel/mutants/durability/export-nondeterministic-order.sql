-- mutant: export-nondeterministic-order
-- kills: DUR-DETERMINISM, DUR-ORDER
-- why: seq-ordered types are exported in the order of a hash of the whole row (random uuid ids included) instead of seq
SELECT pg_temp.pgconform_patch('cpo.pack_row_order_expr(text,text)',
    $old$    SELECT CASE$old$,
    $new$    SELECT CASE
               WHEN p_row_order_column = 'seq' THEN 'md5(t::text)'$new$);

-- mutant: rehydrate-reverses-order
-- kills: DUR-ORDER
-- why: rehydrate inserts each type's rows in reverse pack order, so recomputed seq order is reversed
SELECT pg_temp.pgconform_patch('cpo.rehydrate_agent(jsonb,text)',
    $old$'ORDER BY e.ord',$old$,
    $new$'ORDER BY e.ord DESC',$new$);

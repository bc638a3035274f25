-- mutant: verify-one-directional
-- kills: DUR-TAMPER
-- why: only source digests absent from the target are checked (set containment): a duplicated or injected row passes
SELECT pg_temp.pgconform_patch('cpo.verify_reconstruction(uuid,text,text)',
    $old$WHERE NOT EXISTS (SELECT 1 FROM xn WHERE xn.d = sn.d AND xn.n = sn.n)$old$,
    $new$WHERE NOT EXISTS (SELECT 1 FROM x WHERE x.d = sn.d)$new$,
    $old$        IF jsonb_array_length(v_miss) > 0 OR jsonb_array_length(v_extra) > 0 THEN$old$,
    $new$        IF jsonb_array_length(v_miss) > 0 THEN$new$,
    $old$'missing', v_miss, 'extra', v_extra));$old$,
    $new$'missing', v_miss, 'extra', '[]'::jsonb));$new$);

-- mutant: rollback-guard-ignores-missing-rows
-- kills: GATE-MODEL, GATE-ROLLBACK
-- why: the rollback guard only counts rows whose value is not 'false', so a governable gate whose row was deleted (open, CONTRACT v2 §4) does not stop the rollback
SELECT pg_temp.pgconform_patch('public.fn_iu_gate_rollback_guard()',
    $old$    SELECT array_agg(k.gate_key ORDER BY k.gate_key) INTO v_open
      FROM public.fn_iu_gate_keys() k
      LEFT JOIN public.dot_config c ON c.key = k.gate_key
     WHERE k.gate_class = 'governable' AND c.value IS DISTINCT FROM 'false';$old$,
    $new$    SELECT array_agg(c.key ORDER BY c.key) INTO v_open
      FROM public.dot_config c
      JOIN public.fn_iu_gate_keys() k ON k.gate_key = c.key AND k.gate_class = 'governable'
     WHERE c.value <> 'false';$new$);

-- mutant: rollback-without-guard
-- kills: GATE-MODEL, GATE-ROLLBACK
-- why: the rollback's fail-closed guard is a no-op: the watchdog can be removed while a gate is open (seed 003, A6)
SELECT pg_temp.pgconform_patch('public.fn_iu_gate_rollback_guard()',
    $old$BEGIN
    SELECT array_agg(k.gate_key ORDER BY k.gate_key) INTO v_open$old$,
    $new$BEGIN
    RETURN;  -- the guard checks nothing
    SELECT array_agg(k.gate_key ORDER BY k.gate_key) INTO v_open$new$);

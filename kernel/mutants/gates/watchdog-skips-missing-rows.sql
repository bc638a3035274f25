-- mutant: watchdog-skips-missing-rows
-- kills: GATE-MODEL, GATE-WATCHDOG
-- why: a governable gate whose dot_config row was deleted is treated as closed and left alone; CONTRACT v2 §4: a missing row is open and the watchdog writes it as 'false'
SELECT pg_temp.pgconform_patch('public.fn_iu_gate_watchdog(text)',
    $old$        CONTINUE WHEN r.value = 'false';$old$,
    $new$        CONTINUE WHEN r.value = 'false' OR NOT r.present;$new$);

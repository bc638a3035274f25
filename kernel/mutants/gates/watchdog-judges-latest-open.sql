-- mutant: watchdog-judges-latest-open
-- kills: GATE-MODEL, GATE-WATCHDOG
-- why: the watchdog looks at the gate's latest 'open' row instead of its latest row, so a gate set 'true' by hand after a close stays open while its last approval is live (CONTRACT v2 §4 watchdog rule)
SELECT pg_temp.pgconform_patch('public.fn_iu_gate_watchdog(text)',
    $old$         WHERE t.gate_key = r.key$old$,
    $new$         WHERE t.gate_key = r.key AND t.action = 'open'$new$);

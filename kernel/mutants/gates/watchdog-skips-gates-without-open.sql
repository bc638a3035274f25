-- mutant: watchdog-skips-gates-without-open
-- kills: GATE-MODEL, GATE-WATCHDOG
-- why: the watchdog only looks at gates that have a ledger row; a gate set 'true' out of band and never opened through the API stays open forever (seed 003: "or none"; CONTRACT v2 §4: "never opened through the API")
SELECT pg_temp.pgconform_patch('public.fn_iu_gate_watchdog(text)',
    $old$        CONTINUE WHEN FOUND AND v_last.action = 'open' AND v_now <= v_last.expires_at;$old$,
    $new$        CONTINUE WHEN FOUND AND v_last.action = 'open' AND v_now <= v_last.expires_at;
        CONTINUE WHEN NOT FOUND;$new$);

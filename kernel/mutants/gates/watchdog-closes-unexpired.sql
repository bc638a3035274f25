-- mutant: watchdog-closes-unexpired
-- kills: GATE-MODEL, GATE-WATCHDOG
-- why: the watchdog closes every open gate, ignoring unexpired TTLs
SELECT pg_temp.pgconform_patch('public.fn_iu_gate_watchdog(text)',
    $old$        CONTINUE WHEN FOUND AND v_last.action = 'open' AND v_now <= v_last.expires_at;$old$,
    $new$        -- (expiry no longer consulted)$new$);

-- mutant: watchdog-expiry-inclusive
-- kills: GATE-MODEL, GATE-WATCHDOG
-- why: expiry compared with <= instead of < (seed: expires_at < now()): a gate is closed at exactly its expires_at
SELECT pg_temp.pgconform_patch('public.fn_iu_gate_watchdog(text)',
    $old$        CONTINUE WHEN FOUND AND v_last.action = 'open' AND v_now <= v_last.expires_at;$old$,
    $new$        CONTINUE WHEN FOUND AND v_last.action = 'open' AND v_now < v_last.expires_at;$new$);

-- mutant: ttl-bound-3601-accepted
-- kills: GATE-MODEL
-- why: the TTL upper bound is off by one upwards (ttl <= 3601 accepted); the contract is ttl in (0, 3600] (seed 003, fn_iu_gate_open)
SELECT pg_temp.pgconform_patch('public.fn_iu_gate_open(text,uuid,text,text,integer)',
    $old$    IF p_ttl_seconds IS NULL OR p_ttl_seconds <= 0 OR p_ttl_seconds > 3600 THEN$old$,
    $new$    IF p_ttl_seconds IS NULL OR p_ttl_seconds <= 0 OR p_ttl_seconds > 3601 THEN$new$);

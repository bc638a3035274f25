-- mutant: ttl-bound-3600-refused
-- kills: GATE-MODEL
-- why: the TTL upper bound is off by one downwards (ttl = 3600 refused with 23514)
SELECT pg_temp.pgconform_patch('public.fn_iu_gate_open(text,uuid,text,text,integer)',
    $old$    IF p_ttl_seconds IS NULL OR p_ttl_seconds <= 0 OR p_ttl_seconds > 3600 THEN$old$,
    $new$    IF p_ttl_seconds IS NULL OR p_ttl_seconds <= 0 OR p_ttl_seconds >= 3600 THEN$new$);

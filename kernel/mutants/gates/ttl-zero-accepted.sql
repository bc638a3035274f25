-- mutant: ttl-zero-accepted
-- kills: GATE-MODEL
-- why: the TTL lower bound is off by one (ttl = 0 accepted: a gate opened already expired)
SELECT pg_temp.pgconform_patch('public.fn_iu_gate_open(text,uuid,text,text,integer)',
    $old$    IF p_ttl_seconds IS NULL OR p_ttl_seconds <= 0 OR p_ttl_seconds > 3600 THEN$old$,
    $new$    IF p_ttl_seconds IS NULL OR p_ttl_seconds < 0 OR p_ttl_seconds > 3600 THEN$new$);

-- mutant: open-reads-prev-without-lock
-- kills: GATE-CONCURRENT
-- why: fn_iu_gate_open reads the previous value without FOR UPDATE: concurrent calls record stale prev values and the ledger no longer explains the gate
SELECT pg_temp.pgconform_patch('public.fn_iu_gate_open(text,uuid,text,text,integer)',
    $old$    SELECT c.value INTO v_prev FROM public.dot_config c WHERE c.key = p_gate FOR UPDATE;$old$,
    $new$    SELECT c.value INTO v_prev FROM public.dot_config c WHERE c.key = p_gate;
    PERFORM pg_catalog.pg_sleep(0.05);  -- (widens the race window of this mutant)$new$);

-- mutant: close-writes-no-ledger-row
-- kills: GATE-MODEL, GATE-LEDGER
-- why: fn_iu_gate_close flips the value but writes no ledger row
SELECT pg_temp.pgconform_patch('public.fn_iu_gate_close(text,text,text)',
    $old$    INSERT INTO public.iu_gate_transition
        (gate_key, action, prev_value, new_value, actor, reason, run_id, created_at)
    VALUES (p_gate, 'close', v_prev, 'false', p_actor, p_reason, v_run, v_now)
    RETURNING transition_id INTO v_tid;$old$,
    $new$    v_tid := NULL;  -- no ledger row$new$);

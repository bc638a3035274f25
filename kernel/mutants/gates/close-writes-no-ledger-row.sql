-- mutant: close-writes-no-ledger-row
-- kills: GATE-MODEL, GATE-LEDGER
-- why: fn_iu_gate_close flips the value but writes no ledger row

CREATE OR REPLACE FUNCTION public.fn_iu_gate_close(p_gate text, p_actor text, p_reason text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_class text := public.fn_iu_gate_class(p_gate);
    v_prev  text;
    v_now   timestamptz;
    v_run   uuid;
    v_tid   uuid;
BEGIN
    IF v_class IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('%L is not a gate this protocol may close (fail-closed)', p_gate);
    END IF;
    PERFORM public.fn_iu_gate_require_actor(p_actor);

    SELECT c.value INTO v_prev FROM public.dot_config c WHERE c.key = p_gate FOR UPDATE;
    IF NOT FOUND THEN
        -- Refuses, or re-creates the row as 'false' (prev stays null).
        PERFORM public.fn_iu_gate_missing_row(p_gate, 'close');
        PERFORM 1 FROM public.dot_config c WHERE c.key = p_gate FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '55000',
                MESSAGE = format('gate %L has no dot_config row (fail-closed)', p_gate);
        END IF;
    END IF;
    v_now := public.kernel_now();

    UPDATE public.dot_config SET value = 'false' WHERE key = p_gate;
    v_run := public.fn_dot_iu_command_log(
        'dot_iu_gate_close', 'health', 'apply', 'applied', true,
        encode(sha256(convert_to(jsonb_build_object('gate', p_gate)::text, 'UTF8')), 'hex'),
        jsonb_build_object(p_gate, v_prev),
        jsonb_build_object('reason', p_reason),
        p_actor);
    v_tid := NULL;  -- no ledger row

    RETURN jsonb_build_object(
        'status', 'closed', 'gate', p_gate, 'prev_value', v_prev, 'new_value', 'false',
        'transition_id', v_tid, 'run_id', v_run);
END
$fn$;

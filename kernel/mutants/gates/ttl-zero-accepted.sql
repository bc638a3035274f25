-- mutant: ttl-zero-accepted
-- kills: GATE-MODEL
-- why: the TTL lower bound is off by one (ttl = 0 accepted: a gate opened already expired)

CREATE OR REPLACE FUNCTION public.fn_iu_gate_open(
    p_gate text, p_approval_id uuid, p_actor text, p_reason text, p_ttl_seconds integer)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_class   text := public.fn_iu_gate_class(p_gate);
    v_prev    text;
    v_now     timestamptz;
    v_expires timestamptz;
    v_run     uuid;
    v_tid     uuid;
BEGIN
    IF v_class = 'never_flip' THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('gate %L is NEVER-FLIP: no API opens it', p_gate),
            HINT = 'supply a real review_decision_id through the reviewed path instead';
    END IF;
    IF v_class IS DISTINCT FROM 'governable' THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('%L is not a governable runtime gate (fail-closed)', p_gate);
    END IF;
    IF p_approval_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = 'approval_id required';
    END IF;
    IF p_ttl_seconds IS NULL OR p_ttl_seconds < 0 OR p_ttl_seconds > 3600 THEN
        RAISE EXCEPTION USING ERRCODE = '23514',
            MESSAGE = format('ttl_seconds must be in (0, 3600], got %s', coalesce(p_ttl_seconds::text, 'null'));
    END IF;
    PERFORM public.fn_iu_gate_require_actor(p_actor);

    SELECT c.value INTO v_prev FROM public.dot_config c WHERE c.key = p_gate FOR UPDATE;
    IF NOT FOUND THEN
        -- Refuses, or re-creates the row as 'false' (prev stays null).
        PERFORM public.fn_iu_gate_missing_row(p_gate, 'open');
        PERFORM 1 FROM public.dot_config c WHERE c.key = p_gate FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '55000',
                MESSAGE = format('gate %L has no dot_config row (fail-closed)', p_gate);
        END IF;
    END IF;
    v_now := public.kernel_now();
    v_expires := v_now + make_interval(secs => p_ttl_seconds);

    UPDATE public.dot_config SET value = 'true' WHERE key = p_gate;
    v_run := public.fn_dot_iu_command_log(
        'dot_iu_gate_open', 'health', 'apply', 'applied', true,
        encode(sha256(convert_to(jsonb_build_object(
            'gate', p_gate, 'approval_id', p_approval_id, 'ttl_seconds', p_ttl_seconds)::text, 'UTF8')), 'hex'),
        jsonb_build_object(p_gate, v_prev),
        jsonb_build_object('approval_id', p_approval_id, 'ttl_seconds', p_ttl_seconds,
                           'expires_at', v_expires, 'reason', p_reason),
        p_actor);
    INSERT INTO public.iu_gate_transition
        (gate_key, action, prev_value, new_value, approval_id, ttl_seconds, expires_at,
         actor, reason, run_id, created_at)
    VALUES (p_gate, 'open', v_prev, 'true', p_approval_id, p_ttl_seconds, v_expires,
            p_actor, p_reason, v_run, v_now)
    RETURNING transition_id INTO v_tid;

    RETURN jsonb_build_object(
        'status', 'opened', 'gate', p_gate, 'prev_value', v_prev, 'new_value', 'true',
        'approval_id', p_approval_id, 'ttl_seconds', p_ttl_seconds, 'expires_at', v_expires,
        'transition_id', v_tid, 'run_id', v_run);
END
$fn$;

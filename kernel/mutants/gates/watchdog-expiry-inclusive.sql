-- mutant: watchdog-expiry-inclusive
-- kills: GATE-MODEL, GATE-WATCHDOG
-- why: expiry compared with <= instead of < (seed: expires_at < now()): a gate is closed at exactly its expires_at

CREATE OR REPLACE FUNCTION public.fn_iu_gate_watchdog(p_actor text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r          record;
    v_now      timestamptz;
    v_expires  timestamptz;
    v_has_open boolean;
    v_keys     text[] := '{}';
    v_prevs    text[] := '{}';
    v_whys     text[] := '{}';
    v_run      uuid;
BEGIN
    IF p_actor IS NULL OR btrim(p_actor) = '' THEN
        RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = 'actor required';
    END IF;

    -- Lock every governable row (in key order: no deadlock with single-row
    -- lockers), then read the clock once: every decision uses the same instant.
    PERFORM 1
       FROM public.dot_config c
       JOIN public.fn_iu_gate_keys() k ON k.gate_key = c.key AND k.gate_class = 'governable'
      ORDER BY c.key
        FOR UPDATE OF c;
    v_now := public.kernel_now();

    FOR r IN
        SELECT c.key, c.value
          FROM public.dot_config c
          JOIN public.fn_iu_gate_keys() k ON k.gate_key = c.key AND k.gate_class = 'governable'
         ORDER BY c.key
    LOOP
        CONTINUE WHEN r.value = 'false';
        SELECT t.expires_at INTO v_expires
          FROM public.iu_gate_transition t
         WHERE t.gate_key = r.key AND t.action = 'open'
         ORDER BY t.transition_seq DESC
         LIMIT 1;
        v_has_open := FOUND;
        CONTINUE WHEN v_has_open AND v_expires > v_now;
        UPDATE public.dot_config SET value = 'false' WHERE key = r.key;
        v_keys  := v_keys || r.key;
        v_prevs := v_prevs || r.value;
        v_whys  := v_whys || CASE WHEN v_has_open
                                  THEN format('watchdog: ttl expired at %s', v_expires)
                                  ELSE 'watchdog: open without an open transition' END;
    END LOOP;

    v_run := public.fn_dot_iu_command_log(
        'dot_iu_gate_watchdog', 'health', 'apply', 'applied', true,
        NULL, NULL, jsonb_build_object('closed', to_jsonb(v_keys), 'checked_at', v_now),
        p_actor);
    INSERT INTO public.iu_gate_transition
        (gate_key, action, prev_value, new_value, actor, reason, run_id, created_at)
    SELECT u.key, 'watchdog_close', u.prev, 'false', p_actor, u.why, v_run, v_now
      FROM unnest(v_keys, v_prevs, v_whys) WITH ORDINALITY AS u(key, prev, why, n)
     ORDER BY u.n;

    RETURN jsonb_build_object('closed', to_jsonb(v_keys), 'checked_at', v_now, 'run_id', v_run);
END
$fn$;

-- mutant: watchdog-skips-gates-without-open
-- kills: GATE-MODEL, GATE-WATCHDOG
-- why: the watchdog only looks at gates that have a ledger row; a gate set 'true' out of band and never opened through the API stays open forever (seed 003: "or none"; CONTRACT v2 §4: "never opened through the API")

CREATE OR REPLACE FUNCTION public.fn_iu_gate_watchdog(p_actor text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r          record;
    v_now      timestamptz;
    v_last     record;
    v_keys     text[] := '{}';
    v_prevs    text[] := '{}';
    v_whys     text[] := '{}';
    v_run      uuid;
BEGIN
    PERFORM public.fn_iu_gate_require_actor(p_actor);

    -- Lock every governable row (in key order: no deadlock with single-row
    -- lockers), then read the clock once: every decision uses the same instant.
    PERFORM 1
       FROM public.dot_config c
       JOIN public.fn_iu_gate_keys() k ON k.gate_key = c.key AND k.gate_class = 'governable'
      ORDER BY c.key
        FOR UPDATE OF c;
    v_now := public.kernel_now();

    FOR r IN
        SELECT k.gate_key AS key, c.value, c.key IS NOT NULL AS present
          FROM public.fn_iu_gate_keys() k
          LEFT JOIN public.dot_config c ON c.key = k.gate_key
         WHERE k.gate_class = 'governable'
         ORDER BY k.gate_key
    LOOP
        CONTINUE WHEN r.value = 'false';
        SELECT t.action, t.expires_at INTO v_last
          FROM public.iu_gate_transition t
         WHERE t.gate_key = r.key
         ORDER BY t.transition_seq DESC
         LIMIT 1;
        CONTINUE WHEN FOUND AND v_last.action = 'open' AND v_now <= v_last.expires_at;
        CONTINUE WHEN NOT FOUND;
        IF r.present THEN
            UPDATE public.dot_config SET value = 'false' WHERE key = r.key;
        ELSE
            INSERT INTO public.dot_config (key, value, description)
            VALUES (r.key, 'false', 're-created closed by fn_iu_gate_watchdog');
        END IF;
        v_keys  := v_keys || r.key;
        v_prevs := v_prevs || r.value;
        v_whys  := v_whys || CASE
                       WHEN NOT r.present THEN 'watchdog: gate row missing (open), re-created closed'
                       WHEN v_last.action = 'open' THEN format('watchdog: ttl expired at %s', v_last.expires_at)
                       WHEN v_last.action IS NULL THEN 'watchdog: open without an open transition'
                       ELSE format('watchdog: open by hand after %s', v_last.action) END;
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

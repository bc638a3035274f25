-- 400_gates_protocol.sql — variant substrate-survives-rollback: the gate
-- protocol (CONTRACT.md §4) on top of the substrate of 395_gates_substrate.sql.
-- Install file and `gates-install` script; 490_gates_rollback.sql undoes
-- exactly this file. Function bodies are the reference kernel's.

-- Guard: the substrate must exist and nothing of the protocol may exist yet.
DO $guard$
DECLARE
    v_present text[];
BEGIN
    IF to_regclass('public.dot_config') IS NULL OR to_regclass('public.dot_iu_command_run') IS NULL
       OR to_regprocedure('public.fn_dot_iu_command_log(text,text,text,text,boolean,text,jsonb,jsonb,text)') IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = 'gate protocol install refused: the gate substrate (395_gates_substrate.sql) is missing';
    END IF;
    SELECT array_agg(o ORDER BY o) INTO v_present
      FROM (
        SELECT 'public.iu_gate_transition' AS o WHERE to_regclass('public.iu_gate_transition') IS NOT NULL
        UNION ALL
        SELECT p.oid::regprocedure::text
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace
           AND (p.proname LIKE 'fn\_iu\_gate\_%' OR p.proname = 'fn_iu_ledger_append_only')
        UNION ALL
        SELECT command_name FROM public.dot_iu_command_catalog WHERE command_name LIKE 'dot\_iu\_gate\_%'
      ) present;
    IF v_present IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42710',
            MESSAGE = 'gate protocol install refused: already (partly) installed',
            DETAIL = array_to_string(v_present, ', ');
    END IF;
END
$guard$;

-- The actor rule of every protocol call and of the logger (CONTRACT.md §4:
-- a null p_actor is refused with 23502 or 23514; whether a blank one is
-- refused is the kernel's choice: this kernel refuses it too).
-- SQLSTATEs: 23514 null or blank actor.
CREATE FUNCTION public.fn_iu_gate_require_actor(p_actor text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF p_actor IS NULL OR btrim(p_actor) = '' THEN
        RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = 'actor required';
    END IF;
END
$fn$;

-- What fn_iu_gate_open and fn_iu_gate_close (p_command 'open' / 'close') do
-- when the gate's dot_config row is missing: raise, or insert the row as
-- 'false' and return (CONTRACT.md §4 leaves refusing (55000) or re-creating
-- to the kernel; this kernel refuses both).
-- SQLSTATEs: 55000 the row is missing.
CREATE FUNCTION public.fn_iu_gate_missing_row(p_gate text, p_command text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RAISE EXCEPTION USING ERRCODE = '55000',
        MESSAGE = format('gate %L has no dot_config row: %s refused (fail-closed)', p_gate, p_command);
END
$fn$;

-- SQLSTATEs: none.
CREATE FUNCTION public.fn_iu_gate_keys()
RETURNS TABLE (gate_key text, gate_class text)
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    VALUES ('iu_enact.allow_no_review_decision',       'never_flip'),
           ('iu_core.vector_sync_enabled',             'never_flip'),
           ('iu_core.composer_enabled',                'governable'),
           ('iu_core.structure_ops_enabled',           'governable'),
           ('iu_core.delivery_enabled',                'governable'),
           ('iu_core.three_axis_auto_refresh_enabled', 'governable'),
           ('iu_core.operator_runtime_enabled',        'governable'),
           ('queue.job_substrate.enabled',             'governable'),
           ('queue.dlq.replay_enabled',                'governable')
$fn$;

-- 'never_flip', 'governable' or null (any other key, including null).
-- SQLSTATEs: none.
CREATE FUNCTION public.fn_iu_gate_class(p_gate text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT k.gate_class FROM public.fn_iu_gate_keys() k WHERE k.gate_key = p_gate
$fn$;

-- ---------------------------------------------------------------------------
-- Ledger (append-only)
-- ---------------------------------------------------------------------------

-- Append-only guard shared by the run log and the gate ledger.
-- SQLSTATEs: 42501 on any UPDATE, DELETE or TRUNCATE.
CREATE FUNCTION public.fn_iu_ledger_append_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RAISE EXCEPTION USING ERRCODE = '42501',
        MESSAGE = format('%I.%I is append-only: %s refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP);
END
$fn$;

CREATE TABLE public.iu_gate_transition (
    transition_id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    transition_seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    gate_key       text NOT NULL,
    action         text NOT NULL CHECK (action IN ('open', 'close', 'watchdog_close')),
    prev_value     text,
    new_value      text,
    approval_id    uuid,
    ttl_seconds    int,
    expires_at     timestamptz,
    actor          text NOT NULL,
    reason         text,
    run_id         uuid REFERENCES public.dot_iu_command_run (run_id),
    created_at     timestamptz NOT NULL DEFAULT public.kernel_now()
);

CREATE INDEX ix_iu_gate_transition_gate
    ON public.iu_gate_transition (gate_key, transition_seq DESC);

COMMENT ON TABLE public.iu_gate_transition IS
    'Append-only ledger of gate transitions (open, close, watchdog_close); transition_seq orders it.';

CREATE TRIGGER trg_iu_gate_transition_append_only
    BEFORE UPDATE OR DELETE ON public.iu_gate_transition
    FOR EACH ROW EXECUTE FUNCTION public.fn_iu_ledger_append_only();
CREATE TRIGGER trg_iu_gate_transition_no_truncate
    BEFORE TRUNCATE ON public.iu_gate_transition
    FOR EACH STATEMENT EXECUTE FUNCTION public.fn_iu_ledger_append_only();

-- ---------------------------------------------------------------------------
-- Protocol functions
-- ---------------------------------------------------------------------------

-- Open a governable gate for p_ttl_seconds under an approval.
-- SQLSTATEs: 42501 never-flip gate, or not a governable gate (incl. null);
--            23514 null approval, ttl null or outside (0, 3600], null/blank actor;
--            55000 the gate's dot_config row is missing.
CREATE FUNCTION public.fn_iu_gate_open(
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
    IF p_ttl_seconds IS NULL OR p_ttl_seconds <= 0 OR p_ttl_seconds > 3600 THEN
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

-- Close a governable or never-flip gate (value 'false'), always one ledger row.
-- SQLSTATEs: 42501 not a known gate (incl. null); 23514 null/blank actor;
--            55000 the gate's dot_config row is missing.
CREATE FUNCTION public.fn_iu_gate_close(p_gate text, p_actor text, p_reason text)
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
    INSERT INTO public.iu_gate_transition
        (gate_key, action, prev_value, new_value, actor, reason, run_id, created_at)
    VALUES (p_gate, 'close', v_prev, 'false', p_actor, p_reason, v_run, v_now)
    RETURNING transition_id INTO v_tid;

    RETURN jsonb_build_object(
        'status', 'closed', 'gate', p_gate, 'prev_value', v_prev, 'new_value', 'false',
        'transition_id', v_tid, 'run_id', v_run);
END
$fn$;

-- CONTRACT.md §4 (v2): a governable gate that is open (its value is not exactly
-- 'false', or its row is missing) stays open only if its latest ledger row
-- (latest = highest transition_seq, any action) is an 'open' whose approval is
-- live (kernel_now() <= expires_at); every other open governable gate is closed
-- (expired, never opened through the API, or set by hand after a close), a
-- missing row by inserting it as 'false'. One run row per call.
-- SQLSTATEs: 23514 null/blank actor.
CREATE FUNCTION public.fn_iu_gate_watchdog(p_actor text)
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

-- Read-only safety report over the nine gates (a missing row reads as null,
-- which is neither closed nor intact).
-- SQLSTATEs: none.
CREATE FUNCTION public.fn_iu_gate_verify_closed(p_actor text)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    WITH g AS (
        SELECT k.gate_key, k.gate_class, c.value
          FROM public.fn_iu_gate_keys() k
          LEFT JOIN public.dot_config c ON c.key = k.gate_key
    ), s AS (
        SELECT coalesce(bool_and(value IS NOT DISTINCT FROM 'false')
                        FILTER (WHERE gate_class = 'governable'), false) AS governed_closed,
               coalesce(bool_and(value IS NOT DISTINCT FROM 'false')
                        FILTER (WHERE gate_class = 'never_flip'), false) AS never_flip_intact
          FROM g
    )
    SELECT jsonb_build_object(
               'gates', (SELECT jsonb_agg(jsonb_build_object('key', gate_key, 'value', value,
                                                             'class', gate_class)
                                          ORDER BY gate_key) FROM g),
               'all_governed_closed', s.governed_closed,
               'never_flip_intact', s.never_flip_intact,
               'all_safe', s.governed_closed AND s.never_flip_intact,
               'actor', p_actor)
      FROM s
$fn$;

-- The rollback script's guard (490_gates_rollback.sql calls it while holding
-- an exclusive lock on dot_config).
-- SQLSTATEs: 55000 some governable gate is open (value not exactly 'false',
--            or its row missing).
CREATE FUNCTION public.fn_iu_gate_rollback_guard()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_open text[];
BEGIN
    SELECT array_agg(k.gate_key ORDER BY k.gate_key) INTO v_open
      FROM public.fn_iu_gate_keys() k
      LEFT JOIN public.dot_config c ON c.key = k.gate_key
     WHERE k.gate_class = 'governable' AND c.value IS DISTINCT FROM 'false';
    IF v_open IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = format('rollback refused: %s governable gate(s) currently open', cardinality(v_open)),
            DETAIL = array_to_string(v_open, ', ');
    END IF;
END
$fn$;

REVOKE ALL ON FUNCTION public.fn_iu_gate_open(text, uuid, text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.fn_iu_gate_close(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.fn_iu_gate_watchdog(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.fn_iu_gate_rollback_guard() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.fn_iu_gate_missing_row(text, text) FROM PUBLIC;

INSERT INTO public.dot_iu_command_catalog
    (command_name, category, mutating, reversible, target_functions)
VALUES ('dot_iu_gate_open',          'health', true,  true, ARRAY['fn_iu_gate_open']),
       ('dot_iu_gate_close',         'health', true,  true, ARRAY['fn_iu_gate_close']),
       ('dot_iu_gate_watchdog',      'health', true,  true, ARRAY['fn_iu_gate_watchdog']),
       ('dot_iu_gate_verify_closed', 'read',   false, true, ARRAY['fn_iu_gate_verify_closed']);

-- Post-check: functions and catalog rows present, empty ledger.
DO $postcheck$
BEGIN
    IF to_regprocedure('public.fn_iu_gate_open(text,uuid,text,text,integer)') IS NULL
       OR to_regprocedure('public.fn_iu_gate_close(text,text,text)') IS NULL
       OR to_regprocedure('public.fn_iu_gate_watchdog(text)') IS NULL
       OR to_regprocedure('public.fn_iu_gate_verify_closed(text)') IS NULL
       OR to_regprocedure('public.fn_iu_gate_rollback_guard()') IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = 'gate protocol post-check failed: functions missing';
    END IF;
    IF (SELECT count(*) FROM public.dot_iu_command_catalog
         WHERE command_name LIKE 'dot\_iu\_gate\_%') <> 4 THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = 'gate protocol post-check failed: catalog rows missing';
    END IF;
    IF EXISTS (SELECT 1 FROM public.iu_gate_transition) THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = 'gate protocol post-check failed: ledger not empty';
    END IF;
END
$postcheck$;

-- 400_gates_install.sql — the bounded gate protocol (CONTRACT.md §4, seed 003).
--
-- One file, no BEGIN/COMMIT of its own: it runs inside the caller's transaction
-- (the harness wraps every install file of the SUT in one transaction; run it by
-- hand with `psql --single-transaction -v ON_ERROR_STOP=1 -f`). It is also the
-- `gates-install` script, used to reinstall after `gates-rollback`
-- (490_gates_rollback.sql drops exactly what this file creates, in reverse).
--
-- Layout: guard -> config substrate (dot_config + touch trigger) -> command
-- catalog, run log and logger -> gate registry -> ledger -> the four protocol
-- functions -> rollback guard -> catalog rows -> post-check.
--
-- CONTRACT.md v2 §4 fixes what the seed leaves loose; this kernel follows it:
--   * Clock: every timestamp the protocol writes (dot_config.updated_at,
--     iu_gate_transition.created_at/expires_at, dot_iu_command_run.created_at)
--     comes from public.kernel_now(), read after the gate's row lock is held.
--   * "Closed" means value = 'false' exactly: any other value, or no row at
--     all, is open (fail closed) for verify_closed (which reports a missing
--     row's value as null), the watchdog and the rollback guard.
--   * Expiry: an open's approval is live while kernel_now() <= expires_at.
--   * Watchdog: an open governable gate stays open only if its latest ledger
--     row is a live 'open'; everything else open is closed (a missing row is
--     re-created as 'false').
--   * Re-opening an open gate is allowed (a fresh approval and TTL); closing a
--     closed gate still writes its ledger row (prev 'false' -> new 'false').
--   * Ledger order: `transition_seq` (identity) totally orders the ledger;
--     created_at ties under a frozen clock and within one transaction.
--   * Command log: one dot_iu_command_run row per successful open, close and
--     watchdog call (even when the watchdog closes nothing); every ledger row's
--     run_id names the run of the call that wrote it; verify_closed (STABLE)
--     writes nothing. A refused call raises, so it leaves no row at all.
-- Choices the contract leaves to the kernel (kernel/variants/gates/ makes the
-- other ones): a blank actor is refused (23514, like null); open and close of
-- a gate whose row is missing are refused (55000); gates-rollback refuses
-- (55000) when the protocol is not installed.

-- Guard: the clock seam must exist and nothing of the protocol may exist yet.
DO $guard$
DECLARE
    v_present text[];
BEGIN
    IF to_regprocedure('public.kernel_now()') IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = 'gate protocol install refused: public.kernel_now() (000_base.sql) is missing';
    END IF;
    SELECT array_agg(o ORDER BY o) INTO v_present
      FROM (
        SELECT t AS o FROM unnest(ARRAY[
            'public.dot_config', 'public.dot_iu_command_catalog',
            'public.dot_iu_command_run', 'public.iu_gate_transition']) t
         WHERE to_regclass(t) IS NOT NULL
        UNION ALL
        SELECT p.oid::regprocedure::text
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace
           AND (p.proname LIKE 'fn\_iu\_gate\_%' OR p.proname IN
                ('fn_dot_iu_command_log', 'fn_dot_config_touch', 'fn_iu_ledger_append_only'))
      ) present;
    IF v_present IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42710',
            MESSAGE = 'gate protocol install refused: already (partly) installed',
            DETAIL = array_to_string(v_present, ', ');
    END IF;
END
$guard$;

-- ---------------------------------------------------------------------------
-- Config substrate
-- ---------------------------------------------------------------------------

CREATE TABLE public.dot_config (
    key         text PRIMARY KEY,
    value       text NOT NULL,
    description text,
    updated_at  timestamptz NOT NULL DEFAULT public.kernel_now()
);

COMMENT ON TABLE public.dot_config IS
    'Runtime configuration and feature gates; gate values are ''true''/''false''. Change gates only through fn_iu_gate_open/close/watchdog.';

-- Touch trigger: updated_at always comes from the clock seam.
-- SQLSTATEs: none of its own.
CREATE FUNCTION public.fn_dot_config_touch()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    NEW.updated_at := public.kernel_now();
    RETURN NEW;
END
$fn$;

CREATE TRIGGER trg_dot_config_touch
    BEFORE INSERT OR UPDATE ON public.dot_config
    FOR EACH ROW EXECUTE FUNCTION public.fn_dot_config_touch();

-- ---------------------------------------------------------------------------
-- Command catalog, run log, logger
-- ---------------------------------------------------------------------------

CREATE TABLE public.dot_iu_command_catalog (
    command_name     text PRIMARY KEY,
    category         text NOT NULL
        CHECK (category IN ('collection', 'piece', 'lifecycle', 'read', 'health')),
    mutating         boolean NOT NULL,
    reversible       boolean NOT NULL,
    target_functions text[] NOT NULL
);

CREATE TABLE public.dot_iu_command_run (
    run_id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    command_name  text NOT NULL REFERENCES public.dot_iu_command_catalog (command_name),
    category      text NOT NULL
        CHECK (category IN ('collection', 'piece', 'lifecycle', 'read', 'health')),
    run_mode      text NOT NULL CHECK (run_mode IN ('plan', 'apply', 'verify')),
    run_status    text NOT NULL
        CHECK (run_status IN ('planned', 'applied', 'verified', 'refused', 'failed')),
    mutating      boolean NOT NULL,
    params_digest text,
    gate_snapshot jsonb,
    evidence      jsonb,
    actor         text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT public.kernel_now()
);

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

CREATE TRIGGER trg_dot_iu_command_run_append_only
    BEFORE UPDATE OR DELETE ON public.dot_iu_command_run
    FOR EACH ROW EXECUTE FUNCTION public.fn_iu_ledger_append_only();
CREATE TRIGGER trg_dot_iu_command_run_no_truncate
    BEFORE TRUNCATE ON public.dot_iu_command_run
    FOR EACH STATEMENT EXECUTE FUNCTION public.fn_iu_ledger_append_only();

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

-- The canonical logger: one run row for a catalogued command.
-- SQLSTATEs: 42704 command not in the catalog (fail closed);
--            23514 category/mutating disagree with the catalog, null or blank
--                  actor, run_mode/run_status outside their sets.
CREATE FUNCTION public.fn_dot_iu_command_log(
    p_command text, p_category text, p_run_mode text, p_run_status text,
    p_mutating boolean, p_params_digest text, p_gate_snapshot jsonb,
    p_evidence jsonb, p_actor text)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_cat public.dot_iu_command_catalog%ROWTYPE;
    v_run uuid;
BEGIN
    SELECT * INTO v_cat FROM public.dot_iu_command_catalog WHERE command_name = p_command;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '42704',
            MESSAGE = format('command %L is not in dot_iu_command_catalog (fail-closed)', p_command);
    END IF;
    IF p_category IS DISTINCT FROM v_cat.category OR p_mutating IS DISTINCT FROM v_cat.mutating THEN
        RAISE EXCEPTION USING ERRCODE = '23514',
            MESSAGE = format('command %L is catalogued as %s/mutating=%s, not %s/mutating=%s',
                             p_command, v_cat.category, v_cat.mutating, p_category, p_mutating);
    END IF;
    PERFORM public.fn_iu_gate_require_actor(p_actor);
    INSERT INTO public.dot_iu_command_run
        (command_name, category, run_mode, run_status, mutating, params_digest,
         gate_snapshot, evidence, actor, created_at)
    VALUES (p_command, p_category, p_run_mode, p_run_status, p_mutating, p_params_digest,
            p_gate_snapshot, p_evidence, p_actor, public.kernel_now())
    RETURNING run_id INTO v_run;
    RETURN v_run;
END
$fn$;

-- ---------------------------------------------------------------------------
-- Gate registry: the one list of the nine gates and their class
-- ---------------------------------------------------------------------------

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

INSERT INTO public.dot_config (key, value, description)
SELECT k.gate_key, 'false',
       CASE k.gate_class
           WHEN 'never_flip' THEN 'NEVER-FLIP gate: no API may set it true'
           ELSE 'governable runtime gate: open only with approval and TTL (fn_iu_gate_open)'
       END
  FROM public.fn_iu_gate_keys() k;

-- ---------------------------------------------------------------------------
-- Ledger (append-only)
-- ---------------------------------------------------------------------------

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
REVOKE ALL ON FUNCTION public.fn_dot_iu_command_log(text, text, text, text, boolean, text, jsonb, jsonb, text) FROM PUBLIC;

INSERT INTO public.dot_iu_command_catalog
    (command_name, category, mutating, reversible, target_functions)
VALUES ('dot_iu_gate_open',          'health', true,  true, ARRAY['fn_iu_gate_open']),
       ('dot_iu_gate_close',         'health', true,  true, ARRAY['fn_iu_gate_close']),
       ('dot_iu_gate_watchdog',      'health', true,  true, ARRAY['fn_iu_gate_watchdog']),
       ('dot_iu_gate_verify_closed', 'read',   false, true, ARRAY['fn_iu_gate_verify_closed']);

-- Post-check: everything present, nine gates all 'false', empty ledger and log.
DO $postcheck$
DECLARE
    v_missing text[];
BEGIN
    SELECT array_agg(s) INTO v_missing FROM unnest(ARRAY[
        'public.fn_iu_gate_open(text,uuid,text,text,integer)',
        'public.fn_iu_gate_close(text,text,text)',
        'public.fn_iu_gate_watchdog(text)',
        'public.fn_iu_gate_verify_closed(text)',
        'public.fn_iu_gate_rollback_guard()',
        'public.fn_iu_gate_require_actor(text)',
        'public.fn_iu_gate_missing_row(text,text)',
        'public.fn_dot_iu_command_log(text,text,text,text,boolean,text,jsonb,jsonb,text)']) s
     WHERE to_regprocedure(s) IS NULL;
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = 'gate protocol post-check failed: functions missing',
            DETAIL = array_to_string(v_missing, ', ');
    END IF;
    IF (SELECT count(*) FROM public.dot_config c
          JOIN public.fn_iu_gate_keys() k ON k.gate_key = c.key
         WHERE c.value = 'false') <> 9
       OR (SELECT count(*) FROM public.fn_iu_gate_keys()) <> 9 THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = 'gate protocol post-check failed: the nine gates are not all present and false';
    END IF;
    IF (SELECT count(*) FROM public.dot_iu_command_catalog
         WHERE command_name LIKE 'dot\_iu\_gate\_%') <> 4 THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = 'gate protocol post-check failed: catalog rows missing';
    END IF;
    IF EXISTS (SELECT 1 FROM public.iu_gate_transition)
       OR EXISTS (SELECT 1 FROM public.dot_iu_command_run) THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = 'gate protocol post-check failed: ledger or run log not empty';
    END IF;
END
$postcheck$;

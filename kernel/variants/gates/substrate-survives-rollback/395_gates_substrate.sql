-- 395_gates_substrate.sql — variant substrate-survives-rollback: the config
-- substrate the gate protocol builds on, created by an install file of its
-- own (as in seed 003, where dot_config, the command catalog, the run log and
-- the logger existed before the gate protocol migration). gates-install
-- (400_gates_protocol.sql) adds the protocol on top and gates-rollback
-- (490_gates_rollback.sql) removes only the protocol: this file's objects
-- survive a rollback. Function bodies are the reference kernel's
-- (kernel/sql/400_gates_install.sql).

DO $guard$
BEGIN
    IF to_regprocedure('public.kernel_now()') IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = 'gate substrate install refused: public.kernel_now() (000_base.sql) is missing';
    END IF;
    IF to_regclass('public.dot_config') IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42710', MESSAGE = 'gate substrate already installed';
    END IF;
END
$guard$;

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
    IF p_actor IS NULL OR btrim(p_actor) = '' THEN
        RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = 'actor required';
    END IF;
    INSERT INTO public.dot_iu_command_run
        (command_name, category, run_mode, run_status, mutating, params_digest,
         gate_snapshot, evidence, actor, created_at)
    VALUES (p_command, p_category, p_run_mode, p_run_status, p_mutating, p_params_digest,
            p_gate_snapshot, p_evidence, p_actor, public.kernel_now())
    RETURNING run_id INTO v_run;
    RETURN v_run;
END
$fn$;

REVOKE ALL ON FUNCTION public.fn_dot_iu_command_log(text, text, text, text, boolean, text, jsonb, jsonb, text) FROM PUBLIC;

-- The nine gates start 'false'; the substrate also holds other settings
-- (as the seed's does), which the protocol never touches.
INSERT INTO public.dot_config (key, value, description) VALUES
    ('iu_enact.allow_no_review_decision',       'false', 'NEVER-FLIP gate'),
    ('iu_core.vector_sync_enabled',             'false', 'NEVER-FLIP gate'),
    ('iu_core.composer_enabled',                'false', 'governable runtime gate'),
    ('iu_core.structure_ops_enabled',           'false', 'governable runtime gate'),
    ('iu_core.delivery_enabled',                'false', 'governable runtime gate'),
    ('iu_core.three_axis_auto_refresh_enabled', 'false', 'governable runtime gate'),
    ('iu_core.operator_runtime_enabled',        'false', 'governable runtime gate'),
    ('queue.job_substrate.enabled',             'false', 'governable runtime gate'),
    ('queue.dlq.replay_enabled',                'false', 'governable runtime gate'),
    ('iu_core.delivery_live_routes',            '',      'per-route allowlist (CSV), empty');

INSERT INTO public.dot_iu_command_catalog
    (command_name, category, mutating, reversible, target_functions)
VALUES ('dot_iu_piece_split', 'piece', true, true, ARRAY['fn_iu_piece_split']),
       ('dot_iu_health_read', 'read', false, true, ARRAY['fn_iu_health']);

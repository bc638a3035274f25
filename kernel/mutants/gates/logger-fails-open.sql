-- mutant: logger-fails-open
-- kills: GATE-MODEL
-- why: the logger catalogues unknown commands on the fly instead of refusing them (seed 003: fail-closed, command must be in catalog)

CREATE OR REPLACE FUNCTION public.fn_dot_iu_command_log(
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
        INSERT INTO public.dot_iu_command_catalog (command_name, category, mutating, reversible, target_functions)
        VALUES (p_command, p_category, p_mutating, false, '{}');
        v_cat := ROW(p_command, p_category, p_mutating, false, '{}'::text[]);
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

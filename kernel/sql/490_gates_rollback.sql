-- 490_gates_rollback.sql — the `gates-rollback` script: undo 400_gates_install.sql.
--
-- One DO block, so it is atomic even when run outside an explicit transaction.
-- Fail closed: refuses (SQLSTATE 55000, nothing changed) when the protocol is
-- not installed, or while any governable gate is open (fn_iu_gate_rollback_guard,
-- checked under an ACCESS EXCLUSIVE lock on dot_config so no open can slip in
-- between the check and the drops). Otherwise it drops everything the install
-- created, in exact reverse order, without CASCADE (anything else depending on
-- these objects makes it refuse rather than silently take that with it), and
-- asserts that nothing of the protocol remains.
DO $rollback$
DECLARE
    v_left text[];
BEGIN
    IF to_regclass('public.dot_config') IS NULL
       OR to_regprocedure('public.fn_iu_gate_rollback_guard()') IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = 'rollback refused: the gate protocol is not installed';
    END IF;
    LOCK TABLE public.dot_config, public.iu_gate_transition, public.dot_iu_command_run
        IN ACCESS EXCLUSIVE MODE;
    PERFORM public.fn_iu_gate_rollback_guard();

    DROP FUNCTION public.fn_iu_gate_rollback_guard();
    DROP FUNCTION public.fn_iu_gate_verify_closed(text);
    DROP FUNCTION public.fn_iu_gate_watchdog(text);
    DROP FUNCTION public.fn_iu_gate_close(text, text, text);
    DROP FUNCTION public.fn_iu_gate_open(text, uuid, text, text, integer);
    DROP TABLE public.iu_gate_transition;
    DROP TABLE public.dot_config;
    DROP FUNCTION public.fn_iu_gate_class(text);
    DROP FUNCTION public.fn_iu_gate_keys();
    DROP FUNCTION public.fn_dot_iu_command_log(text, text, text, text, boolean, text, jsonb, jsonb, text);
    DROP FUNCTION public.fn_iu_gate_missing_row(text, text);
    DROP FUNCTION public.fn_iu_gate_require_actor(text);
    DROP TABLE public.dot_iu_command_run;
    DROP FUNCTION public.fn_iu_ledger_append_only();
    DROP TABLE public.dot_iu_command_catalog;
    DROP FUNCTION public.fn_dot_config_touch();

    SELECT array_agg(o) INTO v_left FROM (
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
    ) left_over;
    IF v_left IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = 'rollback post-check failed: objects remain',
            DETAIL = array_to_string(v_left, ', ');
    END IF;
END
$rollback$;

-- 490_gates_rollback.sql — variant substrate-survives-rollback: undo
-- 400_gates_protocol.sql only (as seed 003's rollback does): the substrate of
-- 395_gates_substrate.sql (dot_config, command catalog, run log, logger) stays;
-- the protocol's catalog rows and run rows are deleted from it.
-- Fail closed: refuses (55000, nothing changed) when the protocol is not
-- installed, or while any governable gate is open.
DO $rollback$
DECLARE
    v_left text[];
BEGIN
    IF to_regclass('public.iu_gate_transition') IS NULL
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
    DROP FUNCTION public.fn_iu_ledger_append_only();
    DROP FUNCTION public.fn_iu_gate_class(text);
    DROP FUNCTION public.fn_iu_gate_keys();
    DROP FUNCTION public.fn_iu_gate_missing_row(text, text);
    DROP FUNCTION public.fn_iu_gate_require_actor(text);
    DELETE FROM public.dot_iu_command_run
     WHERE command_name IN ('dot_iu_gate_open', 'dot_iu_gate_close', 'dot_iu_gate_watchdog', 'dot_iu_gate_verify_closed');
    DELETE FROM public.dot_iu_command_catalog
     WHERE command_name IN ('dot_iu_gate_open', 'dot_iu_gate_close', 'dot_iu_gate_watchdog', 'dot_iu_gate_verify_closed');

    SELECT array_agg(o) INTO v_left FROM (
        SELECT 'public.iu_gate_transition' AS o WHERE to_regclass('public.iu_gate_transition') IS NOT NULL
        UNION ALL
        SELECT p.oid::regprocedure::text
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace
           AND (p.proname LIKE 'fn\_iu\_gate\_%' OR p.proname = 'fn_iu_ledger_append_only')
    ) left_over;
    IF v_left IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = 'rollback post-check failed: objects remain',
            DETAIL = array_to_string(v_left, ', ');
    END IF;
END
$rollback$;

-- mutant: rollback-without-guard
-- kills: GATE-MODEL, GATE-ROLLBACK
-- why: the rollback's fail-closed guard is a no-op: the watchdog can be removed while a gate is open (seed 003, A6)

CREATE OR REPLACE FUNCTION public.fn_iu_gate_rollback_guard()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RETURN;
END
$fn$;

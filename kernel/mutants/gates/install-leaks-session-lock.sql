-- mutant: install-leaks-session-lock
-- kills: GATE-DRYRUN
-- why: the gate install serializes itself with a session-level advisory lock (pg_advisory_lock instead of pg_advisory_xact_lock), taken here by an event trigger when the install creates the ledger: a rolled-back dry run leaves the session holding the lock, so the next install from another session would wait forever (seed 003 A4: the dry run must leave no trace)

CREATE FUNCTION public.fn_pgc_mutant_install_lock()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() c
                WHERE c.command_tag = 'CREATE TABLE'
                  AND c.object_identity = 'public.iu_gate_transition') THEN
        PERFORM pg_advisory_lock(hashtext('gates-install'));
    END IF;
END
$fn$;

CREATE EVENT TRIGGER pgc_mutant_install_lock ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE')
    EXECUTE FUNCTION public.fn_pgc_mutant_install_lock();

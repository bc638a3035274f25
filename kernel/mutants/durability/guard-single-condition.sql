-- mutant: guard-single-condition
-- kills: DUR-IMMUTABLE, DUR-APERTURE
-- why: the guard trusts the session's aperture token alone (no owner check) and the writer holds INSERT, so a forged token writes directly
DO $m$
DECLARE
    v_def text := pg_get_functiondef('cpo.guard_canonical_write()'::regprocedure);
    v_old text := $o$AND current_user = (SELECT c.relowner::regrole::name FROM pg_class c WHERE c.oid = TG_RELID)$o$;
BEGIN
    IF position(v_old IN v_def) = 0 THEN
        RAISE EXCEPTION 'mutant anchor not found';
    END IF;
    EXECUTE replace(v_def, v_old, '');
END
$m$;
GRANT INSERT ON ALL TABLES IN SCHEMA cpo TO cpo_writer;

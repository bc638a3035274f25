-- mutant: guard-single-condition
-- kills: DUR-IMMUTABLE, DUR-APERTURE
-- why: the guard trusts the session's aperture token alone (no owner check) and the writer holds INSERT, so a forged token writes directly
SELECT pg_temp.pgconform_patch('cpo.guard_canonical_write()',
    $old$AND current_user = (SELECT c.relowner::regrole::name FROM pg_class c WHERE c.oid = TG_RELID)$old$,
    $new$$new$);
GRANT INSERT ON ALL TABLES IN SCHEMA cpo TO cpo_writer;

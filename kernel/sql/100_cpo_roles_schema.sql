-- 100_cpo_roles_schema.sql — durability (CONTRACT.md §1, seed 000): roles and schema.
--
-- Roles are cluster-wide and templates are installed in parallel, so creation is
-- idempotent and tolerant of a concurrent creator (duplicate_object is benign).
--   cpo_owner  — owns every cpo object; the write aperture runs as this role.
--   cpo_writer — may only EXECUTE cpo.commit_action.
--   cpo_reader — may SELECT canonical tables and run the read-only functions.
-- None of them can log in: they are privilege carriers, granted to real users.

DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['cpo_owner', 'cpo_writer', 'cpo_reader'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created concurrently by another install: same outcome
            END;
        END IF;
    END LOOP;
END
$roles$;

CREATE SCHEMA IF NOT EXISTS cpo AUTHORIZATION cpo_owner;
ALTER SCHEMA cpo OWNER TO cpo_owner;
REVOKE ALL ON SCHEMA cpo FROM PUBLIC;
GRANT USAGE ON SCHEMA cpo TO cpo_writer, cpo_reader;

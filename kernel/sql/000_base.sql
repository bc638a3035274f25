-- 000_base.sql — the kernel's common base: the clock seam.
--
-- public.kernel_now() returns now() unless a test clock is frozen for *this*
-- database in public.kernel_test_clock. Only a superuser (the harness, in
-- disposable databases) can write that table; no session setting moves the
-- clock, so a production install cannot be tricked into a past or future time.

CREATE TABLE IF NOT EXISTS public.kernel_test_clock (
    database_name name PRIMARY KEY,
    frozen_at     timestamptz NOT NULL,
    enabled_by    name NOT NULL DEFAULT current_user,
    CONSTRAINT kernel_test_clock_only_superuser
        CHECK (enabled_by IS NOT NULL)
);

REVOKE ALL ON TABLE public.kernel_test_clock FROM PUBLIC;

COMMENT ON TABLE public.kernel_test_clock IS
    'pgconform test clock: a row naming the current database freezes kernel_now(). Superuser-only; never present in production.';

CREATE OR REPLACE FUNCTION public.kernel_now()
RETURNS timestamptz
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $$
    SELECT coalesce(
        (SELECT c.frozen_at
           FROM public.kernel_test_clock c
          WHERE c.database_name = current_database()
            AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                         WHERE r.rolname = c.enabled_by AND r.rolsuper)),
        pg_catalog.now())
$$;

REVOKE ALL ON FUNCTION public.kernel_now() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.kernel_now() TO PUBLIC;

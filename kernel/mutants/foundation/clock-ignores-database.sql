-- mutant: clock-ignores-database
-- kills: SUT-CLOCK
-- why: kernel_now() follows any clock row, not only the one naming its own database (contract §0, the test clock)
CREATE OR REPLACE FUNCTION public.kernel_now()
RETURNS timestamptz
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $$
    SELECT coalesce(
        (SELECT max(c.frozen_at)
           FROM public.kernel_test_clock c
          WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                         WHERE r.rolname = c.enabled_by AND r.rolsuper)),
        pg_catalog.now())
$$;

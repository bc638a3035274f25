-- mutant: clock-trusts-any-writer
-- kills: SUT-CLOCK
-- why: kernel_now() follows a clock row whatever role enabled it, not only a superuser's (contract §0, the test clock)
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
          WHERE c.database_name = current_database()),
        pg_catalog.now())
$$;

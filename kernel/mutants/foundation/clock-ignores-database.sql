-- mutant: clock-ignores-database
-- kills: SUT-CLOCK
-- why: kernel_now() follows any clock row, not only the one naming its own database (contract §0, the test clock)
SELECT pg_temp.pgconform_patch('public.kernel_now()',
    $old$        (SELECT c.frozen_at$old$,
    $new$        (SELECT max(c.frozen_at)$new$,
    $old$          WHERE c.database_name = current_database()
            AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles r$old$,
    $new$          WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_roles r$new$);

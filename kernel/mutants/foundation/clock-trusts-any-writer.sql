-- mutant: clock-trusts-any-writer
-- kills: SUT-CLOCK
-- why: kernel_now() follows a clock row whatever role enabled it, not only a superuser's (contract §0, the test clock)
SELECT pg_temp.pgconform_patch('public.kernel_now()',
    $old$          WHERE c.database_name = current_database()
            AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                         WHERE r.rolname = c.enabled_by AND r.rolsuper)),$old$,
    $new$          WHERE c.database_name = current_database()),$new$);

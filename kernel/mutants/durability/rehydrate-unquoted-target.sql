-- mutant: rehydrate-unquoted-target
-- kills: DUR-HOSTILE
-- why: the target schema is spliced with %s instead of %I, so a hostile name is parsed as SQL
SELECT pg_temp.pgconform_patch('cpo.rehydrate_agent(jsonb,text)',
    $old$format('CREATE SCHEMA %I', p_target_schema)$old$,
    $new$format('CREATE SCHEMA %s', p_target_schema)$new$,
    $old$to_regclass(format('%I.%I', p_target_schema$old$,
    $new$to_regclass(format('%s.%I', p_target_schema$new$,
    $old$format('CREATE TABLE %I.%I (LIKE$old$,
    $new$format('CREATE TABLE %s.%I (LIKE$new$,
    $old$format('SELECT EXISTS (SELECT 1 FROM %I.%I t$old$,
    $new$format('SELECT EXISTS (SELECT 1 FROM %s.%I t$new$,
    $old$format('INSERT INTO %I.%I (%I, %I) '$old$,
    $new$format('INSERT INTO %s.%I (%I, %I) '$new$);

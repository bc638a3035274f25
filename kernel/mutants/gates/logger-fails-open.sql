-- mutant: logger-fails-open
-- kills: GATE-MODEL
-- why: the logger catalogues unknown commands on the fly instead of refusing them (seed 003: fail-closed, command must be in catalog)
SELECT pg_temp.pgconform_patch('public.fn_dot_iu_command_log(text,text,text,text,boolean,text,jsonb,jsonb,text)',
    $old$        RAISE EXCEPTION USING ERRCODE = '42704',
            MESSAGE = format('command %L is not in dot_iu_command_catalog (fail-closed)', p_command);$old$,
    $new$        INSERT INTO public.dot_iu_command_catalog (command_name, category, mutating, reversible, target_functions)
        VALUES (p_command, p_category, p_mutating, false, '{}');
        v_cat := ROW(p_command, p_category, p_mutating, false, '{}'::text[]);$new$);

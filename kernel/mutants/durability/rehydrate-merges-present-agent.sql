-- mutant: rehydrate-merges-present-agent
-- kills: DUR-FAILCLOSED
-- why: rehydrate no longer refuses an agent the target already holds, so a second rehydrate doubles its rows
SELECT pg_temp.pgconform_patch('cpo.rehydrate_agent(jsonb,text)',
    $old$IF v_present THEN$old$,
    $new$IF v_present AND false THEN$new$);

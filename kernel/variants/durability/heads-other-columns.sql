-- variant: heads-other-columns
-- choice: section 1, cpo_agent_heads: keyed by agent_id uuid; the other columns are the kernel's choice
-- why: a projection with other column names, and an extra generated column, is as correct as the reference's
ALTER TABLE cpo.cpo_agent_heads RENAME COLUMN latest_action_seq TO head_seq;
ALTER TABLE cpo.cpo_agent_heads RENAME COLUMN latest_action TO head_action;
ALTER TABLE cpo.cpo_agent_heads RENAME COLUMN latest_state_snapshot TO head_state;
ALTER TABLE cpo.cpo_agent_heads RENAME COLUMN artifact_counts TO rows_per_type;
ALTER TABLE cpo.cpo_agent_heads
    ADD COLUMN action_count bigint GENERATED ALWAYS AS ((rows_per_type ->> 'cpo_action_logs')::bigint) STORED;
UPDATE cpo.artifact_table_registry SET seq_column = 'head_seq' WHERE artifact_type = 'cpo_agent_heads';
DO $v$
DECLARE
    f   regprocedure;
    v_def text;
    v_new text;
BEGIN
    FOREACH f IN ARRAY ARRAY['cpo.commit_action(text,jsonb,jsonb,uuid,uuid)'::regprocedure,
                             'cpo.rebuild_agent_heads(text)'::regprocedure] LOOP
        v_def := pg_get_functiondef(f);
        v_new := replace(v_def, 'latest_action_seq', 'head_seq');
        v_new := replace(v_new, 'latest_state_snapshot', 'head_state');
        v_new := replace(v_new, 'artifact_counts', 'rows_per_type');
        v_new := replace(v_new, '(agent_id, head_seq, latest_action,', '(agent_id, head_seq, head_action,');
        v_new := replace(v_new, 'latest_action         = EXCLUDED.latest_action', 'head_action = EXCLUDED.head_action');
        IF v_new = v_def THEN
            RAISE EXCEPTION 'variant anchor not found in %', f;
        END IF;
        EXECUTE v_new;
    END LOOP;
    IF (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'cpo'::regnamespace
          AND p.prosrc ~ '(latest_action_seq|latest_state_snapshot|artifact_counts|latest_action\M)') <> 0 THEN
        RAISE EXCEPTION 'variant left an old heads column name behind: %',
            (SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p WHERE p.pronamespace = 'cpo'::regnamespace
               AND p.prosrc ~ '(latest_action_seq|latest_state_snapshot|artifact_counts|latest_action\M)');
    END IF;
END
$v$;

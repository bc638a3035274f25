-- mutant: export-hand-curated-list
-- kills: DUR-RT, DUR-WIRING
-- why: the export iterates a hand-written list of tables that forgot cpo_drift_resolutions (seed 000, v2 "hand-curated lists")
CREATE OR REPLACE FUNCTION cpo.export_evidence_pack(p_agent_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_type      text;
    v_rows      jsonb;
    v_artifacts jsonb := '{}'::jsonb;
BEGIN
    FOREACH v_type IN ARRAY ARRAY['cpo_action_logs', 'cpo_charters', 'cpo_charter_activations',
                                  'cpo_state_snapshots', 'cpo_decisions', 'cpo_assumptions',
                                  'cpo_exceptions', 'cpo_drift_events', 'cpo_assumption_events',
                                  'cpo_exception_events', 'cpo_changes'] LOOP
        EXECUTE format('SELECT coalesce(jsonb_agg(t.content ORDER BY t.content::text COLLATE "C"), ''[]''::jsonb) '
                       'FROM cpo.%I t WHERE t.agent_id = $1', v_type)
        INTO v_rows USING p_agent_id;
        v_artifacts := v_artifacts || jsonb_build_object(v_type, v_rows);
    END LOOP;
    RETURN jsonb_build_object('format', 'cpo.evidence_pack/v1', 'agent_id', p_agent_id, 'artifacts', v_artifacts);
END
$$;

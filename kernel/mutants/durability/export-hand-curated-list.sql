-- mutant: export-hand-curated-list
-- kills: DUR-RT, DUR-WIRING
-- why: the export iterates a hand-written list of tables that forgot cpo_drift_resolutions (seed 000, v2 "hand-curated lists")
SELECT pg_temp.pgconform_patch('cpo.export_evidence_pack(uuid)',
    $old$    FOR r IN SELECT g.* FROM cpo.get_canonical_artifact_types() g LOOP$old$,
    $new$    FOR r IN SELECT g.* FROM cpo.get_canonical_artifact_types() g
              WHERE g.artifact_type = ANY (ARRAY['cpo_action_logs', 'cpo_charters', 'cpo_charter_activations',
                                                 'cpo_state_snapshots', 'cpo_decisions', 'cpo_assumptions',
                                                 'cpo_exceptions', 'cpo_drift_events', 'cpo_assumption_events',
                                                 'cpo_exception_events', 'cpo_changes']) LOOP$new$);

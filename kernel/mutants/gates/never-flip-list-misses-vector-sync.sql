-- mutant: never-flip-list-misses-vector-sync
-- kills: GATE-MODEL, GATE-NEVER-FLIP
-- why: iu_core.vector_sync_enabled is missing from the never-flip list: close refuses it and verify_closed no longer watches it

CREATE OR REPLACE FUNCTION public.fn_iu_gate_keys()
RETURNS TABLE (gate_key text, gate_class text)
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    VALUES ('iu_enact.allow_no_review_decision',       'never_flip'),
           ('iu_core.composer_enabled',                'governable'),
           ('iu_core.structure_ops_enabled',           'governable'),
           ('iu_core.delivery_enabled',                'governable'),
           ('iu_core.three_axis_auto_refresh_enabled', 'governable'),
           ('iu_core.operator_runtime_enabled',        'governable'),
           ('queue.job_substrate.enabled',             'governable'),
           ('queue.dlq.replay_enabled',                'governable')
$fn$;

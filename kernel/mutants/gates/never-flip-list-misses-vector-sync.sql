-- mutant: never-flip-list-misses-vector-sync
-- kills: GATE-MODEL, GATE-NEVER-FLIP
-- why: iu_core.vector_sync_enabled is missing from the never-flip list: close refuses it and verify_closed no longer watches it
SELECT pg_temp.pgconform_patch('public.fn_iu_gate_keys()',
    $old$    VALUES ('iu_enact.allow_no_review_decision',       'never_flip'),
           ('iu_core.vector_sync_enabled',             'never_flip'),$old$,
    $new$    VALUES ('iu_enact.allow_no_review_decision',       'never_flip'),$new$);

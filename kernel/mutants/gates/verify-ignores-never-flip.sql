-- mutant: verify-ignores-never-flip
-- kills: GATE-MODEL, GATE-NEVER-FLIP
-- why: verify_closed reports never_flip_intact = true without looking at the never-flip gates
SELECT pg_temp.pgconform_patch('public.fn_iu_gate_verify_closed(text)',
    $old$               'never_flip_intact', s.never_flip_intact,
               'all_safe', s.governed_closed AND s.never_flip_intact,$old$,
    $new$               'never_flip_intact', true,
               'all_safe', s.governed_closed,$new$);

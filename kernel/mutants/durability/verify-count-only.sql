-- mutant: verify-count-only
-- kills: DUR-TAMPER, DUR-WIRING
-- why: equivalence by row counts instead of sha256 multisets: an edited row goes unnoticed (seed 000, "NOT just row counts")
SELECT pg_temp.pgconform_patch('cpo.verify_reconstruction(uuid,text,text)',
    $old$        IF jsonb_array_length(v_miss) > 0 OR jsonb_array_length(v_extra) > 0 THEN$old$,
    $new$        IF v_sc <> v_tc THEN$new$,
    $old$'missing', v_miss, 'extra', v_extra));$old$,
    $new$'missing', '[]'::jsonb, 'extra', '[]'::jsonb));$new$);

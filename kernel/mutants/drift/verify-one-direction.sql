-- mutant: verify-one-direction
-- kills: DRIFT-DETECT, DRIFT-EXTRA-INDEX
-- why: verify compares expected against realized in one direction only (LEFT JOIN): extras are never reported
SELECT pg_temp.pgconform_patch('qt001_cp.verify_object_authority(text)',
    $old$          FULL JOIN realized r ON r.ot = e.ot AND r.oi = e.oi$old$,
    $new$          LEFT JOIN realized r ON r.ot = e.ot AND r.oi = e.oi$new$);

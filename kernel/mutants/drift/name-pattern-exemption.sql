-- mutant: name-pattern-exemption
-- kills: DRIFT-DETECT, DRIFT-EXTRA-INDEX
-- why: verify exempts objects whose name looks auto-generated (contains _idx): names and patterns must never exempt anything
SELECT pg_temp.pgconform_patch('qt001_cp.verify_object_authority(text)',
    $old$         WHERE e.h IS DISTINCT FROM r.h$old$,
    $new$         WHERE e.h IS DISTINCT FROM r.h
           AND coalesce(e.oi, r.oi) NOT LIKE '%\_idx%'$new$);

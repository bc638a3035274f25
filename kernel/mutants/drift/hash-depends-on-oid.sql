-- mutant: hash-depends-on-oid
-- kills: DRIFT-ORDER, DRIFT-DETECT
-- why: constraint definitions hash their OID: the same schema in another database, or a dropped-and-recreated identical constraint, hashes differently
SELECT pg_temp.pgconform_patch('qt001_cp.realized_authority_rows(text[])',
    $old$                      pg_get_constraintdef(con.oid, false)) AS def$old$,
    $new$                      pg_get_constraintdef(con.oid, false)) || ' /* oid ' || con.oid::text || ' */' AS def$new$);

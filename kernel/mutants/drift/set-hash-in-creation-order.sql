-- mutant: set-hash-in-creation-order
-- kills: DRIFT-ORDER, DRIFT-CLEAN
-- why: the TABLE set hash concatenates children in OID (creation) order instead of a canonical total order
SELECT pg_temp.pgconform_patch('qt001_cp.realized_authority_rows(text[])',
    $old$                      pg_get_constraintdef(con.oid, false)) AS def$old$,
    $new$                      pg_get_constraintdef(con.oid, false)) AS def, con.oid AS ord$new$,
    $old$                 || CASE WHEN i.indisvalid THEN '' ELSE ' /* INVALID */' END$old$,
    $new$                 || CASE WHEN i.indisvalid THEN '' ELSE ' /* INVALID */' END, i.indexrelid$new$,
    $old$                 || encode(sha256(convert_to(pg_get_functiondef(tg.tgfoid), 'UTF8')), 'hex')$old$,
    $new$                 || encode(sha256(convert_to(pg_get_functiondef(tg.tgfoid), 'UTF8')), 'hex'), tg.oid$new$,
    $old$        SELECT k.oi, k.parent, k.ot, k.def,$old$,
    $new$        SELECT k.oi, k.parent, k.ot, k.def, k.ord,$new$,
    $old$                          ORDER BY h.ot COLLATE "C", h.oi COLLATE "C") AS def$old$,
    $new$                          ORDER BY h.ord) AS def$new$);

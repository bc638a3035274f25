-- mutant: kernel-fks-exempt
-- kills: DRIFT-DEFERRED-FK
-- why: the realized set leaves out the foreign keys of the kernel's own schema qt001_cp (its deferred constraint groups), so dropping one after `script seal-kernel` goes unnoticed (seed 002 step 8/10)
SELECT pg_temp.pgconform_patch('qt001_cp.realized_authority_rows(text[])',
    $old$        SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS ident$old$,
    $new$        SELECT c.oid, n.nspname, format('%I.%I', n.nspname, c.relname) AS ident$new$,
    $old$         WHERE con.contype <> 't'$old$,
    $new$         WHERE con.contype <> 't'
           -- MUTANT: the kernel "trusts" its own schema's foreign keys
           AND NOT (con.contype = 'f' AND t.nspname = 'qt001_cp')$new$);

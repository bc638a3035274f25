-- mutant: revoke-only-keeps-public
-- kills: EVID-NO-SOURCE-NO-CHANGE
-- why: revoke_only moves the owner and revokes named grantees but forgets PUBLIC, so EXECUTE stays effectively granted to everyone (seed 004: owner isolation + REVOKE must reach effective EXECUTE = 0)
SELECT pg_temp.pgconform_patch('qt001_cp.revoke_only(regprocedure)',
    $old$            EXECUTE format('REVOKE ALL ON %s %s FROM PUBLIC CASCADE', v_kw, p_object);$old$,
    $new$            NULL;$new$,
    $old$    IF v_left <> 0 OR EXISTS (SELECT 1 FROM pg_roles r
                               WHERE NOT r.rolsuper AND has_function_privilege(r.oid, p_object, 'EXECUTE')) THEN$old$,
    $new$    IF EXISTS (SELECT 1 FROM pg_roles r
                               WHERE false) THEN$new$);
